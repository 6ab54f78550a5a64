-- What every start looks for stays cheap with a million enrolments: the
-- completions without a certificate (IssueMissingCertificates) and the
-- enrolments not yet counted in the statistics (StatsNeedRebuild).
CREATE INDEX certificates_enrolment ON certificates (enrolment_id, completed_at);
CREATE INDEX enrolments_unattributed ON enrolments (id) WHERE stats_month = 0;
CREATE INDEX enrolments_completed ON enrolments (id) WHERE completed_at IS NOT NULL;
