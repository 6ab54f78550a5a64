package db

import "context"

// MigrateBefore applies the migrations named before stop, for tests of a
// migration against data in the schema before it.
func (db *DB) MigrateBefore(ctx context.Context, stop string) ([]string, error) {
	return db.migrate(ctx, stop)
}
