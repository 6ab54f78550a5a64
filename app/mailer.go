package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/raadzaam/raadzaam/courses"
)

// smtpConfig is RAADZAAM_SMTP_URL: smtp://user:pass@host:587 (STARTTLS,
// required except on a loopback host) or smtps://user:pass@host:465.
type smtpConfig struct {
	host, port     string
	implicitTLS    bool
	user, password string
}

func parseSMTPURL(raw string) (*smtpConfig, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("want smtp://user:password@host:port or smtps://user:password@host:port")
	}
	c := &smtpConfig{host: u.Hostname(), port: u.Port(), implicitTLS: u.Scheme == "smtps"}
	if c.port == "" {
		c.port = map[bool]string{true: "465", false: "587"}[c.implicitTLS]
	}
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
	}
	return c, nil
}

func (c *smtpConfig) loopback() bool {
	ip := net.ParseIP(c.host)
	return c.host == "localhost" || (ip != nil && ip.IsLoopback())
}

// mailer sends the outbox. Every instance runs one; the outbox leases each
// mail to one of them.
type mailer struct {
	outbox   courses.Outbox
	smtp     *smtpConfig // nil: nothing is sent (demo mode reads the outbox)
	from     *mail.Address
	log      *slog.Logger
	interval time.Duration
	wake     chan struct{}
	now      func() time.Time
}

// notify wakes the sender after a mail was enqueued in this process.
func (m *mailer) notify() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// run sends due mail until ctx ends.
func (m *mailer) run(ctx context.Context) {
	if m.smtp == nil {
		return
	}
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		for {
			sent, err := m.sendOne(ctx)
			if err != nil && ctx.Err() == nil {
				m.log.Warn("outbox", "error", err.Error())
			}
			if !sent || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// sendOne delivers one due mail; it reports whether it found one.
func (m *mailer) sendOne(ctx context.Context) (bool, error) {
	msg, err := m.outbox.Claim(ctx, 2*time.Minute)
	if courses.ErrorCode(err) == courses.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := m.deliver(msg); err != nil {
		m.log.Warn("mail not delivered; will retry", "mail_id", msg.ID, "attempt", msg.Attempts+1, "error", err.Error())
		return true, m.outbox.MarkFailed(context.WithoutCancel(ctx), msg.ID, err.Error())
	}
	m.log.Info("mail delivered", "mail_id", msg.ID)
	return true, m.outbox.MarkSent(context.WithoutCancel(ctx), msg.ID)
}

// deliver sends one mail over SMTP, with TLS unless the server is on this
// machine.
func (m *mailer) deliver(msg *courses.Mail) error {
	addr := net.JoinHostPort(m.smtp.host, m.smtp.port)
	tlsConfig := &tls.Config{ServerName: m.smtp.host, MinVersion: tls.VersionTLS12}
	var conn net.Conn
	var err error
	dialer := &net.Dialer{Timeout: 15 * time.Second}
	if m.smtp.implicitTLS {
		conn, err = tls.DialWithDialer(dialer, "tcp", addr, tlsConfig)
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	c, err := smtp.NewClient(conn, m.smtp.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if !m.smtp.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConfig); err != nil {
				return err
			}
		} else if !m.smtp.loopback() {
			return errors.New("the SMTP server offers no STARTTLS; refusing to send in the clear")
		}
	}
	if m.smtp.user != "" {
		if err := c.Auth(smtp.PlainAuth("", m.smtp.user, m.smtp.password, m.smtp.host)); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(msg.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	body, err := buildMessage(m.from, msg, m.now())
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// buildMessage writes a MIME message with a plain-text and an HTML part,
// UTF-8 throughout, with the subject encoded for non-ASCII names. (The SMTP
// DATA writer does the dot-stuffing.)
func buildMessage(from *mail.Address, msg *courses.Mail, now time.Time) ([]byte, error) {
	var parts bytes.Buffer
	mw := multipart.NewWriter(&parts)
	for _, part := range []struct{ ctype, body string }{{"text/plain", msg.Text}, {"text/html", msg.HTML}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	_, domain, _ := strings.Cut(from.Address, "@")
	var out bytes.Buffer
	for _, h := range []string{
		"From: " + from.String(),
		"To: " + (&mail.Address{Address: msg.To}).String(),
		"Subject: " + mime.QEncoding.Encode("utf-8", msg.Subject),
		"Date: " + now.Format(time.RFC1123Z),
		fmt.Sprintf("Message-ID: <%s.%d@%s>", hex.EncodeToString(id), msg.ID, domain),
		"MIME-Version: 1.0",
		"Auto-Submitted: auto-generated",
		`Content-Type: multipart/alternative; boundary="` + mw.Boundary() + `"`,
	} {
		out.WriteString(h + "\r\n")
	}
	out.WriteString("\r\n")
	out.Write(parts.Bytes())
	return out.Bytes(), nil
}
