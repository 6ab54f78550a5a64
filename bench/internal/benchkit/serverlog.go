package benchkit

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"time"
)

// ServerLog is what a server wrote to its log (raadzaam's JSON lines on
// stderr) during part of a benchmark.
type ServerLog struct {
	Lines    int
	Levels   map[string]int // by slog level: INFO, WARN, ERROR
	Panics   int            // lines that mention a panic (recovered or not)
	Problems []string       // the first 20 WARN, ERROR and panic lines
	// Routes holds the server's own time per request (the access log's
	// "ms"), by "METHOD route pattern": the time inside raadzaam, without
	// the queueing before the request was read.
	Routes   map[string][]time.Duration
	Statuses map[int]int // answers by status
}

// FileSize returns the size of the file at path, 0 when it does not exist:
// the offset from which ReadServerLog reads what came after.
func FileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// ReadServerLog reads the log at path from byte offset on.
func ReadServerLog(path string, offset int64) (*ServerLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return nil, err
	}
	l := &ServerLog{Levels: map[string]int{}, Routes: map[string][]time.Duration{}, Statuses: map[int]int{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		l.Lines++
		var e struct {
			Level  string  `json:"level"`
			Msg    string  `json:"msg"`
			Method string  `json:"method"`
			Route  string  `json:"route"`
			Status int     `json:"status"`
			MS     float64 `json:"ms"`
		}
		isJSON := json.Unmarshal([]byte(line), &e) == nil
		panicked := strings.Contains(strings.ToLower(line), "panic")
		if panicked {
			l.Panics++
		}
		if isJSON {
			l.Levels[e.Level]++
			if e.Msg == "request" && e.Method != "" {
				k := e.Method + " " + e.Route
				l.Routes[k] = append(l.Routes[k], time.Duration(e.MS*float64(time.Millisecond)))
				l.Statuses[e.Status]++
			}
		}
		if (panicked || (isJSON && e.Level != "INFO" && e.Level != "DEBUG") || (!isJSON && strings.TrimSpace(line) != "")) && len(l.Problems) < 20 {
			l.Problems = append(l.Problems, truncate(line, 400))
		}
	}
	return l, sc.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
