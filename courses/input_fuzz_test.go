package courses

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseEnrolmentCSV: an uploaded list of learners to enrol never
// panics; it is refused with problems that point into the file, or every
// row is a distinct valid address with, at most, a deadline at the end of
// a day in Amsterdam.
func FuzzParseEnrolmentCSV(f *testing.F) {
	f.Add("email;deadline\na@example.nl;2026-12-31\nB@Example.nl;31-12-2026\n")
	f.Add("\uFEFFemail,deadline\nc@example.nl,\nd@example.nl,1-2-2027\n")
	f.Add("email\na@example.nl\na@example.nl\n")
	f.Add("email;deadline\nx;morgen\n\"open;\n")
	f.Add("naam\nx\n")
	f.Add("email;deadline\ne@example.nl;02/01/2027\n\n;\n")
	f.Fuzz(func(t *testing.T, data string) {
		rows, err := ParseEnrolmentCSV(strings.NewReader(data), "cursisten.csv")
		if err != nil {
			checkInvalid(t, err, "cursisten.csv", 0)
			return
		}
		if len(rows) == 0 || len(rows) > MaxMemberRows {
			t.Fatalf("accepted %d rows", len(rows))
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if !ValidEmail(r.Email) || r.Email != strings.ToLower(r.Email) || seen[r.Email] || r.Line < 2 {
				t.Fatalf("accepted a bad row: %+v", r)
			}
			seen[r.Email] = true
			if d := r.Deadline; d != nil {
				if a := d.In(Amsterdam); a.Hour() != 23 || a.Minute() != 59 || a.Second() != 59 || d.Nanosecond() != 0 {
					t.Fatalf("deadline %v is not the end of a day in Amsterdam", a)
				}
			}
		}
	})
}

// FuzzParseMonth: a month from ?van= or ?tot= is a real month that reads
// back from its own form.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-03", "03-2026", " 2026-12 ", "2026-13", "2026-00", "1999-01", "3000-01", "2026-3", "+202-03", "2026--3", "٢٠٢٦-٠٣", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := ParseMonth(s)
		if !ok {
			if m != 0 {
				t.Fatalf("ParseMonth(%q) = %v, false; want 0", s, m)
			}
			return
		}
		if !m.Valid() {
			t.Fatalf("ParseMonth(%q) = %d, not a month", s, m)
		}
		if again, ok := ParseMonth(m.String()); !ok || again != m {
			t.Fatalf("ParseMonth(%q) = %v; ParseMonth(%q) = %v, %v", s, m, m.String(), again, ok)
		}
	})
}

// FuzzParseDay: a day typed in a form or a CSV (deadlines, certificate
// periods, key expiry) is the last second of a day in Amsterdam and reads
// back from its ISO form.
func FuzzParseDay(f *testing.F) {
	for _, s := range []string{"2026-12-31", "31-12-2026", "1-2-2027", "02/01/2027", "2026-02-29", "2028-02-29", "2027-03-28", "2026-10-25", " 2026-01-01 ", "0000-01-01", "9999-12-31", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDay(s)
		if !ok {
			return
		}
		if d.Location() != Amsterdam || d.Hour() != 23 || d.Minute() != 59 || d.Second() != 59 || d.Nanosecond() != 0 {
			t.Fatalf("ParseDay(%q) = %v, not the last second of a day in Amsterdam", s, d)
		}
		iso := d.Format(time.DateOnly)
		if again, ok := ParseDay(iso); !ok || !again.Equal(d) {
			t.Fatalf("ParseDay(%q) = %v; ParseDay(%q) = %v, %v", s, d, iso, again, ok)
		}
	})
}
