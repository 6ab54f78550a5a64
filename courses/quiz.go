package courses

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Quiz is a set of questions with a pass mark. Answers are graded on the
// server; the correct options never reach a learner before they answer.
type Quiz struct {
	PassMark    int  // percentage of questions answered fully right, 1..100
	MaxAttempts int  // 0: unlimited
	Shuffle     bool // shuffle the options per learner and attempt
	Questions   []Question
}

// QuestionKind is how a question is answered.
type QuestionKind string

// The question kinds: one option, any number of options, or true or false.
const (
	SingleChoice   QuestionKind = "single"
	MultipleChoice QuestionKind = "multiple"
	TrueFalse      QuestionKind = "truefalse"
)

// QuestionKinds lists the kinds in the order the editor offers them.
var QuestionKinds = []QuestionKind{SingleChoice, MultipleChoice, TrueFalse}

// Valid reports whether k is a known kind.
func (k QuestionKind) Valid() bool { return contains(QuestionKinds, k) }

// Question is one question of a quiz. True/false questions have exactly two
// options, true first.
type Question struct {
	ID       int64
	Position int
	Kind     QuestionKind
	Text     string
	Feedback string // shown after answering, right or wrong
	Options  []Option
}

// Option is one answer a learner can choose.
type Option struct {
	ID       int64
	Position int
	Text     string
	Correct  bool
}

// Quiz limits, also checked by the folder reader and the editor.
const (
	MaxQuestions      = 50
	MaxOptions        = 10
	MaxAttemptsLimit  = 20
	maxQuestionLength = 500
	maxOptionLength   = 300
	maxFeedbackLength = 2000
)

// TrueFalseOptions returns the two options of a true/false question in the
// course's language, with answer marking which one is right.
func TrueFalseOptions(language string, answer bool) []Option {
	yes, no := "Waar", "Niet waar"
	if language == "en" {
		yes, no = "True", "False"
	}
	return []Option{{Position: 1, Text: yes, Correct: answer}, {Position: 2, Text: no, Correct: !answer}}
}

// Answer is what a learner chose for one question: option ids.
type Answer struct {
	QuestionID int64
	OptionIDs  []int64
}

// Attempt is a graded quiz attempt.
type Attempt struct {
	ID          int64
	Number      int // 1 for the first attempt
	Score       int // percentage of questions answered fully right
	Passed      bool
	Answers     []Answer
	SubmittedAt time.Time
}

// Grade scores answers against q: a question counts when the chosen options
// are exactly the correct ones. Answers to unknown questions or options are
// EINVALID, so a tampered form cannot score; a question left open is wrong.
func (q *Quiz) Grade(answers []Answer) (score int, passed bool, err error) {
	chosen := make(map[int64][]int64, len(answers))
	for _, a := range answers {
		if _, dup := chosen[a.QuestionID]; dup {
			return 0, false, Errorf(EINVALID, "question %d answered twice", a.QuestionID)
		}
		chosen[a.QuestionID] = a.OptionIDs
	}
	right := 0
	for _, question := range q.Questions {
		ids, answered := chosen[question.ID]
		delete(chosen, question.ID)
		ok, err := question.grade(ids)
		if err != nil {
			return 0, false, err
		}
		if answered && ok {
			right++
		}
	}
	if len(chosen) > 0 {
		return 0, false, Errorf(EINVALID, "answer to a question not in this quiz")
	}
	if len(q.Questions) == 0 {
		return 0, false, Errorf(EINVALID, "quiz has no questions")
	}
	score = right * 100 / len(q.Questions)
	return score, score >= q.PassMark, nil
}

// grade reports whether ids are exactly the correct options of q.
func (q *Question) grade(ids []int64) (bool, error) {
	if q.Kind != MultipleChoice && len(ids) > 1 {
		return false, Errorf(EINVALID, "question %d takes one answer", q.ID)
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] || !slices.ContainsFunc(q.Options, func(o Option) bool { return o.ID == id }) {
			return false, Errorf(EINVALID, "option %d is not an answer to question %d", id, q.ID)
		}
		seen[id] = true
	}
	for _, o := range q.Options {
		if o.Correct != seen[o.ID] {
			return false, nil
		}
	}
	return true, nil
}

