package main

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

// unsafeMarkup finds what must never reach a page from authored Markdown:
// script elements, event handler attributes, javascript:/vbscript:/data:
// URLs in attributes, and frames other than the video players we build.
var (
	scriptTag    = regexp.MustCompile(`(?i)<\s*/?\s*(script|object|embed|style|form|input|base|meta|link|svg|math)\b`)
	eventAttr    = regexp.MustCompile(`(?i)<[^>]*\s(on[a-z]+|formaction|srcdoc)\s*=`)
	attrValue    = regexp.MustCompile(`(?i)\s(href|src|action|poster|background|cite)="([^"]*)"`)
	scriptScheme = regexp.MustCompile(`^[\x00-\x20]*(javascript|vbscript|data|file):`)
	iframeSrc    = regexp.MustCompile(`(?i)<iframe\b[^>]*\bsrc="([^"]*)"`)
	iframeTag    = regexp.MustCompile(`(?i)<iframe\b`)
	allowedFrame = regexp.MustCompile(`^https://(www\.youtube-nocookie\.com/embed/[A-Za-z0-9_-]{11}|player\.vimeo\.com/video/[0-9]{1,12}\?dnt=1)$`)
)

// checkSafeHTML fails the test when out holds anything unsafeMarkup finds.
func checkSafeHTML(t *testing.T, src, out string) {
	t.Helper()
	if m := scriptTag.FindString(out); m != "" {
		t.Errorf("render(%q) has element %q:\n%s", src, m, out)
	}
	if m := eventAttr.FindString(out); m != "" {
		t.Errorf("render(%q) has an event attribute %q:\n%s", src, m, out)
	}
	// Attribute values are entity-decoded by the browser before use.
	for _, attr := range attrValue.FindAllStringSubmatch(out, -1) {
		if v := strings.TrimSpace(strings.ToLower(html.UnescapeString(attr[2]))); scriptScheme.MatchString(v) {
			t.Errorf("render(%q) has %s=%q:\n%s", src, attr[1], v, out)
		}
	}
	frames := iframeSrc.FindAllStringSubmatch(out, -1)
	if len(frames) != len(iframeTag.FindAllString(out, -1)) {
		t.Errorf("render(%q) has an iframe without a plain src:\n%s", src, out)
	}
	for _, f := range frames {
		if !allowedFrame.MatchString(f[1]) {
			t.Errorf("render(%q) frames %q:\n%s", src, f[1], out)
		}
	}
}

func testFiles(ref string) (string, bool) {
	if strings.TrimPrefix(ref, "../") == "bestanden/kaart.png" {
		return "/cursusbestanden/7/kaart.png", true
	}
	return "", false
}

func TestMarkdownIsSafe(t *testing.T) {
	md := newMarkdown()
	tests := []struct {
		name, src  string
		want, lack []string
	}{
		{"raw script", "<script>alert(1)</script>", nil, []string{"<script"}},
		{"event handler", `<img src=x onerror=alert(1)>`, nil, []string{"onerror"}},
		{"javascript link", "[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"entity-encoded javascript link", "[x](&#106;avascript:alert(1))", nil, []string{"avascript:"}},
		{"javascript image", "![x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", nil, []string{"data:"}},
		{"raw iframe", `<iframe src="https://evil.example"></iframe>`, nil, []string{"<iframe"}},
		{"file image", "![De kaart](bestanden/kaart.png)", []string{`<img src="/cursusbestanden/7/kaart.png" alt="De kaart"`}, nil},
		{"file link from a module folder", "[kaart](../bestanden/kaart.png)", []string{`href="/cursusbestanden/7/kaart.png"`}, nil},
		{"missing file stays as written", "![x](bestanden/weg.png)", []string{`src="bestanden/weg.png"`}, nil},
		{"youtube video", "[Uitleg begroting](https://www.youtube.com/watch?v=abcdefghijk)",
			[]string{`<iframe src="https://www.youtube-nocookie.com/embed/abcdefghijk" title="Uitleg begroting"`, `<figcaption>`}, nil},
		{"vimeo video", "[Debat](https://vimeo.com/123456)", []string{`src="https://player.vimeo.com/video/123456?dnt=1"`}, nil},
		{"bare video URL gets the label", "<https://youtu.be/abcdefghijk>", []string{`title="Video"`}, nil},
		{"video link inside a sentence stays a link", "Kijk [hier](https://www.youtube.com/watch?v=abcdefghijk) even.", nil, []string{"<iframe"}},
		{"other host stays a link", "[x](https://evil.example/watch?v=abcdefghijk)", nil, []string{"<iframe"}},
		{"quote in a video title", `[Een "titel" <b>](https://youtu.be/abcdefghijk)`, []string{`title="Een &#34;titel&#34; "`}, []string{`<b>`}},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(md.Lesson(0, tt.src, testFiles, "Video"))
			checkSafeHTML(t, tt.src, out)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("render(%q) lacks %q:\n%s", tt.src, w, out)
				}
			}
			for _, l := range tt.lack {
				if strings.Contains(out, l) {
					t.Errorf("render(%q) has %q:\n%s", tt.src, l, out)
				}
			}
		})
	}
}

// FuzzMarkdown renders arbitrary Markdown as a lesson: whatever a trainer
// writes, no script can reach the page and no frame but our players.
func FuzzMarkdown(f *testing.F) {
	for _, seed := range []string{
		"# Kop\n\nTekst met **nadruk** en een [link](https://example.nl).",
		"<script>alert(1)</script>",
		"[x](javascript:alert(1))",
		"[x](&#x6A;avascript:alert(1))",
		"![x](bestanden/kaart.png)",
		"[Video](https://www.youtube.com/watch?v=abcdefghijk)",
		"[Video\"onload=\"alert(1)](https://youtu.be/abcdefghijk)",
		"<https://vimeo.com/1>",
		"| a |\n|---|\n| <img src=x onerror=alert(1)> |",
		"<a href=\"https://youtu.be/abcdefghijk\" onclick=\"x\">v</a>",
	} {
		f.Add(seed)
	}
	md := newMarkdown()
	f.Fuzz(func(t *testing.T, src string) {
		checkSafeHTML(t, src, string(md.Lesson(0, src, testFiles, "Video")))
	})
}
