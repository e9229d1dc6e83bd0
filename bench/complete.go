package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/api"
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

// benchComplete times a task completion over HTTP (HTTP → Update → activity →
// PostgreSQL → response) and a bare Update, both on the embedded server.
func benchComplete(ctx context.Context) error {
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	people, err := seed.Load(ctx, s)
	if err != nil {
		return err
	}
	tokens := map[string]string{}
	for _, p := range people {
		if tokens[p.Key] == "" {
			if tokens[p.Key], err = store.IssueToken(ctx, s.DB, p.ID, "bench"); err != nil {
				return err
			}
		}
	}
	ts, err := devenv.StartTemporal(devenv.TemporalOptions{Namespace: "default"})
	if err != nil {
		return err
	}
	defer ts.Stop()
	c, err := client.Dial(client.Options{HostPort: ts.HostPort, Logger: nil})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, "bench", worker.Options{})
	engine.Register(w, &activities.Activities{Store: s, Temporal: c})
	w.RegisterWorkflowWithOptions(bareUpdate, workflow.RegisterOptions{Name: "BareUpdate"})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	gin.SetMode(gin.ReleaseMode)
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(api.New(api.Deps{Store: s, Temporal: c, TaskQueue: "bench", Registry: reg, Gatherer: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	post := func(path, person string, body any) (int, []byte, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokens[person])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out, nil
	}

	const n = 300
	due := time.Now().Add(30 * 24 * time.Hour)
	var ids []int64
	for range n {
		code, body, err := post("/api/v1/assignments", "yjj-office", map[string]any{"title": "基准测试", "content": "x", "due_at": due, "assignee_unit": "jcg", "ladder": []any{}})
		if err != nil || code != 201 {
			return fmt.Errorf("create: %d %s %v", code, body, err)
		}
		var a store.Assignment
		_ = json.Unmarshal(body, &a)
		ids = append(ids, a.ID)
	}
	for _, id := range ids { // every task is in the inbox before timing starts
		for {
			var k int
			_ = s.DB.Get(&k, `SELECT count(*) FROM tasks WHERE id = $1`, fmt.Sprintf("assignment.%d.complete.1", id))
			if k == 1 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	var complete []time.Duration
	for _, id := range ids {
		t0 := time.Now()
		code, body, err := post(fmt.Sprintf("/api/v1/tasks/assignment.%d.complete.1/complete", id), "jcg-head", map[string]any{"result": "已完成"})
		complete = append(complete, time.Since(t0))
		if err != nil || code != 200 {
			return fmt.Errorf("complete: %d %s %v", code, body, err)
		}
	}
	report("complete over HTTP (Update+activity+PG)", complete)

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-bare", TaskQueue: "bench"}, "BareUpdate")
	if err != nil {
		return err
	}
	var bare []time.Duration
	for i := range n {
		t0 := time.Now()
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), UpdateName: "noop", WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{i}})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		bare = append(bare, time.Since(t0))
		if err != nil {
			return err
		}
	}
	report("bare Update (client → workflow → client)", bare)
	p50c, p99c := percentiles(complete)
	p50b, p99b := percentiles(bare)
	fmt.Printf("overhead ratio: p50 %.1fx, p99 %.1fx\n", float64(p50c)/float64(p50b), float64(p99c)/float64(p99b))
	return c.SignalWorkflow(ctx, run.GetID(), "", "stop", nil)
}
