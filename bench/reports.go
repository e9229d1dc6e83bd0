package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/devenv"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// benchReports adds towns until -units units report, measures the embedded
// server's floor (no-op workflows started by 16 clients and run to their
// end), starts one month of monthly reports on the same server (file store,
// as `zeren dev` runs it) and measures how fast they reach the inboxes, the
// memory with them all open — with -split, of the worker alone in its own
// process — and then completions by Update at random among them beside bare
// Updates (the sticky cache's cost, -cache).
func benchReports(ctx context.Context, args []string) error {
	if hostPort := os.Getenv(reportsWorkerEnv); hostPort != "" {
		return runReportsWorker(ctx, hostPort)
	}
	fs := flag.NewFlagSet("reports", flag.ContinueOnError)
	split := fs.Bool("split", false, "run the worker in a process of its own and measure its memory alone")
	completions := fs.Int("complete", 300, "report submissions completed by Update, at random among the open ones, after the month (0: none)")
	cache := fs.Int("cache", 0, "the worker's sticky cache size (0: the SDK's 10,000)")
	gap := fs.Duration("gap", 0, "pause after each submission's answer, and each bare Update's, before the next (0: back to back)")
	trace := fs.Bool("trace", false, "print the history of 8 reports, each event's time from the report's start")
	total := fs.Int("units", 10000, "reporting units in the month (the demo county's 25 and added towns)")
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
	c, err := dialBench(ts.HostPort)
	if err != nil {
		return err
	}
	defer c.Close()
	var workerPID int
	if *split {
		// The worker alone in its own process, as `zeren worker` runs: its memory is its own.
		child := exec.CommandContext(ctx, os.Args[0], os.Args[1:]...)
		child.Env = append(os.Environ(), reportsWorkerEnv+"="+ts.HostPort, fmt.Sprintf("%s=%d", reportsCacheEnv, *cache))
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			return err
		}
		defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
		workerPID = child.Process.Pid
	} else {
		w, err := startReportsWorker(c, s, *cache)
		if err != nil {
			return err
		}
		defer w.Stop()
	}

	// The floor: no-op workflows started 16 at a time on the same server, each
	// run to its end (its one workflow task, as a report's first), plain and eager.
	var floor float64
	for _, eager := range []bool{false, true} {
		if eager && *split {
			continue // eager starts need a worker in the starting process
		}
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
	cpu0 := cpuTime(os.Getpid(), false) + cpuTime(workerPID, false)
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
		// Where a report's time went: its start after the month's, then each event after the one before.
		_ = s.DB.Select(&ids, `SELECT workflow_id FROM tasks WHERE kind = 'report.submit' ORDER BY random() LIMIT 8`)
		for _, id := range ids {
			printHistory(ctx, c, id, start)
		}
	}
	cpu := cpuTime(os.Getpid(), false) + cpuTime(workerPID, false) - cpu0
	stop()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("%d monthly-report workflows started and through their first activity in %v: %.0f workflows/s\n",
		len(units), started.Round(time.Second), float64(len(units))/started.Seconds())
	fmt.Printf("%d monthly-report workflows waiting on their inbox task in %v: %.0f workflows/s\n",
		len(units), took.Round(time.Second), float64(len(units))/took.Seconds())
	fmt.Printf("CPU used by the server, worker and client meanwhile: %v (%.2f cores)\n", cpu.Round(time.Second), cpu.Seconds()/took.Seconds())
	fmt.Printf("the month reaches the inboxes at %.2f× the no-op workflows' best rate\n", float64(len(units))/took.Seconds()/floor)
	if workerPID == 0 {
		fmt.Printf("memory with them open (Temporal server + worker + API client in one process): heap in use %d MiB, RSS %s\n",
			m.HeapInuse>>20, rss(os.Getpid()))
	} else {
		fmt.Printf("memory with them open: the worker alone (sticky cache %s) RSS %s, peak %d MiB; Temporal server + client: heap in use %d MiB, RSS %s\n",
			cacheWords(*cache), rss(workerPID), peakRSS(workerPID), m.HeapInuse>>20, rss(os.Getpid()))
	}
	if *completions > 0 {
		if err := completeReports(ctx, s, c, *completions, *gap); err != nil {
			return err
		}
		if workerPID != 0 {
			fmt.Printf("the worker after the completions: RSS %s, peak %d MiB\n", rss(workerPID), peakRSS(workerPID))
		}
	}
	return nil
}

