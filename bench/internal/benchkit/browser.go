package benchkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Browser is one person's browser session: its own keep-alive connection
// and cookies, a language and (optionally) a client address, sent on every
// request as Fly-Client-IP the way Fly's proxy adds it (see ClientAddr).
// Redirects are not followed: each request is one step of its own.
type Browser struct {
	Base     string // http://127.0.0.1:PORT
	Lang     string // Accept-Language
	ClientIP string // Fly-Client-IP; empty sends none
	// OmitRefresh leaves the refresh cookie out of CookieHeader and the
	// requests: a load that replays one Cookie header on many connections
	// would rotate one refresh token at once and trip its reuse detection.
	OmitRefresh bool
	// Observe, when set, is told of every request: the step name given to
	// Do, the answer's status (0 on a transport error), its body size and
	// how long it took (until the whole body was read).
	Observe func(step string, status, bytes int, d time.Duration, err error)

	Client       *http.Client
	Cookies      map[string]string
	AccessExpiry time.Time // of the rz_access cookie, once signed in
}

// NewBrowser returns a browser with one keep-alive connection to base. With
// gzip it asks for compressed answers (Accept-Encoding: gzip) and
// decompresses them, as a browser does; without, it asks for none, as wrk
// does.
func NewBrowser(base, lang string, gzip bool) *Browser {
	tr := &http.Transport{DisableCompression: !gzip, Proxy: nil, MaxIdleConnsPerHost: 1, IdleConnTimeout: 90 * time.Second}
	return &Browser{Base: base, Lang: lang, Cookies: map[string]string{},
		Client: &http.Client{Transport: tr, Timeout: 2 * time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Close closes the browser's idle connection.
func (b *Browser) Close() { b.Client.CloseIdleConnections() }

// CookieHeader is the Cookie header of the next request.
func (b *Browser) CookieHeader() string {
	names := make([]string, 0, len(b.Cookies))
	for k := range b.Cookies {
		if !(b.OmitRefresh && k == "rz_refresh") {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + b.Cookies[k]
	}
	return strings.Join(parts, "; ")
}

// Do sends one request (a form POST when form is not nil), keeps the
// cookies the answer sets and returns the answer with its whole body.
func (b *Browser) Do(ctx context.Context, step, method, path string, form url.Values) (*http.Response, []byte, time.Duration, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, b.Base+path, body)
	if err != nil {
		return nil, nil, 0, err
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", b.Lang)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if h := b.CookieHeader(); h != "" {
		req.Header.Set("Cookie", h)
	}
	if b.ClientIP != "" {
		req.Header.Set("Fly-Client-IP", b.ClientIP)
	}
	t0 := time.Now()
	resp, err := b.Client.Do(req)
	if err != nil {
		d := time.Since(t0)
		b.observe(step, 0, 0, d, err)
		return nil, nil, d, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	d := time.Since(t0)
	b.observe(step, resp.StatusCode, len(data), d, err)
	if err != nil {
		return nil, nil, d, err
	}
	for _, c := range resp.Cookies() {
		if c.Value == "" || c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.Cookies, c.Name)
			continue
		}
		b.Cookies[c.Name] = c.Value
		if c.Name == "rz_access" {
			b.AccessExpiry = c.Expires
		}
	}
	return resp, data, d, nil
}

func (b *Browser) observe(step string, status, n int, d time.Duration, err error) {
	if b.Observe != nil {
		b.Observe(step, status, n, d, err)
	}
}

var (
	csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	backField = regexp.MustCompile(`name="terug" value="([^"]*)"`)
)

// CSRFField returns the value of the first _csrf field in a page, or "".
func CSRFField(page []byte) string {
	if m := csrfField.FindSubmatch(page); m != nil {
		return string(m[1])
	}
	return ""
}

// SignIn signs in through the real form, as a person does: GET /inloggen
// (step "signin-form") for the rz_csrf cookie and the form's hidden fields
// (_csrf and terug), then POST /inloggen (step "signin") with them, the
// address and the password, which must answer 303 with an access
// cookie and not ask for a second factor. It returns where the answer
// sends the browser.
func (b *Browser) SignIn(ctx context.Context, email, password string) (string, error) {
	resp, page, _, err := b.Do(ctx, "signin-form", http.MethodGet, "/inloggen", nil)
	if err != nil {
		return "", fmt.Errorf("GET /inloggen: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &StatusError{Method: http.MethodGet, Path: "/inloggen", Status: resp.StatusCode, Body: page}
	}
	token := CSRFField(page)
	if token == "" {
		return "", errors.New("GET /inloggen: no _csrf field in the form")
	}
	if token != b.Cookies["rz_csrf"] {
		return "", errors.New("GET /inloggen: the _csrf field is not the rz_csrf cookie")
	}
	form := url.Values{"_csrf": {token}, "email": {email}, "password": {password}}
	if m := backField.FindSubmatch(page); m != nil { // where the form sends the browser next
		form.Set("terug", html.UnescapeString(string(m[1])))
	}
	resp, page, _, err = b.Do(ctx, "signin", http.MethodPost, "/inloggen", form)
	if err != nil {
		return "", fmt.Errorf("POST /inloggen: %w", err)
	}
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || b.Cookies["rz_access"] == "" {
		return "", &StatusError{Method: http.MethodPost, Path: "/inloggen", Status: resp.StatusCode, Location: loc, Body: page}
	}
	if strings.HasPrefix(loc, "/inloggen/code") || strings.HasPrefix(loc, "/account/tweestaps") {
		return "", fmt.Errorf("POST /inloggen: %s asks for a second factor (%s); pick an account without one", email, loc)
	}
	if b.AccessExpiry.IsZero() {
		b.AccessExpiry = time.Now().Add(15 * time.Minute)
	}
	return loc, nil
}

// StatusError is an answer with a status the benchmark did not expect.
type StatusError struct {
	Method, Path string
	Status       int
	Location     string
	Body         []byte
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Location != "" {
		s += ", location " + e.Location
	}
	if len(e.Body) > 0 {
		s += fmt.Sprintf(": %.300s", bytes.TrimSpace(e.Body))
	}
	return s
}

// API is a small JSON client of raadzaam's API, for set-up and checks.
type API struct {
	Base   string
	Client *http.Client
}

// NewAPI returns an API client with at most conns connections to base.
func NewAPI(base string, conns int) *API {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: 30 * time.Second}
	return &API{Base: base, Client: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// Call sends a JSON request (body marshalled when not nil) with the bearer
// token (when not empty) and header, and decodes a JSON answer with status
// want into out (when not nil).
func (a *API) Call(ctx context.Context, method, path, token string, header map[string]string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %s, want %d: %.300s", method, path, resp.Status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// Token is an access token from POST /api/v1/auth/token.
type Token struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"` // seconds
}

// SignIn signs in with POST /api/v1/auth/token from client address addr
// (Fly-Client-IP; empty sends none), with a TOTP code when the account has
// a second factor, and returns the token and how long the call took.
func (a *API) SignIn(ctx context.Context, email, password, totp, addr string) (Token, time.Duration, error) {
	body := map[string]string{"email": email, "password": password}
	if totp != "" {
		body["totp"] = totp
	}
	var header map[string]string
	if addr != "" {
		header = map[string]string{"Fly-Client-IP": addr}
	}
	var tok Token
	t0 := time.Now()
	err := a.Call(ctx, http.MethodPost, "/api/v1/auth/token", "", header, body, http.StatusOK, &tok)
	return tok, time.Since(t0), err
}
