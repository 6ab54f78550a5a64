package courses

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// gradeQuiz returns a quiz of three questions as stored, with ids:
// question 1 single choice, options 11 (right), 12, 13;
// question 2 multiple choice, options 21 (right), 22 (right), 23;
// question 3 true/false, options 31 (Waar, right), 32 (Niet waar).
func gradeQuiz(passMark int) *Quiz {
	return &Quiz{PassMark: passMark, Questions: []Question{
		{ID: 1, Position: 1, Kind: SingleChoice, Text: "Wie stelt de begroting vast?", Options: []Option{
			{ID: 11, Position: 1, Text: "De raad", Correct: true},
			{ID: 12, Position: 2, Text: "Het college"},
			{ID: 13, Position: 3, Text: "De griffier"},
		}},
		{ID: 2, Position: 2, Kind: MultipleChoice, Text: "Welke stukken stelt de raad vast?", Options: []Option{
			{ID: 21, Position: 1, Text: "De begroting", Correct: true},
			{ID: 22, Position: 2, Text: "De jaarrekening", Correct: true},
			{ID: 23, Position: 3, Text: "Het collegeakkoord"},
		}},
		{ID: 3, Position: 3, Kind: TrueFalse, Text: "De raad kan amenderen.", Options: []Option{
			{ID: 31, Position: 1, Text: "Waar", Correct: true},
			{ID: 32, Position: 2, Text: "Niet waar"},
		}},
	}}
}

// singleQuiz returns a quiz of n single-choice questions with ids 1..n; the
// question with id i has the options 10*i+1 (right) and 10*i+2 (wrong).
func singleQuiz(n, passMark int) *Quiz {
	q := &Quiz{PassMark: passMark}
	for i := 1; i <= n; i++ {
		id := int64(i)
		q.Questions = append(q.Questions, Question{ID: id, Position: i, Kind: SingleChoice, Text: "Vraag " + itoa(i) + "?", Options: []Option{
			{ID: 10*id + 1, Position: 1, Text: "Goed", Correct: true},
			{ID: 10*id + 2, Position: 2, Text: "Fout"},
		}})
	}
	return q
}

// singleAnswers answers the first right questions of singleQuiz right and the
// other ones, up to n, wrong.
func singleAnswers(n, right int) []Answer {
	var out []Answer
	for i := 1; i <= n; i++ {
		id := int64(i)
		option := 10*id + 2
		if i <= right {
			option = 10*id + 1
		}
		out = append(out, Answer{QuestionID: id, OptionIDs: []int64{option}})
	}
	return out
}

