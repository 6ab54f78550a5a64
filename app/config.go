package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/raadzaam/raadzaam/courses"
)

// Config is everything Raadzaam reads from its environment (CONTRACT.md).
// It is read once at start and validated as a whole.
type Config struct {
	Port        int
	DatabaseURL string // the DSN given to db.Open
	Embedded    bool   // no DATABASE_URL: SQLite in DataDir
	DataDir     string
	BaseURL     *url.URL
	Demo        bool
	// TrustedProxies are the addresses (CIDR) whose Fly-Client-IP header is
	// believed; empty means the connection's own address is the client's.
	TrustedProxies  []string
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// SessionKeys is RAADZAAM_SESSION_KEYS: the keys that sign access tokens,
	// shared by every instance; empty means a generated file in DataDir.
	SessionKeys string
	// SMTP is RAADZAAM_SMTP_URL; nil means mail stays in the outbox (demo
	// mode shows it to admins in the browser).
	SMTP *smtpConfig
	// MailFrom is RAADZAAM_MAIL_FROM, the sender of every e-mail.
	MailFrom *mail.Address
	// CredentialKeys is RAADZAAM_CREDENTIAL_KEYS: the RSA keys that sign
	// certificate credentials (openbadges.LoadKeyRing); empty means a
	// generated file in DataDir.
	CredentialKeys string
	// Issuer is who issues certificates from now on:
	// RAADZAAM_CERTIFICATE_ISSUER, _SIGNATORY and _SIGNATORY_ROLE.
	Issuer courses.Issuer
	// CertificateAssets is the folder with logo.png and handtekening.png for
	// certificates (RAADZAAM_CERTIFICATE_ASSETS, default
	// $RAADZAAM_DATA/certificaat); missing files fall back to Raadzaam's own.
	CertificateAssets string
	// MetricsAddr is RAADZAAM_METRICS_ADDR, host:port of the listener that
	// serves /metrics and nothing else (metrics.go); empty means none.
	MetricsAddr string
}

