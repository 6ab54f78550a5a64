// Package benchkit is what the load programs under bench/ share: building
// and starting the raadzaam binary, stopping every child process on every
// exit path, reading a process's CPU and memory from /proc, a throwaway
// PostgreSQL database, accounts and their sign-in (through the browser's
// forms or the API), wrk, percentiles and the report's number formats.
//
// Everything it starts runs on loopback, in a process group of its own, and
// ends in bounded time. Progress goes to stderr (Logf); the programs write
// their reports to stdout.
package benchkit

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Logf writes one line of progress to stderr.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// Child is a process started by a Supervisor, in its own process group.
type Child struct {
	Name string
	Cmd  *exec.Cmd
	done chan struct{} // closed when the process has been reaped
	err  error         // Wait's result, valid after done
}

// PID is the child's process id (and its process group's).
func (c *Child) PID() int { return c.Cmd.Process.Pid }

// Done is closed when the child has exited and been reaped.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited reports whether the child has exited, and Wait's error if so.
func (c *Child) Exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// Supervisor knows every running child, so that all of them can be stopped
// on any exit path (StopAll in a defer).
type Supervisor struct {
	mu       sync.Mutex
	children map[*Child]struct{}
}

// NewSupervisor returns a Supervisor with no children.
func NewSupervisor() *Supervisor { return &Supervisor{children: map[*Child]struct{}{}} }

// Start starts cmd in a new process group; the kernel also kills it should
// this process die without running its deferred cleanup.
func (s *Supervisor) Start(name string, cmd *exec.Cmd) (*Child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &Child{Name: name, Cmd: cmd, done: make(chan struct{})}
	s.mu.Lock()
	s.children[c] = struct{}{}
	s.mu.Unlock()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (s *Supervisor) forget(c *Child) {
	s.mu.Lock()
	delete(s.children, c)
	s.mu.Unlock()
}

// Stop sends SIGTERM to the child's process group, waits up to grace for
// the child to exit, then kills the group. It returns an error when the
// child had to be killed.
func (s *Supervisor) Stop(c *Child, grace time.Duration) error {
	defer s.forget(c)
	if done, _ := c.Exited(); done {
		return nil
	}
	_ = syscall.Kill(-c.PID(), syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
		return nil
	case <-t.C:
		_ = syscall.Kill(-c.PID(), syscall.SIGKILL)
		<-c.done
		return fmt.Errorf("%s did not exit within %s of SIGTERM and was killed", c.Name, grace)
	}
}

// StopAll stops every child that still runs, each with 5 s of grace.
func (s *Supervisor) StopAll() {
	s.mu.Lock()
	list := make([]*Child, 0, len(s.children))
	for c := range s.children {
		list = append(list, c)
	}
	s.mu.Unlock()
	for _, c := range list {
		if err := s.Stop(c, 5*time.Second); err != nil {
			Logf("%v", err)
		}
	}
}

// RunToEnd runs cmd to completion, stopping it when ctx ends.
func (s *Supervisor) RunToEnd(ctx context.Context, name string, cmd *exec.Cmd) error {
	c, err := s.Start(name, cmd)
	if err != nil {
		return err
	}
	select {
	case <-c.done:
		s.forget(c)
		return c.err
	case <-ctx.Done():
		_ = s.Stop(c, 2*time.Second)
		return fmt.Errorf("%s: %w", name, ctx.Err())
	}
}

// Sleep waits d or until ctx ends, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FreePort returns a TCP port on loopback that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Tail returns the last n bytes of the file at path (or the error's text).
func Tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// CleanEnv is this process's environment without the variables raadzaam
// reads (PORT, DATABASE_URL, RAADZAAM_*), so that a benchmark's server is
// configured by the benchmark alone.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PORT" || k == "DATABASE_URL" || strings.HasPrefix(k, "RAADZAAM_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
