package main

import (
	"bufio"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// fakeSMTP is an in-process SMTP server that keeps what it receives and
// can refuse the first deliveries with a temporary error.
type fakeSMTP struct {
	ln       net.Listener
	mu       sync.Mutex
	received []string
	refuse   int // DATA commands still to refuse with 451
}

func startFakeSMTP(t *testing.T, refuse int) *fakeSMTP {
	t.Helper()
	return startFakeSMTPAt(t, "127.0.0.1:0", refuse)
}

// startFakeSMTPAt starts the fake server on addr, such as the address of a
// mail server that was down.
func startFakeSMTPAt(t *testing.T, addr string, refuse int) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, refuse: refuse}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeSMTP) config() *smtpConfig {
	host, port, _ := net.SplitHostPort(f.ln.Addr().String())
	return &smtpConfig{host: host, port: port}
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { io.WriteString(conn, s+"\r\n") }
	say("220 fake.test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-fake.test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			f.mu.Lock()
			if f.refuse > 0 {
				f.refuse--
				f.mu.Unlock()
				say("451 try again later")
				continue
			}
			f.received = append(f.received, data.String())
			f.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}

func (f *fakeSMTP) messages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.received...)
}

// TestMailerRetriesAndDelivers sends a mail whose first delivery is refused:
// it is retried after the backoff, delivered once, as UTF-8 text and HTML.
func TestMailerRetriesAndDelivers(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			smtpd := startFakeSMTP(t, 1)
			a.mailer.smtp = smtpd.config()
			ctx := context.Background()
			name := "Ayşe Çelik-van 't Hoff"
			if err := a.outbox.Enqueue(ctx, &courses.Mail{To: "ayse@example.nl", Subject: "Welkom, " + name,
				Text: "Hallo " + name + "\n.\nEen regel met alleen een punt.", HTML: "<p>Hallo " + name + "</p>"}); err != nil {
				t.Fatal(err)
			}
			if sent, err := a.mailer.sendOne(ctx); !sent || err != nil {
				t.Fatalf("first attempt: %v %v", sent, err)
			}
			if n := len(smtpd.messages()); n != 0 {
				t.Fatalf("a refused mail counts as delivered: %d", n)
			}
			if sent, _ := a.mailer.sendOne(ctx); sent {
				t.Fatal("retried before the backoff")
			}
			// A restart: a new sender finds the mail when it is due again.
			restarted := &mailer{outbox: db.NewOutbox(a.db), smtp: smtpd.config(), from: a.cfg.MailFrom, log: a.log, now: time.Now}
			a.db.Now = func() time.Time { return time.Now().Add(courses.MailBackoff(1) + time.Second) }
			defer func() { a.db.Now = time.Now }()
			if sent, err := restarted.sendOne(ctx); !sent || err != nil {
				t.Fatalf("second attempt: %v %v", sent, err)
			}
			if sent, _ := restarted.sendOne(ctx); sent {
				t.Fatal("a delivered mail was sent again")
			}
			msgs := smtpd.messages()
			if len(msgs) != 1 {
				t.Fatalf("delivered %d messages, want 1", len(msgs))
			}
			m, err := mail.ReadMessage(strings.NewReader(msgs[0]))
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			if subject != "Welkom, "+name {
				t.Errorf("subject: %q", subject)
			}
			_, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
			mr := multipart.NewReader(m.Body, params["boundary"])
			var types []string
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				body, _ := io.ReadAll(p)
				types = append(types, p.Header.Get("Content-Type"))
				if !strings.Contains(string(body), name) {
					t.Errorf("%s part lacks the name: %q", p.Header.Get("Content-Type"), body)
				}
				if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") && !strings.Contains(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n.\n") {
					t.Errorf("a line with only a dot was mangled: %q", body)
				}
			}
			if len(types) != 2 || !strings.HasPrefix(types[0], "text/plain") || !strings.HasPrefix(types[1], "text/html") {
				t.Errorf("parts: %v", types)
			}
			list, _ := a.outbox.Mails(ctx, 10)
			if list[0].SentAt == nil || list[0].Attempts != 2 {
				t.Errorf("outbox row: sent %v attempts %d", list[0].SentAt, list[0].Attempts)
			}
		})
	}
}

