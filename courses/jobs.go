package courses

import "time"

// Job is the arguments of a background job; Kind names its worker. Jobs
// are inserted in the same transaction as the change they follow up, so a
// rolled-back change leaves no job behind, and they run after commit.
type Job interface{ Kind() string }

// The background jobs. They carry ids only: a worker loads the current
// state and does nothing when it no longer applies (a cancelled
// registration gets no reminder).
type (
	// EnrolmentConfirmationJob mails a learner that they were enrolled.
	EnrolmentConfirmationJob struct {
		EnrolmentID int64 `json:"enrolment_id"`
	}
	// SessionReminderJob mails a registered learner 24 hours before a
	// session starts.
	SessionReminderJob struct {
		RegistrationID int64 `json:"registration_id"`
	}
	// WaitlistPromotionJob mails a learner who moved from the waiting list
	// to a place.
	WaitlistPromotionJob struct {
		RegistrationID int64 `json:"registration_id"`
	}
	// DeadlineReminderJob mails a learner a week before their deadline when
	// the course is not complete.
	DeadlineReminderJob struct {
		EnrolmentID int64 `json:"enrolment_id"`
	}
	// RecertificationJob runs before a completed course's certificate
	// expires: it reminds the learner and enrols them in the current
	// version again.
	RecertificationJob struct {
		EnrolmentID int64 `json:"enrolment_id"`
	}
)

// Kind implements Job.
func (EnrolmentConfirmationJob) Kind() string { return "enrolment_confirmation" }

// Kind implements Job.
func (SessionReminderJob) Kind() string { return "session_reminder" }

// Kind implements Job.
func (WaitlistPromotionJob) Kind() string { return "waitlist_promotion" }

// Kind implements Job.
func (DeadlineReminderJob) Kind() string { return "deadline_reminder" }

// Kind implements Job.
func (RecertificationJob) Kind() string { return "recertification" }

// When reminders are due, relative to what they remind of.
const (
	SessionReminderBefore  = 24 * time.Hour
	DeadlineReminderBefore = 7 * 24 * time.Hour
	RecertificationBefore  = 60 * 24 * time.Hour
)

// CertificateJob renders an issued certificate's PDF and stores it, and
// mails the holder that it is ready. A PDF asked for before the job ran is
// rendered on the spot (and stored once): the job then only mails.
type CertificateJob struct {
	CertificateID int64 `json:"certificate_id"`
}

// Kind implements Job.
func (CertificateJob) Kind() string { return "certificate" }