// loadConfig reads the configuration through getenv and reports every
// problem at once, each naming its variable.
func loadConfig(getenv func(string) string) (*Config, error) {
	cfg := &Config{Port: 8080, DataDir: "./data", LogLevel: slog.LevelInfo, ShutdownTimeout: 8 * time.Second}
	var problems []courses.Problem
	bad := func(field, key string, args map[string]any) {
		problems = append(problems, courses.Problem{Field: field, Key: key, Args: args})
	}

	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			bad("PORT", courses.ProblemOutOfRange, map[string]any{"min": 1, "max": 65535})
		}
		cfg.Port = p
	}
	if v := getenv("RAADZAAM_DATA"); v != "" {
		cfg.DataDir = v
	}
	cfg.DatabaseURL = strings.TrimSpace(getenv("DATABASE_URL"))
	if cfg.DatabaseURL == "" {
		cfg.Embedded = true
		cfg.DatabaseURL = "sqlite:" + filepath.Join(cfg.DataDir, "raadzaam.db")
	} else if !validDatabaseURL(cfg.DatabaseURL) {
		bad("DATABASE_URL", courses.ProblemUnknownValue, map[string]any{"value": "…", "allowed": "postgres://…, sqlite:PATH"})
	}

	base := getenv("RAADZAAM_BASE_URL")
	if base == "" {
		base = fmt.Sprintf("http://localhost:%d", cfg.Port)
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("RAADZAAM_BASE_URL", courses.ProblemUnknownValue, map[string]any{"value": base, "allowed": "https://host[/path]"})
	} else {
		cfg.BaseURL = u
	}

	switch v := strings.ToLower(getenv("RAADZAAM_DEMO")); v {
	case "":
		cfg.Demo = cfg.Embedded
	case "on", "true", "1":
		cfg.Demo = true
	case "off", "false", "0":
		cfg.Demo = false
	default:
		bad("RAADZAAM_DEMO", courses.ProblemUnknownValue, map[string]any{"value": v, "allowed": "on, off"})
	}

	if v := getenv("RAADZAAM_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			cfg.TrustedProxies = append(cfg.TrustedProxies, strings.TrimSpace(p))
		}
	}
	if v := getenv("RAADZAAM_LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			bad("RAADZAAM_LOG_LEVEL", courses.ProblemUnknownValue, map[string]any{"value": v, "allowed": "debug, info, warn, error"})
		}
	}
	cfg.SessionKeys = getenv("RAADZAAM_SESSION_KEYS")
	cfg.CredentialKeys = getenv("RAADZAAM_CREDENTIAL_KEYS")
	// The defaults match the signature image shipped for demonstrations.
	cfg.Issuer = courses.Issuer{Name: "Raadzaam", Signatory: "J. de Vries", SignatoryRole: "Directeur Raadzaam"}
	for _, v := range []struct {
		env string
		dst *string
		max int
	}{{"RAADZAAM_CERTIFICATE_ISSUER", &cfg.Issuer.Name, 120}, {"RAADZAAM_CERTIFICATE_SIGNATORY", &cfg.Issuer.Signatory, 120},
		{"RAADZAAM_CERTIFICATE_SIGNATORY_ROLE", &cfg.Issuer.SignatoryRole, 120}} {
		if s := strings.TrimSpace(getenv(v.env)); s != "" {
			if n := len([]rune(s)); n > v.max || !utf8.ValidString(s) {
				bad(v.env, courses.ProblemTooLong, map[string]any{"max": v.max, "length": n})
			}
			*v.dst = s
		}
	}
	cfg.CertificateAssets = getenv("RAADZAAM_CERTIFICATE_ASSETS")
	if cfg.CertificateAssets == "" {
		cfg.CertificateAssets = filepath.Join(cfg.DataDir, "certificaat")
	}
	if v := getenv("RAADZAAM_SMTP_URL"); v != "" {
		c, err := parseSMTPURL(v)
		if err != nil {
			bad("RAADZAAM_SMTP_URL", courses.ProblemUnknownValue, map[string]any{"value": "…", "allowed": "smtp://user:password@host:587, smtps://…"})
		}
		cfg.SMTP = c
	}
	from := getenv("RAADZAAM_MAIL_FROM")
	if from == "" && cfg.BaseURL != nil {
		from = "Raadzaam <noreply@" + cfg.BaseURL.Hostname() + ">"
	}
	if a, err := mail.ParseAddress(from); err != nil || !strings.Contains(a.Address, "@") {
		bad("RAADZAAM_MAIL_FROM", courses.ProblemBadEmail, map[string]any{"value": from})
	} else {
		cfg.MailFrom = a
	}
	if v := getenv("RAADZAAM_SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 5*time.Minute {
			bad("RAADZAAM_SHUTDOWN_TIMEOUT", courses.ProblemUnknownValue, map[string]any{"value": v, "allowed": "0s–5m"})
		}
		cfg.ShutdownTimeout = d
	}
	if v := strings.TrimSpace(getenv("RAADZAAM_METRICS_ADDR")); v != "" {
		// A port of its own, never the public one: Fly exposes only
		// PORT, so the metrics stay on the private network.
		host, port, err := net.SplitHostPort(v)
		p, perr := strconv.Atoi(port)
		if err != nil || perr != nil || p < 1 || p > 65535 || p == cfg.Port || !validListenHost(host) {
			bad("RAADZAAM_METRICS_ADDR", courses.ProblemUnknownValue, map[string]any{"value": v, "allowed": ":9091, 127.0.0.1:9091 (not PORT)"})
		}
		cfg.MetricsAddr = v
	}
	if len(problems) > 0 {
		return nil, courses.Invalid("configuration", problems...)
	}
	return cfg, nil
}

func validDatabaseURL(s string) bool {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		return err == nil && u.Host != ""
	case strings.HasPrefix(s, "sqlite:"):
		return len(s) > len("sqlite:")
	default:
		return !strings.Contains(s, "://") // a plain file path
	}
}

// validListenHost accepts an empty host (every address), an IP address or
// a host name such as Fly's fly-local-6pn (the private network only).
func validListenHost(h string) bool {
	if h == "" || net.ParseIP(h) != nil {
		return true
	}
	for _, r := range h {
		if !(r == '-' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}
