-- Accounts: associations, offices and memberships of users, sessions with
-- rotating refresh tokens, rate limits shared by all instances, and the
-- audit log. No political party is stored (special-category data).
ALTER TABLE users ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMP;

CREATE TABLE associations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE association_members (
    association_id INTEGER NOT NULL REFERENCES associations (id),
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    joined_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (association_id, user_id)
);
CREATE INDEX association_members_user ON association_members (user_id);

CREATE TABLE user_offices (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    office    TEXT NOT NULL REFERENCES offices (code),
    cbs_code  TEXT REFERENCES municipalities (cbs_code),
    starts_on DATE,
    ends_on   DATE,
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX user_offices_user ON user_offices (user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    revoke_reason TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE rate_limits (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TIMESTAMP NOT NULL,
    actor_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
