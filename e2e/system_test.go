// Package e2e runs zeren end to end: the embedded Temporal server, a real
// PostgreSQL, a worker, and the HTTP API over a real socket. It is the one test
// package that links the Temporal server (slow to build), so keep such tests here.
package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/api/apitest"
	"github.com/zeren-county/zeren/internal/devenv"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/metrics"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
	"github.com/zeren-county/zeren/web"
)

const taskQueue = "zeren-e2e"

// system is one running zeren: Temporal, worker, API.
type system struct {
	temporal *devenv.Temporal
	client   client.Client
	worker   worker.Worker
	http     *httptest.Server
	store    *store.Store
	tokens   map[string]string
	stopBeat context.CancelFunc
}

func start(t *testing.T, temporalFile string, s *store.Store, tokens map[string]string, options ...func(*activities.Activities)) *system {
	t.Helper()
	gin.SetMode(gin.TestMode)
	if temporalFile == "" {
		// A file with WAL, as `zeren dev` runs it: the shared-cache in-memory store
		// has shown torn history reads under the load of the concurrency tests.
		temporalFile = filepath.Join(t.TempDir(), "temporal.db")
	}
	ts, err := devenv.StartTemporal(devenv.TemporalOptions{DatabaseFile: temporalFile, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	c, err := client.Dial(client.Options{HostPort: ts.HostPort, Namespace: "default", MetricsHandler: metrics.NewTemporalHandler(reg),
		Logger: nil})
	if err != nil {
		_ = ts.Stop()
		t.Fatal(err)
	}
	w := worker.New(c, taskQueue, worker.Options{})
	acts := &activities.Activities{Store: s, Temporal: c}
	for _, o := range options {
		o(acts)
	}
	engine.Register(w, acts)
	// The worker's heartbeat, as in production: an outage before it is recorded first.
	beat, stopBeat := context.WithCancel(context.Background())
	if _, err := s.Beat(beat, time.Now()); err != nil {
		t.Fatal(err)
	}
	go s.Heartbeat(beat, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := w.Start(); err != nil {
		stopBeat()
		t.Fatal(err)
	}
	h := api.New(api.Deps{Store: s, Temporal: c, TaskQueue: taskQueue, Registry: reg, Gatherer: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if _, err := web.Mount(h, web.Deps{Store: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		stopBeat()
		t.Fatal(err)
	}
	// Every response the tests receive is held to api/openapi.yaml.
	sys := &system{temporal: ts, client: c, worker: w, http: httptest.NewServer(apitest.Conforming(t, h)), store: s, tokens: tokens, stopBeat: stopBeat}
	t.Cleanup(sys.stop)
	return sys
}

func (s *system) stop() {
	if s.http == nil {
		return
	}
	s.http.Close()
	s.stopBeat()
	s.worker.Stop()
	s.client.Close()
	_ = s.temporal.Stop()
	s.http = nil
}

func seeded(t *testing.T) (*store.Store, map[string]string) {
	t.Helper()
	county := testdb.NewCounty(t)
	return county.Store, county.Tokens
}

func (s *system) call(t *testing.T, method, path, person string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, s.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if person != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[person])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, body, err)
		}
	}
	return resp.StatusCode
}

type checkAnswer struct {
	Units       int    `json:"units"`
	People      int    `json:"people"`
	RequestedBy string `json:"requested_by"`
	WorkflowID  string `json:"workflow_id"`
}

// TestTheWholeLoop: HTTP → API → Temporal → worker → activity → PostgreSQL →
// workflow result → HTTP response; readiness green; a forbidden user refused.
func TestTheWholeLoop(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, filepath.Join(t.TempDir(), "temporal.db"), s, tokens)

	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if code := sys.call(t, "GET", "/readyz", "", &ready); code != 200 || ready.Status != "ok" {
		t.Fatalf("readyz %d %+v", code, ready)
	}

	var ans checkAnswer
	if code := sys.call(t, "POST", "/api/v1/system/check", "linyou-admin", &ans); code != 200 {
		t.Fatalf("system check: %d %+v", code, ans)
	}
	var units int
	if err := s.DB.Get(&units, `SELECT count(*) FROM units`); err != nil {
		t.Fatal(err)
	}
	if units <= 41 || ans.Units != units || ans.People == 0 || ans.RequestedBy != "linyou-admin" || !strings.HasPrefix(ans.WorkflowID, "system-check/") {
		t.Fatalf("answer %+v", ans)
	}

	checkHistory(t, sys.client, ans.WorkflowID, "system-check")

	var prob api.Problem
	if code := sys.call(t, "POST", "/api/v1/system/check", "gjh-head", &prob); code != 403 || prob.Type != api.TypeForbidden {
		t.Fatalf("forbidden user: %d %+v", code, prob)
	}
	if code := sys.call(t, "GET", "/api/v1/me", "", &prob); code != 401 {
		t.Fatalf("no token: %d", code)
	}

	// The SDK's metrics reach /metrics.
	resp, err := http.Get(sys.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "temporal_workflow_completed") || !strings.Contains(string(body), "zeren_http_requests_total") {
		t.Fatalf("metrics lack the SDK's or the API's series:\n%.2000s", body)
	}
}

// TestRestartKeepsData: a workflow run before a restart of the embedded server
// is still there, completed, after it.
func TestRestartKeepsData(t *testing.T) {
	s, tokens := seeded(t)
	file := filepath.Join(t.TempDir(), "temporal.db")
	sys := start(t, file, s, tokens)
	var ans checkAnswer
	if code := sys.call(t, "POST", "/api/v1/system/check", "linyou-admin", &ans); code != 200 {
		t.Fatalf("system check: %d", code)
	}
	sys.stop()

	sys = start(t, file, s, tokens)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := sys.client.DescribeWorkflowExecution(ctx, ans.WorkflowID, "")
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if st := desc.WorkflowExecutionInfo.Status; st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("after restart the workflow is %v", st)
	}
	if code := sys.call(t, "POST", "/api/v1/system/check", "linyou-admin", &ans); code != 200 {
		t.Fatalf("system check after restart: %d", code)
	}
}
