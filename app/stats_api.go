package main

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// apiStatsCell is one row of a statistics table: a count is null when it
// stands for fewer than five people or would give such a count away
// (suppressed names which).
type apiStatsCell struct {
	Key            string        `json:"key"`
	Label          string        `json:"label"`
	Enrolled       *int          `json:"enrolled"`
	Completed      *int          `json:"completed"`
	CompletionRate *float64      `json:"completion_rate"`
	Suppressed     apiSuppressed `json:"suppressed"`
}

type apiSuppressed struct {
	Enrolled  bool `json:"enrolled"`
	Completed bool `json:"completed"`
}

type apiStatsTable struct {
	Dimension string         `json:"dimension"`
	Rows      []apiStatsCell `json:"rows"`
	Total     apiStatsCell   `json:"total"`
}

// apiStats is GET /api/v1/associations/{slug}/stats.
type apiStats struct {
	Association string          `json:"association"`
	From        string          `json:"from"`
	To          string          `json:"to"`
	Course      *string         `json:"course"`
	Office      *string         `json:"office"`
	Province    *string         `json:"province"`
	Threshold   int             `json:"threshold"`
	Total       apiStatsCell    `json:"total"`
	Tables      []apiStatsTable `json:"tables"`
}

func toAPIStatsCell(c courses.StatsCell) apiStatsCell {
	out := apiStatsCell{Key: c.Key, Label: c.Label, Suppressed: apiSuppressed{Enrolled: c.Enrolled.Suppressed, Completed: c.Completed.Suppressed}}
	if !c.Enrolled.Suppressed {
		n := c.Enrolled.N
		out.Enrolled = &n
	}
	if !c.Completed.Suppressed {
		n := c.Completed.N
		out.Completed = &n
	}
	if rate, ok := c.Rate(); ok {
		r := float64(int(rate*10+0.5)) / 10
		out.CompletionRate = &r
	}
	return out
}

// handleAPIStats answers an association's statistics as JSON, or as CSV
// with Accept: text/csv; the same filters and suppression as the page
// (from, to as YYYY-MM; course as a slug; office; province).
func (a *application) handleAPIStats(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	// The API's parameters are English; the page's Dutch.
	for api, page := range map[string]string{"from": "van", "to": "tot", "course": "cursus", "office": "ambt", "province": "provincie"} {
		if v := c.Query(api); v != "" {
			c.Request().URI().QueryArgs().Set(page, v)
		}
	}
	r, err := a.buildStats(c, as, strings.Contains(c.Get(fiber.HeaderAccept), "text/csv"))
	if courses.ErrorCode(err) == courses.EINVALID {
		problems := courses.ErrorProblems(err)
		for i := range problems {
			problems[i].Field = apiField(problems[i].Field)
		}
		return courses.Invalid("statistics filter", problems...)
	}
	if err != nil {
		return err
	}
	l := a.localeFrom(c)
	if strings.Contains(c.Get(fiber.HeaderAccept), "text/csv") {
		return a.sendStatsCSV(c, r, l)
	}
	out := apiStats{Association: as.Slug, From: r.Filter.From.String(), To: r.Filter.To.String(), Threshold: courses.Threshold,
		Total: toAPIStatsCell(r.Total)}
	if r.CourseSlug != "" {
		out.Course = &r.CourseSlug
	}
	if r.Filter.Office != "" {
		s := string(r.Filter.Office)
		out.Office = &s
	}
	if r.Filter.Province != "" {
		out.Province = &r.Filter.Province
	}
	for _, t := range r.Tables {
		at := apiStatsTable{Dimension: string(t.Dimension), Rows: []apiStatsCell{}, Total: toAPIStatsCell(t.Total)}
		for _, row := range t.Rows {
			at.Rows = append(at.Rows, toAPIStatsCell(row))
		}
		out.Tables = append(out.Tables, at)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// apiField names a page's filter field as the API calls it.
func apiField(page string) string {
	for api, p := range map[string]string{"from": "van", "to": "tot", "course": "cursus", "office": "ambt", "province": "provincie"} {
		if p == page {
			return api
		}
	}
	return page
}
