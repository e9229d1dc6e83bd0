package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/pgdev"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// ownDatabase starts a PostgreSQL of the test's own (the shared one of `make
// test` must not be stopped), migrated and seeded, with a token per person.
func ownDatabase(t *testing.T) (*pgdev.Server, *store.Store, map[string]string) {
	t.Helper()
	ctx := context.Background()
	port, err := pgdev.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pgdev.Start(ctx, pgdev.Options{Dir: filepath.Join(t.TempDir(), "pg"), Port: port, Database: "zeren"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	s, err := store.Open(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return pg, s, testdb.Seed(t, s).Tokens
}

// TestDatabaseOutage stops PostgreSQL under a running API and worker, across
// an assigned matter's deadline: meanwhile every call answers 503 with
// Retry-After (never 500), and readiness says so; when the database returns,
// the API and the worker recover by themselves; the unit completes at once,
// and every penalty whose time came while the matter was open fires once.
func TestDatabaseOutage(t *testing.T) {
	pg, s, tokens := ownDatabase(t)
	sys := start(t, "", s, tokens)

	due := time.Now().Add(8 * time.Second).UTC().Truncate(time.Second)
	var a store.Assignment
	sys.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{
		"title": "停电期间到期的交办事项", "content": "核查液化气站整改情况。", "due_at": due, "assignee_unit": "jcg",
		"ladder": []map[string]any{{"offset": "1s", "action": "deduct", "points": 1}, {"offset": "2s", "action": "notice"}, {"offset": "3s", "action": "interview"}},
	}).want(t, 201).decode(t, &a)
	work := fmt.Sprintf("assignment.%d.complete.1", a.ID)
	sys.awaitTask(t, "jcg-head", work)

	if err := pg.Kill(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, person string }{
		{"GET", "/api/v1/inbox", "jcg-head"},
		{"GET", "/api/v1/tasks/" + work, "jcg-head"},
		{"POST", "/api/v1/tasks/" + work + "/complete", "jcg-head"},
		{"GET", "/readyz", ""},
	} {
		r := sys.send(t, c.method, c.path, c.person, map[string]any{"result": "已核查"})
		if r.code != 503 || r.problem(t).Type != "urn:zeren:problem:unavailable" {
			t.Fatalf("%s %s with the database down: %d %s; want 503", c.method, c.path, r.code, r.body)
		}
		if r.retryAfter == "" {
			t.Errorf("%s %s: 503 without Retry-After", c.method, c.path)
		}
	}
	// Every rung's time passes while the database is down.
	time.Sleep(time.Until(due.Add(4 * time.Second)))
	if err := pg.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	for wait := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if sys.send(t, "GET", "/readyz", "", nil).code == 200 {
			break
		}
		if time.Now().After(wait) {
			t.Fatal("the API did not recover within a minute of the database's return")
		}
	}
	var done struct {
		Task store.Task `json:"task"`
	}
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", map[string]any{"result": "已核查，整改完毕。"}).want(t, 200).decode(t, &done)
	review := fmt.Sprintf("assignment.%d.review.1", a.ID)
	sys.awaitTask(t, "yjj-office", review)
	sys.send(t, "POST", "/api/v1/tasks/"+review+"/complete", "yjj-office", map[string]any{"decision": "approve"}).want(t, 200)

	count := func(q string) int {
		var n int
		if err := s.DB.Get(&n, q); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for wait := time.Now().Add(90 * time.Second); count(`SELECT count(*) FROM assignments WHERE status = 'approved'`) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatal("the matter was not approved within 30 s of the review")
		}
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM score_ledger`:                          1,
		`SELECT count(*) FROM notices`:                               1,
		`SELECT count(*) FROM interview_triggers`:                    1,
		`SELECT count(*) FROM audit_log WHERE action = 'rung.fired'`: 3,
	} {
		if n := count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	checkHistory(t, sys.client, fmt.Sprintf("assignment/%d", a.ID), "assignment-outage")
}
