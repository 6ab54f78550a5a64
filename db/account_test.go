package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
	"github.com/raadzaam/raadzaam/db/dbtest"
)

func seedMunicipality(t *testing.T, d *db.DB) {
	t.Helper()
	if err := db.NewMunicipalityService(d).ReplaceMunicipalities(context.Background(), []courses.Municipality{
		{CBSCode: "GM0363", Name: "Amsterdam", CommonName: "Amsterdam", Province: "Noord-Holland"}}); err != nil {
		t.Fatal(err)
	}
}

func TestCreateUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seedMunicipality(t, d)
		us := db.NewUserService(d)
		start := time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)
		u, err := us.CreateUser(ctx, &courses.NewUser{
			Email: " Ayse.Celik@Example.NL ", Name: "Ayşe  Çelik-van 't Hoff", Role: courses.RoleLearner, PasswordHash: "x",
			Offices:      []courses.UserOffice{{Office: courses.Raadslid, CBSCode: "GM0363", StartsOn: &start}},
			Associations: []string{"nvvr", "vng"}, AdminOf: []string{"vng"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "ayse.celik@example.nl" || u.Name != "Ayşe Çelik-van 't Hoff" || !u.Active {
			t.Errorf("user: %+v", u)
		}
		if len(u.Offices) != 1 || u.Offices[0].CBSCode != "GM0363" || !u.Offices[0].StartsOn.Equal(start) {
			t.Errorf("offices: %+v", u.Offices)
		}
		if len(u.Memberships) != 2 || u.Memberships[0].Association.Slug != "nvvr" || u.Memberships[0].Admin || !u.Memberships[1].Admin {
			t.Errorf("memberships: %+v", u.Memberships)
		}
		id, hash, active, err := us.Credentials(ctx, "AYSE.CELIK@example.nl")
		if err != nil || id != u.ID || hash != "x" || !active {
			t.Errorf("Credentials: %d %q %v %v", id, hash, active, err)
		}

		tests := []struct {
			name string
			nu   courses.NewUser
			want []string
		}{
			{"taken address", courses.NewUser{Email: "ayse.celik@example.nl", Name: "Iemand", Role: courses.RoleLearner}, []string{"email: problem.email_taken"}},
			{"bad fields", courses.NewUser{Email: "geen-adres", Name: "", Role: "koning"}, []string{"email: problem.bad_email", "name: problem.required", "role: problem.unknown_value"}},
			{"unknown association and municipality", courses.NewUser{Email: "a@b.nl", Name: "Anna", Role: courses.RoleLearner,
				Associations: []string{"bestaat-niet"}, Offices: []courses.UserOffice{{Office: courses.Wethouder, CBSCode: "GM9999"}}},
				[]string{"association: problem.unknown_value", "municipality: problem.unknown_value"}},
		}
		for _, tt := range tests {
			_, err := us.CreateUser(ctx, &tt.nu)
			var got []string
			for _, p := range courses.ErrorProblems(err) {
				got = append(got, p.String())
			}
			if len(got) != len(tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				continue
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				}
			}
		}
		if n, _ := us.CountUsers(ctx); n != 1 {
			t.Errorf("users after failed creates: %d, want 1", n)
		}
	})
}

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		us, ss := db.NewUserService(d), db.NewSessionService(d)
		u, err := us.CreateUser(ctx, &courses.NewUser{Email: "w@example.nl", Name: "Wim", Role: courses.RoleTrainer, PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		sess := &courses.Session{ID: "s1", UserID: u.ID, Kind: courses.SessionBrowser, ExpiresAt: time.Now().Add(time.Hour)}
		if err := ss.CreateSession(ctx, sess, "r1"); err != nil {
			t.Fatal(err)
		}
		if _, got, err := ss.ActiveSession(ctx, "s1"); err != nil || got.ID != u.ID || got.Role != courses.RoleTrainer {
			t.Fatalf("ActiveSession: %+v %v", got, err)
		}
		// Rotation: r1 → r2 works once; two concurrent uses of r2 let one win.
		if _, _, err := ss.RotateRefresh(ctx, "r1", "r2"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, _, errs[i] = ss.RotateRefresh(ctx, "r2", "r3-"+string(rune('a'+i))) }()
		}
		wg.Wait()
		if errs[0] == nil && errs[1] == nil {
			t.Errorf("concurrent rotations: both succeeded, want at most one")
		}
		// The loser counts as a reuse: the session is gone, also for the
		// winner (whichever finished first).
		if _, _, err := ss.ActiveSession(ctx, "s1"); courses.ErrorCode(err) != courses.EUNAUTHORIZED {
			t.Errorf("after refresh reuse: got %v, want EUNAUTHORIZED", err)
		}
		if _, _, err := ss.RotateRefresh(ctx, "nooit-gezien", "x"); courses.ErrorCode(err) != courses.EUNAUTHORIZED {
			t.Errorf("unknown refresh token: got %v", err)
		}

		for _, id := range []string{"a", "b"} {
			if err := ss.CreateSession(ctx, &courses.Session{ID: id, UserID: u.ID, Kind: courses.SessionAPI, ExpiresAt: time.Now().Add(time.Hour)}, ""); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := ss.RevokeUserSessions(ctx, u.ID, "sign out everywhere"); err != nil || n != 2 {
			t.Errorf("RevokeUserSessions: %d %v, want 2", n, err)
		}
		if _, _, err := ss.ActiveSession(ctx, "a"); courses.ErrorCode(err) != courses.EUNAUTHORIZED {
			t.Errorf("revoked session still active: %v", err)
		}
		if err := ss.CreateSession(ctx, &courses.Session{ID: "old", UserID: u.ID, Kind: courses.SessionAPI, ExpiresAt: time.Now().Add(-time.Minute)}, ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ss.ActiveSession(ctx, "old"); courses.ErrorCode(err) != courses.EUNAUTHORIZED {
			t.Errorf("expired session still active: %v", err)
		}
	})
}

