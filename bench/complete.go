package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/config"
	"github.com/zeren-county/zeren/internal/devenv"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// bareUpdate is a workflow whose Update does nothing: the floor under every completion.
func bareUpdate(ctx workflow.Context) error {
	done := false
	if err := workflow.SetUpdateHandler(ctx, "noop", func(ctx workflow.Context, n int) (int, error) { return n, nil }); err != nil {
		return err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, "stop").Receive(ctx, nil)
		done = true
	})
	return workflow.Await(ctx, func() bool { return done })
}

// noop sends the bare Update to workflow id and waits for its answer.
func noop(ctx context.Context, c client.Client, id string, n int) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: "noop",
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{n}})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// quietLogger logs the SDK's warnings and errors only.
func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

// dialBench connects a benchmark's client to the server as zeren's own
// processes do (config.Temporal: no gzip on this machine).
func dialBench(hostPort string) (client.Client, error) {
	return client.Dial(client.Options{HostPort: hostPort, Logger: quietLogger(),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: config.Temporal{HostPort: hostPort}.GrpcCompression()}})
}

// benchEngine is zeren on the embedded server for a benchmark: the store with
// the demo county, a worker on task queue "bench", and the API over HTTP.
type benchEngine struct {
	s      *store.Store
	c      client.Client
	srv    *httptest.Server
	tokens map[string]string
	close  func()
}

func startBenchEngine(ctx context.Context, extra ...func(worker.Worker)) (*benchEngine, error) {
	s, err := openStore(ctx)
	if err != nil {
		return nil, err
	}
	var closers []func()
	e := &benchEngine{s: s, tokens: map[string]string{}}
	e.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, func() { s.Close() })
	fail := func(err error) (*benchEngine, error) { e.close(); return nil, err }
	people, err := seed.Load(ctx, s)
	if err != nil {
		return fail(err)
	}
	for _, p := range people {
		if e.tokens[p.Key] == "" {
			if e.tokens[p.Key], err = store.IssueToken(ctx, s.DB, p.ID, "bench"); err != nil {
				return fail(err)
			}
		}
	}
	ts, err := devenv.StartTemporal(devenv.TemporalOptions{Namespace: "default"})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { ts.Stop() })
	if e.c, err = dialBench(ts.HostPort); err != nil {
		return fail(err)
	}
	closers = append(closers, e.c.Close)
	w := worker.New(e.c, "bench", worker.Options{})
	engine.Register(w, &activities.Activities{Store: s, Temporal: e.c})
	for _, f := range extra {
		f(w)
	}
	if err := w.Start(); err != nil {
		return fail(err)
	}
	closers = append(closers, w.Stop)
	gin.SetMode(gin.ReleaseMode)
	reg := prometheus.NewRegistry()
	e.srv = httptest.NewServer(api.New(api.Deps{Store: s, Temporal: e.c, TaskQueue: "bench", Registry: reg, Gatherer: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	closers = append(closers, e.srv.Close)
	return e, nil
}

// post sends a JSON request to the API as person.
func (e *benchEngine) post(path, person string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.tokens[person])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out, nil
}

// awaitTask waits until a task's row is in the inbox.
func (e *benchEngine) awaitTask(ctx context.Context, id string) error {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var k int
		if err := e.s.DB.GetContext(ctx, &k, `SELECT count(*) FROM tasks WHERE id = $1 AND status = 'open'`, id); err != nil {
			return err
		}
		if k == 1 {
			return nil
		}
	}
	return fmt.Errorf("task %s never opened", id)
}

// awaitRungs waits until a process's ladder has fired n rungs.
func (e *benchEngine) awaitRungs(ctx context.Context, workflowID string, n int) error {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var k int
		if err := e.s.DB.GetContext(ctx, &k, `SELECT count(*) FROM audit_log WHERE action = 'rung.fired' AND task_id LIKE $1`,
			strings.ReplaceAll(workflowID, "/", ".")+".%"); err != nil {
			return err
		}
		if k >= n {
			return nil
		}
	}
	var fired []string
	_ = e.s.DB.SelectContext(ctx, &fired, `SELECT after->>'action' FROM audit_log WHERE action = 'rung.fired' AND task_id LIKE $1 ORDER BY seq`,
		strings.ReplaceAll(workflowID, "/", ".")+".%")
	return fmt.Errorf("%s: fewer than %d rungs fired in a minute (fired: %v)", workflowID, n, fired)
}

