-- Personal calendar feeds: each learner may have one secret address that
-- lists the sessions they have a place at. Only the hash of its token is
-- stored, so a leaked table gives no working address.
CREATE TABLE calendar_feeds (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
