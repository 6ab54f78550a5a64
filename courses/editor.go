package courses

import (
	"context"
	"time"
)

// EditableCourse is a course as the editor lists it: its versions and how
// many learners follow it.
type EditableCourse struct {
	ID               int64
	Slug             string
	Title            string // the draft's title, else the published one
	PublishedVersion int    // 0: never published
	DraftVersion     int    // 0: no draft
	DraftVersionID   int64
	UpdatedAt        time.Time
	Learners         int
	OldVersion       int // learners, not done yet, on a version before the published one
}

// CourseOwner is a trainer (or admin) who may edit a course.
type CourseOwner struct {
	UserID int64
	Name   string
	Email  string
}

// CourseEditor is what the course editor does with courses. Content only
// ever changes in a course's draft; publishing freezes it.
type CourseEditor interface {
	// EditableCourses lists the courses userID owns, or all with all set.
	EditableCourses(ctx context.Context, userID int64, all bool) ([]EditableCourse, error)
	IsOwner(ctx context.Context, courseID, userID int64) (bool, error)
	Owners(ctx context.Context, courseID int64) ([]CourseOwner, error)
	// AddOwner makes the active trainer or admin with email a co-owner.
	AddOwner(ctx context.Context, courseID int64, email string) (CourseOwner, error)
	// RemoveOwner removes an owner; the last one stays (ECONFLICT).
	RemoveOwner(ctx context.Context, courseID, userID int64) error
	// CourseIDBySlug finds a course, published or not.
	CourseIDBySlug(ctx context.Context, slug string) (int64, error)
	// CreateCourse creates a course with an empty draft owned by owner.
	CreateCourse(ctx context.Context, c *Course, owner int64) error
	// Draft returns the course's draft, starting one as a copy of the
	// published version when there is none.
	Draft(ctx context.Context, courseID, by int64) (*Course, error)
	// DraftOnly returns the course's draft, or ENOTFOUND.
	DraftOnly(ctx context.Context, courseID int64) (*Course, error)
	DiscardDraft(ctx context.Context, courseID int64) error
	// Publish checks the draft (EINVALID with PublishProblems) and
	// publishes it; the version published before is retired.
	Publish(ctx context.Context, courseID int64) (*Course, error)
	// MoveLearners moves learners who have not completed the course to the
	// published version and returns how many moved.
	MoveLearners(ctx context.Context, courseID int64) (int, error)
	SaveMetadata(ctx context.Context, versionID int64, c *Course) error
	SaveModule(ctx context.Context, versionID int64, m *Module) error
	DeleteModule(ctx context.Context, versionID, moduleID int64) error
	MoveModule(ctx context.Context, versionID, moduleID int64, up bool) error
	SaveActivity(ctx context.Context, versionID, moduleID int64, a *Activity) error
	DeleteActivity(ctx context.Context, versionID, activityID int64) error
	MoveActivity(ctx context.Context, versionID, activityID int64, up bool) error
	AddFile(ctx context.Context, versionID int64, f *File) error
	DeleteFile(ctx context.Context, versionID int64, path string) error
	// FileData returns a version's file with its bytes.
	FileData(ctx context.Context, versionID int64, path string) (File, error)
	// LoadFileData fills in the bytes of every file of c (for export).
	LoadFileData(ctx context.Context, c *Course) error
}

// LearningService keeps who takes which course and how far they are.
type LearningService interface {
	// Enrol enrols userID in the published version; created is false when
	// the user was enrolled before.
	Enrol(ctx context.Context, userID, courseID int64) (e *Enrolment, created bool, err error)
	Enrolment(ctx context.Context, userID, courseID int64) (*Enrolment, error)
	// EnrolmentBySlug returns the enrolment with the keys of the activities
	// done (DoneKeys), without the counts: what a lesson page needs, in one
	// query.
	EnrolmentBySlug(ctx context.Context, userID int64, slug string) (*Enrolment, error)
	Enrolments(ctx context.Context, userID int64) ([]*Enrolment, error)
	// DoneKeys returns the activity keys done in an enrolment, with when.
	DoneKeys(ctx context.Context, enrolmentID int64) (map[string]time.Time, error)
	// CompleteActivity records an activity done; idempotent.
	CompleteActivity(ctx context.Context, enrolmentID int64, key string) error
	SetLastActivity(ctx context.Context, enrolmentID int64, key string) error
	// SubmitAttempt grades and stores a quiz attempt within its limit.
	SubmitAttempt(ctx context.Context, enrolmentID int64, key string, a *Activity, answers []Answer) (*Attempt, error)
	Attempts(ctx context.Context, enrolmentID int64, key string) ([]Attempt, error)
	// ActivityOwner returns the course and version an activity belongs to.
	ActivityOwner(ctx context.Context, activityID int64) (courseID, versionID int64, err error)

	// EnrolAs enrols someone as r says (by a trainer, with a key, ...).
	EnrolAs(ctx context.Context, r EnrolRequest) (*Enrolment, bool, error)
	// EnrolMany enrols a list all or none; association limits it to members.
	EnrolMany(ctx context.Context, courseID int64, rows []EnrolRow, file string, by int64, source, association string) (int, error)
	EnrolmentByID(ctx context.Context, id int64) (*Enrolment, error)
	// CourseEnrolments lists a course's learners, for its trainers.
	CourseEnrolments(ctx context.Context, courseID int64) ([]Learner, error)
	// Withdraw takes a learner out of a course, keeping the progress.
	Withdraw(ctx context.Context, userID, courseID int64) error
	// CompleteManually completes an enrolment on a trainer's or admin's word.
	CompleteManually(ctx context.Context, enrolmentID, by int64, reason string) (e *Enrolment, done bool, err error)
	// UndoCompletion takes a completion back (admins) and revokes its
	// certificate.
	UndoCompletion(ctx context.Context, enrolmentID, by int64) error

	CreateKey(ctx context.Context, k *EnrolmentKey, by int64) error
	Keys(ctx context.Context, courseID int64) ([]EnrolmentKey, error)
	RevokeKey(ctx context.Context, courseID, keyID int64) error
	// RedeemKey enrols userID with a key code.
	RedeemKey(ctx context.Context, userID int64, code string) (*Enrolment, bool, error)

	// Register gives a place at a session, or one on its waiting list.
	Register(ctx context.Context, userID, courseID int64, key string, m *Meeting) (*Registration, error)
	// CancelRegistration frees a place; the waiting list moves up.
	CancelRegistration(ctx context.Context, userID, courseID int64, key string) error
	Registration(ctx context.Context, userID, courseID int64, key string) (*Registration, error)
	Registrations(ctx context.Context, courseID int64, key string) ([]Registration, error)
	UserRegistrations(ctx context.Context, userID int64) ([]Registration, error)
	// MarkAttendance marks learners (nil: everyone with a place) present.
	MarkAttendance(ctx context.Context, courseID int64, key string, userIDs []int64, by int64) (int, error)
}
