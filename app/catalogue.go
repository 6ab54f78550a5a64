package main

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// catalogueView is the data of the home page and /cursussen.
type catalogueView struct {
	Home     bool
	Courses  []*courses.Course
	Filter   courses.CourseFilter
	Filtered bool
}

// parseCourseFilter reads the office and topic from the query parameters
// named officeParam and topicParam, each checked against its vocabulary.
func parseCourseFilter(c *fiber.Ctx, officeParam, topicParam, queryParam string) (courses.CourseFilter, error) {
	f := courses.CourseFilter{Office: courses.Office(c.Query(officeParam)), Topic: courses.Topic(c.Query(topicParam))}
	query := strings.Join(strings.Fields(c.Query(queryParam)), " ")
	var problems []courses.Problem
	if f.Office != "" && !f.Office.Valid() {
		problems = append(problems, courses.Problem{Field: officeParam, Key: courses.ProblemUnknownValue,
			Args: map[string]any{"value": truncateText(string(f.Office), 30), "allowed": joinCodes(courses.Offices)}})
	}
	if f.Topic != "" && !f.Topic.Valid() {
		problems = append(problems, courses.Problem{Field: topicParam, Key: courses.ProblemUnknownValue,
			Args: map[string]any{"value": truncateText(string(f.Topic), 30), "allowed": joinCodes(courses.Topics)}})
	}
	if n := len([]rune(query)); n > 100 {
		problems = append(problems, courses.Problem{Field: queryParam, Key: courses.ProblemTooLong, Args: map[string]any{"max": 100, "length": n}})
	}
	if len(problems) > 0 {
		return courses.CourseFilter{}, courses.Invalid("bad course filter", problems...)
	}
	// Copies: Fiber's query strings are only valid during the handler, and
	// these strings end up in the page cache.
	return courses.CourseFilter{Office: courses.Office(strings.Clone(string(f.Office))), Topic: courses.Topic(strings.Clone(string(f.Topic))),
		Query: strings.Clone(query)}, nil
}

// handleHome shows the introduction and the whole catalogue.
func (a *application) handleHome(c *fiber.Ctx) error {
	return a.renderCatalogue(c, true)
}

// handleCatalogue shows the catalogue, filtered by ?ambt= and ?onderwerp=.
func (a *application) handleCatalogue(c *fiber.Ctx) error {
	return a.renderCatalogue(c, false)
}

func (a *application) renderCatalogue(c *fiber.Ctx, home bool) error {
	f, err := parseCourseFilter(c, "ambt", "onderwerp", "zoek")
	if err != nil {
		return err
	}
	l := a.localeFrom(c)
	path := "/cursussen"
	if home {
		path = "/"
	}
	q := url.Values{}
	if f.Office != "" {
		q.Set("ambt", string(f.Office))
	}
	if f.Topic != "" {
		q.Set("onderwerp", string(f.Topic))
	}
	if f.Query != "" {
		q.Set("zoek", f.Query)
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, err := a.publicPage(c, "catalogue:"+l.Lang+":"+path, func() ([]byte, error) {
		list, err := a.courses.ListCourses(c.UserContext(), f)
		if err != nil {
			return nil, err
		}
		title, nav := l.T("catalogue.title"), "catalogue"
		if home {
			title, nav = "", "home"
		}
		p := a.newPage(c, title, nav, path, catalogueView{Home: home, Courses: list, Filter: f, Filtered: len(q) > 0})
		p.Description = l.T("site.description")
		return a.views.render("catalogue", p)
	})
	if err != nil {
		return err
	}
	return sendPage(c, body)
}

// publicPage returns a page that is the same for every anonymous visitor
// from the page cache; signed-in users see their own header, so their pages
// are rendered each time.
func (a *application) publicPage(c *fiber.Ctx, key string, render func() ([]byte, error)) ([]byte, error) {
	if userFrom(c) != nil {
		return render()
	}
	return a.pages.get(key, render)
}

// sendPage answers with a rendered HTML page. Pages that are the same for
// every visitor may be revalidated but not stored by shared caches, because
// they vary with the language cookie.
func sendPage(c *fiber.Ctx, body []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Send(body)
}

func joinCodes[S ~string](list []S) string {
	s := ""
	for i, v := range list {
		if i > 0 {
			s += ", "
		}
		s += string(v)
	}
	return s
}

func truncateText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
