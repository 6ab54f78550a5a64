-- Association statistics, kept up to date as learning happens.
--
-- Each enrolment is attributed once, when it starts, to the office and
-- municipality its learner held then and to the month it started in
-- (Amsterdam time): later changes of office do not move it, so that every
-- enrolment counts in exactly one cell and tables add up.
--
-- Every change that affects a count (an enrolment, a completion, a
-- completion taken back, an account deleted) writes signed deltas in its
-- own transaction: one row for the platform (association 0) and one per
-- association of the learner. Inserting is all it does, so busy courses do
-- not contend for hot rows. A folder adds the deltas into two roll-ups, by
-- municipality and by province, and deletes them; reading adds what is
-- not folded yet, so the numbers are exact at any moment.
ALTER TABLE enrolments ADD COLUMN stats_office TEXT NOT NULL DEFAULT '';
ALTER TABLE enrolments ADD COLUMN stats_cbs TEXT NOT NULL DEFAULT '';
ALTER TABLE enrolments ADD COLUMN stats_month INTEGER NOT NULL DEFAULT 0;

CREATE TABLE stats_deltas (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    association_id INTEGER NOT NULL,
    course_id      INTEGER NOT NULL,
    office         TEXT NOT NULL,
    province       TEXT NOT NULL,
    cbs_code       TEXT NOT NULL,
    month          INTEGER NOT NULL,
    enrolled       INTEGER NOT NULL,
    completed      INTEGER NOT NULL
);
CREATE INDEX stats_deltas_association ON stats_deltas (association_id, month);

CREATE TABLE stats_municipalities (
    association_id INTEGER NOT NULL,
    course_id      INTEGER NOT NULL,
    office         TEXT NOT NULL,
    province       TEXT NOT NULL,
    cbs_code       TEXT NOT NULL,
    month          INTEGER NOT NULL,
    enrolled       INTEGER NOT NULL,
    completed      INTEGER NOT NULL,
    PRIMARY KEY (association_id, course_id, office, cbs_code, month)
);
CREATE INDEX stats_municipalities_province ON stats_municipalities (association_id, province, month);

CREATE TABLE stats_provinces (
    association_id INTEGER NOT NULL,
    course_id      INTEGER NOT NULL,
    office         TEXT NOT NULL,
    province       TEXT NOT NULL,
    month          INTEGER NOT NULL,
    enrolled       INTEGER NOT NULL,
    completed      INTEGER NOT NULL,
    PRIMARY KEY (association_id, course_id, office, province, month)
);
CREATE INDEX stats_provinces_month ON stats_provinces (association_id, month);

-- Members who let an association see their own progress; withdrawn by
-- deleting the row.
CREATE TABLE progress_consents (
    association_id INTEGER NOT NULL REFERENCES associations (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (association_id, user_id)
);