// TestRateLimiterCountsConcurrentFailures checks that failures from many
// concurrent requests (or instances) are all counted: no lost updates.
func TestRateLimiterCountsConcurrentFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		rl := db.NewRateLimiter(d)
		p := courses.LimitPolicy{Window: time.Hour, Free: 30, BaseLock: time.Minute, MaxLock: time.Hour}
		var wg sync.WaitGroup
		for range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := rl.Fail(ctx, "k", p); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if until, _ := rl.LockedUntil(ctx, "k"); !until.IsZero() {
			t.Errorf("locked after %d failures, want free", p.Free)
		}
		until, err := rl.Fail(ctx, "k", p)
		if err != nil || until.IsZero() {
			t.Fatalf("31st failure: lock %v, err %v; want a lock (were all 30 counted?)", until, err)
		}
		if got, _ := rl.LockedUntil(ctx, "k"); got.IsZero() {
			t.Error("LockedUntil does not report the lock")
		}
		if err := rl.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if got, _ := rl.LockedUntil(ctx, "k"); !got.IsZero() {
			t.Error("lock survives Reset")
		}
	})
}

func TestLimitPolicy(t *testing.T) {
	p := courses.LimitPolicy{Free: 5, BaseLock: time.Minute, MaxLock: 10 * time.Minute}
	for n, want := range map[int]time.Duration{1: 0, 5: 0, 6: time.Minute, 7: 2 * time.Minute, 8: 4 * time.Minute, 9: 8 * time.Minute, 10: 10 * time.Minute, 50: 10 * time.Minute} {
		if got := p.LockFor(n); got != want {
			t.Errorf("LockFor(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestAuditLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := db.NewAuditLog(d)
		for _, a := range []string{"signin", "signin.failed", "signout"} {
			if err := l.Record(ctx, courses.AuditEvent{Action: a, Subject: "user:1"}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := l.AuditEvents(ctx, "signin", 0, 10)
		if err != nil || len(got) != 2 || got[0].Action != "signin.failed" {
			t.Errorf("AuditEvents: %+v %v", got, err)
		}
	})
}
