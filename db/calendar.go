package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// CalendarFeeds keeps the secret addresses of learners' calendar feeds:
// one per learner, stored as the hash of its token only.
type CalendarFeeds struct{ db *DB }

// NewCalendarFeeds returns the calendar feed addresses stored in db.
func NewCalendarFeeds(d *DB) *CalendarFeeds { return &CalendarFeeds{db: d} }

type calendarFeedRow struct {
	bun.BaseModel `bun:"table:calendar_feeds"`

	UserID    int64     `bun:"user_id,pk"`
	TokenHash string    `bun:"token_hash"`
	CreatedAt time.Time `bun:"created_at"`
}

// SetFeedToken gives userID a feed address with the token whose hash is
// given, replacing the one before (which stops working), and returns when.
func (s *CalendarFeeds) SetFeedToken(ctx context.Context, userID int64, hash string) (time.Time, error) {
	row := calendarFeedRow{UserID: userID, TokenHash: hash, CreatedAt: s.db.Now().UTC()}
	_, err := s.db.NewInsert().Model(&row).
		On("CONFLICT (user_id) DO UPDATE").Set("token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at").Exec(ctx)
	return row.CreatedAt, wrap(err, "set calendar feed")
}

// FeedToken returns when userID's feed address was made, or ENOTFOUND.
func (s *CalendarFeeds) FeedToken(ctx context.Context, userID int64) (time.Time, error) {
	var row calendarFeedRow
	if err := s.db.NewSelect().Model(&row).Where("user_id = ?", userID).Scan(ctx); err != nil {
		return time.Time{}, wrap(err, "calendar feed")
	}
	return row.CreatedAt.UTC(), nil
}

// FeedUser returns the active user whose feed token has hash, or
// ENOTFOUND: a deactivated account's address stops working.
func (s *CalendarFeeds) FeedUser(ctx context.Context, hash string) (int64, error) {
	var id int64
	err := s.db.NewSelect().TableExpr("calendar_feeds AS f").ColumnExpr("f.user_id").
		Join("JOIN users u ON u.id = f.user_id").Where("f.token_hash = ? AND u.active", hash).Scan(ctx, &id)
	return id, wrap(err, "calendar feed user")
}

// RevokeFeedToken removes userID's feed address; having none is fine.
func (s *CalendarFeeds) RevokeFeedToken(ctx context.Context, userID int64) error {
	_, err := s.db.NewDelete().Model((*calendarFeedRow)(nil)).Where("user_id = ?", userID).Exec(ctx)
	return wrap(err, "revoke calendar feed")
}