func TestQuizGrade(t *testing.T) {
	allRight := []Answer{{1, []int64{11}}, {2, []int64{21, 22}}, {3, []int64{31}}}
	tests := []struct {
		name       string
		quiz       *Quiz
		answers    []Answer
		wantScore  int
		wantPassed bool
	}{
		{name: "all right", quiz: gradeQuiz(100), answers: allRight, wantScore: 100, wantPassed: true},
		{name: "all right in another order", quiz: gradeQuiz(100), answers: []Answer{{3, []int64{31}}, {2, []int64{22, 21}}, {1, []int64{11}}}, wantScore: 100, wantPassed: true},
		{name: "all wrong", quiz: gradeQuiz(1), answers: []Answer{{1, []int64{12}}, {2, []int64{23}}, {3, []int64{32}}}, wantScore: 0},
		{name: "nothing answered", quiz: gradeQuiz(1), answers: nil, wantScore: 0},
		{name: "pass mark 70, 7 of 10 right", quiz: singleQuiz(10, 70), answers: singleAnswers(10, 7), wantScore: 70, wantPassed: true},
		{name: "pass mark 70, 6 of 10 right", quiz: singleQuiz(10, 70), answers: singleAnswers(10, 6), wantScore: 60},
		{name: "2 of 3 rounds down to 66", quiz: singleQuiz(3, 66), answers: singleAnswers(3, 2), wantScore: 66, wantPassed: true},
		{name: "2 of 3 does not reach 67", quiz: singleQuiz(3, 67), answers: singleAnswers(3, 2), wantScore: 66},
		{name: "1 of 3 rounds down to 33", quiz: singleQuiz(3, 33), answers: singleAnswers(3, 1), wantScore: 33, wantPassed: true},
		{name: "pass mark 100, one wrong", quiz: singleQuiz(50, 100), answers: singleAnswers(50, 49), wantScore: 98},
		{name: "multiple choice subset is wrong", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{11}}, {2, []int64{21}}, {3, []int64{31}}}, wantScore: 66},
		{name: "multiple choice superset is wrong", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{11}}, {2, []int64{21, 22, 23}}, {3, []int64{31}}}, wantScore: 66},
		{name: "multiple choice nothing chosen is wrong", quiz: gradeQuiz(66), answers: []Answer{{1, []int64{11}}, {2, nil}, {3, []int64{31}}}, wantScore: 66, wantPassed: true},
		{name: "multiple choice question left open is wrong", quiz: gradeQuiz(66), answers: []Answer{{1, []int64{11}}, {3, []int64{31}}}, wantScore: 66, wantPassed: true},
		{name: "single choice question answered without option is wrong", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{}}, {2, []int64{21, 22}}, {3, []int64{31}}}, wantScore: 66},
		{name: "true/false wrong", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{11}}, {2, []int64{21, 22}}, {3, []int64{32}}}, wantScore: 66},
		{name: "only one question answered", quiz: gradeQuiz(33), answers: []Answer{{3, []int64{31}}}, wantScore: 33, wantPassed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			score, passed, err := tt.quiz.Grade(tt.answers)
			if err != nil {
				t.Fatalf("Grade: %v", err)
			}
			if score != tt.wantScore || passed != tt.wantPassed {
				t.Errorf("Grade = %d, %v, want %d, %v", score, passed, tt.wantScore, tt.wantPassed)
			}
		})
	}
}

func TestQuizGradeInvalid(t *testing.T) {
	tests := []struct {
		name    string
		quiz    *Quiz
		answers []Answer
	}{
		{name: "unknown question", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{11}}, {2, []int64{21, 22}}, {3, []int64{31}}, {4, []int64{41}}}},
		{name: "unknown question only", quiz: gradeQuiz(70), answers: []Answer{{99, nil}}},
		{name: "unknown option", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{14}}}},
		{name: "unknown option among right ones", quiz: gradeQuiz(70), answers: []Answer{{2, []int64{21, 22, 99}}}},
		{name: "option of another question", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{21}}}},
		{name: "option of another question in multiple choice", quiz: gradeQuiz(70), answers: []Answer{{2, []int64{21, 11}}}},
		{name: "duplicate option", quiz: gradeQuiz(70), answers: []Answer{{2, []int64{21, 21}}}},
		{name: "duplicate option that would make it right", quiz: gradeQuiz(70), answers: []Answer{{2, []int64{21, 22, 22}}}},
		{name: "two options for single choice", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{11, 12}}}},
		{name: "same option twice for single choice", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{11, 11}}}},
		{name: "two options for true/false", quiz: gradeQuiz(70), answers: []Answer{{3, []int64{31, 32}}}},
		{name: "same question answered twice", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{11}}, {1, []int64{11}}}},
		{name: "same question answered twice differently", quiz: gradeQuiz(70), answers: []Answer{{1, []int64{12}}, {2, []int64{21, 22}}, {1, []int64{11}}}},
		{name: "quiz without questions", quiz: &Quiz{PassMark: 70}, answers: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			score, passed, err := tt.quiz.Grade(tt.answers)
			if got, want := ErrorCode(err), EINVALID; got != want {
				t.Errorf("ErrorCode(%v) = %q, want %q", err, got, want)
			}
			if score != 0 || passed {
				t.Errorf("Grade = %d, %v with an error, want 0, false", score, passed)
			}
		})
	}
}

