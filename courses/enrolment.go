package courses

import "time"

// Enrolment is a learner taking a course, in the version they enrolled in
// (or were moved to).
type Enrolment struct {
	ID           int64
	UserID       int64
	CourseID     int64
	VersionID    int64
	Slug         string
	Title        string
	LastActivity string   // the key of the activity to resume at; "" before the first
	Done         int      // activities of the version done
	Total        int      // activities in the version
	DoneKeys     []string // keys of the activities done; set by EnrolmentBySlug only
	EnrolledAt   time.Time
	CompletedAt  *time.Time

	Source           string     // how: self, key, trainer, association, path, recertification
	EnrolledBy       int64      // who enrolled the learner; 0 for themselves
	Deadline         *time.Time // complete before; nil: no deadline
	WithdrawnAt      *time.Time // the learner left the course (progress is kept)
	CompletionKind   string     // rule or manual, once completed
	CompletionReason string     // for manual completions
	CompletedBy      int64      // who marked it complete by hand
	ExpiresAt        *time.Time // when the certificate expires, for courses with a validity
	Certificate      string     // the number of the certificate in force, if any
}

// Progress returns the share of activities done, 0..100, rounded down so
// that 100 means everything is done.
func (e *Enrolment) Progress() int {
	if e.Total == 0 {
		return 0
	}
	return min(e.Done*100/e.Total, 100)
}

// Status is the enrolment's state in the API: enrolled, in_progress or
// completed.
func (e *Enrolment) Status() string {
	switch {
	case e.CompletedAt != nil:
		return "completed"
	case e.Done > 0 || e.LastActivity != "":
		return "in_progress"
	}
	return "enrolled"
}
