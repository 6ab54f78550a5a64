package main

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/raadzaam/raadzaam/db"
)

// TestHashSlots checks that no more argon2id hashes run at once than there
// are slots: a burst of sign-ins waits for a slot instead of holding
// 19 MiB each (BENCHMARKS.md, issue 8).
func TestHashSlots(t *testing.T) {
	s := make(hashSlots, 2)
	inside, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.do(context.Background(), func() { inside <- struct{}{}; <-release }); err != nil {
				t.Error(err)
			}
		}()
	}
	<-inside
	<-inside // both slots are taken

	// A third waits, and gives up when its context ends, without running.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	if err := s.do(cancelled, func() { ran = true }); !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("with every slot taken: err %v, ran %v; want context.Canceled, not run", err, ran)
	}
	au := &authenticator{hashes: s}
	if _, err := au.checkPassword(cancelled, "", "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("checkPassword with every slot taken: err %v, want context.Canceled", err)
	}
	if _, err := au.hashPassword(cancelled, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("hashPassword with every slot taken: err %v, want context.Canceled", err)
	}

	close(release)
	wg.Wait()
	if len(s) != 0 {
		t.Fatalf("%d slots still taken after both ended", len(s))
	}
	ctx := context.Background()
	hash, err := au.hashPassword(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		password string
		want     bool
	}{{"correct horse", true}, {"wrong horse", false}} {
		if got, err := au.checkPassword(ctx, hash, c.password); err != nil || got != c.want {
			t.Errorf("checkPassword(%q) = %v, %v; want %v", c.password, got, err, c.want)
		}
	}
	if len(s) != 0 {
		t.Errorf("%d slots still taken after hashing", len(s))
	}
}

// TestServerBoundsHashes checks that the server's authenticator has one
// hash slot per core.
func TestServerBoundsHashes(t *testing.T) {
	a := newTestApp(t, db.SQLite)
	if got, want := cap(a.auth.hashes), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("hash slots: %d, want %d (GOMAXPROCS)", got, want)
	}
}