var linkPattern = regexp.MustCompile(`https?://\S+/(wachtwoord-herstellen|uitnodiging)/[A-Za-z0-9_-]+`)

// lastLink returns the path of the link in the newest mail to address.
func lastLink(t *testing.T, a *application, address string) string {
	t.Helper()
	list, err := a.outbox.Mails(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.To == address {
			u, _ := url.Parse(linkPattern.FindString(m.Text))
			if u == nil || u.Path == "" {
				t.Fatalf("mail to %s has no link:\n%s", address, m.Text)
			}
			return u.Path
		}
	}
	t.Fatalf("no mail to %s", address)
	return ""
}

func TestPasswordResetJourney(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			createTestUser(t, a, "zoe@example.nl", courses.RoleLearner)
			c := newClient(t, a)
			// Someone already signed in elsewhere is signed out by the reset.
			elsewhere := newClient(t, a)
			elsewhere.signIn("zoe@example.nl", testPassword)

			_, page := c.do(http.MethodGet, "/wachtwoord-vergeten", nil)
			token := csrfField.FindStringSubmatch(page)[1]
			for _, address := range []string{"Zoe@Example.nl", "niemand@example.nl"} {
				resp, page := c.do(http.MethodPost, "/wachtwoord-vergeten", url.Values{"_csrf": {token}, "email": {address}})
				if resp.StatusCode != 200 || !strings.Contains(page, "Als er een account bij") {
					t.Fatalf("forgot %s: %d", address, resp.StatusCode)
				}
			}
			if list, _ := a.outbox.Mails(context.Background(), 10); len(list) != 1 {
				t.Fatalf("%d mails, want 1 (none for an unknown address)", len(list))
			}
			link := lastLink(t, a, "zoe@example.nl")
			if resp, _ := c.do(http.MethodGet, link, nil); resp.StatusCode != 200 {
				t.Fatalf("reset page: %d", resp.StatusCode)
			}
			tests := []struct {
				name, password, repeat, want string
			}{
				{"too short", "kort", "kort", "minstens 8 tekens"},
				{"common", "wachtwoord123", "wachtwoord123", "veelgebruikte"},
				{"different", "een-nieuw-lang-wachtwoord", "een-ander-lang-wachtwoord", "niet gelijk"},
			}
			for _, tt := range tests {
				resp, page := c.do(http.MethodPost, link, url.Values{"_csrf": {c.csrf()}, "password": {tt.password}, "password2": {tt.repeat}})
				if resp.StatusCode != 400 || !strings.Contains(page, tt.want) {
					t.Errorf("%s: %d, want 400 with %q", tt.name, resp.StatusCode, tt.want)
				}
			}
			newPassword := "blauwe-reiger-in-de-sloot"
			resp, _ := c.do(http.MethodPost, link, url.Values{"_csrf": {c.csrf()}, "password": {newPassword}, "password2": {newPassword}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
				t.Fatalf("reset: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, _ := c.do(http.MethodGet, "/account", nil); resp.StatusCode != 200 {
				t.Errorf("signed in after the reset: %d", resp.StatusCode)
			}
			if resp, _ := elsewhere.do(http.MethodGet, "/account", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("the other session survived the reset: %d", resp.StatusCode)
			}
			if resp, _ := c.do(http.MethodPost, link, url.Values{"_csrf": {c.csrf()}, "password": {newPassword}, "password2": {newPassword}}); resp.StatusCode != 404 {
				t.Errorf("link used twice: %d, want 404", resp.StatusCode)
			}
			if resp, _ := newClient(t, a).signIn("zoe@example.nl", testPassword); resp.StatusCode != 401 {
				t.Errorf("old password: %d, want 401", resp.StatusCode)
			}
			if resp, _ := newClient(t, a).signIn("zoe@example.nl", newPassword); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("new password: %d, want 303", resp.StatusCode)
			}
		})
	}
}

