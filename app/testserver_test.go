package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

// testEnv returns the environment of a server on a fresh database of kind.
func testEnv(t testing.TB, kind db.Kind, extra map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{
		"DATABASE_URL":  dbtest.NewDSN(t, kind),
		"RAADZAAM_DATA": t.TempDir(),
		"RAADZAAM_DEMO": "off",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func getenvFrom(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// newTestApp returns the composed application on a fresh, migrated and
// seeded database of kind, for in-process requests with app.fiber.Test.
func newTestApp(t testing.TB, kind db.Kind) *application {
	t.Helper()
	cfg, err := loadConfig(getenvFrom(testEnv(t, kind, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := openAndMigrate(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := seed(ctx, d, cfg, log, io.Discard); err != nil {
		t.Fatal(err)
	}
	keys, err := loadKeyRing("", cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApplication(cfg, log, d, keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.jobs.Close)
	return a
}

// startServer runs the real server (serve, as `raadzaam serve` does) on a
// loopback port over a fresh database of kind and returns its base URL. The
// server is shut down gracefully when the test ends.
func startServer(t testing.TB, kind db.Kind) string {
	t.Helper()
	return startServerEnv(t, testEnv(t, kind, nil))
}

// startServerEnv runs the real server with the given environment (plus
// its own base URL) and returns its base URL.
func startServerEnv(t testing.TB, env map[string]string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	full := map[string]string{"RAADZAAM_BASE_URL": base}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := loadConfig(getenvFrom(full))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard, ln)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop within 10 s")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped before it was ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
