package courses

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// Real first bytes of each allowed file type.
var (
	pngBytes  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	jpegBytes = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01")
	gif87     = []byte("GIF87a\x01\x00\x01\x00\x00\x00\x00;")
	gif89     = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00;")
	webpBytes = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00")
	pdfBytes  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	zipBytes  = []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00")
)

func TestCheckFile(t *testing.T) {
	big := make([]byte, MaxFileBytes+1)
	copy(big, pngBytes)
	max := make([]byte, MaxFileBytes)
	copy(max, pngBytes)
	tests := []struct {
		name        string
		data        []byte
		wantType    string
		wantProblem string
		wantArgs    map[string]any
	}{
		{name: "kaart.png", data: pngBytes, wantType: "image/png"},
		{name: "foto.jpg", data: jpegBytes, wantType: "image/jpeg"},
		{name: "foto.jpeg", data: jpegBytes, wantType: "image/jpeg"},
		{name: "oud.gif", data: gif87, wantType: "image/gif"},
		{name: "anim.gif", data: gif89, wantType: "image/gif"},
		{name: "foto.webp", data: webpBytes, wantType: "image/webp"},
		{name: "nota.pdf", data: pdfBytes, wantType: "application/pdf"},
		{name: "brief.docx", data: zipBytes, wantType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{name: "cijfers.xlsx", data: zipBytes, wantType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{name: "dia.pptx", data: zipBytes, wantType: "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
		{name: "brief.odt", data: zipBytes, wantType: "application/vnd.oasis.opendocument.text"},
		{name: "cijfers.ods", data: zipBytes, wantType: "application/vnd.oasis.opendocument.spreadsheet"},
		{name: "dia.odp", data: zipBytes, wantType: "application/vnd.oasis.opendocument.presentation"},
		{name: "KAART.PNG", data: pngBytes, wantType: "image/png"},
		{name: "Foto.JpG", data: jpegBytes, wantType: "image/jpeg"},
		{name: "bestanden/kaart.png", data: pngBytes, wantType: "image/png"},
		{name: "precies-maximaal.png", data: max, wantType: "image/png"},

		{name: "logo.svg", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), wantProblem: ProblemFileType, wantArgs: map[string]any{"allowed": AllowedFileTypes}},
		{name: "LOGO.SVG", data: []byte(`<svg/>`), wantProblem: ProblemFileType, wantArgs: map[string]any{"allowed": AllowedFileTypes}},
		{name: "programma.exe", data: []byte("MZ\x90\x00"), wantProblem: ProblemFileType, wantArgs: map[string]any{"allowed": AllowedFileTypes}},
		{name: "pagina.html", data: []byte("<html>"), wantProblem: ProblemFileType, wantArgs: map[string]any{"allowed": AllowedFileTypes}},
		{name: "geen-extensie", data: pngBytes, wantProblem: ProblemFileType, wantArgs: map[string]any{"allowed": AllowedFileTypes}},
		{name: "kaart.png.exe", data: []byte("MZ\x90\x00"), wantProblem: ProblemFileType, wantArgs: map[string]any{"allowed": AllowedFileTypes}},
		{name: "leeg.svg", data: nil, wantProblem: ProblemFileType, wantArgs: map[string]any{"allowed": AllowedFileTypes}},

		{name: "script.png", data: []byte("<script>alert(1)</script>"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "png"}},
		{name: "windows.png", data: []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "png"}},
		{name: "linux.PNG", data: []byte("\x7fELF\x02\x01\x01\x00"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "png"}},
		{name: "svg.png", data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "png"}},
		{name: "png-header-half.png", data: pngBytes[:4], wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "png"}},
		{name: "png.jpg", data: pngBytes, wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "jpg"}},
		{name: "kort.jpg", data: []byte("\xff\xd8"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "jpg"}},
		{name: "gif88.gif", data: []byte("GIF88a\x01\x00"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "gif"}},
		{name: "geluid.webp", data: []byte("RIFF\x1a\x00\x00\x00WAVEfmt \x10\x00"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "webp"}},
		{name: "alleen-riff.webp", data: []byte("RIFF"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "webp"}},
		{name: "png.pdf", data: pngBytes, wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "pdf"}},
		{name: "pdf.docx", data: pdfBytes, wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "docx"}},
		{name: "oud-word.docx", data: []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "docx"}},
		{name: "tekst.odt", data: []byte("hello"), wantProblem: ProblemFileDisguised, wantArgs: map[string]any{"ext": "odt"}},

		{name: "leeg.png", data: nil, wantProblem: ProblemFileEmpty},
		{name: "leeg.pdf", data: []byte{}, wantProblem: ProblemFileEmpty},
		{name: "groot.png", data: big, wantProblem: ProblemFileTooLarge, wantArgs: map[string]any{"max": 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct, problem, args := CheckFile(tt.name, tt.data)
			if ct != tt.wantType || problem != tt.wantProblem {
				t.Errorf("CheckFile(%q) = %q, %q, want %q, %q", tt.name, ct, problem, tt.wantType, tt.wantProblem)
			}
			if !maps.Equal(args, tt.wantArgs) {
				t.Errorf("CheckFile(%q) args = %v, want %v", tt.name, args, tt.wantArgs)
			}
		})
	}
}