// benchComplete times a task completion over HTTP (HTTP → Update → local
// activity → PostgreSQL → response) and a bare Update, both on the embedded
// server: n of each back to back, or with -gap between one's answer and the
// next request (a person does not complete tasks back to back; the process's
// next steps then run between completions instead of beside the next one).
func benchComplete(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("complete", flag.ExitOnError)
	n := fs.Int("n", 300, "completions, and as many bare Updates")
	gap := fs.Duration("gap", 0, "pause after each answer before the next request (0: back to back)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := startBenchEngine(ctx, func(w worker.Worker) {
		w.RegisterWorkflowWithOptions(bareUpdate, workflow.RegisterOptions{Name: "BareUpdate"})
	})
	if err != nil {
		return err
	}
	defer e.close()
	c, post := e.c, e.post

	due := time.Now().Add(30 * 24 * time.Hour)
	var ids []int64
	for range *n {
		code, body, err := post("/api/v1/assignments", "yjj-office", map[string]any{"title": "基准测试", "content": "x", "due_at": due, "assignee_unit": "jcg", "ladder": []any{}})
		if err != nil || code != 201 {
			return fmt.Errorf("create: %d %s %v", code, body, err)
		}
		var a store.Assignment
		_ = json.Unmarshal(body, &a)
		ids = append(ids, a.ID)
	}
	for _, id := range ids { // every task is in the inbox before timing starts
		if err := e.awaitTask(ctx, fmt.Sprintf("assignment.%d.complete.1", id)); err != nil {
			return err
		}
	}
	stop, err := profileCPU()
	if err != nil {
		return err
	}
	var complete []time.Duration
	began := time.Now()
	for _, id := range ids {
		t0 := time.Now()
		code, body, err := post(fmt.Sprintf("/api/v1/tasks/assignment.%d.complete.1/complete", id), "jcg-head", map[string]any{"result": "已完成"})
		complete = append(complete, time.Since(t0))
		if err != nil || code != 200 {
			stop()
			return fmt.Errorf("complete: %d %s %v", code, body, err)
		}
		time.Sleep(*gap)
	}
	stop()
	report(fmt.Sprintf("complete over HTTP, gap %v", *gap), complete)
	if os.Getenv("BENCH_TRACE") != "" {
		time.Sleep(2 * time.Second) // the processes' next steps, after the answers
		for _, id := range ids[len(ids)-3:] {
			printHistory(ctx, c, contract.AssignmentID(id), began)
		}
	}
	return beside(ctx, c, "completion over HTTP", complete, *gap)
}

// beside runs as many bare Updates, one after another, as took has samples,
// and prints them with their ratio to took.
func beside(ctx context.Context, c client.Client, what string, took []time.Duration, gap time.Duration) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-bare", TaskQueue: "bench"}, "BareUpdate")
	if err != nil {
		return err
	}
	var bare []time.Duration
	for i := range len(took) {
		t0 := time.Now()
		if err := noop(ctx, c, run.GetID(), i); err != nil {
			return err
		}
		bare = append(bare, time.Since(t0))
		time.Sleep(gap)
	}
	report(fmt.Sprintf("bare Update, gap %v", gap), bare)
	p50c, p99c := percentiles(took)
	p50b, p99b := percentiles(bare)
	fmt.Printf("%s over a bare Update: p50 %.1fx, p99 %.1fx\n", what, float64(p50c)/float64(p50b), float64(p99c)/float64(p99b))
	return c.SignalWorkflow(ctx, run.GetID(), "", "stop", nil)
}

// printHistory prints a workflow's history on one line: when its first event
// came after from, then each event with the time since the one before.
func printHistory(ctx context.Context, c client.Client, id string, from time.Time) {
	line := id
	var prev time.Time
	for it := c.GetWorkflowHistory(ctx, id, "", false, 0); it.HasNext(); {
		e, err := it.Next()
		if err != nil {
			break
		}
		at := e.GetEventTime().AsTime()
		if prev.IsZero() {
			line += fmt.Sprintf(" at %+dms:", at.Sub(from).Milliseconds())
		} else {
			line += fmt.Sprintf(" +%.1fms", float64(at.Sub(prev).Microseconds())/1000)
		}
		prev = at
		line += " " + strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")
	}
	fmt.Println(line)
}
