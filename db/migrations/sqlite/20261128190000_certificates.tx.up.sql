-- Certificates: issued once per completion, in its transaction, with what
-- they say frozen at that moment (the holder's name as printed, the course
-- and its version, the issuer). They outlive the enrolment, the account and
-- the course, so that a printed certificate stays verifiable; a correction
-- revokes one and issues another in its place. The PDF, rendered once, is
-- kept beside it.
CREATE TABLE certificates (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         TEXT NOT NULL UNIQUE,
    enrolment_id   INTEGER REFERENCES enrolments (id) ON DELETE SET NULL,
    user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    course_id      INTEGER REFERENCES courses (id) ON DELETE SET NULL,
    version_id     INTEGER REFERENCES course_versions (id) ON DELETE SET NULL,
    course_slug    TEXT NOT NULL,
    course_title   TEXT NOT NULL,
    course_summary TEXT NOT NULL DEFAULT '',
    course_version INTEGER NOT NULL,
    study_hours    REAL NOT NULL DEFAULT 0,
    language       TEXT NOT NULL DEFAULT 'nl',
    holder_name    TEXT NOT NULL,
    holder_search  TEXT NOT NULL DEFAULT '', -- the name folded for search (courses.SearchText)
    completed_at   TIMESTAMP NOT NULL,
    issued_at      TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP,
    issuer         TEXT NOT NULL,
    signatory      TEXT NOT NULL DEFAULT '',
    signatory_role TEXT NOT NULL DEFAULT '',
    revoked_at     TIMESTAMP,
    revoked_reason TEXT NOT NULL DEFAULT '',
    revoked_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    replaced_by    TEXT NOT NULL DEFAULT '',
    lookups        INTEGER NOT NULL DEFAULT 0,
    CHECK (expires_at IS NULL OR expires_at > completed_at)
);
-- One certificate in force per completion: two completions racing cannot
-- both issue one, and a re-issue must revoke the one it replaces first.
CREATE UNIQUE INDEX certificates_current ON certificates (enrolment_id, completed_at) WHERE revoked_at IS NULL;
CREATE INDEX certificates_user ON certificates (user_id, issued_at);
CREATE INDEX certificates_issued ON certificates (issued_at);

CREATE TABLE certificate_pdfs (
    certificate_id INTEGER PRIMARY KEY REFERENCES certificates (id) ON DELETE CASCADE,
    pdf            BLOB NOT NULL
);

