package main

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// handleLanguage stores the visitor's language choice in a cookie and sends
// them back to the page they came from (?terug=, a local path only).
func (a *application) handleLanguage(c *fiber.Ctx) error {
	lang := c.Query("lang")
	if !isLanguage(lang) {
		return courses.Invalid("bad language", courses.Problem{Field: "lang", Key: courses.ProblemUnknownValue,
			Args: map[string]any{"value": truncateText(lang, 10), "allowed": strings.Join(languages, ", ")}})
	}
	c.Cookie(&fiber.Cookie{
		Name: langCookie, Value: strings.Clone(lang), Path: "/",
		Expires: time.Now().AddDate(1, 0, 0), HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: a.cfg.BaseURL.Scheme == "https",
	})
	return c.Redirect(localPath(c.Query("terug")), fiber.StatusSeeOther)
}

func isLanguage(s string) bool {
	for _, l := range languages {
		if s == l {
			return true
		}
	}
	return false
}

// handleAccessibility shows the accessibility statement that Dutch public
// bodies must publish (Besluit digitale toegankelijkheid overheid).
func (a *application) handleAccessibility(c *fiber.Ctx) error {
	l := a.localeFrom(c)
	body, err := a.publicPage(c, "a11y:"+l.Lang, func() ([]byte, error) {
		return a.views.render("accessibility", a.newPage(c, l.T("a11y.title"), "a11y", "/toegankelijkheid", nil))
	})
	if err != nil {
		return err
	}
	return sendPage(c, body)
}