func TestFileSlug(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Kaart van Utrecht (2026).PNG", "kaart-van-utrecht-2026.png"},
		{"Çelik Ł.pdf", "celik-l.pdf"},
		{"Ærøskøbing straße.docx", "aeroskobing-strasse.docx"},
		// The Dutch ij ligature is a letter too: it must not be dropped.
		{"Ĳsselmeer ĳs.pdf", "ijsselmeer-ijs.pdf"},
		{"Begroting 2027 — concept_v2.xlsx", "begroting-2027-concept-v2.xlsx"},
		{"  --kaart--.png", "kaart.png"},
		{"foto.JPEG", "foto.jpeg"},
		{"a.b.c.pdf", "a-b-c.pdf"},
		{`C:\Users\a\b.pdf`, "b.pdf"},
		{"map/sub/kaart.gif", "kaart.gif"},
		{strings.Repeat("a", 70) + ".pdf", strings.Repeat("a", 60) + ".pdf"},
		{strings.Repeat("a", 59) + " b.pdf", strings.Repeat("a", 59) + ".pdf"}, // no hyphen left at the cut
		{"../../etc/passwd", ""},
		{"x.svg", ""},
		{"kaart.png.exe", ""},
		{"geen-extensie", ""},
		{".png", ""},
		{"(—).pdf", ""},
		{"Ωμέγα.pdf", ""},
		{"", ""},
		{"..", ""},
		{"/", ""},
	}
	for _, tt := range tests {
		got := FileSlug(tt.in)
		if got != tt.want {
			t.Errorf("FileSlug(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got != "" && (!fileName.MatchString(got) || strings.Contains(got, "/")) {
			t.Errorf("FileSlug(%q) = %q, which is not a valid file name in %s/", tt.in, got, FilesDir)
		}
	}
}

func TestVideoEmbed(t *testing.T) {
	const (
		yt    = "https://www.youtube-nocookie.com/embed/abcdefghijk"
		vimeo = "https://player.vimeo.com/video/123456789?dnt=1"
	)
	tests := []struct {
		link, want string
	}{
		{"https://www.youtube.com/watch?v=abcdefghijk", yt},
		{"https://youtube.com/watch?v=abcdefghijk", yt},
		{"https://www.youtube.com/watch?v=abcdefghijk&t=30s", yt},
		{"https://www.youtube.com/watch?feature=share&v=abcdefghijk", yt},
		{"https://www.youtube.com/watch?v=A-b_C9defgh", "https://www.youtube-nocookie.com/embed/A-b_C9defgh"},
		{"https://youtu.be/abcdefghijk", yt},
		{"https://youtu.be/abcdefghijk?t=42", yt},
		{"https://www.youtube.com/embed/abcdefghijk", yt},
		{"https://www.youtube-nocookie.com/embed/abcdefghijk", yt},
		{"https://vimeo.com/123456789", vimeo},
		{"https://vimeo.com/123456789#t=10s", vimeo},
		{"https://player.vimeo.com/video/123456789", vimeo},

		{"http://www.youtube.com/watch?v=abcdefghijk", ""},
		{"http://youtu.be/abcdefghijk", ""},
		{"http://vimeo.com/123456789", ""},
		{"//www.youtube.com/watch?v=abcdefghijk", ""},
		{"https://example.com/watch?v=abcdefghijk", ""},
		{"https://www.youtube.com.example.com/watch?v=abcdefghijk", ""},
		{"https://example.com/youtu.be/abcdefghijk", ""},
		{"https://m.youtube.com/watch?v=abcdefghijk", ""},
		{"https://vimeo.example.com/123456789", ""},
		{"https://www.youtube.com/watch?v=abc\"defghij", ""},
		{"https://www.youtube.com/watch?v=abc%22defghij", ""},
		{"https://youtu.be/abc'defghij", ""},
		{"https://www.youtube.com/watch?v=javascript:", ""},
		{"https://youtu.be/javascript:alert(1)", ""},
		{"javascript:alert(1)", ""},
		{"https://www.youtube.com/watch?v=abcdefghij", ""},   // 10 characters
		{"https://www.youtube.com/watch?v=abcdefghijkl", ""}, // 12 characters
		{"https://youtu.be/abcdefghij", ""},
		{"https://youtu.be/abcdefghijkl", ""},
		{"https://www.youtube.com/embed/abcdefghij", ""},
		{"https://youtu.be/abcdefghijk/extra", ""},
		{"https://www.youtube.com/watch", ""},
		{"https://www.youtube.com/", ""},
		{"https://www.youtube.com/abcdefghijk", ""},
		{"https://vimeo.com/", ""},
		{"https://vimeo.com/12345abc", ""},
		{"https://vimeo.com/1234567890123", ""},
		{"https://vimeo.com/channels/staff/123456789", ""},
		{"https://player.vimeo.com/video/123\"onload=x", ""},
		{"https://vimeo.com/abcdefghijk", ""},
		{"https://youtu.be/123456789", ""},
		{"", ""},
		{"niet een link", ""},
	}
	for _, tt := range tests {
		if got := VideoEmbed(tt.link); got != tt.want {
			t.Errorf("VideoEmbed(%q) = %q, want %q", tt.link, got, tt.want)
		}
	}
}

