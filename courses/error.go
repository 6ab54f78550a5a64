package courses

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer. The HTTP layer maps each one to a status
// in exactly one place; the codes also appear in the JSON error format.
const (
	ECONFLICT     = "conflict"     // the action conflicts with existing state
	EINTERNAL     = "internal"     // a bug or an unexpected failure
	EINVALID      = "invalid"      // the input is wrong; Problems say where
	ENOTFOUND     = "not_found"    // the thing does not exist or may not be seen
	EUNAUTHORIZED = "unauthorized" // not signed in
	EFORBIDDEN    = "forbidden"    // signed in, but not allowed
	ERATELIMIT    = "rate_limited" // too many attempts
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) is down for now
)

// Error is the one error type of the domain. Message is for developers and
// logs (English, never shown to users as is); users see a translation chosen
// by Code, or of each Problem.
type Error struct {
	Code     string
	Message  string
	Problems []Problem
	Err      error // the underlying cause, if any, for errors.Is and errors.As
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%d problems, first: %s)", e.Code, e.Message, len(e.Problems), e.Problems[0])
}

// Errorf returns an *Error with the given code and a formatted developer message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error carrying the given problems.
func Invalid(message string, problems ...Problem) *Error {
	return &Error{Code: EINVALID, Message: message, Problems: problems}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorProblems returns the problems of the first *Error in err's chain.
func ErrorProblems(err error) []Problem {
	var e *Error
	if errors.As(err, &e) {
		return e.Problems
	}
	return nil
}

// Problem is one thing wrong with some input: a form field, a JSON property
// or a line of a file. Key names a message in the translation catalogue and
// Args fill its {placeholders}, so the domain never holds translated text.
type Problem struct {
	File  string         // set for file input: the path relative to what was imported
	Line  int            // 1-based; 0 when the problem is about the file as a whole
	Field string         // the field, property or front matter key
	Key   string         // message key, one of the Problem* constants
	Args  map[string]any // values for the message's placeholders
}

// String renders the problem for logs and tests as file:line: field: key.
func (p Problem) String() string {
	s := ""
	if p.File != "" {
		s = p.File + ":"
		if p.Line > 0 {
			s += fmt.Sprintf("%d:", p.Line)
		}
		s += " "
	}
	if p.Field != "" {
		s += p.Field + ": "
	}
	return s + p.Key
}

// Message keys for problems. Each has a Dutch and an English text in the
// application's catalogue; a test checks that every one of them does.
const (
	ProblemRequired         = "problem.required"
	ProblemTooShort         = "problem.too_short"
	ProblemTooLong          = "problem.too_long"
	ProblemNotNumber        = "problem.not_number"
	ProblemOutOfRange       = "problem.out_of_range"
	ProblemTooManyDecimals  = "problem.too_many_decimals"
	ProblemUnknownValue     = "problem.unknown_value"
	ProblemUnknownKey       = "problem.unknown_key"
	ProblemDuplicateKey     = "problem.duplicate_key"
	ProblemDuplicateValue   = "problem.duplicate_value"
	ProblemBadLine          = "problem.bad_line"
	ProblemNoFrontMatter    = "problem.no_front_matter"
	ProblemUnclosedFront    = "problem.unclosed_front_matter"
	ProblemNotUTF8          = "problem.not_utf8"
	ProblemEmptyBody        = "problem.empty_body"
	ProblemBadSlug          = "problem.bad_slug"
	ProblemBadName          = "problem.bad_name"
	ProblemDuplicateNumber  = "problem.duplicate_number"
	ProblemNoModules        = "problem.no_modules"
	ProblemNoLessons        = "problem.no_lessons"
	ProblemMissingFile      = "problem.missing_file"
	ProblemUnreadable       = "problem.unreadable"
	ProblemTooLarge         = "problem.too_large"
	ProblemBadCSV           = "problem.bad_csv"
	ProblemBadEmail         = "problem.bad_email"
	ProblemCommonPassword   = "problem.common_password"
	ProblemPasswordIsName   = "problem.password_is_name"
	ProblemBadDate          = "problem.bad_date"
	ProblemBadMonth         = "problem.bad_month"
	ProblemCountryRefused   = "problem.country_refused"
	ProblemEmailTaken       = "problem.email_taken"
	ProblemLockedUntil      = "problem.locked_until"
	ProblemCSRF             = "problem.csrf"
	ProblemBadJSON          = "problem.bad_json"
	ProblemSelfDeactivate   = "problem.self_deactivate"
	ProblemPasswordsDiffer  = "problem.passwords_differ"
	ProblemTwoFactorNeeded  = "problem.two_factor_needed"
	ProblemTwoFactorSetup   = "problem.two_factor_setup"
	ProblemBadCode          = "problem.bad_code"
	ProblemWrongPassword    = "problem.wrong_password"
	ProblemAdminDelete      = "problem.admin_delete"
	ProblemMissingColumn    = "problem.missing_column"
	ProblemDuplicateRow     = "problem.duplicate_row"
	ProblemTooManyRows      = "problem.too_many_rows"
	ProblemAmbiguous        = "problem.ambiguous"
	ProblemScope            = "problem.scope"
	ProblemEndBeforeStart   = "problem.end_before_start"
	ProblemFileType         = "problem.file_type"
	ProblemFileEmpty        = "problem.file_empty"
	ProblemFileTooLarge     = "problem.file_too_large"
	ProblemFileDisguised    = "problem.file_disguised"
	ProblemFileMissing      = "problem.file_missing"
	ProblemCourseTooLarge   = "problem.course_too_large"
	ProblemNoQuestions      = "problem.no_questions"
	ProblemTooMany          = "problem.too_many"
	ProblemTrueFalse        = "problem.true_false"
	ProblemTooFewOptions    = "problem.too_few_options"
	ProblemNoCorrect        = "problem.no_correct"
	ProblemOneCorrect       = "problem.one_correct"
	ProblemQuizLine         = "problem.quiz_line"
	ProblemBadDateTime      = "problem.bad_datetime"
	ProblemNeedPlace        = "problem.need_place"
	ProblemBadURL           = "problem.bad_url"
	ProblemSelfPrerequisite = "problem.self_prerequisite"
	ProblemUnknownCourse    = "problem.unknown_course"
	ProblemNotAnswered      = "problem.not_answered"
	ProblemNoAttemptsLeft   = "problem.no_attempts_left"
	ProblemNoTrainer        = "problem.no_trainer"
	ProblemSlugTaken        = "problem.slug_taken"
	ProblemDraftExists      = "problem.draft_exists"
	ProblemInPast           = "problem.in_past"
	ProblemKeyUnknown       = "problem.key_unknown"
	ProblemKeyRevoked       = "problem.key_revoked"
	ProblemKeyExpired       = "problem.key_expired"
	ProblemKeyUsedUp        = "problem.key_used_up"
	ProblemNoAccount        = "problem.no_account"
	ProblemNotMember        = "problem.not_member"
	ProblemNotEnrolled      = "problem.not_enrolled"
	ProblemSessionOver      = "problem.session_over"
)

// ProblemKeys lists every problem key, for the catalogue completeness test.
var ProblemKeys = []string{
	ProblemRequired, ProblemTooShort, ProblemTooLong, ProblemNotNumber, ProblemOutOfRange,
	ProblemTooManyDecimals, ProblemUnknownValue, ProblemUnknownKey, ProblemDuplicateKey,
	ProblemDuplicateValue, ProblemBadLine, ProblemNoFrontMatter, ProblemUnclosedFront,
	ProblemNotUTF8, ProblemEmptyBody, ProblemBadSlug, ProblemBadName, ProblemDuplicateNumber,
	ProblemNoModules, ProblemNoLessons, ProblemMissingFile, ProblemUnreadable, ProblemTooLarge,
	ProblemBadCSV, ProblemBadEmail, ProblemCommonPassword, ProblemPasswordIsName, ProblemBadDate, ProblemBadMonth, ProblemCountryRefused, ProblemEmailTaken, ProblemLockedUntil, ProblemCSRF, ProblemBadJSON, ProblemSelfDeactivate, ProblemPasswordsDiffer, ProblemTwoFactorNeeded, ProblemTwoFactorSetup, ProblemBadCode, ProblemWrongPassword, ProblemAdminDelete, ProblemMissingColumn, ProblemDuplicateRow, ProblemTooManyRows, ProblemAmbiguous, ProblemScope, ProblemEndBeforeStart,
	ProblemFileType, ProblemFileEmpty, ProblemFileTooLarge, ProblemFileDisguised, ProblemFileMissing, ProblemCourseTooLarge, ProblemNoQuestions, ProblemTooMany, ProblemTrueFalse, ProblemTooFewOptions, ProblemNoCorrect, ProblemOneCorrect, ProblemQuizLine, ProblemBadDateTime, ProblemNeedPlace, ProblemBadURL, ProblemSelfPrerequisite, ProblemUnknownCourse, ProblemNotAnswered, ProblemNoAttemptsLeft, ProblemNoTrainer, ProblemSlugTaken, ProblemDraftExists, ProblemInPast, ProblemKeyUnknown, ProblemKeyRevoked, ProblemKeyExpired, ProblemKeyUsedUp, ProblemNoAccount, ProblemNotMember, ProblemNotEnrolled, ProblemSessionOver,
}
