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
	trace := fs.Bool("trace", false, "print the history of 8 reports, each event's time from the report's start")
	total := fs.Int("units", 10000, "reporting units in the month (the demo county's 25 and added towns)")
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
	if *total < 25 || *total > 100000 {
		return fmt.Errorf("-units: %d is not within 25..100000", *total)
	}
	if err := addTowns(ctx, s, "b", "基准单位", *total-25); err != nil {
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

	// The floor: no-op workflows started 16 at a time on the same server, each
	// run to its end (its one workflow task, as a report's first), plain and eager.
	var floor float64
	for _, eager := range []bool{false, true} {
		accepted, ran, err := noopFloor(ctx, c, 2000, eager)
		if err != nil {
			return err
		}
		fmt.Printf("2000 no-op workflows (16 clients, eager start %v): starts accepted at %.0f/s; all run to their end at %.0f workflows/s\n", eager, accepted, ran)
		floor = max(floor, ran)
	}

	period := time.Now().Format("2006-01")
	stop, err := profileCPU()
	if err != nil {
		return err
	}
	cpu0 := cpuTime(os.Getpid(), false)
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
	if *trace {
		var ids []string
		// Where a report's time went: its start after the month's, then each event after its start.
		_ = s.DB.Select(&ids, `SELECT workflow_id FROM tasks WHERE kind = 'report.submit' ORDER BY random() LIMIT 8`)
		for _, id := range ids {
			it := c.GetWorkflowHistory(ctx, id, "", false, 0)
			var t0 time.Time
			line := id
			for it.HasNext() {
				e, err := it.Next()
				if err != nil {
					break
				}
				if t0.IsZero() {
					t0 = e.GetEventTime().AsTime()
					line += " " + t0.Sub(start).Round(time.Millisecond).String()
				}
				line += fmt.Sprintf(" | %s +%v", e.GetEventType().String(), e.GetEventTime().AsTime().Sub(t0).Round(time.Millisecond))
			}
			fmt.Println(line)
		}
	}
	cpu := cpuTime(os.Getpid(), false) - cpu0
	stop()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("%d monthly-report workflows started and through their first activity in %v: %.0f workflows/s\n",
		len(units), started.Round(time.Second), float64(len(units))/started.Seconds())
	fmt.Printf("%d monthly-report workflows waiting on their inbox task in %v: %.0f workflows/s\n",
		len(units), took.Round(time.Second), float64(len(units))/took.Seconds())
	fmt.Printf("CPU used by this process (server, worker, client) meanwhile: %v (%.2f cores)\n", cpu.Round(time.Second), cpu.Seconds()/took.Seconds())
	fmt.Printf("the month reaches the inboxes at %.2f× the no-op workflows' best rate\n", float64(len(units))/took.Seconds()/floor)
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

// noopFloor starts n no-op workflows from 16 clients and waits for each to end:
// the rate at which the server accepted the starts, and at which they ran.
func noopFloor(ctx context.Context, c client.Client, n int, eager bool) (accepted, ran float64, err error) {
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	runs := make([]client.WorkflowRun, n)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("noop/%v/%d", eager, i), TaskQueue: "bench", EnableEagerStart: eager}, "Noop")
				if err != nil {
					errs <- err
				}
				runs[i] = run
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	accepted = float64(n) / time.Since(t0).Seconds()
	for _, run := range runs {
		if err := run.Get(ctx, nil); err != nil {
			return 0, 0, err
		}
	}
	return accepted, float64(n) / time.Since(t0).Seconds(), nil
}
