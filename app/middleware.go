package main

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Keys of request-scoped values in fiber's Locals. Read them with the typed
// helpers below, never with bare assertions.
type localKey int

const (
	localRequestID localKey = iota
	localLocale
)

// requestIDFrom returns the request's id.
func requestIDFrom(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// localeFrom returns the request's negotiated locale.
func (a *application) localeFrom(c *fiber.Ctx) *Locale {
	if l, ok := c.Locals(localLocale).(*Locale); ok {
		return l
	}
	return a.catalog.Locale(languages[0])
}

// validRequestID reports whether an incoming id is 8 to 64 letters, digits
// or hyphens, so that it is safe to log and echo.
func validRequestID(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if b := id[i]; !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

// requestIDs makes ids unique across instances and restarts: a random
// prefix per process and a counter, cheaper than random bytes per request.
var (
	requestIDPrefix  = randomHex(6)
	requestIDCounter atomic.Uint64
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestID gives each request an id, taken from Fly's or a client's header
// when it is well-formed, and returns it in X-Request-Id.
func requestID(c *fiber.Ctx) error {
	id := c.Get("Fly-Request-Id")
	if !validRequestID(id) {
		id = c.Get(fiber.HeaderXRequestID)
	}
	if validRequestID(id) {
		id = strings.Clone(id) // Fiber reuses the header buffer
	} else {
		id = requestIDPrefix + "-" + strconv.FormatUint(requestIDCounter.Add(1), 36)
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	return c.Next()
}

// logRequests writes one structured line per request: method, route pattern
// (not the full URL, so no query strings or personal data), status and
// duration. Client addresses and user agents are not logged.
func (a *application) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := a.fiber.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	a.log.LogAttrs(c.UserContext(), level, "request",
		slog.String("request_id", requestIDFrom(c)),
		slog.String("method", c.Method()),
		slog.String("route", c.Route().Path),
		slog.Int("status", status),
		slog.Int("bytes", responseBytes(c)),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
	)
	return nil
}

// securityHeaders sets the headers every response carries.
func (a *application) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "+
		"frame-src https://www.youtube-nocookie.com https://player.vimeo.com")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if a.cfg.BaseURL.Scheme == "https" {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return c.Next()
}

// langCookie holds an explicit language choice.
const langCookie = "raadzaam_lang"

// negotiateLanguage picks the interface language for the request.
func (a *application) negotiateLanguage(c *fiber.Ctx) error {
	l := a.catalog.Negotiate(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	c.Locals(localLocale, l)
	c.Set(fiber.HeaderContentLanguage, l.Lang)
	c.Vary(fiber.HeaderAcceptLanguage, fiber.HeaderCookie)
	return c.Next()
}

// localPath returns p when it is a path on this site ("/cursussen?x=y"),
// otherwise "/": the language switch must not become an open redirect.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n\t") {
		return "/"
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// responseBytes is the size of the response for the log. A streamed body
// (a ZIP of certificates, a workbook) is not read for it: Body() would
// read the whole stream into memory before sending it (BENCHMARKS.md,
// certificates); its size is unknown then (-1) unless the handler set it.
func responseBytes(c *fiber.Ctx) int {
	if c.Response().IsBodyStream() {
		return c.Response().Header.ContentLength()
	}
	return len(c.Response().Body())
}
