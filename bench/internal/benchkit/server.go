package benchkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ModuleRoot returns the folder of the raadzaam module's go.mod, so that a
// benchmark can be run from anywhere inside the module.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the raadzaam module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// Build builds ./app of the module at root into bin, within 5 minutes.
// With static it builds as the production image does (CGO_ENABLED=0).
func Build(ctx context.Context, sup *Supervisor, root, bin string, static bool) error {
	Logf("building %s/app", root)
	var out bytes.Buffer
	cmd := exec.Command("go", "build", "-o", bin, "./app")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &out, &out
	if static {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := sup.RunToEnd(ctx, "go build", cmd); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out.String())
	}
	return nil
}

// Instance is one raadzaam installation for a benchmark: a built binary, a
// fresh data folder and a fresh database (SQLite in the data folder, or a
// throwaway PostgreSQL database), and the log file that every server start
// and command appends to.
type Instance struct {
	Bin         string
	Dir         string // the servers' working folder, with DataDir and LogPath
	DataDir     string
	LogPath     string
	DB          string // "sqlite" or "postgres"
	DatabaseURL string // DATABASE_URL; empty for SQLite
	PGName      string // the throwaway PostgreSQL database, empty for SQLite
	Database    string // a description for the report
	// Env holds further variables of every server and command, such as
	// RAADZAAM_DEMO=off or RAADZAAM_TRUSTED_PROXIES.
	Env []string
	// Port, when not 0, is the port of every start (access tokens name the
	// base URL, which then stays the same); 0 takes a free port each time.
	Port int

	sup     *Supervisor
	drop    func() error
	removes bool // Close removes Dir
}

// Prepare builds the binary (static as in production when static is set)
// into a new temporary folder and makes an instance there with an empty
// database of kind db (see NewInstance). Close undoes it all.
func Prepare(ctx context.Context, sup *Supervisor, db, pgAdminURL string, static bool) (*Instance, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "raadzaam-bench-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "raadzaam")
	if err := Build(ctx, sup, root, bin, static); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	in, err := NewInstance(ctx, sup, bin, tmp, db, pgAdminURL)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	in.removes = true
	return in, nil
}

// NewInstance makes an instance of the binary bin in the existing folder
// dir, with an empty database of kind db ("sqlite" or "postgres"; a
// throwaway PostgreSQL database next to pgAdminURL, loopback only). Close
// drops the database.
func NewInstance(ctx context.Context, sup *Supervisor, bin, dir, db, pgAdminURL string) (*Instance, error) {
	if db != "sqlite" && db != "postgres" {
		return nil, fmt.Errorf("database %q: want sqlite or postgres", db)
	}
	in := &Instance{Bin: bin, Dir: dir, DataDir: filepath.Join(dir, "data"), LogPath: filepath.Join(dir, "server.log"),
		DB: db, sup: sup, Database: "SQLite (modernc, file in a fresh RAADZAAM_DATA)"}
	if err := os.Mkdir(in.DataDir, 0o700); err != nil {
		return nil, err
	}
	if db == "postgres" {
		pg, err := CreateDatabase(ctx, pgAdminURL)
		if err != nil {
			return nil, err
		}
		in.DatabaseURL, in.PGName, in.drop = pg.URL, pg.Name, pg.Drop
		in.Database = PostgresSettings(ctx, pg.URL) + " on 127.0.0.1 (throwaway database)"
	}
	return in, nil
}

// DSN is what db.Open takes for this instance's database.
func (in *Instance) DSN() string {
	if in.DatabaseURL != "" {
		return in.DatabaseURL
	}
	return "sqlite:" + filepath.Join(in.DataDir, "raadzaam.db")
}

// Close stops every child of the supervisor (a server must close its
// connections before its database is dropped), drops the PostgreSQL
// database and, if Prepare made it, removes the instance's folder.
func (in *Instance) Close() error {
	in.sup.StopAll()
	var err error
	if in.drop != nil {
		err = in.drop()
		in.drop = nil
	}
	if in.removes {
		err = errors.Join(err, os.RemoveAll(in.Dir))
	}
	return err
}