func cacheWords(n int) string {
	if n == 0 {
		return "the SDK's 10,000"
	}
	return strconv.Itoa(n)
}

// completeReports completes n report submissions at random among the open
// ones (most of them out of a small sticky cache) by the completion Update,
// one after another (gap apart), then as many bare Updates on the same server.
func completeReports(ctx context.Context, s *store.Store, c client.Client, n int, gap time.Duration) error {
	var open []struct {
		TaskID     string `db:"id"`
		WorkflowID string `db:"workflow_id"`
		PersonID   int64  `db:"person_id"`
		PersonKey  string `db:"key"`
	}
	if err := s.DB.SelectContext(ctx, &open, `SELECT DISTINCT ON (t.id) t.id, t.workflow_id, p.id AS person_id, p.key
FROM tasks t JOIN role_grants g ON g.unit_id = t.unit_id AND g.role = 'unit_head' JOIN people p ON p.id = g.person_id
WHERE t.kind = 'report.submit' AND t.status = 'open' ORDER BY t.id, p.id`); err != nil {
		return err
	}
	rand.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	payload := json.RawMessage(`{"figures": {"inspections": 2, "units_inspected": 2}, "problems": "无", "next_steps": "继续排查"}`)
	var took []time.Duration
	for _, t := range open[:min(n, len(open))] {
		t0 := time.Now()
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: t.WorkflowID, UpdateName: contract.UpdateCompleteTask,
			WaitForStage: client.WorkflowUpdateStageCompleted,
			Args:         []any{contract.CompleteTaskRequest{TaskID: t.TaskID, Kind: "report.submit", PersonID: t.PersonID, PersonKey: t.PersonKey, Payload: payload}}})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		if err != nil {
			return fmt.Errorf("complete %s: %w", t.TaskID, err)
		}
		took = append(took, time.Since(t0))
		time.Sleep(gap)
	}
	report(fmt.Sprintf("report submission by Update, at random among the open, gap %v", gap), took)
	return beside(ctx, c, "submission by Update", took, gap)
}

// rss reads a process's resident set size from /proc.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
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

// The worker process of `bench reports -split` is the bench itself, told by
// these variables which server to work for and its sticky cache.
const (
	reportsWorkerEnv = "ZEREN_BENCH_REPORTS_WORKER"
	reportsCacheEnv  = "ZEREN_BENCH_REPORTS_CACHE"
)

// startReportsWorker starts a worker with every workflow and activity, the
// no-op workflow and the bare Update.
func startReportsWorker(c client.Client, s *store.Store, cache int) (worker.Worker, error) {
	if cache > 0 {
		worker.SetStickyWorkflowCacheSize(cache)
	}
	w := worker.New(c, "bench", worker.Options{})
	engine.Register(w, &activities.Activities{Store: s, Temporal: c})
	w.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "Noop"})
	w.RegisterWorkflowWithOptions(bareUpdate, workflow.RegisterOptions{Name: "BareUpdate"})
	return w, w.Start()
}

// runReportsWorker is the worker process of `bench reports -split`: it works
// until it is killed.
func runReportsWorker(ctx context.Context, hostPort string) error {
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := dialBench(hostPort)
	if err != nil {
		return err
	}
	defer c.Close()
	cache, _ := strconv.Atoi(os.Getenv(reportsCacheEnv))
	w, err := startReportsWorker(c, s, cache)
	if err != nil {
		return err
	}
	defer w.Stop()
	<-ctx.Done()
	return nil
}
