package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/devenv"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// benchReports adds towns until 10,000 units report, starts one month of
// monthly reports on the embedded server (file store, as `zeren dev` runs it)
// and measures how fast the report workflows start, and the process's memory
// with them all open (server and worker share this process).
func benchReports(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reports", flag.ContinueOnError)
	cache := fs.Int("cache", 0, "the worker's sticky cache size (0: the SDK's 10,000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cache > 0 {
		worker.SetStickyWorkflowCacheSize(*cache)
	}
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := seed.Load(ctx, s); err != nil {
		return err
	}
	if err := addTowns(ctx, s, "b", "基准单位", 9975); err != nil {
		return err
	}
	units, err := store.ReportingUnits(ctx, s.DB, seed.DemoCampaignID)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "zeren-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ts, err := devenv.StartTemporal(devenv.TemporalOptions{DatabaseFile: dir + "/temporal.db", Namespace: "default"})
	if err != nil {
		return err
	}
	defer ts.Stop()
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: ts.HostPort, Logger: quiet})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, "bench", worker.Options{})
	engine.Register(w, &activities.Activities{Store: s, Temporal: c})
	w.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "Noop"})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()

	// The floor: bare workflow starts, 16 at a time, on the same server.
	const bare = 2000
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, bare)
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("noop/%d", i), TaskQueue: "bench"}, "Noop"); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range bare {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	floor := float64(bare) / time.Since(t0).Seconds()
	fmt.Printf("%d bare workflow starts (16 clients): %.0f starts/s\n", bare, floor)

	period := time.Now().Format("2006-01")
	start := time.Now()
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: contract.ReportMonthID(seed.DemoCampaignID, period), TaskQueue: "bench"},
		contract.ReportMonthWorkflow, contract.ReportMonthInput{CampaignID: seed.DemoCampaignID, Period: period}); err != nil {
		return err
	}
	// Started: the process ran its first activity (its report row); open: its task is in the inbox.
	var started time.Duration
	for {
		var rows, open int
		if err := s.DB.Get(&rows, `SELECT count(*) FROM reports WHERE period = $1`, period); err != nil {
			return err
		}
		if err := s.DB.Get(&open, `SELECT count(*) FROM tasks WHERE kind = 'report.submit'`); err != nil {
			return err
		}
		if started == 0 && rows >= len(units) {
			started = time.Since(start)
		}
		if open >= len(units) {
			break
		}
		if time.Since(start) > 30*time.Minute {
			return fmt.Errorf("only %d of %d reports open after 30 minutes", open, len(units))
		}
		time.Sleep(time.Second)
	}
	took := time.Since(start)
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("%d monthly-report workflows started and through their first activity in %v: %.0f workflows/s\n",
		len(units), started.Round(time.Second), float64(len(units))/started.Seconds())
	fmt.Printf("%d monthly-report workflows waiting on their inbox task in %v: %.0f workflows/s\n",
		len(units), took.Round(time.Second), float64(len(units))/took.Seconds())
	fmt.Printf("the month reaches the inboxes at %.2f× the bare start rate\n", float64(len(units))/took.Seconds()/floor)
	fmt.Printf("memory with them open (Temporal server + worker + API client in one process): heap in use %d MiB, RSS %s\n",
		m.HeapInuse>>20, rss())
	return nil
}

// rss reads the process's resident set size from /proc.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.Atoi(f[1])
				return fmt.Sprintf("%d MiB", kb>>10)
			}
		}
	}
	return "unknown"
}