func TestQuestionRight(t *testing.T) {
	q := gradeQuiz(70)
	tests := []struct {
		question int
		options  []int64
		want     bool
	}{
		{0, []int64{11}, true},
		{0, []int64{12}, false},
		{0, []int64{11, 12}, false}, // invalid: never right
		{1, []int64{22, 21}, true},
		{1, []int64{21}, false},
		{1, []int64{21, 22, 22}, false}, // invalid: never right
		{1, []int64{21, 22, 99}, false},
		{2, []int64{31}, true},
		{2, nil, false},
	}
	for _, tt := range tests {
		question := &q.Questions[tt.question]
		if got := question.Right(Answer{QuestionID: question.ID, OptionIDs: tt.options}); got != tt.want {
			t.Errorf("question %d: Right(%v) = %v, want %v", question.ID, tt.options, got, tt.want)
		}
	}
}

// fieldKeys renders problems without file as "field: key".
func fieldKeys(problems []Problem) []string {
	var out []string
	for _, p := range problems {
		out = append(out, p.String())
	}
	return out
}

// validQuestion returns a valid single-choice question with three options.
func validQuestion() Question {
	return Question{Position: 1, Kind: SingleChoice, Text: "Wie stelt de begroting vast?", Feedback: "De raad.", Options: []Option{
		{Position: 1, Text: "Het college"}, {Position: 2, Text: "De raad", Correct: true}, {Position: 3, Text: "De griffier"},
	}}
}

// options returns n options, the ones at the given 1-based positions correct.
func options(n int, correct ...int) []Option {
	var out []Option
	for i := 1; i <= n; i++ {
		out = append(out, Option{Position: i, Text: "Optie " + itoa(i), Correct: slices.Contains(correct, i)})
	}
	return out
}

func TestQuestionValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(q *Question)
		want   []string
	}{
		{name: "valid single choice"},
		{name: "valid multiple choice, all correct", change: func(q *Question) { q.Kind = MultipleChoice; q.Options = options(3, 1, 2, 3) }},
		{name: "valid multiple choice, one correct", change: func(q *Question) { q.Kind = MultipleChoice; q.Options = options(2, 2) }},
		{name: "valid true/false", change: func(q *Question) { q.Kind = TrueFalse; q.Options = TrueFalseOptions("nl", false) }},
		{name: "valid without feedback", change: func(q *Question) { q.Feedback = "" }},
		{name: "two options", change: func(q *Question) { q.Options = options(2, 1) }},
		{name: "ten options", change: func(q *Question) { q.Options = options(10, 10) }},
		{name: "limits in characters, not bytes", change: func(q *Question) {
			q.Text = strings.Repeat("é", 500)
			q.Feedback = strings.Repeat("é", 2000)
			q.Options[0].Text = strings.Repeat("é", 300)
		}},
		{name: "text of three characters", change: func(q *Question) { q.Text = "Wat" }},
		{name: "option of one character", change: func(q *Question) { q.Options[0].Text = "A" }},
		{name: "unknown kind", change: func(q *Question) { q.Kind = "open" }, want: []string{"kind: problem.unknown_value"}},
		{name: "no kind", change: func(q *Question) { q.Kind = "" }, want: []string{"kind: problem.unknown_value"}},
		{name: "no text", change: func(q *Question) { q.Text = "" }, want: []string{"text: problem.required"}},
		{name: "text too short", change: func(q *Question) { q.Text = "Wa" }, want: []string{"text: problem.too_short"}},
		{name: "text too long", change: func(q *Question) { q.Text = strings.Repeat("a", 501) }, want: []string{"text: problem.too_long"}},
		{name: "feedback too long", change: func(q *Question) { q.Feedback = strings.Repeat("a", 2001) }, want: []string{"feedback: problem.too_long"}},
		{name: "empty option", change: func(q *Question) { q.Options[1].Text = ""; q.Options[1].Correct = false; q.Options[0].Correct = true }, want: []string{"options.2: problem.required"}},
		{name: "option too long", change: func(q *Question) { q.Options[2].Text = strings.Repeat("a", 301) }, want: []string{"options.3: problem.too_long"}},
		{name: "no options", change: func(q *Question) { q.Options = nil }, want: []string{"options: problem.too_few_options"}},
		{name: "one option", change: func(q *Question) { q.Options = options(1, 1) }, want: []string{"options: problem.too_few_options"}},
		{name: "eleven options", change: func(q *Question) { q.Options = options(11, 1) }, want: []string{"options: problem.too_many"}},
		{name: "single choice with two correct", change: func(q *Question) { q.Options = options(3, 1, 2) }, want: []string{"options: problem.one_correct"}},
		{name: "single choice without correct", change: func(q *Question) { q.Options = options(3) }, want: []string{"options: problem.one_correct"}},
		{name: "multiple choice without correct", change: func(q *Question) { q.Kind = MultipleChoice; q.Options = options(3) }, want: []string{"options: problem.no_correct"}},
		{name: "true/false with three options", change: func(q *Question) { q.Kind = TrueFalse; q.Options = options(3, 1) }, want: []string{"options: problem.true_false"}},
		{name: "true/false with one option", change: func(q *Question) { q.Kind = TrueFalse; q.Options = options(1, 1) }, want: []string{"options: problem.true_false"}},
		{name: "true/false both correct", change: func(q *Question) { q.Kind = TrueFalse; q.Options = options(2, 1, 2) }, want: []string{"options: problem.one_correct"}},
		{name: "true/false none correct", change: func(q *Question) { q.Kind = TrueFalse; q.Options = options(2) }, want: []string{"options: problem.one_correct"}},
		{
			name: "every problem at once",
			change: func(q *Question) {
				q.Kind = "open"
				q.Text = ""
				q.Feedback = strings.Repeat("a", 2001)
				q.Options = []Option{{Position: 1, Text: ""}}
			},
			want: []string{
				"kind: problem.unknown_value",
				"text: problem.required",
				"feedback: problem.too_long",
				"options.1: problem.required",
				"options: problem.too_few_options",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := validQuestion()
			if tt.change != nil {
				tt.change(&q)
			}
			if got := fieldKeys(q.Validate()); !slices.Equal(got, tt.want) {
				t.Errorf("Validate:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestQuizValidate(t *testing.T) {
	valid := func() *Quiz {
		q2 := validQuestion()
		q2.Position = 2
		q2.Kind = MultipleChoice
		q2.Options = options(4, 1, 3)
		return &Quiz{PassMark: 70, MaxAttempts: 3, Questions: []Question{validQuestion(), q2}}
	}
	tests := []struct {
		name   string
		change func(q *Quiz)
		want   []string
	}{
		{name: "valid"},
		{name: "pass mark 1", change: func(q *Quiz) { q.PassMark = 1 }},
		{name: "pass mark 100", change: func(q *Quiz) { q.PassMark = 100 }},
		{name: "unlimited attempts", change: func(q *Quiz) { q.MaxAttempts = 0 }},
		{name: "20 attempts", change: func(q *Quiz) { q.MaxAttempts = 20 }},
		{name: "50 questions", change: func(q *Quiz) { q.Questions = singleQuiz(50, 70).Questions }},
		{name: "pass mark 0", change: func(q *Quiz) { q.PassMark = 0 }, want: []string{"pass_mark: problem.out_of_range"}},
		{name: "pass mark 101", change: func(q *Quiz) { q.PassMark = 101 }, want: []string{"pass_mark: problem.out_of_range"}},
		{name: "negative attempts", change: func(q *Quiz) { q.MaxAttempts = -1 }, want: []string{"attempts: problem.out_of_range"}},
		{name: "21 attempts", change: func(q *Quiz) { q.MaxAttempts = 21 }, want: []string{"attempts: problem.out_of_range"}},
		{name: "no questions", change: func(q *Quiz) { q.Questions = nil }, want: []string{"questions: problem.no_questions"}},
		{name: "51 questions", change: func(q *Quiz) { q.Questions = singleQuiz(51, 70).Questions }, want: []string{"questions: problem.too_many"}},
		{name: "second question with one option", change: func(q *Quiz) { q.Questions[1].Options = options(1, 1) }, want: []string{"questions.2.options: problem.too_few_options"}},
		{name: "first question without text", change: func(q *Quiz) { q.Questions[0].Text = "" }, want: []string{"questions.1.text: problem.required"}},
		{name: "second option of second question empty", change: func(q *Quiz) { q.Questions[1].Options[1].Text = "" }, want: []string{"questions.2.options.2: problem.required"}},
		{name: "second question without correct", change: func(q *Quiz) { q.Questions[1].Options = options(4) }, want: []string{"questions.2.options: problem.no_correct"}},
		{name: "feedback of first question too long", change: func(q *Quiz) { q.Questions[0].Feedback = strings.Repeat("x", 2001) }, want: []string{"questions.1.feedback: problem.too_long"}},
		{name: "kind of second question unknown", change: func(q *Quiz) { q.Questions[1].Kind = "open" }, want: []string{"questions.2.kind: problem.unknown_value", "questions.2.options: problem.one_correct"}},
		{
			name: "problems of the quiz and its questions",
			change: func(q *Quiz) {
				q.PassMark = 0
				q.MaxAttempts = 21
				q.Questions[0].Options = options(3, 1, 2)
				q.Questions[1].Text = "?"
			},
			want: []string{
				"pass_mark: problem.out_of_range",
				"attempts: problem.out_of_range",
				"questions.1.options: problem.one_correct",
				"questions.2.text: problem.too_short",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := valid()
			if tt.change != nil {
				tt.change(q)
			}
			if got := fieldKeys(q.Validate()); !slices.Equal(got, tt.want) {
				t.Errorf("Validate:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// sixOptions returns a single-choice question with six options.
func sixOptions(id int64) *Question {
	return &Question{ID: id, Kind: SingleChoice, Text: "Welke?", Options: []Option{
		{ID: 1, Position: 1, Text: "a", Correct: true}, {ID: 2, Position: 2, Text: "b"}, {ID: 3, Position: 3, Text: "c"},
		{ID: 4, Position: 4, Text: "d"}, {ID: 5, Position: 5, Text: "e"}, {ID: 6, Position: 6, Text: "f"},
	}}
}

func optionIDs(list []Option) []int64 {
	var out []int64
	for _, o := range list {
		out = append(out, o.ID)
	}
	return out
}

func TestShuffledOptions(t *testing.T) {
	q := sixOptions(7)
	original := slices.Clone(q.Options)

	t.Run("stable for the same seed", func(t *testing.T) {
		for _, seed := range []int64{0, 1, 42, -1, 1 << 40} {
			first := q.ShuffledOptions(true, seed)
			if again := q.ShuffledOptions(true, seed); !reflect.DeepEqual(again, first) {
				t.Errorf("seed %d: %v, then %v", seed, optionIDs(first), optionIDs(again))
			}
		}
	})
	t.Run("same options", func(t *testing.T) {
		for seed := range int64(20) {
			got := q.ShuffledOptions(true, seed)
			slices.SortFunc(got, func(a, b Option) int { return a.Position - b.Position })
			if !reflect.DeepEqual(got, original) {
				t.Errorf("seed %d: sorted %+v, want %+v", seed, got, original)
			}
		}
		if !reflect.DeepEqual(q.Options, original) {
			t.Errorf("question's options changed to %v", optionIDs(q.Options))
		}
	})
	t.Run("different seeds give a different order", func(t *testing.T) {
		first := optionIDs(q.ShuffledOptions(true, 1))
		differs := false
		for seed := int64(2); seed <= 10; seed++ {
			if !slices.Equal(optionIDs(q.ShuffledOptions(true, seed)), first) {
				differs = true
			}
		}
		if !differs {
			t.Errorf("seeds 1 to 10 all give the order %v", first)
		}
	})
	t.Run("different questions with the same seed give a different order", func(t *testing.T) {
		first := optionIDs(q.ShuffledOptions(true, 5))
		differs := false
		for id := int64(8); id <= 17; id++ {
			if !slices.Equal(optionIDs(sixOptions(id).ShuffledOptions(true, 5)), first) {
				differs = true
			}
		}
		if !differs {
			t.Errorf("questions 7 to 17 all give the order %v for seed 5", first)
		}
	})
	t.Run("shuffled at all", func(t *testing.T) {
		for seed := range int64(10) {
			if !slices.Equal(optionIDs(q.ShuffledOptions(true, seed)), optionIDs(original)) {
				return
			}
		}
		t.Errorf("seeds 0 to 9 all keep the original order")
	})
	t.Run("shuffle off keeps the order", func(t *testing.T) {
		for _, seed := range []int64{0, 1, 42} {
			if got := q.ShuffledOptions(false, seed); !reflect.DeepEqual(got, original) {
				t.Errorf("seed %d: %v, want %v", seed, optionIDs(got), optionIDs(original))
			}
		}
	})
	t.Run("true/false never shuffled", func(t *testing.T) {
		tf := &Question{ID: 3, Kind: TrueFalse, Text: "Waar?", Options: TrueFalseOptions("nl", false)}
		for seed := range int64(50) {
			if got := tf.ShuffledOptions(true, seed); !reflect.DeepEqual(got, tf.Options) {
				t.Fatalf("seed %d: %+v, want %+v", seed, got, tf.Options)
			}
		}
	})
	t.Run("result is a copy", func(t *testing.T) {
		got := q.ShuffledOptions(false, 1)
		got[0].Text = "veranderd"
		if q.Options[0].Text != "a" {
			t.Errorf("changing the result changed the question: %q", q.Options[0].Text)
		}
	})
}

func TestAttemptsLeft(t *testing.T) {
	tests := []struct {
		max, made, want int
	}{
		{0, 0, -1},
		{0, 100, -1},
		{1, 0, 1},
		{1, 1, 0},
		{3, 0, 3},
		{3, 2, 1},
		{3, 3, 0},
		{3, 5, 0},
		{20, 19, 1},
	}
	for _, tt := range tests {
		q := &Quiz{PassMark: 70, MaxAttempts: tt.max}
		if got := q.AttemptsLeft(tt.made); got != tt.want {
			t.Errorf("max %d: AttemptsLeft(%d) = %d, want %d", tt.max, tt.made, got, tt.want)
		}
	}
}

func TestTrueFalseOptions(t *testing.T) {
	tests := []struct {
		language string
		answer   bool
		want     []Option
	}{
		{"nl", true, []Option{{Position: 1, Text: "Waar", Correct: true}, {Position: 2, Text: "Niet waar"}}},
		{"nl", false, []Option{{Position: 1, Text: "Waar"}, {Position: 2, Text: "Niet waar", Correct: true}}},
		{"en", true, []Option{{Position: 1, Text: "True", Correct: true}, {Position: 2, Text: "False"}}},
		{"en", false, []Option{{Position: 1, Text: "True"}, {Position: 2, Text: "False", Correct: true}}},
		{"", true, []Option{{Position: 1, Text: "Waar", Correct: true}, {Position: 2, Text: "Niet waar"}}},
	}
	for _, tt := range tests {
		got := TrueFalseOptions(tt.language, tt.answer)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("TrueFalseOptions(%q, %v) = %+v, want %+v", tt.language, tt.answer, got, tt.want)
		}
		q := Question{Kind: TrueFalse, Text: "Waar of niet?", Options: got}
		if p := q.Validate(); len(p) > 0 {
			t.Errorf("true/false question with TrueFalseOptions(%q, %v) has problems %q", tt.language, tt.answer, fieldKeys(p))
		}
	}
}
