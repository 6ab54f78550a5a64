package main

import (
	"context"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// TestMailServerDown runs the mail sender while nothing listens at the
// mail server's address. Three learners ask for a password reset and an
// admin invites two people: the five mails wait in the outbox, where the
// admin sees them at /beheer/post with their failed attempts, and are
// retried after the backoff. When the mail server listens again, each is
// delivered exactly once, with its own subject, and is shown as sent.
func TestMailServerDown(t *testing.T) {
	for _, kind := range dbtest.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			a := newTestApp(t, kind)
			addr := fmt.Sprintf("127.0.0.1:%d", freePort(t)) // nothing listens here yet
			host, port, _ := net.SplitHostPort(addr)
			a.mailer.smtp = &smtpConfig{host: host, port: port}
			a.mailer.interval = 20 * time.Millisecond
			// The outbox's clock, moved past the retry delays instead of
			// waiting for them.
			var ahead atomic.Int64
			a.db.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { a.mailer.run(ctx); close(stopped) }()
			t.Cleanup(func() { cancel(); <-stopped })

			learners := []string{"anouk@example.nl", "bram@example.nl", "chaima@example.nl"}
			for _, email := range learners {
				createTestUser(t, a, email, courses.RoleLearner)
			}
			createTestUser(t, a, "beheer@example.nl", courses.RoleAdmin)
			guest := newClient(t, a)
			_, page := guest.do(http.MethodGet, "/wachtwoord-vergeten", nil)
			token := csrfField.FindStringSubmatch(page)[1]
			for _, email := range learners {
				if resp, _ := guest.do(http.MethodPost, "/wachtwoord-vergeten", url.Values{"_csrf": {token}, "email": {email}}); resp.StatusCode != http.StatusOK {
					t.Fatalf("password reset for %s: %d", email, resp.StatusCode)
				}
			}
			admin := newClient(t, a)
			admin.signIn("beheer@example.nl", testPassword)
			_, page = admin.do(http.MethodGet, "/beheer/gebruikers", nil)
			token = csrfField.FindStringSubmatch(page)[1]
			invited := []string{"daan@example.nl", "eva@example.nl"}
			for _, email := range invited {
				resp, _ := admin.do(http.MethodPost, "/beheer/gebruikers", url.Values{"_csrf": {token}, "email": {email}, "name": {"Nieuw Raadslid"},
					"role": {"learner"}, "office": {"raadslid"}, "municipality": {"GM0363"}})
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("invite %s: %d", email, resp.StatusCode)
				}
			}
			want := append(append([]string{}, learners...), invited...)
			sort.Strings(want)

			// waitOutbox waits until every mail in the outbox satisfies ok.
			waitOutbox := func(what string, ok func(m courses.Mail) bool) []courses.Mail {
				t.Helper()
				deadline := time.Now().Add(15 * time.Second)
				for {
					list, err := a.outbox.Mails(ctx, 100)
					if err != nil {
						t.Fatal(err)
					}
					all := len(list) == len(want)
					for _, m := range list {
						all = all && ok(m)
					}
					if all {
						return list
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s: not so within 15 s: %s", what, outboxSummary(list))
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			failed := func(n int) func(courses.Mail) bool {
				return func(m courses.Mail) bool {
					return m.Attempts == n && m.SentAt == nil && m.FailedAt == nil && strings.Contains(m.LastError, "refused")
				}
			}
			list := waitOutbox("one failed attempt each", failed(1))
			var got []string
			for _, m := range list {
				got = append(got, m.To)
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("outbox holds mails to %v, want %v", got, want)
			}
			checkOutboxPage(t, admin, want, "1 poging mislukt, wordt opnieuw geprobeerd")

			// A minute later the sender tries again; the server is still down.
			ahead.Add(int64(courses.MailBackoff(1) + time.Second))
			waitOutbox("two failed attempts each", failed(2))
			checkOutboxPage(t, admin, want, "2 pogingen mislukt, wordt opnieuw geprobeerd")

			// The mail server is back, on the same address.
			smtpd := startFakeSMTPAt(t, addr, 0)
			ahead.Add(int64(courses.MailBackoff(2) + time.Second))
			list = waitOutbox("delivered", func(m courses.Mail) bool { return m.SentAt != nil })
			for _, m := range list {
				if m.Attempts != 3 || m.LastError != "" {
					t.Errorf("mail to %s: %d attempts, last error %q; want 3 and none", m.To, m.Attempts, m.LastError)
				}
			}
			checkOutboxPage(t, admin, want, "verstuurd op")

			// Long after, past every lease and backoff, nothing is due and
			// nothing was delivered twice.
			ahead.Add(int64(time.Hour))
			if sent, err := a.mailer.sendOne(ctx); sent || err != nil {
				t.Errorf("a mail was due again after delivery: %v %v", sent, err)
			}
			subjects := map[string]string{}
			for _, m := range list {
				subjects[m.To] = m.Subject
			}
			delivered := map[string]int{}
			for _, raw := range smtpd.messages() {
				msg, err := mail.ReadMessage(strings.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				to, err := mail.ParseAddress(msg.Header.Get("To"))
				if err != nil {
					t.Fatal(err)
				}
				delivered[to.Address]++
				if subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); subject != subjects[to.Address] {
					t.Errorf("mail to %s has subject %q, want %q", to.Address, subject, subjects[to.Address])
				}
			}
			for _, email := range want {
				if delivered[email] != 1 {
					t.Errorf("%s got %d mails, want exactly 1", email, delivered[email])
				}
			}
			if n := len(smtpd.messages()); n != len(want) {
				t.Errorf("%d mails delivered, want %d", n, len(want))
			}
		})
	}
}

// checkOutboxPage checks that /beheer/post lists a mail to each address,
// each in the given state.
func checkOutboxPage(t *testing.T, admin *client, to []string, state string) {
	t.Helper()
	resp, page := admin.do(http.MethodGet, "/beheer/post", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/beheer/post: %d", resp.StatusCode)
	}
	for _, email := range to {
		if !strings.Contains(page, email) {
			t.Errorf("/beheer/post does not list the mail to %s", email)
		}
	}
	if n := strings.Count(page, state); n != len(to) {
		t.Errorf("/beheer/post shows %q %d times, want %d", state, n, len(to))
	}
}

// outboxSummary describes the outbox's mails for a failure message (test
// addresses only).
func outboxSummary(list []courses.Mail) string {
	var b strings.Builder
	for _, m := range list {
		fmt.Fprintf(&b, "\n  %s: attempts %d, sent %v, failed %v, error %q", m.To, m.Attempts, m.SentAt != nil, m.FailedAt != nil, m.LastError)
	}
	return b.String()
}