// Environ is the environment of a server on port (0 for a command): the
// benchmark's own less raadzaam's variables, then the instance's.
func (in *Instance) Environ(port int) []string {
	env := CleanEnv()
	if port == 0 {
		port = 8080 // only for RAADZAAM_BASE_URL's sake; commands listen nowhere
	}
	env = append(env, "PORT="+strconv.Itoa(port), "RAADZAAM_DATA="+in.DataDir,
		fmt.Sprintf("RAADZAAM_BASE_URL=http://127.0.0.1:%d", port))
	if in.DatabaseURL != "" {
		env = append(env, "DATABASE_URL="+in.DatabaseURL)
	}
	return append(env, in.Env...)
}

// Command runs one of raadzaam's commands (such as user add) to its end
// within limit, with stdin as its input, and returns what it printed on
// stdout; stderr goes to the log.
func (in *Instance) Command(ctx context.Context, limit time.Duration, stdin string, args ...string) (string, error) {
	logFile, err := os.OpenFile(in.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	var out bytes.Buffer
	cmd := exec.Command(in.Bin, args...)
	cmd.Dir = in.Dir
	cmd.Env = in.Environ(0)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, logFile
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := in.sup.RunToEnd(ctx, "raadzaam "+strings.Join(args[:min(2, len(args))], " "), cmd); err != nil {
		return out.String(), fmt.Errorf("raadzaam %s: %w\n--- end of %s ---\n%s", strings.Join(args, " "), err, in.LogPath, Tail(in.LogPath, 1000))
	}
	return out.String(), nil
}

// Server is one running raadzaam process.
type Server struct {
	*Child
	Base string // http://127.0.0.1:PORT
}

// Start starts raadzaam (on in.Port, or a free port) and returns once probe (/readyz or
// /healthz) answers 200, with the time from exec to that answer; it gives
// up after limit. Stdout and stderr go to the instance's log.
func (in *Instance) Start(ctx context.Context, name, probe string, limit time.Duration) (*Server, time.Duration, error) {
	port := in.Port
	if port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, 0, err
		}
		port = p
	}
	logFile, err := os.OpenFile(in.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(in.Bin)
	cmd.Dir = in.Dir
	cmd.Env = in.Environ(port)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	t0 := time.Now()
	c, err := in.sup.Start(name, cmd)
	if err != nil {
		return nil, 0, err
	}
	s := &Server{Child: c, Base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	d, err := WaitReady(ctx, s, probe, t0, limit)
	if err != nil {
		_ = in.sup.Stop(c, 5*time.Second)
		return nil, 0, fmt.Errorf("%s: %w\n--- end of %s ---\n%s", name, err, in.LogPath, Tail(in.LogPath, 2000))
	}
	return s, d, nil
}

// Stop stops the server with SIGTERM, killing it after grace.
func (in *Instance) Stop(s *Server, grace time.Duration) error { return in.sup.Stop(s.Child, grace) }

// WaitReady polls s.Base+probe every millisecond until it answers 200 and
// returns the time since t0; it fails when the server exits first or limit
// has passed since t0.
func WaitReady(ctx context.Context, s *Server, probe string, t0 time.Time, limit time.Duration) (time.Duration, error) {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Second}
	deadline := t0.Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+probe, nil)
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		if done, werr := s.Exited(); done {
			return 0, fmt.Errorf("exited before %s answered: %v", probe, werr)
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s did not answer 200 within %s", probe, limit)
		}
		time.Sleep(time.Millisecond)
	}
}

// Memory reads the server's VmRSS and VmHWM (its peak RSS since it started).
func (s *Server) Memory() (rss, hwm int64, err error) { return ProcMemory(s.PID()) }

// CPU reads the server's user+system CPU so far.
func (s *Server) CPU() (time.Duration, error) { return ProcCPU(s.PID()) }
