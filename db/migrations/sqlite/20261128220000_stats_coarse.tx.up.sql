-- Two coarser roll-ups for the statistics, kept beside the others by the
-- same fold: one without the place (by office) and one without the office
-- (by province). A table, chart or total that needs neither reads a few
-- thousand rows instead of tens of thousands (BENCHMARKS.md, association
-- statistics: the platform's view over three years).
CREATE TABLE stats_offices (
    association_id INTEGER NOT NULL,
    course_id      INTEGER NOT NULL,
    office         TEXT NOT NULL,
    month          INTEGER NOT NULL,
    enrolled       INTEGER NOT NULL,
    completed      INTEGER NOT NULL,
    PRIMARY KEY (association_id, course_id, office, month)
);

CREATE TABLE stats_places (
    association_id INTEGER NOT NULL,
    course_id      INTEGER NOT NULL,
    province       TEXT NOT NULL,
    month          INTEGER NOT NULL,
    enrolled       INTEGER NOT NULL,
    completed      INTEGER NOT NULL,
    PRIMARY KEY (association_id, course_id, province, month)
);

INSERT INTO stats_offices (association_id, course_id, office, month, enrolled, completed)
SELECT association_id, course_id, office, month, SUM(enrolled), SUM(completed)
FROM stats_provinces GROUP BY association_id, course_id, office, month;

INSERT INTO stats_places (association_id, course_id, province, month, enrolled, completed)
SELECT association_id, course_id, province, month, SUM(enrolled), SUM(completed)
FROM stats_provinces GROUP BY association_id, course_id, province, month;

-- A province's municipalities are read from this index alone, in the order
-- they are grouped in (no sort), whatever the period, office or course.
DROP INDEX stats_municipalities_province;
CREATE INDEX stats_municipalities_drill ON stats_municipalities
    (association_id, province, cbs_code, course_id, month, office, enrolled, completed);