func TestInvitationJourney(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			admin := createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
			c := newClient(t, a)
			c.signIn("beheer@example.nl", testPassword)
			_, page := c.do(http.MethodGet, "/beheer/gebruikers", nil)
			token := csrfField.FindStringSubmatch(page)[1]

			resp, page := c.do(http.MethodPost, "/beheer/gebruikers", url.Values{"_csrf": {token}, "email": {"geen-adres"}, "name": {"Ayşe"},
				"role": {"learner"}, "office": {"raadslid"}, "municipality": {"GM9999"}})
			if resp.StatusCode != 400 || !strings.Contains(page, "is geen geldig e-mailadres") || !strings.Contains(page, `value="Ayşe"`) {
				t.Errorf("bad invitation: %d", resp.StatusCode)
			}
			resp, page = c.do(http.MethodPost, "/beheer/gebruikers", url.Values{"_csrf": {token}, "email": {"ayse@example.nl"}, "name": {"Ayşe"},
				"role": {"learner"}, "office": {"raadslid"}, "municipality": {"GM9999"}})
			if resp.StatusCode != 400 || !strings.Contains(page, "GM9999") {
				t.Errorf("unknown municipality: %d", resp.StatusCode)
			}
			if n, _ := a.users.CountUsers(context.Background()); n != 1 {
				t.Fatalf("refused invitations left %d users, want 1", n)
			}
			resp, _ = c.do(http.MethodPost, "/beheer/gebruikers", url.Values{"_csrf": {token}, "email": {"Ayse@Example.nl"},
				"name": {"Ayşe Çelik-van 't Hoff"}, "role": {"learner"}, "office": {"raadslid"}, "municipality": {"gm0363"}, "association": {"nvvr"}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("invite: %d", resp.StatusCode)
			}
			// Before accepting, the invited account cannot sign in.
			if resp, _ := newClient(t, a).signIn("ayse@example.nl", ""); resp.StatusCode != 401 {
				t.Errorf("sign-in before accepting: %d", resp.StatusCode)
			}
			link := lastLink(t, a, "ayse@example.nl")
			guest := newClient(t, a)
			if resp, page := guest.do(http.MethodGet, link, nil); resp.StatusCode != 200 || !strings.Contains(page, "Welkom, Ayşe Çelik-van &#39;t Hoff") {
				t.Fatalf("invitation page: %d", resp.StatusCode)
			}
			pw := "zomeravond-in-de-raadzaal"
			if resp, _ := guest.do(http.MethodPost, link, url.Values{"_csrf": {guest.csrf()}, "password": {pw}, "password2": {pw}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("accept: %d", resp.StatusCode)
			}
			_, page = guest.do(http.MethodGet, "/account", nil)
			for _, want := range []string{"Ayşe Çelik-van &#39;t Hoff", "Raadslid, Amsterdam", "Raadslid.Nu (NVvR)"} {
				if !strings.Contains(page, want) {
					t.Errorf("account page lacks %q", want)
				}
			}

			// The admin deactivates the new account: its session ends at once.
			_, page = c.do(http.MethodGet, "/beheer/gebruikers?zoek=ayse", nil)
			m := regexp.MustCompile(`/beheer/gebruikers/(\d+)/deactiveren`).FindStringSubmatch(page)
			if m == nil {
				t.Fatal("no deactivate button for the new user")
			}
			if resp, _ := c.do(http.MethodPost, m[0], url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("deactivate: %d", resp.StatusCode)
			}
			if resp, _ := guest.do(http.MethodGet, "/account", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("deactivated user still signed in: %d", resp.StatusCode)
			}
			if resp, _ := c.do(http.MethodPost, "/beheer/gebruikers/"+itoa(int(admin.ID))+"/deactiveren", url.Values{"_csrf": {token}}); resp.StatusCode != 400 {
				t.Errorf("admin deactivating themselves: %d, want 400", resp.StatusCode)
			}
			events, _ := a.audit.AuditEvents(context.Background(), "user.", 0, 10)
			if len(events) != 2 || events[0].Action != "user.deactivated" || events[1].Action != "user.invited" || events[1].ActorID != admin.ID {
				t.Errorf("audit: %+v", events)
			}
		})
	}
}
