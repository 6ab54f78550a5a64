package benchkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Wrk runs wrk, the load generator that costs far less CPU per request
// than a Go client, which matters when it shares 2 cores with the server.
type Wrk struct {
	Sup         *Supervisor
	Path        string
	Version     string // "wrk debian/4.1.0-3+b2"
	Threads     int
	Connections int
}

// FindWrk returns a Wrk for the wrk on PATH, or nil when there is none.
func FindWrk(ctx context.Context, sup *Supervisor, threads, connections int) *Wrk {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return nil
	}
	return &Wrk{Sup: sup, Path: path, Version: WrkVersion(ctx, path), Threads: threads, Connections: connections}
}

// Name describes the load generator for a report.
func (w *Wrk) Name() string {
	return fmt.Sprintf("%s, %d threads, %d connections", w.Version, w.Threads, w.Connections)
}

// WrkResult is what one wrk run measured.
type WrkResult struct {
	RPS      float64
	P50, P99 time.Duration
	Requests int64
	Errors   int64 // socket errors, timeouts, non-2xx/3xx
	BytesReq float64
}

// Load runs wrk against rawURL for d (whole seconds, at least one) with the
// given request headers, each request timing out after 5 s.
func (w *Wrk) Load(ctx context.Context, rawURL string, d time.Duration, header map[string]string) (WrkResult, error) {
	secs := max(1, int(math.Round(d.Seconds())))
	args := []string{"-t", strconv.Itoa(w.Threads), "-c", strconv.Itoa(w.Connections),
		"-d", strconv.Itoa(secs) + "s", "--timeout", "5s", "--latency"}
	for _, k := range slices.Sorted(maps.Keys(header)) {
		args = append(args, "-H", k+": "+header[k])
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(w.Path, append(args, rawURL)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+30*time.Second)
	defer cancel()
	if err := w.Sup.RunToEnd(ctx, "wrk", cmd); err != nil {
		return WrkResult{}, fmt.Errorf("%w %s", err, strings.TrimSpace(out.String()+"\n"+errOut.String()))
	}
	r, err := ParseWrk(out.String())
	if err != nil {
		return WrkResult{}, fmt.Errorf("%w in wrk output:\n%s", err, out.String())
	}
	return r, nil
}

var (
	wrkRPS      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkTotal    = regexp.MustCompile(`(?m)^\s*(\d+) requests in [0-9.]+\w+, ([0-9.]+)(B|KB|MB|GB|TB) read`)
	wrkPercent  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m|h)\s*$`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx3x = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// ParseWrk reads the output of wrk --latency.
func ParseWrk(s string) (WrkResult, error) {
	var r WrkResult
	m := wrkRPS.FindStringSubmatch(s)
	if m == nil {
		return r, errors.New("no Requests/sec")
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(s); m != nil {
		r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]float64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}[m[3]]
		if r.Requests > 0 {
			r.BytesReq = v * unit / float64(r.Requests)
		}
	}
	for _, m := range wrkPercent.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
			"m": time.Minute, "h": time.Hour}[m[3]]
		d := time.Duration(v * float64(unit))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if r.P50 == 0 || r.P99 == 0 {
		return r, errors.New("no latency distribution")
	}
	if m := wrkSocket.FindStringSubmatch(s); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			r.Errors += n
		}
	}
	if m := wrkNon2xx3x.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		r.Errors += n
	}
	return r, nil
}

// WrkVersion returns "wrk VERSION" as wrk -v prints it.
func WrkVersion(ctx context.Context, path string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, path, "-v").CombinedOutput() // exits 1 after printing
	if f := strings.Fields(string(out)); len(f) >= 2 && f[0] == "wrk" {
		return "wrk " + f[1]
	}
	return "wrk"
}
