package benchkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	// 1..100 ms: the nearest rank of p is p ms.
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, ms(i))
	}
	s := Summarize(ds)
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", s.P50, ms(50)}, {"p95", s.P95, ms(95)}, {"p99", s.P99, ms(99)},
		{"min", s.Min, ms(1)}, {"max", s.Max, ms(100)}, {"mean", s.Mean, 50500 * time.Microsecond},
		{"p99 of 3", Percentile([]time.Duration{ms(1), ms(2), ms(3)}, 99), ms(3)},
		{"p50 of 1", Percentile([]time.Duration{ms(7)}, 50), ms(7)},
		{"none", Percentile(nil, 50), 0},
		{"median of 4", Median([]time.Duration{ms(4), ms(1), ms(3), ms(2)}), 2500 * time.Microsecond},
		{"median of 3", Median([]time.Duration{ms(3), ms(1), ms(2)}), ms(2)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.N != 100 {
		t.Errorf("N = %d, want 100", s.N)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{FmtInt(0), "0"}, {FmtInt(999), "999"}, {FmtInt(1000), "1,000"}, {FmtInt(-1234567), "-1,234,567"},
		{FmtDur(1500 * time.Millisecond), "1.50 s"}, {FmtDur(ms(45)), "45 ms"}, {FmtDur(4500 * time.Microsecond), "4.5 ms"},
		{FmtDur(230 * time.Microsecond), "230 µs"}, {FmtMB(31_900_000), "31.9 MB"}, {FmtBytes(1500), "1.5 KB"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestClientAddr(t *testing.T) {
	seen := map[string]bool{}
	for i := range 1 << 17 {
		a := ClientAddr(i)
		if !strings.HasPrefix(a, "198.18.") && !strings.HasPrefix(a, "198.19.") {
			t.Fatalf("ClientAddr(%d) = %s, outside 198.18.0.0/15", i, a)
		}
		if seen[a] {
			t.Fatalf("ClientAddr(%d) = %s, given twice", i, a)
		}
		seen[a] = true
	}
}

func TestProcMemoryAndCPU(t *testing.T) {
	rss, hwm, err := ProcMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 0 || hwm < rss {
		t.Errorf("VmRSS %d, VmHWM %d: want 0 < VmRSS ≤ VmHWM", rss, hwm)
	}
	if _, _, err := ProcMemory(-1); err == nil {
		t.Error("ProcMemory(-1) gave no error")
	}
	if _, err := ProcCPU(os.Getpid()); err != nil {
		t.Error(err)
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:8080/
  2 threads and 32 connections
  Latency Distribution
     50%  643.00us
     75%    1.20ms
     90%    2.50ms
     99%    6.20ms
  364777 requests in 10.02s, 3.82GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  36399.10
Transfer/sec:    390.12MB
`
	r, err := ParseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.RPS != 36399.10 || r.Requests != 364777 || r.P50 != 643*time.Microsecond || r.P99 != 6200*time.Microsecond || r.Errors != 7 {
		t.Errorf("got %+v", r)
	}
	if want := 3.82 * (1 << 30) / 364777; r.BytesReq < want*0.999 || r.BytesReq > want*1.001 {
		t.Errorf("bytes per request %.0f, want %.0f", r.BytesReq, want)
	}
	if _, err := ParseWrk("unable to connect"); err == nil {
		t.Error("ParseWrk of no results gave no error")
	}
}

func TestReadServerLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.log")
	before := `{"level":"INFO","msg":"request","method":"GET","route":"/","status":200,"ms":99}` + "\n"
	after := `{"level":"INFO","msg":"request","method":"POST","route":"/inloggen","status":303,"ms":42.5}
{"level":"INFO","msg":"request","method":"POST","route":"/inloggen","status":303,"ms":40}
{"level":"ERROR","msg":"request","method":"GET","route":"/leren/:slug","status":500,"ms":1}
{"level":"ERROR","msg":"panic recovered","error":"runtime error"}
not json at all
`
	if err := os.WriteFile(path, []byte(before+after), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := ReadServerLog(path, int64(len(before)))
	if err != nil {
		t.Fatal(err)
	}
	if l.Lines != 5 || l.Levels["ERROR"] != 2 || l.Levels["INFO"] != 2 || l.Panics != 1 || len(l.Problems) != 3 {
		t.Errorf("lines %d, levels %v, panics %d, problems %q", l.Lines, l.Levels, l.Panics, l.Problems)
	}
	if got := l.Routes["POST /inloggen"]; len(got) != 2 || got[0] != 42500*time.Microsecond {
		t.Errorf("POST /inloggen times %v, want [42.5ms 40ms]", got)
	}
	if _, ok := l.Routes["GET /"]; ok {
		t.Error("a line before the offset was read")
	}
	if l.Statuses[303] != 2 || l.Statuses[500] != 1 {
		t.Errorf("statuses %v", l.Statuses)
	}
}

func TestCSRFField(t *testing.T) {
	page := []byte(`<form method="post" action="/inloggen"><input type="hidden" name="_csrf" value="abc123"></form>`)
	if got := CSRFField(page); got != "abc123" {
		t.Errorf("CSRFField = %q, want abc123", got)
	}
	if got := CSRFField([]byte("<p>no form</p>")); got != "" {
		t.Errorf("CSRFField of a page without a form = %q", got)
	}
}
