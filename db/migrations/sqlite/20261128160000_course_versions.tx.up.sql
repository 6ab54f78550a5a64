-- Course versions (draft, published, retired) with their modules and
-- activities (lessons, quizzes, sessions), files, owners, and the first
-- learner records: enrolments, activity progress and quiz attempts.
-- The courses table stays the course's identity plus a copy of its
-- published version's metadata, which the catalogue filters on.
ALTER TABLE courses ADD COLUMN validity_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE courses ADD COLUMN published_version_id INTEGER;
ALTER TABLE courses ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE courses SET search_text = lower(title || ' ' || summary);

CREATE TABLE course_versions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id       INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL CHECK (number > 0),
    state           TEXT NOT NULL CHECK (state IN ('draft', 'published', 'retired')),
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    description     TEXT NOT NULL,
    audience        TEXT NOT NULL, -- office codes, comma-separated, in display order
    topics          TEXT NOT NULL,
    study_hours     REAL NOT NULL,
    level           TEXT NOT NULL,
    language        TEXT NOT NULL,
    validity_months INTEGER NOT NULL DEFAULT 0 CHECK (validity_months BETWEEN 0 AND 240),
    prerequisites   TEXT NOT NULL DEFAULT '', -- course slugs, comma-separated
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    published_at    TIMESTAMP,
    UNIQUE (course_id, number)
);
CREATE UNIQUE INDEX course_versions_one_draft ON course_versions (course_id) WHERE state = 'draft';
CREATE UNIQUE INDEX course_versions_one_published ON course_versions (course_id) WHERE state = 'published';

CREATE TABLE version_modules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    slug       TEXT NOT NULL,
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    intro      TEXT NOT NULL DEFAULT '',
    UNIQUE (version_id, slug)
);

CREATE TABLE activities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    module_id    INTEGER NOT NULL REFERENCES version_modules (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    slug         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('lesson', 'quiz', 'session')),
    title        TEXT NOT NULL,
    minutes      INTEGER NOT NULL CHECK (minutes > 0),
    body         TEXT NOT NULL DEFAULT '',
    pass_mark    INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 0,
    shuffle      BOOLEAN NOT NULL DEFAULT FALSE,
    starts_at    TIMESTAMP,
    ends_at      TIMESTAMP,
    location     TEXT NOT NULL DEFAULT '',
    online_url   TEXT NOT NULL DEFAULT '',
    capacity     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (module_id, slug)
);

CREATE TABLE quiz_questions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'truefalse')),
    text        TEXT NOT NULL,
    feedback    TEXT NOT NULL DEFAULT '',
    UNIQUE (activity_id, position)
);

CREATE TABLE quiz_options (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    question_id INTEGER NOT NULL REFERENCES quiz_questions (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    correct     BOOLEAN NOT NULL,
    UNIQUE (question_id, position)
);

-- Uploaded and imported files, stored once by content hash.
CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    size       INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE version_files (
    version_id   INTEGER NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    path         TEXT NOT NULL,
    sha256       TEXT NOT NULL REFERENCES blobs (sha256),
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE INDEX version_files_blob ON version_files (sha256);

CREATE TABLE course_owners (
    course_id  INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_owners_user ON course_owners (user_id);

CREATE TABLE enrolments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id     INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    version_id    INTEGER NOT NULL REFERENCES course_versions (id),
    last_activity TEXT NOT NULL DEFAULT '', -- the key of the activity to resume at
    enrolled_at   TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    completed_at  TIMESTAMP,
    UNIQUE (user_id, course_id)
);
CREATE INDEX enrolments_course ON enrolments (course_id, version_id);

CREATE TABLE activity_progress (
    enrolment_id INTEGER NOT NULL REFERENCES enrolments (id) ON DELETE CASCADE,
    activity_key TEXT NOT NULL, -- module slug/activity slug: the same in every version
    completed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (enrolment_id, activity_key)
);

CREATE TABLE quiz_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    enrolment_id INTEGER NOT NULL REFERENCES enrolments (id) ON DELETE CASCADE,
    activity_key TEXT NOT NULL,
    activity_id  INTEGER NOT NULL REFERENCES activities (id),
    number       INTEGER NOT NULL CHECK (number > 0),
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
    passed       BOOLEAN NOT NULL,
    answers      TEXT NOT NULL, -- JSON: [{"question":id,"options":[id,...]}]
    submitted_at TIMESTAMP NOT NULL,
    UNIQUE (enrolment_id, activity_key, number)
);

-- The content so far becomes each course's published version 1..n, keeping
-- module and lesson ids (lesson ids appear in the API).
INSERT INTO course_versions (course_id, number, state, title, summary, description, audience, topics,
        study_hours, level, language, created_at, updated_at, published_at)
SELECT c.id, c.version, CASE WHEN c.published THEN 'published' ELSE 'retired' END, c.title, c.summary, c.description,
       COALESCE((SELECT group_concat(office, ',') FROM (SELECT a.office FROM course_audience a JOIN offices o ON o.code = a.office
                 WHERE a.course_id = c.id ORDER BY o.position)), ''),
       COALESCE((SELECT group_concat(topic, ',') FROM (SELECT t.topic FROM course_topics t JOIN topics tp ON tp.code = t.topic
                 WHERE t.course_id = c.id ORDER BY tp.position)), ''),
       c.study_hours, c.level, c.language, c.created_at, c.updated_at, c.updated_at
FROM courses c;

UPDATE courses SET published_version_id = (SELECT v.id FROM course_versions v WHERE v.course_id = courses.id)
WHERE published;

INSERT INTO version_modules (id, version_id, position, slug, title, summary, intro)
SELECT m.id, v.id, m.position, m.slug, m.title, m.summary, m.intro
FROM modules m JOIN course_versions v ON v.course_id = m.course_id;

INSERT INTO activities (id, module_id, position, slug, kind, title, minutes, body)
SELECT l.id, l.module_id, l.position, l.slug, 'lesson', l.title, l.minutes, l.body FROM lessons l;

DROP TABLE lessons;
DROP TABLE modules;
