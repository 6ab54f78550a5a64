package main

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/raadzaam/raadzaam/courses"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// markdown renders authored Markdown to HTML that cannot run script:
// goldmark without raw HTML, then bluemonday's user-content policy. Only
// after sanitising are links to allow-listed videos turned into players,
// from a URL rebuilt by courses.VideoEmbed, never from authored text.
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy

	mu    sync.Mutex
	cache map[int64]template.HTML // rendered activities of frozen versions
}

// maxCachedLessons bounds the lesson cache (about 10 KB each).
const maxCachedLessons = 4000

func newMarkdown() *markdown {
	return &markdown{
		md:     goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough)),
		policy: bluemonday.UGCPolicy(),
		cache:  map[int64]template.HTML{},
	}
}

// HTML renders src to sanitised HTML.
func (m *markdown) HTML(src string) template.HTML {
	return m.render(src, nil, "")
}

// Lesson renders an activity's Markdown: references to the course's files
// point to fileURL(ref), and video links become players titled after their
// link text. Output for frozen versions is cached by activity id, since it
// never changes; pass id 0 for drafts.
func (m *markdown) Lesson(id int64, src string, fileURL func(ref string) (string, bool), videoLabel string) template.HTML {
	if id != 0 {
		m.mu.Lock()
		out, ok := m.cache[id]
		m.mu.Unlock()
		if ok {
			return out
		}
	}
	out := m.render(src, fileURL, videoLabel)
	if id != 0 {
		m.mu.Lock()
		if len(m.cache) >= maxCachedLessons {
			clear(m.cache)
		}
		m.cache[id] = out
		m.mu.Unlock()
	}
	return out
}

func (m *markdown) render(src string, fileURL func(string) (string, bool), videoLabel string) template.HTML {
	source := []byte(src)
	doc := m.md.Parser().Parse(text.NewReader(source), parser.WithContext(parser.NewContext()))
	if fileURL != nil {
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch n := n.(type) {
			case *ast.Link:
				if u, ok := fileURL(string(n.Destination)); ok {
					n.Destination = []byte(u)
				}
			case *ast.Image:
				if u, ok := fileURL(string(n.Destination)); ok {
					n.Destination = []byte(u)
				}
			}
			return ast.WalkContinue, nil
		})
	}
	var buf bytes.Buffer
	if err := m.md.Renderer().Render(&buf, source, doc); err != nil {
		return template.HTML(template.HTMLEscapeString(src)) //nolint:gosec // escaped
	}
	out := m.policy.SanitizeBytes(buf.Bytes())
	if videoLabel != "" {
		out = embedVideos(out, videoLabel)
	}
	return template.HTML(out) //nolint:gosec // sanitised; players built from checked ids only
}

// videoParagraph is a sanitised paragraph that holds one link and nothing
// else: the Markdown for an embedded video.
var videoParagraph = regexp.MustCompile(`<p><a href="([^"<>]*)"[^<>]*>([^<>]*)</a></p>`)

// embedVideos replaces paragraphs that are one link to an allow-listed
// video by a player. The player URL comes from courses.VideoEmbed (a fixed
// host plus a checked id); the title is the link text, already escaped.
func embedVideos(in []byte, label string) []byte {
	return videoParagraph.ReplaceAllFunc(in, func(p []byte) []byte {
		m := videoParagraph.FindSubmatch(p)
		link := html.UnescapeString(string(m[1]))
		player := courses.VideoEmbed(link)
		if player == "" {
			return p
		}
		title := string(m[2])
		if title == "" || html.UnescapeString(title) == link {
			title = template.HTMLEscapeString(label)
		}
		return []byte(`<figure class="rz-video"><div class="rz-video__frame"><iframe src="` + player +
			`" title="` + title + `" loading="lazy" referrerpolicy="strict-origin-when-cross-origin" ` +
			`allow="encrypted-media; picture-in-picture; fullscreen" sandbox="allow-scripts allow-same-origin allow-presentation allow-popups">` +
			`</iframe></div><figcaption><a href="` + template.HTMLEscapeString(link) + `" rel="nofollow noopener">` +
			title + `</a></figcaption></figure>`)
	})
}
