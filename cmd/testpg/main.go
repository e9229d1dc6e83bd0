// Command testpg runs a command with a throw-away PostgreSQL: it starts a
// cluster in a temporary folder on a free port, sets DATABASE_URL, runs the
// command, then stops the cluster and removes the folder. `make test` uses it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/zeren-county/zeren/internal/pgdev"
)

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testpg:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func run() (int, error) {
	if len(os.Args) < 2 {
		return 2, errors.New("usage: testpg command [args...]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "zeren-testpg-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	port, err := pgdev.FreePort()
	if err != nil {
		return 1, err
	}
	pg, err := pgdev.Start(ctx, pgdev.Options{Dir: dir + "/data", Port: port, Database: "zeren_test"})
	if err != nil {
		return 1, err
	}
	defer func() {
		if err := pg.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testpg:", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "testpg: PostgreSQL on 127.0.0.1:%d (%s)\n", port, dir)
	cmd := exec.CommandContext(ctx, os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL="+pg.URL())
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	return 0, err
}
