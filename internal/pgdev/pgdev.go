// Package pgdev runs a local PostgreSQL from the system's own binaries (initdb,
// pg_ctl) in a folder of zeren's: the database of `zeren dev` and the throw-away
// database of `make test`. As root it runs them as the postgres user, since
// PostgreSQL refuses to run as root.
package pgdev

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver
)

// Options says where the cluster lives and listens.
type Options struct {
	Dir  string // data folder; created and initialised when empty
	Port int
	// Database is created when missing; default "zeren".
	Database string
}

// Server is a running local PostgreSQL.
type Server struct {
	opts Options
	bin  string
	as   *user.User // nil when not root
}

// User is the superuser initdb creates.
const User = "zeren"

// BinDir finds the folder holding initdb and pg_ctl: PATH first, then the
// newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries not found (initdb): install them with `apt-get install -y postgresql`, or set DATABASE_URL")
}

func pgVersion(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Start initialises the folder when needed, starts the server on 127.0.0.1 and
// creates the database.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Database == "" {
		opts.Database = "zeren"
	}
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	s := &Server{opts: opts, bin: bin}
	if os.Geteuid() == 0 {
		if s.as, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user to run PostgreSQL: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := s.own(dir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if out, err := s.run(ctx, "initdb", "-D", dir, "-U", User, "--auth=trust", "-E", "UTF8", "--locale=C"); err != nil {
			return nil, fmt.Errorf("initdb: %w: %s", err, out)
		}
	}
	// A server left running by a killed zeren: stop it, then start on our port.
	if s.Running(ctx) {
		_, _ = s.run(ctx, "pg_ctl", "-D", dir, "-m", "fast", "-w", "stop")
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	if err := s.createDatabase(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// start starts the initialised cluster on its port and waits until it takes connections.
func (s *Server) start(ctx context.Context) error {
	options := fmt.Sprintf("-p %d -h 127.0.0.1 -c unix_socket_directories='' -c fsync=on -c max_connections=200", s.opts.Port)
	logFile := filepath.Join(s.opts.Dir, "postgres.log")
	if out, err := s.run(ctx, "pg_ctl", "-D", s.opts.Dir, "-o", options, "-l", logFile, "-w", "-t", "60", "start"); err != nil {
		tail, _ := os.ReadFile(logFile)
		return fmt.Errorf("pg_ctl start: %w: %s %s", err, out, lastLines(tail, 5))
	}
	return nil
}

// Running says whether the cluster's server is up.
func (s *Server) Running(ctx context.Context) bool {
	_, err := s.run(ctx, "pg_ctl", "-D", s.opts.Dir, "status")
	return err == nil
}

// Restart starts the server again after it stopped or died; its data is kept.
func (s *Server) Restart(ctx context.Context) error {
	if s.Running(ctx) {
		return nil
	}
	// A server killed outright leaves its pid file; pg_ctl start recovers from it.
	return s.start(ctx)
}

// Kill stops the server the way a crash does (immediate mode: no checkpoint,
// connections dropped); it recovers on the next start. For tests and chaos runs.
func (s *Server) Kill() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := s.run(ctx, "pg_ctl", "-D", s.opts.Dir, "-m", "immediate", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// Watch restarts the server whenever it is found dead, checking every interval
// until ctx ends; each restart (or failed attempt) is reported to report.
func (s *Server) Watch(ctx context.Context, interval time.Duration, report func(err error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.Running(ctx) || ctx.Err() != nil {
			continue
		}
		report(s.Restart(ctx))
	}
}

// FreePort finds a free TCP port on loopback for a server to listen on a
// moment later. It picks at random below Linux's ephemeral range (32768 and
// up): a port the kernel hands out for :0 is also what it gives the next
// outgoing connection, and one taken in between left the embedded Temporal
// server's worker service with no listener (a panic, under load). A port
// that does not bind is passed over.
func FreePort() (int, error) {
	const low, high = 20000, 32000
	for range 200 {
		port := low + rand.IntN(high-low)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		if err := l.Close(); err != nil {
			return 0, err
		}
		return port, nil
	}
	return 0, fmt.Errorf("free port: none of 200 tries from %d to %d bound", low, high)
}

// URL is the connection URL of the database.
func (s *Server) URL() string { return s.urlOf(s.opts.Database) }

func (s *Server) urlOf(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, s.opts.Port, db)
}

func (s *Server) createDatabase(ctx context.Context) error {
	db, err := sql.Open("postgres", s.urlOf("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, s.opts.Database).Scan(&exists); err != nil {
		return fmt.Errorf("check database: %w", err)
	}
	if exists {
		return nil
	}
	// A database name cannot be a parameter; it is ours and checked here.
	for _, r := range s.opts.Database {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return fmt.Errorf("database name %q: only a-z, 0-9 and _", s.opts.Database)
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+s.opts.Database); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

// Stop shuts the server down (fast mode: rolls back open transactions).
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := s.run(ctx, "pg_ctl", "-D", s.opts.Dir, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

func (s *Server) run(ctx context.Context, name string, args ...string) (string, error) {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.as != nil {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = "/"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// pg_ctl's server must not die with our process group on Ctrl-C: we stop it ourselves.
	cmd.SysProcAttr = detached()
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// own gives the folder (and lets the postgres user reach it) when running as root.
func (s *Server) own(dir string) error {
	if s.as == nil {
		return nil
	}
	uid, _ := strconv.Atoi(s.as.Uid)
	gid, _ := strconv.Atoi(s.as.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("chown %s to postgres: %w", dir, err)
	}
	// Every parent must be searchable by the postgres user.
	for p := filepath.Dir(dir); p != "/"; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let postgres reach %s: %w", p, err)
			}
		}
	}
	return nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
