package courses

import (
	"strconv"
)

// The rules below are the folder format's rules (FORMAT.md), for what the
// course editor saves. Each problem names the form field it is about.

// ValidateMetadata checks a course's metadata as the editor saves it.
func ValidateMetadata(c *Course) []Problem {
	var p []Problem
	add := func(field, key string, args map[string]any) {
		p = append(p, Problem{Field: field, Key: key, Args: args})
	}
	if !ValidSlug(c.Slug) {
		add("slug", ProblemBadSlug, map[string]any{"name": truncate(c.Slug, 40)})
	}
	checkLength(add, "title", c.Title, 3, 120)
	checkLength(add, "summary", c.Summary, 10, 300)
	checkLength(add, "description", c.Description, 1, maxFileSize/2)
	if len(c.Audience) == 0 {
		add("audience", ProblemRequired, nil)
	}
	for _, o := range c.Audience {
		if !o.Valid() {
			add("audience", ProblemUnknownValue, map[string]any{"value": truncate(string(o), 30), "allowed": ""})
		}
	}
	if len(c.Topics) == 0 {
		add("topics", ProblemRequired, nil)
	}
	for _, t := range c.Topics {
		if !t.Valid() {
			add("topics", ProblemUnknownValue, map[string]any{"value": truncate(string(t), 30), "allowed": ""})
		}
	}
	if c.StudyHours < 0.5 || c.StudyHours > 200 {
		add("study_hours", ProblemOutOfRange, map[string]any{"min": "0,5", "max": 200})
	}
	if !c.Level.Valid() {
		add("level", ProblemRequired, nil)
	}
	if !contains(Languages, c.Language) {
		add("language", ProblemRequired, nil)
	}
	if c.ValidityMonths < 0 || c.ValidityMonths > 240 {
		add("validity_months", ProblemOutOfRange, map[string]any{"min": 0, "max": 240})
	}
	for _, s := range c.Prerequisites {
		switch {
		case s == c.Slug:
			add("prerequisites", ProblemSelfPrerequisite, nil)
		case !ValidSlug(s):
			add("prerequisites", ProblemUnknownCourse, map[string]any{"value": truncate(s, 40)})
		}
	}
	return p
}

// ValidateModule checks a module as the editor saves it.
func ValidateModule(m *Module) []Problem {
	var p []Problem
	add := func(field, key string, args map[string]any) {
		p = append(p, Problem{Field: field, Key: key, Args: args})
	}
	if !ValidSlug(m.Slug) {
		add("slug", ProblemBadSlug, map[string]any{"name": truncate(m.Slug, 40)})
	}
	checkLength(add, "title", m.Title, 3, 120)
	checkLength(add, "summary", m.Summary, 0, 300)
	checkLength(add, "intro", m.Intro, 0, maxFileSize/2)
	return p
}

// ValidateActivity checks an activity's own fields as the editor saves
// them; a quiz's questions are checked by Quiz.Validate.
func ValidateActivity(a *Activity) []Problem {
	var p []Problem
	add := func(field, key string, args map[string]any) {
		p = append(p, Problem{Field: field, Key: key, Args: args})
	}
	if !ValidSlug(a.Slug) {
		add("slug", ProblemBadSlug, map[string]any{"name": truncate(a.Slug, 40)})
	}
	if !a.Kind.Valid() {
		add("kind", ProblemRequired, nil)
	}
	checkLength(add, "title", a.Title, 3, 120)
	if a.Minutes < 1 || a.Minutes > 240 {
		add("minutes", ProblemOutOfRange, map[string]any{"min": 1, "max": 240})
	}
	minBody := 1
	if a.Kind == KindQuiz {
		minBody = 0
	}
	checkLength(add, "body", a.Body, minBody, maxFileSize/2)
	switch a.Kind {
	case KindQuiz:
		if a.Quiz == nil {
			add("questions", ProblemNoQuestions, nil)
			break
		}
		if a.Quiz.PassMark < 1 || a.Quiz.PassMark > 100 {
			add("pass_mark", ProblemOutOfRange, map[string]any{"min": 1, "max": 100})
		}
		if a.Quiz.MaxAttempts < 0 || a.Quiz.MaxAttempts > MaxAttemptsLimit {
			add("attempts", ProblemOutOfRange, map[string]any{"min": 0, "max": MaxAttemptsLimit})
		}
	case KindSession:
		m := a.Meeting
		if m == nil {
			m = &Meeting{}
		}
		if m.StartsAt.IsZero() {
			add("starts", ProblemRequired, nil)
		}
		if m.EndsAt.IsZero() {
			add("ends", ProblemRequired, nil)
		} else if !m.StartsAt.IsZero() && !m.EndsAt.After(m.StartsAt) {
			add("ends", ProblemEndBeforeStart, nil)
		}
		checkLength(add, "location", m.Location, 0, 200)
		if m.OnlineURL != "" && !ValidHTTPS(m.OnlineURL) {
			add("online_url", ProblemBadURL, nil)
		}
		if m.Location == "" && m.OnlineURL == "" {
			add("location", ProblemNeedPlace, nil)
		}
		if m.Capacity < 1 || m.Capacity > 1000 {
			add("capacity", ProblemOutOfRange, map[string]any{"min": 1, "max": 1000})
		}
	}
	return p
}

// PublishProblems checks a whole draft before it is published: what the
// folder format requires of a course, with each problem's File naming the
// module and activity ("2/3": module 2, activity 3) it is in.
func PublishProblems(c *Course) []Problem {
	var p []Problem
	for _, prob := range ValidateMetadata(c) {
		prob.File = "course"
		p = append(p, prob)
	}
	if len(c.Modules) == 0 {
		p = append(p, Problem{File: "course", Key: ProblemNoModules})
	}
	for i := range c.Modules {
		m := &c.Modules[i]
		where := strconv.Itoa(i + 1)
		for _, prob := range ValidateModule(m) {
			prob.File = where
			p = append(p, prob)
		}
		if len(m.Activities) == 0 {
			p = append(p, Problem{File: where, Key: ProblemNoLessons})
		}
		for j := range m.Activities {
			a := &m.Activities[j]
			at := where + "/" + strconv.Itoa(j+1)
			for _, prob := range ValidateActivity(a) {
				prob.File = at
				p = append(p, prob)
			}
			if a.Kind == KindQuiz && a.Quiz != nil {
				for _, prob := range a.Quiz.Validate() {
					prob.File = at
					p = append(p, prob)
				}
			}
			for _, ref := range refPattern.FindAllStringSubmatch(a.Body, -1) {
				if _, ok := c.File(ref[1]); !ok {
					p = append(p, Problem{File: at, Field: "body", Key: ProblemFileMissing, Args: map[string]any{"name": ref[1]}})
				}
			}
		}
	}
	return p
}
