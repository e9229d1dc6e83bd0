package pgdev_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/pgdev"
)

// The watchdog of `zeren dev` starts its PostgreSQL again when it dies, with its data.
func TestWatchRestartsADeadServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL of its own")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, err := pgdev.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pgdev.Start(ctx, pgdev.Options{Dir: filepath.Join(t.TempDir(), "pg"), Port: port, Database: "watch"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	db, err := sql.Open("postgres", pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	restarts := make(chan error, 4)
	go pg.Watch(ctx, 200*time.Millisecond, func(err error) { restarts <- err })
	if err := pg.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-restarts:
		if err != nil {
			t.Fatalf("restart: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the watchdog did not restart the server within two minutes")
	}
	var n int
	for wait := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if err = db.QueryRowContext(ctx, `SELECT n FROM kept`).Scan(&n); err == nil || time.Now().After(wait) {
			break
		}
	}
	if err != nil || n != 42 {
		t.Fatalf("after the restart: %d (%v); want the data kept", n, err)
	}
}