func TestParseLocalTime(t *testing.T) {
	if got, want := Amsterdam.String(), "Europe/Amsterdam"; got != want {
		t.Errorf("Amsterdam = %q, want %q (no time zone database?)", got, want)
	}
	tests := []struct {
		in      string
		wantUTC string // RFC 3339; "" for an error
	}{
		{"2027-01-14 19:30", "2027-01-14T18:30:00Z"}, // CET, UTC+1
		{"2027-07-01 19:30", "2027-07-01T17:30:00Z"}, // CEST, UTC+2
		{"2027-01-14T19:30", "2027-01-14T18:30:00Z"},
		{" 2027-01-14 19:30 ", "2027-01-14T18:30:00Z"},
		{"2027-03-28 01:59", "2027-03-28T00:59:00Z"}, // the last minute of winter time
		{"2027-03-28 03:00", "2027-03-28T01:00:00Z"}, // the first hour of summer time
		{"2027-10-31 04:00", "2027-10-31T03:00:00Z"}, // winter time again
		{"2027-12-31 23:59", "2027-12-31T22:59:00Z"},
		{"14-01-2027 19:30", ""},
		{"2027-01-14", ""},
		{"2027-01-14 19:30:00", ""},
		{"2027-02-30 19:30", ""},
		{"2027-01-14 25:00", ""},
		{"2027-13-01 19:30", ""},
		{"morgen", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ParseLocalTime(tt.in)
		if tt.wantUTC == "" {
			if err == nil {
				t.Errorf("ParseLocalTime(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLocalTime(%q): %v", tt.in, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339); s != tt.wantUTC {
			t.Errorf("ParseLocalTime(%q) = %s, want %s", tt.in, s, tt.wantUTC)
		}
		if got.Location() != Amsterdam {
			t.Errorf("ParseLocalTime(%q) in %v, want %v", tt.in, got.Location(), Amsterdam)
		}
		if back := got.Format(DateTimeLayout); back != strings.Replace(strings.TrimSpace(tt.in), "T", " ", 1) {
			t.Errorf("ParseLocalTime(%q) formats back as %q", tt.in, back)
		}
	}
}

func TestValidHTTPS(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"https://meet.example.nl/oefenavond", true},
		{"https://x.nl", true},
		{"https://x.nl/", true},
		{"https://x.nl:8443/a?b=c&d=e#f", true},
		{"https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0", true},
		{"http://x.nl", false},
		{"ftp://x.nl", false},
		{"https://", false},
		{"https:///pad", false},
		{"https:x.nl", false},
		{"//x.nl", false},
		{"x.nl", false},
		{"javascript:alert(1)", false},
		{"https://user:pw@x.nl", false},
		{"https://user@x.nl", false},
		{"https://x.nl/a b", false},
		{"https://x.nl/\"onmouseover=alert(1)", false},
		{"https://x.nl/<script>", false},
		{"https://x.nl/\n", false},
		{"https://x.nl/\ta", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidHTTPS(tt.in); got != tt.want {
			t.Errorf("ValidHTTPS(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// quizFile returns a quiz activity: 2 kind, 3 title, 4 minutes, 5 pass_mark,
// 6 ---, 7 the body.
func quizFile(body string) string {
	return "---\nkind: quiz\ntitle: Toets\nminutes: 10\npass_mark: 70\n---\n" + body
}

// proefQuiz is a valid quiz in all three question kinds; line numbers:
// 5 pass_mark, 6 attempts, 7 shuffle, 9 the introduction, 13 the first
// question, 14-16 its options, 18-20 its feedback, 22 the second question,
// 27 the third, 28 its answer, 32 the fourth, 33 its answer.
const proefQuiz = `---
kind: quiz
title: Toets: de raad
minutes: 10
pass_mark: 70
attempts: 3
shuffle: ja
---
Een korte toets over de raad.

Lees eerst de **les**.

## Wie stelt de begroting vast?
- ( ) Het college
- (x) De raad
- ( ) De griffier

> De raad stelt de begroting vast.
>
> Artikel 189 van de Gemeentewet.

## Welke stukken stelt de raad vast? Kies alle goede antwoorden.
- [x] De begroting
- [ ] Het collegeakkoord
- [x] De jaarrekening

## De raad kan een begrotingswijziging amenderen.
answer: waar

> Ja: het is een raadsbesluit.

## Het college amendeert de begroting.
answer: niet waar
`

// proefQuizWant is the activity that proefQuiz reads as, at position 2.
func proefQuizWant() Activity {
	return Activity{Position: 2, Slug: "toets", Kind: KindQuiz, Title: "Toets: de raad", Minutes: 10,
		Body: "Een korte toets over de raad.\n\nLees eerst de **les**.",
		Quiz: &Quiz{PassMark: 70, MaxAttempts: 3, Shuffle: true, Questions: []Question{
			{Position: 1, Kind: SingleChoice, Text: "Wie stelt de begroting vast?",
				Feedback: "De raad stelt de begroting vast.\n\nArtikel 189 van de Gemeentewet.",
				Options: []Option{
					{Position: 1, Text: "Het college"}, {Position: 2, Text: "De raad", Correct: true}, {Position: 3, Text: "De griffier"},
				}},
			{Position: 2, Kind: MultipleChoice, Text: "Welke stukken stelt de raad vast? Kies alle goede antwoorden.",
				Options: []Option{
					{Position: 1, Text: "De begroting", Correct: true}, {Position: 2, Text: "Het collegeakkoord"}, {Position: 3, Text: "De jaarrekening", Correct: true},
				}},
			{Position: 3, Kind: TrueFalse, Text: "De raad kan een begrotingswijziging amenderen.", Feedback: "Ja: het is een raadsbesluit.",
				Options: []Option{{Position: 1, Text: "Waar", Correct: true}, {Position: 2, Text: "Niet waar"}}},
			{Position: 4, Kind: TrueFalse, Text: "Het college amendeert de begroting.",
				Options: []Option{{Position: 1, Text: "Waar"}, {Position: 2, Text: "Niet waar", Correct: true}}},
		}},
	}
}

// proefSession is a valid session; line numbers: 5 starts, 6 ends,
// 7 location, 8 online_url, 9 capacity, 11 the body.
const proefSession = `---
kind: session
title: Oefenavond: amendementen schrijven
minutes: 150
starts: 2027-01-14 19:30
ends: 2027-01-14 22:00
location: Stadhuis Utrecht, Stadsplateau 1, Utrecht
online_url: https://meet.example.nl/oefenavond
capacity: 24
---
Neem de begroting mee.
`

// proefSessionWant is the activity that proefSession reads as, at position 3.
func proefSessionWant() Activity {
	return Activity{Position: 3, Slug: "avond", Kind: KindSession, Title: "Oefenavond: amendementen schrijven", Minutes: 150,
		Body: "Neem de begroting mee.",
		Meeting: &Meeting{
			StartsAt:  time.Date(2027, 1, 14, 19, 30, 0, 0, Amsterdam),
			EndsAt:    time.Date(2027, 1, 14, 22, 0, 0, 0, Amsterdam),
			Location:  "Stadhuis Utrecht, Stadsplateau 1, Utrecht",
			OnlineURL: "https://meet.example.nl/oefenavond",
			Capacity:  24,
		}}
}

const (
	quizPath    = "proef/10-a/02-toets.md"
	sessionPath = "proef/10-a/03-avond.md"
	slotPath    = "proef/10-a/01-slot.md"
)

// activitiesFS returns proefFS with proefQuiz and proefSession added to the
// module 10-a.
func activitiesFS() fstest.MapFS {
	fsys := proefFS()
	fsys[quizPath] = &fstest.MapFile{Data: []byte(proefQuiz)}
	fsys[sessionPath] = &fstest.MapFile{Data: []byte(proefSession)}
	return fsys
}

// activitiesWant is the course that activitiesFS reads as.
func activitiesWant() *Course {
	c := proefCourseWant()
	c.Modules[1].Activities = append(c.Modules[1].Activities, proefQuizWant(), proefSessionWant())
	return c
}

func TestReadActivities(t *testing.T) {
	quiz := func(c *Course) *Activity { return &c.Modules[1].Activities[1] }
	session := func(c *Course) *Activity { return &c.Modules[1].Activities[2] }
	png := string(pngBytes)
	tests := []struct {
		name   string
		change func(fstest.MapFS)
		want   func(*Course) // changes activitiesWant; nil: unchanged
	}{
		{name: "quiz and session"},
		{
			name: "CRLF line endings",
			change: func(fsys fstest.MapFS) {
				for _, p := range []string{quizPath, sessionPath} {
					fsys[p].Data = []byte(strings.ReplaceAll(string(fsys[p].Data), "\n", "\r\n"))
				}
			},
		},
		{
			name:   "true/false in an English course",
			change: replaceIn(t, "proef/course.md", "language: nl", "language: en"),
			want: func(c *Course) {
				c.Language = "en"
				q := quiz(c).Quiz
				q.Questions[2].Options = []Option{{Position: 1, Text: "True", Correct: true}, {Position: 2, Text: "False"}}
				q.Questions[3].Options = []Option{{Position: 1, Text: "True"}, {Position: 2, Text: "False", Correct: true}}
			},
		},
		{
			name: "true/false in English words and onwaar",
			change: func(fsys fstest.MapFS) {
				replaceIn(t, quizPath, "answer: waar", "answer: True")(fsys)
				replaceIn(t, quizPath, "answer: niet waar", "answer: onwaar")(fsys)
			},
		},
		{
			name:   "true/false written false",
			change: replaceIn(t, quizPath, "answer: niet waar", "answer:false"),
		},
		{
			name: "no attempts and no shuffle",
			change: func(fsys fstest.MapFS) {
				replaceIn(t, quizPath, "attempts: 3\n", "")(fsys)
				replaceIn(t, quizPath, "shuffle: ja\n", "")(fsys)
			},
			want: func(c *Course) { quiz(c).Quiz.MaxAttempts = 0; quiz(c).Quiz.Shuffle = false },
		},
		{
			name: "attempts 0 and shuffle nee",
			change: func(fsys fstest.MapFS) {
				replaceIn(t, quizPath, "attempts: 3", "attempts: 0")(fsys)
				replaceIn(t, quizPath, "shuffle: ja", "shuffle: nee")(fsys)
			},
			want: func(c *Course) { quiz(c).Quiz.MaxAttempts = 0; quiz(c).Quiz.Shuffle = false },
		},
		{
			name:   "shuffle yes",
			change: replaceIn(t, quizPath, "shuffle: ja", "shuffle: Yes"),
		},
		{
			name:   "quiz without introduction",
			change: replaceIn(t, quizPath, "Een korte toets over de raad.\n\nLees eerst de **les**.\n", ""),
			want:   func(c *Course) { quiz(c).Body = "" },
		},
		{
			name:   "pass mark bounds",
			change: replaceIn(t, quizPath, "pass_mark: 70", "pass_mark: 100"),
			want:   func(c *Course) { quiz(c).Quiz.PassMark = 100 },
		},
		{
			name:   "feedback without a space after >",
			change: replaceIn(t, quizPath, "> Ja: het is een raadsbesluit.", ">Ja: het is een raadsbesluit."),
		},
		{
			name:   "trailing spaces",
			change: replaceIn(t, quizPath, "- (x) De raad\n", "- (x) De raad  \t\n"),
		},
		{
			name:   "explicit kind lesson",
			change: replaceIn(t, slotPath, "---\ntitle: Slot", "---\nkind: lesson\ntitle: Slot"),
		},
		{
			name: "session in summer time",
			change: func(fsys fstest.MapFS) {
				replaceIn(t, sessionPath, "2027-01-14 19:30\nends: 2027-01-14 22:00", "2027-07-01 19:30\nends: 2027-07-01 22:00")(fsys)
			},
			want: func(c *Course) {
				session(c).Meeting.StartsAt = time.Date(2027, 7, 1, 19, 30, 0, 0, Amsterdam)
				session(c).Meeting.EndsAt = time.Date(2027, 7, 1, 22, 0, 0, 0, Amsterdam)
			},
		},
		{
			name:   "session past midnight",
			change: replaceIn(t, sessionPath, "ends: 2027-01-14 22:00", "ends: 2027-01-15 00:30"),
			want:   func(c *Course) { session(c).Meeting.EndsAt = time.Date(2027, 1, 15, 0, 30, 0, 0, Amsterdam) },
		},
		{
			name:   "session with location only",
			change: replaceIn(t, sessionPath, "online_url: https://meet.example.nl/oefenavond\n", ""),
			want:   func(c *Course) { session(c).Meeting.OnlineURL = "" },
		},
		{
			name:   "session with online_url only",
			change: replaceIn(t, sessionPath, "location: Stadhuis Utrecht, Stadsplateau 1, Utrecht\n", ""),
			want:   func(c *Course) { session(c).Meeting.Location = "" },
		},
		{
			name:   "session capacity 1000",
			change: replaceIn(t, sessionPath, "capacity: 24", "capacity: 1000"),
			want:   func(c *Course) { session(c).Meeting.Capacity = 1000 },
		},
		{
			name: "files and references to them",
			change: func(fsys fstest.MapFS) {
				setFiles(map[string]string{
					"proef/bestanden/kaart.png":     png,
					"proef/bestanden/Nota_2027.pdf": string(pdfBytes),
					"proef/bestanden/.DS_Store":     "\x00",
					"proef/bestanden/_oud.svg":      "<svg/>",
				})(fsys)
				replaceIn(t, slotPath, "Tot slot.\n", "Tot slot.\n\n![De kaart](bestanden/kaart.png)\n\nLees [de nota](../../bestanden/Nota_2027.pdf \"Nota\").\n")(fsys)
				replaceIn(t, "proef/2-b/module.md", "Inleiding.\n", "Inleiding. Zie [kaart](<../bestanden/kaart.png>).\n")(fsys)
				replaceIn(t, quizPath, "> Ja: het is een raadsbesluit.", "> Ja: zie ![de kaart](bestanden/kaart.png).")(fsys)
			},
			want: func(c *Course) {
				c.Files = []File{NewFile("bestanden/Nota_2027.pdf", "application/pdf", pdfBytes), NewFile("bestanden/kaart.png", "image/png", pngBytes)}
				c.Modules[0].Intro = "Inleiding. Zie [kaart](<../bestanden/kaart.png>)."
				c.Modules[1].Activities[0].Body = "Tot slot.\n\n![De kaart](bestanden/kaart.png)\n\nLees [de nota](../../bestanden/Nota_2027.pdf \"Nota\")."
				quiz(c).Quiz.Questions[2].Feedback = "Ja: zie ![de kaart](bestanden/kaart.png)."
			},
		},
		{
			name:   "validity_months 1",
			change: replaceIn(t, "proef/course.md", "version: 2\n", "version: 2\nvalidity_months: 1\n"),
			want:   func(c *Course) { c.ValidityMonths = 1 },
		},
		{
			name:   "validity_months 240",
			change: replaceIn(t, "proef/course.md", "version: 2\n", "version: 2\nvalidity_months: 240\n"),
			want:   func(c *Course) { c.ValidityMonths = 240 },
		},
		{
			name:   "prerequisites",
			change: replaceIn(t, "proef/course.md", "version: 2\n", "version: 2\nprerequisites: nieuw-in-de-raad, integriteit\n"),
			want:   func(c *Course) { c.Prerequisites = []string{"nieuw-in-de-raad", "integriteit"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := activitiesFS()
			if tt.change != nil {
				tt.change(fsys)
			}
			want := activitiesWant()
			if tt.want != nil {
				tt.want(want)
			}
			got, err := ReadCourseFolder(fsys, "proef")
			if err != nil {
				t.Fatalf("ReadCourseFolder: %v\nproblems: %q", err, problemStrings(err))
			}
			if !reflect.DeepEqual(got, want) {
				for i := range min(len(got.Modules), len(want.Modules)) {
					for j := range min(len(got.Modules[i].Activities), len(want.Modules[i].Activities)) {
						g, w := got.Modules[i].Activities[j], want.Modules[i].Activities[j]
						if !reflect.DeepEqual(g, w) {
							t.Errorf("module %d activity %d:\n got %+v\nwant %+v", i, j, g, w)
							if g.Quiz != nil && w.Quiz != nil {
								t.Errorf("quiz:\n got %+v\nwant %+v", *g.Quiz, *w.Quiz)
							}
							if g.Meeting != nil && w.Meeting != nil {
								t.Errorf("meeting:\n got %+v\nwant %+v", *g.Meeting, *w.Meeting)
							}
						}
					}
				}
				t.Errorf("ReadCourseFolder:\n got %+v\nwant %+v", got, want)
			}
			for _, a := range got.Modules[1].Activities {
				if a.Quiz != nil {
					if p := a.Quiz.Validate(); len(p) > 0 {
						t.Errorf("quiz read from the folder has problems %q", fieldKeys(p))
					}
				}
			}
		})
	}
}

func TestReadActivityProblems(t *testing.T) {
	const (
		course = "proef/course.md"
		q      = quizPath + ":"
		s      = sessionPath + ":"
	)
	twoOptions := "- ( ) Het college\n- (x) De raad\n"
	manyQuestions := ""
	for range 51 {
		manyQuestions += "## Wie stelt de begroting vast?\n" + twoOptions + "\n"
	}
	big := strings.Repeat("\x00", MaxFileBytes)
	huge := string(pngBytes) + big
	tests := []struct {
		name   string
		change func(fstest.MapFS)
		want   []string
	}{
		// Keys and kinds.
		{
			name:   "lesson with pass_mark",
			change: replaceIn(t, slotPath, "minutes: 10\n", "minutes: 10\npass_mark: 70\n"),
			want:   []string{"proef/10-a/01-slot.md:4: pass_mark: problem.unknown_key"},
		},
		{
			name:   "lesson with a key no activity has",
			change: replaceIn(t, slotPath, "minutes: 10\n", "minutes: 10\nauthor: Jan\n"),
			want:   []string{"proef/10-a/01-slot.md:4: author: problem.unknown_key"},
		},
		{
			name:   "quiz with capacity",
			change: replaceIn(t, quizPath, "attempts: 3\n", "attempts: 3\ncapacity: 20\n"),
			want:   []string{q + "7: capacity: problem.unknown_key"},
		},
		{
			name:   "session with shuffle",
			change: replaceIn(t, sessionPath, "capacity: 24\n", "capacity: 24\nshuffle: ja\n"),
			want:   []string{s + "10: shuffle: problem.unknown_key"},
		},
		{
			name:   "unknown kind",
			change: replaceIn(t, slotPath, "---\ntitle: Slot", "---\nkind: video\ntitle: Slot"),
			want:   []string{"proef/10-a/01-slot.md:2: kind: problem.unknown_value"},
		},
		{
			name:   "kind in upper case",
			change: replaceIn(t, quizPath, "kind: quiz", "kind: Quiz"),
			want:   []string{q + "2: kind: problem.unknown_value"},
		},
		{
			name:   "duplicate kind",
			change: replaceIn(t, quizPath, "kind: quiz\n", "kind: quiz\nkind: session\n"),
			want:   []string{q + "3: kind: problem.duplicate_key"},
		},
		{
			name:   "session with empty body",
			change: replaceIn(t, sessionPath, "Neem de begroting mee.\n", "\n"),
			want:   []string{s + "11: problem.empty_body"},
		},

		// Quiz settings.
		{
			name:   "quiz without pass_mark",
			change: replaceIn(t, quizPath, "pass_mark: 70\n", ""),
			want:   []string{q + "1: pass_mark: problem.required"},
		},
		{
			name:   "pass_mark 0",
			change: replaceIn(t, quizPath, "pass_mark: 70", "pass_mark: 0"),
			want:   []string{q + "5: pass_mark: problem.out_of_range"},
		},
		{
			name:   "pass_mark 101",
			change: replaceIn(t, quizPath, "pass_mark: 70", "pass_mark: 101"),
			want:   []string{q + "5: pass_mark: problem.out_of_range"},
		},
		{
			name:   "pass_mark with percent sign",
			change: replaceIn(t, quizPath, "pass_mark: 70", "pass_mark: 70%"),
			want:   []string{q + "5: pass_mark: problem.not_number"},
		},
		{
			name:   "attempts 21",
			change: replaceIn(t, quizPath, "attempts: 3", "attempts: 21"),
			want:   []string{q + "6: attempts: problem.out_of_range"},
		},
		{
			name:   "attempts negative",
			change: replaceIn(t, quizPath, "attempts: 3", "attempts: -1"),
			want:   []string{q + "6: attempts: problem.not_number"},
		},
		{
			name:   "shuffle misschien",
			change: replaceIn(t, quizPath, "shuffle: ja", "shuffle: misschien"),
			want:   []string{q + "7: shuffle: problem.unknown_value"},
		},

		// Quiz bodies.
		{
			name:   "quiz without questions",
			change: setFiles(map[string]string{quizPath: quizFile("Alleen een inleiding.\n\n- (x) Geen vraag\n")}),
			want:   []string{q + "7: problem.no_questions"},
		},
		{
			name:   "quiz with empty body",
			change: setFiles(map[string]string{quizPath: quizFile("")}),
			want:   []string{q + "7: problem.no_questions"},
		},
		{
			name:   "51 questions",
			change: setFiles(map[string]string{quizPath: quizFile(manyQuestions)}),
			want:   []string{q + "7: problem.too_many"},
		},
		{
			name:   "stray line after an option",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n" + twoOptions + "Dit hoort er niet.\n")}),
			want:   []string{q + "10: problem.quiz_line"},
		},
		{
			name:   "stray line after the feedback",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n" + twoOptions + "\n> De raad.\nDit hoort er niet.\n")}),
			want:   []string{q + "12: problem.quiz_line"},
		},
		{
			name:   "option after the feedback",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n" + twoOptions + "> De raad.\n- ( ) De griffier\n")}),
			want:   []string{q + "11: problem.quiz_line"},
		},
		{
			name:   "sub heading in a question",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n### Let op\n" + twoOptions)}),
			want:   []string{q + "8: problem.quiz_line"},
		},
		{
			name:   "single choice with two (x)",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n- (x) Het college\n- (x) De raad\n")}),
			want:   []string{q + "7: problem.one_correct"},
		},
		{
			name:   "single choice without (x)",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n- ( ) Het college\n- ( ) De raad\n")}),
			want:   []string{q + "7: problem.one_correct"},
		},
		{
			name:   "multiple choice without [x]",
			change: setFiles(map[string]string{quizPath: quizFile("## Welke stukken?\n- [ ] De begroting\n- [ ] Het akkoord\n")}),
			want:   []string{q + "7: problem.no_correct"},
		},
		{
			name:   "mixing ( ) and [ ]",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n" + twoOptions + "- [ ] De griffier\n")}),
			want:   []string{q + "10: problem.quiz_line"},
		},
		{
			name:   "mixing [x] and (x)",
			change: setFiles(map[string]string{quizPath: quizFile("## Welke stukken?\n- [x] De begroting\n- (x) De jaarrekening\n- [ ] Het akkoord\n")}),
			want:   []string{q + "9: problem.quiz_line"},
		},
		{
			name:   "answer: misschien",
			change: setFiles(map[string]string{quizPath: quizFile("## De raad kan amenderen.\nanswer: misschien\n")}),
			want:   []string{q + "8: answer: problem.unknown_value"},
		},
		{
			name:   "answer after options",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n" + twoOptions + "answer: waar\n")}),
			want:   []string{q + "10: problem.quiz_line"},
		},
		{
			name:   "two answers",
			change: setFiles(map[string]string{quizPath: quizFile("## De raad kan amenderen.\nanswer: waar\nanswer: niet waar\n")}),
			want:   []string{q + "9: problem.quiz_line"},
		},
		{
			name:   "option after an answer",
			change: setFiles(map[string]string{quizPath: quizFile("## De raad kan amenderen.\nanswer: waar\n- (x) Ja\n")}),
			want:   []string{q + "9: problem.quiz_line"},
		},
		{
			name:   "one option only",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n- (x) De raad\n")}),
			want:   []string{q + "7: problem.too_few_options"},
		},
		{
			name:   "question without options",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n")}),
			want:   []string{q + "7: problem.too_few_options"},
		},
		{
			// FORMAT.md and the reader's own comment: a question without
			// options is reported as having too few options, wherever it is.
			name:   "question without options before another question",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n\n## Wie benoemt de wethouders?\n" + twoOptions)}),
			want:   []string{q + "7: problem.too_few_options"},
		},
		{
			name: "eleven options",
			change: setFiles(map[string]string{quizPath: quizFile("## Welke?\n- (x) 1\n- ( ) 2\n- ( ) 3\n- ( ) 4\n- ( ) 5\n- ( ) 6\n" +
				"- ( ) 7\n- ( ) 8\n- ( ) 9\n- ( ) 10\n- ( ) 11\n")}),
			want: []string{q + "7: problem.too_many"},
		},
		{
			name:   "question text too short",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie\n" + twoOptions + "\n## Ja\n" + twoOptions)}),
			want:   []string{q + "11: problem.too_short"},
		},
		{
			name:   "option too long",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n- (x) " + strings.Repeat("a", 301) + "\n- ( ) b\n")}),
			want:   []string{q + "7: problem.too_long"},
		},
		{
			name:   "feedback too long",
			change: setFiles(map[string]string{quizPath: quizFile("## Wie stelt de begroting vast?\n" + twoOptions + "\n> " + strings.Repeat("a", 1000) + "\n> " + strings.Repeat("b", 1000) + "\n")}),
			want:   []string{q + "11: problem.too_long"},
		},
		{
			name: "several problems in one quiz",
			change: setFiles(map[string]string{quizPath: quizFile("Inleiding.\n\n## Wie stelt de begroting vast?\n- (x) Het college\n- (x) De raad\n\n" +
				"## De raad kan amenderen.\nanswer: soms\n\n## Welke?\n- [ ] a\n- [ ] b\nrommel\n")}),
			want: []string{
				q + "9: problem.one_correct",
				q + "14: answer: problem.unknown_value",
				q + "19: problem.quiz_line",
				q + "16: problem.no_correct",
			},
		},

		// Sessions.
		{
			name:   "ends before starts",
			change: replaceIn(t, sessionPath, "ends: 2027-01-14 22:00", "ends: 2027-01-14 19:00"),
			want:   []string{s + "6: ends: problem.end_before_start"},
		},
		{
			name:   "ends when it starts",
			change: replaceIn(t, sessionPath, "ends: 2027-01-14 22:00", "ends: 2027-01-14 19:30"),
			want:   []string{s + "6: ends: problem.end_before_start"},
		},
		{
			name: "no location and no online_url",
			change: func(fsys fstest.MapFS) {
				replaceIn(t, sessionPath, "location: Stadhuis Utrecht, Stadsplateau 1, Utrecht\n", "")(fsys)
				replaceIn(t, sessionPath, "online_url: https://meet.example.nl/oefenavond\n", "")(fsys)
			},
			want: []string{s + "1: location: problem.need_place"},
		},
		{
			name:   "online_url over http",
			change: replaceIn(t, sessionPath, "online_url: https://meet.example.nl/oefenavond", "online_url: http://x.nl"),
			want:   []string{s + "8: online_url: problem.bad_url"},
		},
		{
			name:   "online_url not a link",
			change: replaceIn(t, sessionPath, "online_url: https://meet.example.nl/oefenavond", "online_url: via de griffie"),
			want:   []string{s + "8: online_url: problem.bad_url"},
		},
		{
			name:   "bad date",
			change: replaceIn(t, sessionPath, "starts: 2027-01-14 19:30", "starts: 14-01-2027 19:30"),
			want:   []string{s + "5: starts: problem.bad_datetime"},
		},
		{
			name:   "date without time",
			change: replaceIn(t, sessionPath, "ends: 2027-01-14 22:00", "ends: 2027-01-14"),
			want:   []string{s + "6: ends: problem.bad_datetime"},
		},
		{
			name:   "no starts",
			change: replaceIn(t, sessionPath, "starts: 2027-01-14 19:30\n", ""),
			want:   []string{s + "1: starts: problem.required"},
		},
		{
			name:   "no capacity",
			change: replaceIn(t, sessionPath, "capacity: 24\n", ""),
			want:   []string{s + "1: capacity: problem.required"},
		},
		{
			name:   "capacity 0",
			change: replaceIn(t, sessionPath, "capacity: 24", "capacity: 0"),
			want:   []string{s + "9: capacity: problem.out_of_range"},
		},
		{
			name:   "capacity 1001",
			change: replaceIn(t, sessionPath, "capacity: 24", "capacity: 1001"),
			want:   []string{s + "9: capacity: problem.out_of_range"},
		},
		{
			name:   "location too long",
			change: replaceIn(t, sessionPath, "location: Stadhuis Utrecht, Stadsplateau 1, Utrecht", "location: "+strings.Repeat("a", 201)),
			want:   []string{s + "7: location: problem.too_long"},
		},

		// Files.
		{
			name:   "reference to a missing file",
			change: replaceIn(t, slotPath, "Tot slot.\n", "Tot slot.\n\n![x](bestanden/nope.png)\n"),
			want:   []string{"proef/10-a/01-slot.md:7: problem.file_missing"},
		},
		{
			name: "references to missing files everywhere",
			change: func(fsys fstest.MapFS) {
				replaceIn(t, course, "Wat u leert.\n", "Wat u leert.\n\nZie [de folder](bestanden/folder.pdf).\n")(fsys)
				replaceIn(t, "proef/2-b/module.md", "Inleiding.\n", "Inleiding.\n[a](../bestanden/a.pdf) en [b](../../bestanden/b.pdf)\n")(fsys)
				replaceIn(t, quizPath, "> Ja: het is een raadsbesluit.", "> Ja: zie ![](bestanden/besluit.png).")(fsys)
			},
			want: []string{
				// In folder order: "10-a" before "2-b".
				"proef/course.md:13: problem.file_missing",
				q + "30: problem.file_missing",
				"proef/2-b/module.md:7: problem.file_missing",
				"proef/2-b/module.md:7: problem.file_missing",
			},
		},
		{
			name: "reference with a different case",
			change: func(fsys fstest.MapFS) {
				setFiles(map[string]string{"proef/bestanden/kaart.png": string(pngBytes)})(fsys)
				replaceIn(t, slotPath, "Tot slot.\n", "Tot slot. ![Kaart](bestanden/Kaart.png)\n")(fsys)
			},
			want: []string{"proef/10-a/01-slot.md:5: problem.file_missing"},
		},
		{
			name:   "file with a bad name",
			change: setFiles(map[string]string{"proef/bestanden/kaart utrecht.png": string(pngBytes)}),
			want:   []string{"proef/bestanden/kaart utrecht.png: problem.bad_name"},
		},
		{
			name:   "disguised file",
			change: setFiles(map[string]string{"proef/bestanden/x.png": "hello"}),
			want:   []string{"proef/bestanden/x.png: problem.file_disguised"},
		},
		{
			name:   "SVG file",
			change: setFiles(map[string]string{"proef/bestanden/logo.svg": "<svg/>"}),
			want:   []string{"proef/bestanden/logo.svg: problem.file_type"},
		},
		{
			name:   "empty file",
			change: func(fsys fstest.MapFS) { fsys["proef/bestanden/leeg.pdf"] = &fstest.MapFile{} },
			want:   []string{"proef/bestanden/leeg.pdf: problem.file_empty"},
		},
		{
			name:   "file too large",
			change: setFiles(map[string]string{"proef/bestanden/groot.png": huge}),
			want:   []string{"proef/bestanden/groot.png: problem.file_too_large"},
		},
		{
			name: "course too large",
			change: func(fsys fstest.MapFS) {
				data := []byte(string(pngBytes) + big[len(pngBytes):]) // exactly MaxFileBytes, shared by every file
				for i := range 11 {
					fsys["proef/bestanden/deel-"+itoa(i)+".png"] = &fstest.MapFile{Data: data}
				}
			},
			want: []string{"proef/bestanden: problem.course_too_large"},
		},

		// Course settings.
		{
			name:   "validity_months 0",
			change: replaceIn(t, course, "version: 2\n", "version: 2\nvalidity_months: 0\n"),
			want:   []string{"proef/course.md:10: validity_months: problem.out_of_range"},
		},
		{
			name:   "validity_months 241",
			change: replaceIn(t, course, "version: 2\n", "version: 2\nvalidity_months: 241\n"),
			want:   []string{"proef/course.md:10: validity_months: problem.out_of_range"},
		},
		{
			name:   "prerequisites naming the course itself",
			change: replaceIn(t, course, "version: 2\n", "version: 2\nprerequisites: nieuw-in-de-raad, proef\n"),
			want:   []string{"proef/course.md:10: prerequisites: problem.self_prerequisite"},
		},
		{
			name:   "prerequisite that is not a slug",
			change: replaceIn(t, course, "version: 2\n", "version: 2\nprerequisites: Nieuw in de raad\n"),
			want:   []string{"proef/course.md:10: prerequisites: problem.unknown_value"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := activitiesFS()
			tt.change(fsys)
			c, err := ReadCourseFolder(fsys, "proef")
			if c != nil {
				t.Errorf("ReadCourseFolder returned a course, want nil")
			}
			if got, want := ErrorCode(err), EINVALID; got != want {
				t.Fatalf("ErrorCode(%v) = %q, want %q", err, got, want)
			}
			if got := problemStrings(err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestReadActivityProblemsStable: the same folder gives the same problems in
// the same order every time, so that `courses check` output can be compared.
func TestReadActivityProblemsStable(t *testing.T) {
	fsys := activitiesFS()
	replaceIn(t, slotPath, "minutes: 10\n", "minutes: 10\npass_mark: 70\nattempts: 3\nshuffle: ja\ncapacity: 24\n")(fsys)
	want := []string{
		"proef/10-a/01-slot.md:4: pass_mark: problem.unknown_key",
		"proef/10-a/01-slot.md:5: attempts: problem.unknown_key",
		"proef/10-a/01-slot.md:6: shuffle: problem.unknown_key",
		"proef/10-a/01-slot.md:7: capacity: problem.unknown_key",
	}
	for i := range 20 {
		_, err := ReadCourseFolder(fsys, "proef")
		if got := problemStrings(err); !slices.Equal(got, want) {
			t.Fatalf("read %d: problems:\n got %q\nwant %q", i+1, got, want)
		}
	}
}
