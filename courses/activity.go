package courses

import (
	"net/url"
	"path"
	"strings"
	"time"
)

// ActivityKind says what a learner does in an activity. The codes are part
// of the folder format and the API.
type ActivityKind string

// The activity kinds.
const (
	KindLesson  ActivityKind = "lesson"
	KindQuiz    ActivityKind = "quiz"
	KindSession ActivityKind = "session"
)

// ActivityKinds lists the kinds in the order the editor offers them.
var ActivityKinds = []ActivityKind{KindLesson, KindQuiz, KindSession}

// Valid reports whether k is a known kind.
func (k ActivityKind) Valid() bool { return contains(ActivityKinds, k) }

// Activity is one thing to do in a module: a lesson to read, a quiz to take
// or a session to attend. Its key (module slug/activity slug) stays the same
// across versions, so progress follows a learner to a new version.
type Activity struct {
	ID       int64
	Position int
	Slug     string
	Kind     ActivityKind
	Title    string
	Minutes  int
	Body     string   // Markdown: the lesson, the quiz's introduction or the session's description
	Quiz     *Quiz    // for quizzes
	Meeting  *Meeting // for sessions
}

// Key returns the activity's version-independent key.
func Key(moduleSlug, activitySlug string) string { return moduleSlug + "/" + activitySlug }

// Meeting is when and where an in-person or online session takes place.
// Times are instants; they are entered and shown in Europe/Amsterdam.
type Meeting struct {
	StartsAt  time.Time
	EndsAt    time.Time
	Location  string // the address or room; empty for online-only sessions
	OnlineURL string // an https link to join online; empty for in-person sessions
	Capacity  int
}

// Amsterdam is the time zone sessions are planned in. It falls back to a
// fixed CET offset when the system has no zone database (tzdata is also
// embedded by the app binary).
var Amsterdam = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
}()

// File is an image or document that belongs to a course version, named by
// its path in the course folder (always under "bestanden/").
type File struct {
	Path        string // "bestanden/kaart.png"
	ContentType string
	Size        int64
	SHA256      string // hex; the stored blob's name
	Data        []byte // set when read from a folder or upload, nil when listed
}

// FilesDir is the folder of a course that holds its images and attachments.
const FilesDir = "bestanden"

// Upload limits: every file at most MaxFileBytes, a course at most
// MaxCourseBytes in all.
const (
	MaxFileBytes   = 10 << 20
	MaxCourseBytes = 100 << 20
)

// fileTypes maps an allowed extension to the content type its bytes must
// show. SVG is refused on purpose: it can carry script.
var fileTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".pdf":  "application/pdf",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
	".odp":  "application/vnd.oasis.opendocument.presentation",
}

// AllowedFileTypes lists the allowed extensions, for messages.
const AllowedFileTypes = "png, jpg, gif, webp, pdf, docx, xlsx, pptx, odt, ods, odp"

// IsImage reports whether f is shown inline as an image.
func (f File) IsImage() bool { return strings.HasPrefix(f.ContentType, "image/") }

// Name returns the file's name without its folder.
func (f File) Name() string { return path.Base(f.Path) }

// CheckFile checks a file's name, size and content and returns its content
// type. The bytes must match the extension (magic numbers), so a script
// renamed to .png is refused. The problem keys name what is wrong.
func CheckFile(name string, data []byte) (contentType, problem string, args map[string]any) {
	ext := strings.ToLower(path.Ext(name))
	want, ok := fileTypes[ext]
	switch {
	case !ok:
		return "", ProblemFileType, map[string]any{"allowed": AllowedFileTypes}
	case len(data) == 0:
		return "", ProblemFileEmpty, nil
	case len(data) > MaxFileBytes:
		return "", ProblemFileTooLarge, map[string]any{"max": MaxFileBytes >> 20}
	case !magicMatches(ext, data):
		return "", ProblemFileDisguised, map[string]any{"ext": strings.TrimPrefix(ext, ".")}
	}
	return want, "", nil
}

// magicMatches checks the first bytes of data against the format its
// extension promises.
func magicMatches(ext string, data []byte) bool {
	has := func(prefix string) bool { return strings.HasPrefix(string(data[:min(len(data), 16)]), prefix) }
	switch ext {
	case ".png":
		return has("\x89PNG\r\n\x1a\n")
	case ".jpg", ".jpeg":
		return has("\xff\xd8\xff")
	case ".gif":
		return has("GIF87a") || has("GIF89a")
	case ".webp":
		return len(data) > 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP"
	case ".pdf":
		return has("%PDF-")
	default: // Office Open XML and OpenDocument are zip files
		return has("PK\x03\x04")
	}
}

// FileSlug turns an uploaded file's name into a safe name within FilesDir:
// lower case, letters, digits and hyphens, with its extension. It returns
// "" when nothing usable is left.
func FileSlug(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	ext := strings.ToLower(path.Ext(name))
	s := Slugify(strings.TrimSuffix(name, path.Ext(name)))
	if s == "" || !contains([]string{".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"}, ext) {
		return ""
	}
	return s + ext
}

// Slugify turns a title into a slug: lower case ASCII letters, digits and
// single hyphens, at most 60 characters ("" when nothing is left).
func Slugify(stem string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(foldDiacritics(stem)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			hyphen = false
		case !hyphen && b.Len() > 0:
			b.WriteByte('-')
			hyphen = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 60 {
		s = strings.TrimSuffix(s[:60], "-")
	}
	return s
}

// VideoHosts are the hosts whose videos a lesson may embed. A paragraph that
// holds nothing but a link to one of them becomes an embedded player.
var VideoHosts = []string{"www.youtube.com", "youtube.com", "youtu.be", "www.youtube-nocookie.com", "vimeo.com", "player.vimeo.com"}

// VideoEmbed returns the privacy-friendly player URL for a link to an
// allow-listed video, or "" when link is not one.
func VideoEmbed(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || !contains(VideoHosts, u.Host) {
		return ""
	}
	id := ""
	switch u.Host {
	case "youtu.be":
		id = strings.TrimPrefix(u.Path, "/")
	case "vimeo.com":
		id = strings.TrimPrefix(u.Path, "/")
	case "player.vimeo.com":
		id = strings.TrimPrefix(u.Path, "/video/")
	default:
		if u.Path == "/watch" {
			id = u.Query().Get("v")
		} else {
			id = strings.TrimPrefix(u.Path, "/embed/")
		}
	}
	switch {
	case strings.Contains(u.Host, "vimeo") && allDigits(id) && len(id) <= 12:
		return "https://player.vimeo.com/video/" + id + "?dnt=1"
	case !strings.Contains(u.Host, "vimeo") && youtubeID(id):
		return "https://www.youtube-nocookie.com/embed/" + id
	}
	return ""
}

func youtubeID(id string) bool {
	if len(id) != 11 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// foldDiacritics maps common accented Latin letters to their base letter,
// for file names.
func foldDiacritics(s string) string {
	var b strings.Builder
	for _, r := range s {
		if f, ok := folded[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var folded = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'ł': "l", 'Ł': "l", 'ø': "o", 'Ø': "o", 'ı': "i", 'ĳ': "ij", 'Ĳ': "ij"}
	for base, letters := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćč", "e": "èéêëēėęě", "g": "ğ", "i": "ìíîïī", "n": "ñńň",
		"o": "òóôõöō", "s": "śşš", "u": "ùúûüū", "y": "ýÿ", "z": "źżž", "r": "ř", "d": "ď", "t": "ť",
	} {
		for _, r := range letters {
			m[r] = base
			m[[]rune(strings.ToUpper(string(r)))[0]] = base
		}
	}
	return m
}()
