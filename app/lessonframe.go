package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// A lesson of a published (or retired) version never changes, and neither
// does the page around it, except for the learner's own parts: the CSRF
// token, the progress, the "done" state and the ticks in the contents. So
// such a page is rendered once per activity, language and role as a
// skeleton in which those parts are slots, and each view only fills the
// slots in: no template runs per view (BENCHMARKS.md, lesson page).

// frameKey names one skeleton: the header differs by role, the text by
// language.
type frameKey struct {
	activity int64
	lang     string
	role     courses.Role
}

// lessonFrame is a rendered skeleton, split at its slots.
type lessonFrame struct {
	parts     []framePart
	doneState []byte      // the done area of a lesson already done
	doneForm  []framePart // the done area with the form (holds the csrf slot)
	tocMark   []byte      // the tick after a done activity in the contents
}

// framePart is literal HTML followed by the slot to fill in after it ("" at
// the end).
type framePart struct {
	html []byte
	slot string
}

// frameCache holds skeletons. Its slot markers carry a random prefix made
// at start, so that no authored text can fake a slot.
type frameCache struct {
	prefix string
	mu     sync.Mutex
	m      map[frameKey]*lessonFrame
}

// maxFrames bounds the cache: about 12 KB per skeleton.
const maxFrames = 4096

func newFrameCache() *frameCache {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return &frameCache{prefix: "rzslot" + hex.EncodeToString(b) + "x", m: map[frameKey]*lessonFrame{}}
}

// slotMarker is the text that stands for slot name in a skeleton: letters
// and digits only, so that html/template leaves it unchanged in text and in
// attributes.
func slotMarker(prefix, name string) string {
	return prefix + hex.EncodeToString([]byte(name)) + "x"
}

// splitFrame cuts html at the markers of prefix.
func splitFrame(html []byte, prefix string) []framePart {
	var parts []framePart
	p := []byte(prefix)
	for {
		i := bytes.Index(html, p)
		if i < 0 {
			return append(parts, framePart{html: html})
		}
		rest := html[i+len(p):]
		j := bytes.IndexByte(rest, 'x')
		name, err := hex.DecodeString(string(rest[:j]))
		if j < 0 || err != nil {
			return append(parts, framePart{html: html}) // cannot happen: markers are ours
		}
		parts = append(parts, framePart{html: html[:i], slot: string(name)})
		html = rest[j+1:]
	}
}

// sendLessonFrame answers a lesson or session page of a frozen version from
// its skeleton, with this learner's progress and token.
func (a *application) sendLessonFrame(c *fiber.Ctx, course *courses.Course, step courses.Step, e *courses.Enrolment) error {
	u := userFrom(c)
	l := a.localeFrom(c)
	key := frameKey{activity: step.Activity.ID, lang: l.Lang, role: u.Role}
	f, err := a.frames.get(key, func() (*lessonFrame, error) { return a.renderLessonFrame(c, course, step) })
	if err != nil {
		return err
	}
	steps := course.Activities()
	done, n := doneIn(steps, e.DoneKeys)
	pct := 0
	if len(steps) > 0 {
		pct = n * 100 / len(steps)
	}
	csrf := template.HTMLEscapeString(a.csrfToken(c))
	// Written straight into the response's own (pooled) body buffer.
	buf := c.Response().BodyWriter()
	thisDone := done[courses.Key(step.Module.Slug, step.Activity.Slug)]
	var fill func(parts []framePart)
	fill = func(parts []framePart) {
		for _, p := range parts {
			buf.Write(p.html)
			switch p.slot {
			case "":
			case "csrf":
				io.WriteString(buf, csrf)
			case "done":
				io.WriteString(buf, strconv.Itoa(n))
			case "pct":
				io.WriteString(buf, strconv.Itoa(pct))
			case "donearea":
				if thisDone {
					buf.Write(f.doneState)
				} else {
					fill(f.doneForm)
				}
			default:
				if k, ok := strings.CutPrefix(p.slot, "toc:"); ok && done[k] {
					buf.Write(f.tocMark)
				}
			}
		}
	}
	fill(f.parts)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return nil
}

// get returns the skeleton for key, rendering it once.
func (fc *frameCache) get(key frameKey, render func() (*lessonFrame, error)) (*lessonFrame, error) {
	fc.mu.Lock()
	f, ok := fc.m[key]
	fc.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := render()
	if err != nil {
		return nil, err
	}
	fc.mu.Lock()
	if len(fc.m) >= maxFrames {
		clear(fc.m)
	}
	fc.m[key] = f
	fc.mu.Unlock()
	return f, nil
}

// renderLessonFrame renders the skeleton of a lesson or session page and
// its two done areas.
func (a *application) renderLessonFrame(c *fiber.Ctx, course *courses.Course, step courses.Step) (*lessonFrame, error) {
	prefix := a.frames.prefix
	base := "/leren/" + course.Slug
	v, err := a.learnView(c, course, &courses.Enrolment{}, base)
	if err != nil {
		return nil, err
	}
	v.Frame, v.slotPrefix = true, prefix
	p := a.newPage(c, step.Activity.Title+" · "+course.Title, "learn", stepURL(base, step), v)
	p.CSRF = slotMarker(prefix, "csrf")
	page, err := a.views.render("learn", p)
	if err != nil {
		return nil, err
	}
	f := &lessonFrame{parts: splitFrame(page, prefix)}
	v.Frame = false
	v.Done = map[string]bool{courses.Key(step.Module.Slug, step.Activity.Slug): true}
	if f.doneState, err = a.views.renderPartial("learn", "learnDone", p); err != nil {
		return nil, err
	}
	v.Done = map[string]bool{}
	form, err := a.views.renderPartial("learn", "learnDone", p)
	if err != nil {
		return nil, err
	}
	f.doneForm = splitFrame(form, prefix)
	if f.tocMark, err = a.views.renderPartial("learn", "tocMark", p); err != nil {
		return nil, err
	}
	return f, nil
}
