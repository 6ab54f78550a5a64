-- Enrolment in depth: how and by whom a learner was enrolled, deadlines,
-- withdrawal (progress is kept), completion by the course's rule or by hand
-- with a reason, certificate expiry; enrolment keys; session registrations
-- with a waiting list and attendance; learning paths.
ALTER TABLE enrolments ADD COLUMN source TEXT NOT NULL DEFAULT 'self';
ALTER TABLE enrolments ADD COLUMN enrolled_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE enrolments ADD COLUMN deadline TIMESTAMP;
ALTER TABLE enrolments ADD COLUMN withdrawn_at TIMESTAMP;
ALTER TABLE enrolments ADD COLUMN completion_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE enrolments ADD COLUMN completed_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE enrolments ADD COLUMN completion_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE enrolments ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE enrolments ADD COLUMN reminded_at TIMESTAMP;
CREATE INDEX enrolments_deadline ON enrolments (deadline) WHERE deadline IS NOT NULL AND completed_at IS NULL;
CREATE INDEX enrolments_expiry ON enrolments (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE enrolment_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id  INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    code       TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    deadline   TIMESTAMP,
    expires_at TIMESTAMP NOT NULL,
    max_uses   INTEGER NOT NULL DEFAULT 0 CHECK (max_uses >= 0),
    uses       INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX enrolment_keys_course ON enrolment_keys (course_id);

-- Places of a session (a course's activity, by its version-independent
-- key): taken never exceeds capacity, by an atomic conditional update.
CREATE TABLE session_seats (
    course_id    INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    activity_key TEXT NOT NULL,
    capacity     INTEGER NOT NULL CHECK (capacity > 0),
    taken        INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0),
    PRIMARY KEY (course_id, activity_key)
);

CREATE TABLE session_registrations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id     INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    activity_key  TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('registered', 'waiting', 'cancelled')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    attended_at   TIMESTAMP,
    attendance_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (course_id, activity_key, user_id)
);
CREATE INDEX session_registrations_queue ON session_registrations (course_id, activity_key, status, created_at, id);
CREATE INDEX session_registrations_user ON session_registrations (user_id);

CREATE TABLE learning_paths (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    description TEXT NOT NULL,
    audience    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE learning_path_courses (
    path_id   INTEGER NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    PRIMARY KEY (path_id, course_id),
    UNIQUE (path_id, position)
);

CREATE TABLE path_enrolments (
    path_id      INTEGER NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    enrolled_at  TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    PRIMARY KEY (path_id, user_id)
);