// Right reports whether the options chosen in a answer q fully. It is for
// feedback on a graded attempt, whose answers are known to be valid.
func (q *Question) Right(a Answer) bool {
	ok, err := q.grade(a.OptionIDs)
	return ok && err == nil
}

// ShuffledOptions returns q's options in the order one learner sees them in
// one attempt: stable for that learner and attempt (a reload does not
// reorder them), different between attempts. True/false keeps its order.
func (q *Question) ShuffledOptions(shuffle bool, seed int64) []Option {
	out := slices.Clone(q.Options)
	if !shuffle || q.Kind == TrueFalse {
		return out
	}
	h := fnv.New64a()
	var b [16]byte
	for i := range 8 {
		b[i] = byte(seed >> (8 * i))
		b[8+i] = byte(q.ID >> (8 * i))
	}
	h.Write(b[:])
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(seed)))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// AttemptsLeft returns how many attempts remain after made ones, or -1 for
// unlimited.
func (q *Quiz) AttemptsLeft(made int) int {
	if q.MaxAttempts == 0 {
		return -1
	}
	return max(q.MaxAttempts-made, 0)
}

// Validate checks a quiz built in the editor and returns its problems, each
// naming the field ("questions.2.options") it is about.
func (q *Quiz) Validate() []Problem {
	var p []Problem
	add := func(field, key string, args map[string]any) {
		p = append(p, Problem{Field: field, Key: key, Args: args})
	}
	if q.PassMark < 1 || q.PassMark > 100 {
		add("pass_mark", ProblemOutOfRange, map[string]any{"min": 1, "max": 100})
	}
	if q.MaxAttempts < 0 || q.MaxAttempts > MaxAttemptsLimit {
		add("attempts", ProblemOutOfRange, map[string]any{"min": 0, "max": MaxAttemptsLimit})
	}
	switch {
	case len(q.Questions) == 0:
		add("questions", ProblemNoQuestions, nil)
	case len(q.Questions) > MaxQuestions:
		add("questions", ProblemTooMany, map[string]any{"max": MaxQuestions})
	}
	for i, question := range q.Questions {
		for _, prob := range question.Validate() {
			prob.Field = questionField(i+1, prob.Field)
			p = append(p, prob)
		}
	}
	return p
}

func questionField(n int, field string) string {
	return "questions." + itoa(n) + "." + field
}

// Validate checks one question: its text, options and feedback.
func (q *Question) Validate() []Problem {
	var p []Problem
	add := func(field, key string, args map[string]any) {
		p = append(p, Problem{Field: field, Key: key, Args: args})
	}
	if !q.Kind.Valid() {
		add("kind", ProblemUnknownValue, map[string]any{"value": truncate(string(q.Kind), 30), "allowed": "single, multiple, truefalse"})
	}
	checkLength(add, "text", q.Text, 3, maxQuestionLength)
	checkLength(add, "feedback", q.Feedback, 0, maxFeedbackLength)
	correct := 0
	for i, o := range q.Options {
		if o.Correct {
			correct++
		}
		checkLength(add, "options."+itoa(i+1), o.Text, 1, maxOptionLength)
	}
	switch {
	case q.Kind == TrueFalse && len(q.Options) != 2:
		add("options", ProblemTrueFalse, nil)
	case len(q.Options) < 2:
		add("options", ProblemTooFewOptions, nil)
	case len(q.Options) > MaxOptions:
		add("options", ProblemTooMany, map[string]any{"max": MaxOptions})
	case q.Kind == MultipleChoice && correct == 0:
		add("options", ProblemNoCorrect, nil)
	case q.Kind != MultipleChoice && correct != 1:
		add("options", ProblemOneCorrect, nil)
	}
	return p
}

// checkLength adds a problem when s, counted in characters, is shorter than
// min (when min > 0 and s is empty: required) or longer than max.
func checkLength(add func(field, key string, args map[string]any), field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && min > 0:
		add(field, ProblemRequired, nil)
	case n < min:
		add(field, ProblemTooShort, map[string]any{"min": min})
	case n > max:
		add(field, ProblemTooLong, map[string]any{"max": max, "length": n})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
