package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the raadzaam binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "raadzaam")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestGracefulShutdown runs the real binary on the embedded database, holds
// a request in flight (its body half sent), sends SIGTERM or SIGINT, and
// checks that new connections are refused, the request in flight is still
// answered, the process exits 0 within the shutdown timeout, and SQLite's
// write-ahead log was checkpointed into the database file.
func TestGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			data := t.TempDir()
			port := freePort(t)
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			cmd := exec.Command(bin, "serve")
			cmd.Env = append(os.Environ(), "RAADZAAM_DATA="+data, fmt.Sprintf("PORT=%d", port), "RAADZAAM_SHUTDOWN_TIMEOUT=5s")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			waitHealthy(t, "http://"+addr, exited)

			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			body := `{"title":"onderweg"}`
			fmt.Fprintf(conn, "POST /api/v1/courses HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:5])
			time.Sleep(100 * time.Millisecond)

			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			if c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond); err == nil {
				c.Close()
				t.Error("a new connection was accepted after the signal")
			}
			fmt.Fprint(conn, body[5:])
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("the request in flight got no answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("request in flight: status %d, want 405", resp.StatusCode)
			}
			conn.Close()

			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("exit: %v\n%s", err, stderr.String())
				}
			case <-time.After(8 * time.Second):
				t.Fatalf("still running 8 s after %v\n%s", sig, stderr.String())
			}
			if d := time.Since(start); d > 6*time.Second {
				t.Errorf("shutdown took %v", d)
			}
			if !strings.Contains(stderr.String(), `"msg":"shutting down"`) {
				t.Errorf("no shutdown log line:\n%s", stderr.String())
			}
			if fi, err := os.Stat(filepath.Join(data, "raadzaam.db-wal")); err == nil && fi.Size() > 0 {
				t.Errorf("WAL not checkpointed: %d bytes left", fi.Size())
			} else if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Error(err)
			}
			if !strings.Contains(stdout.String(), "raadslid@demo.raadzaam.nl") {
				t.Errorf("demo accounts not printed on the first start:\n%s", stdout.String())
			}
		})
	}
}

func waitHealthy(t *testing.T, base string, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("server exited before it was ready: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server not healthy within 30 s")
}
