-- The course catalogue, its reference vocabularies, municipalities and the
-- first user accounts (demo accounts; sign-in arrives with accounts).
CREATE TABLE offices (
    code     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);

CREATE TABLE topics (
    code     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);

CREATE TABLE municipalities (
    cbs_code    TEXT PRIMARY KEY CHECK (cbs_code GLOB 'GM[0-9][0-9][0-9][0-9]' AND length(cbs_code) = 6),
    name        TEXT NOT NULL,
    common_name TEXT NOT NULL,
    province    TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE courses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL,
    description TEXT NOT NULL,
    study_hours REAL NOT NULL CHECK (study_hours > 0),
    level       TEXT NOT NULL,
    language    TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    published   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE course_audience (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    office    TEXT NOT NULL REFERENCES offices (code),
    PRIMARY KEY (course_id, office)
);
CREATE INDEX course_audience_office ON course_audience (office, course_id);

CREATE TABLE course_topics (
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    topic     TEXT NOT NULL REFERENCES topics (code),
    PRIMARY KEY (course_id, topic)
);
CREATE INDEX course_topics_topic ON course_topics (topic, course_id);

CREATE TABLE modules (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    slug      TEXT NOT NULL,
    title     TEXT NOT NULL,
    summary   TEXT NOT NULL DEFAULT '',
    intro     TEXT NOT NULL DEFAULT '',
    UNIQUE (course_id, slug)
);

CREATE TABLE lessons (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    module_id INTEGER NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    slug      TEXT NOT NULL,
    title     TEXT NOT NULL,
    minutes   INTEGER NOT NULL CHECK (minutes > 0),
    body      TEXT NOT NULL,
    UNIQUE (module_id, slug)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language      TEXT NOT NULL DEFAULT 'nl',
    demo          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
