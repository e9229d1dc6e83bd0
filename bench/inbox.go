package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/store"
)

const (
	benchUnits = 10_000
	benchTasks = 1_000_000
)

// benchInbox fills a fresh database with 10,000 units (a head each) and
// 1,000,000 tasks (a fifth of them open, the rest completed), then times the
// inbox: the store query with its counts, and the whole GET /api/v1/inbox.
func benchInbox(ctx context.Context) error {
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := fillInbox(ctx, s); err != nil {
		return err
	}

	var ids []int64
	if err := s.DB.Select(&ids, `SELECT id FROM people ORDER BY id`); err != nil {
		return err
	}
	const n = 3000
	rng := rand.New(rand.NewPCG(1, 2))
	var query, counts []time.Duration
	for range n {
		p, err := store.PersonByID(ctx, s.DB, ids[rng.IntN(len(ids))])
		if err != nil {
			return err
		}
		q := store.InboxQuery{PersonID: p.ID, UnitIDs: []int64{p.Grants[0].UnitID}, Roles: []string{"unit_head"}, Now: time.Now(), Limit: 50}
		t0 := time.Now()
		if _, _, err := store.Inbox(ctx, s.DB, q); err != nil {
			return err
		}
		t1 := time.Now()
		if _, err := store.InboxCounts(ctx, s.DB, q); err != nil {
			return err
		}
		query, counts = append(query, t1.Sub(t0)), append(counts, time.Since(t1))
	}
	report("inbox page (50 rows, sorted by due)", query)
	report("inbox badge counts", counts)

	// The whole handler: token lookup, grants, page, counts, notifications, JSON.
	gin.SetMode(gin.ReleaseMode)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		return err
	}
	defer tc.Close()
	reg := prometheus.NewRegistry()
	h := api.New(api.Deps{Store: s, Temporal: tc, Registry: reg, Gatherer: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	tokens := make([]string, 200)
	for i := range tokens {
		if tokens[i], err = store.IssueToken(ctx, s.DB, ids[rng.IntN(len(ids))], "bench"); err != nil {
			return err
		}
	}
	var full []time.Duration
	for i := range n {
		req := httptest.NewRequest("GET", "/api/v1/inbox", nil)
		req.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		full = append(full, time.Since(t0))
		if rec.Code != 200 {
			return fmt.Errorf("GET /api/v1/inbox: %d %s", rec.Code, rec.Body)
		}
	}
	report("GET /api/v1/inbox (in process)", full)
	return nil
}

// fillInbox fills a fresh database with benchUnits units (a head each, role
// unit_head) and benchTasks tasks spread evenly over them (a fifth of each
// unit's open, the rest completed, due from 15 days ago to 15 days ahead), then
// analyses it. Task g goes to unit g mod benchUnits, and is open when g div
// benchUnits is a multiple of 5: every unit has the same 20 open tasks of its 100.
// Fill it before anything else: the tasks go to the units from the lowest id on.
func fillInbox(ctx context.Context, s *store.Store) error {
	start := time.Now()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO units (code, name, kind) SELECT 'u' || g, '单位' || g, 'town' FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, []any{benchUnits}},
		{`INSERT INTO people (key, name, unit_id) SELECT 'p' || u.code, '负责人' || u.code, u.id FROM units u ON CONFLICT DO NOTHING`, nil},
		{`INSERT INTO role_grants (person_id, role, unit_id) SELECT p.id, 'unit_head', p.unit_id FROM people p ON CONFLICT DO NOTHING`, nil},
		{`INSERT INTO tasks (id, workflow_id, kind, title, subject_type, subject_id, unit_id, role, status, due_at, created_at)
		 SELECT 'bench.' || g, 'bench/' || g, CASE WHEN g % 3 = 0 THEN 'assignment.review' ELSE 'assignment.complete' END,
		        '任务' || g, 'assignment', g::text, (SELECT min(id) FROM units) + (g % $1::int), 'unit_head',
		        CASE WHEN (g / $1::int) % 5 = 0 THEN 'open' ELSE 'completed' END,
		        now() + ((g % 720) - 360) * interval '1 hour', now()
		 FROM generate_series(1, $2::int) g ON CONFLICT DO NOTHING`, []any{benchUnits, benchTasks}},
		{`ANALYZE`, nil},
	} {
		if _, err := s.DB.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("fill: %w", err)
		}
	}
	var tasks, units int
	if err := s.DB.GetContext(ctx, &tasks, `SELECT count(*) FROM tasks`); err != nil {
		return err
	}
	if err := s.DB.GetContext(ctx, &units, `SELECT count(*) FROM units`); err != nil {
		return err
	}
	fmt.Printf("filled %d tasks over %d units in %v\n", tasks, units, time.Since(start).Round(time.Second))
	return nil
}
