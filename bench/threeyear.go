package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"runtime"
	"time"
	"unsafe"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/demo/virtual"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// benchThreeYear runs the whole three-year demo campaign in the time-skipping
// environment with the default behaviour model, for the demo county's 25
// units or, with -units, as many (extra towns added, each with its head).
func benchThreeYear(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("threeyear", flag.ContinueOnError)
	units := fs.Int("units", 25, "reporting units (25: the demo county; more adds towns)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := seed.Load(ctx, s); err != nil {
		return err
	}
	if extra := *units - 25; extra > 0 {
		if err := addTowns(ctx, s, "v", "虚拟镇", extra); err != nil {
			return err
		}
	}
	camp, err := store.CampaignByID(ctx, s.DB, seed.DemoCampaignID)
	if err != nil {
		return err
	}
	county, err := store.CountyUnit(ctx, s.DB)
	if err != nil {
		return err
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	widenCallbackQueue(env)
	engine.Register(env, &activities.Activities{Store: s, MaxChildren: 1 << 30})
	virtual.Register(env)
	env.SetStartTime(time.Date(2020, 3, 31, 23, 0, 0, 0, camp.Location()))
	env.SetTestTimeout(6 * time.Hour)
	env.SetDetachedChildWait(false)
	p := &virtual.Player{Env: env, Store: s, Model: demo.DefaultModel(), Every: 6 * time.Hour}
	p.Start()
	cal := domain.CampaignCalendar(camp.StartsOn, camp.EndsOn, camp.Location(), camp.FullPolicy())
	began := time.Now()
	env.ExecuteWorkflow(virtual.CampaignDriver, contract.CampaignInput{ID: camp.ID, LeaderUnitID: county.ID, Calendar: cal}, 60*24*time.Hour)
	p.Stop()
	took := time.Since(began)
	if err := env.GetWorkflowError(); err != nil {
		return err
	}
	if len(p.Errs) > 0 {
		return fmt.Errorf("%d errors acting, first: %s", len(p.Errs), p.Errs[0])
	}
	count := func(q string) int {
		var n int
		_ = s.DB.Get(&n, q)
		return n
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("three-year demo campaign, %d units, time-skipping: %v wall\n", *units, took.Round(time.Second))
	fmt.Printf("  pledges %d, reports %d (late %d), notices %d, interviews %d, deductions %d, completions %d, open tasks at the end %d\n",
		count(`SELECT count(*) FROM pledges`), count(`SELECT count(*) FROM reports`), count(`SELECT count(*) FROM reports WHERE late_seconds > 0`),
		count(`SELECT count(*) FROM notices`), count(`SELECT count(*) FROM interviews`), count(`SELECT count(*) FROM score_ledger`),
		count(`SELECT count(*) FROM tasks WHERE status = 'completed'`), count(`SELECT count(*) FROM tasks WHERE status = 'open'`))
	fmt.Printf("  Go heap at the end %d MiB (total allocated %d MiB), RSS %s\n", m.HeapInuse>>20, m.TotalAlloc>>20, rss(os.Getpid()))
	return nil
}

// widenCallbackQueue replaces the test environment's queue of 1,000 callbacks
// with a far longer one. Its main loop fires every timer due at one virtual
// instant by posting to that queue itself, and a province's 2,500 reports share
// their deadlines: with the SDK's queue the environment hangs. Benchmark only:
// it reaches into the SDK's unexported state (go.temporal.io/sdk v1.50.0).
func widenCallbackQueue(env *testsuite.TestWorkflowEnvironment) {
	impl := reflect.ValueOf(env).Elem().FieldByName("impl").Elem()
	f := impl.FieldByName("callbackChannel")
	f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
	f.Set(reflect.MakeChan(f.Type(), 1<<20))
}
