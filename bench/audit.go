package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// benchAudit measures the audit log under concurrent writers: each writer
// works for its own unit of the demo county and commits, one short
// transaction at a time, an outbox row and its audit row (store.Append),
// as a task's notice does. It prints the audited writes per second and the
// p50/p99 latency of one write (begin to commit), then verifies the chains.
func benchAudit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	writers := fs.Int("writers", 16, "concurrent writers, each on a different unit")
	duration := fs.Duration("duration", 20*time.Second, "how long the writers write (ignored with -n)")
	count := fs.Int("n", 0, "writes per writer (0: write for -duration)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *writers < 1 {
		return errors.New("-writers must be at least 1")
	}
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := seed.Load(ctx, s); err != nil {
		return err
	}
	if err := addTowns(ctx, s, "a", "审计基准单位", *writers); err != nil {
		return err
	}
	var units []int64
	if err := s.DB.SelectContext(ctx, &units, `SELECT id FROM units WHERE code ~ '^a[0-9]+$' ORDER BY id LIMIT $1`, *writers); err != nil {
		return fmt.Errorf("bench units: %w", err)
	}
	if len(units) < *writers {
		return fmt.Errorf("bench units: %d, want %d", len(units), *writers)
	}
	var before int64
	if err := s.DB.GetContext(ctx, &before, `SELECT count(*) FROM audit_log`); err != nil {
		return fmt.Errorf("count audit rows: %w", err)
	}

	run := time.Now().UnixNano() // keys stay unique when the benchmark runs again on the same database
	deadline := time.Now().Add(*duration)
	lat := make([][]time.Duration, *writers)
	errs := make([]error, *writers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if *count > 0 && i >= *count || *count == 0 && time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				if err := auditedWrite(ctx, s, units[w], fmt.Sprintf("bench.audit:%d:%d:%d", run, w, i)); err != nil {
					errs[w] = err
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) == 0 {
		return errors.New("no write completed")
	}
	fmt.Printf("%d writers over %d units, %v, GOMAXPROCS %d\n", *writers, len(units), elapsed.Round(time.Millisecond), runtime.GOMAXPROCS(0))
	fmt.Printf("%-40s %d in %v: %.0f/s\n", "audited writes", len(all), elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds())
	report("audited write (outbox + audit row)", all)

	t0 := time.Now()
	res, err := store.VerifyAudit(ctx, s.DB)
	if err != nil {
		return err
	}
	if res.Broken {
		return fmt.Errorf("audit log broken at row %d: %s", res.BadSeq, res.Problem)
	}
	if want := before + int64(len(all)); res.Rows != want {
		return fmt.Errorf("audit log has %d rows, want %d", res.Rows, want)
	}
	fmt.Printf("%-40s %d rows intact in %v\n", "audit verify", res.Rows, time.Since(t0).Round(time.Millisecond))
	return nil
}

// auditedWrite commits one notice for unit and its audit row, both keyed key.
func auditedWrite(ctx context.Context, s *store.Store, unit int64, key string) error {
	return s.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := store.Enqueue(ctx, tx, store.Notification{Key: key, UnitID: unit, Kind: "task",
			Title: "【待办】基准", Body: "审计链基准写入。"}); err != nil {
			return err
		}
		added, err := store.Append(ctx, tx, store.Event{Key: key, Actor: store.ActorEngine, Action: "bench.write",
			SubjectType: "unit", SubjectID: fmt.Sprint(unit), UnitID: unit, After: map[string]any{"key": key}})
		if err != nil {
			return err
		}
		if !added {
			return fmt.Errorf("audit row %s: already recorded", key)
		}
		return nil
	})
}
