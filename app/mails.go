package main

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/raadzaam/raadzaam/courses"
)

//go:embed mails/*.tmpl
var mailFS embed.FS

// mailTemplates renders e-mails in the recipient's language: a subject, a
// plain-text part (text/template) and an HTML part (html/template, which
// escapes names and links).
type mailTemplates struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

// mailNames are the e-mails Raadzaam sends; each is mails/NAME.tmpl.
var mailNames = []string{"invitation", "password-reset"}

func loadMailTemplates() (*mailTemplates, error) {
	m := &mailTemplates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, name := range mailNames {
		text, err := texttemplate.ParseFS(mailFS, "mails/"+name+".tmpl")
		if err != nil {
			return nil, err
		}
		html, err := htmltemplate.ParseFS(mailFS, "mails/"+name+".tmpl")
		if err != nil {
			return nil, err
		}
		m.text[name], m.html[name] = text, html
	}
	return m, nil
}

// mailData is what every mail template receives.
type mailData struct {
	*Locale
	Name    string
	Link    string
	Expires time.Time
	Inviter string
}

// render builds the mail name for a recipient.
func (m *mailTemplates) render(name, to string, d mailData) (*courses.Mail, error) {
	var subject, text, html bytes.Buffer
	t := m.text[name]
	if err := t.ExecuteTemplate(&subject, "subject", d); err != nil {
		return nil, err
	}
	if err := t.ExecuteTemplate(&text, "text", d); err != nil {
		return nil, err
	}
	if err := m.html[name].ExecuteTemplate(&html, "html", d); err != nil {
		return nil, err
	}
	return &courses.Mail{To: to, Subject: strings.TrimSpace(subject.String()), Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}
