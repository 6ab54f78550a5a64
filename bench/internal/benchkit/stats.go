package benchkit

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted latencies
// by the nearest-rank method: the smallest value that at least p % of the
// values are less than or equal to. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Summary describes a set of latencies.
type Summary struct {
	N                       int
	Min, P50, P95, P99, Max time.Duration
	Mean                    time.Duration
}

// Summarize sorts ds (in place) and summarizes it.
func Summarize(ds []time.Duration) Summary {
	slices.Sort(ds)
	s := Summary{N: len(ds)}
	if len(ds) == 0 {
		return s
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	s.Min, s.Max, s.Mean = ds[0], ds[len(ds)-1], sum/time.Duration(len(ds))
	s.P50, s.P95, s.P99 = Percentile(ds, 50), Percentile(ds, 95), Percentile(ds, 99)
	return s
}

// Median returns the median of ds (the mean of the middle two of an even
// number) without changing ds; 0 for none.
func Median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// FmtDur writes a duration with two or three significant digits:
// 1.23 s, 45 ms, 4.5 ms, 230 µs.
func FmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}

// FmtMB writes bytes as decimal megabytes: 31.9 MB.
func FmtMB(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

// FmtMiB writes bytes as binary megabytes: 26.4 MiB.
func FmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// FmtGiB writes bytes as binary gigabytes: 23.5 GiB.
func FmtGiB(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// FmtBytes writes a size in B, KB or MB (decimal).
func FmtBytes(b int64) string {
	switch {
	case b >= 1e6:
		return FmtMB(b)
	case b >= 1e3:
		return fmt.Sprintf("%.1f KB", float64(b)/1e3)
	default:
		return fmt.Sprintf("%d B", b)
	}
}

// FmtInt writes n with thousands separators: 12,345.
func FmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// YesNo writes a goal's verdict for a report: yes, or a bold no.
func YesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
