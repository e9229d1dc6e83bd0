package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/devenv"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// `bench load` (issue 14, point 3): the API under load over HTTP, by a load
// generator no one here wrote (vegeta, as a library), each figure beside its
// floor measured in the same run at the same concurrency.
//
// The shape: the database filled as `bench inbox` fills it (1,000,000 tasks
// over 10,000 units); Temporal is the embedded server `zeren dev` runs
// (internal/devenv, in memory), started in this process; `zeren worker` and
// `zeren api` run as processes of their own, built from the working tree and
// configured through the environment as deploy/ configures them. So the API
// under load is the production binary and nothing else shares its process;
// the worker and the server are there for the completions. The load
// generator, PostgreSQL, the server and both zeren processes share the
// machine's cores, as the floors do.

// loadOptions are the flags of `bench load`.
type loadOptions struct {
	duration time.Duration // each measurement and each floor
	clients  int           // concurrent clients of every measurement and floor
	tokens   int           // unit heads' tokens the requests cycle through
	tasks    int           // assignments opened for the completion run
	only     string        // comma-separated subset of inbox,task,complete
	inproc   bool          // serve the API in this process (to profile it)
}

func parseLoadFlags(args []string) (loadOptions, error) {
	var o loadOptions
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "length of each measurement and of each floor")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients")
	fs.IntVar(&o.tokens, "tokens", 500, "tokens of different unit heads the requests cycle through")
	fs.IntVar(&o.tasks, "tasks", 6000, "assignments opened for the completion run (it ends early when they run out)")
	fs.StringVar(&o.only, "only", "inbox,task,complete", "the measurements to run")
	fs.BoolVar(&o.inproc, "inproc", false, "serve the API in this process instead of `zeren api` (with BENCH_CPUPROFILE: a CPU profile of the HTTP reads; without it, of the completions: the embedded Temporal server's)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.duration <= 0 || o.clients < 1 || o.tokens < 1 || o.tasks < 1 {
		return o, errors.New("-duration, -clients, -tokens and -tasks must be positive")
	}
	return o, nil
}

// loadCaller is a unit head the requests act as, and a task of their unit.
type loadCaller struct {
	PersonID int64  `db:"person_id"`
	UnitID   int64  `db:"unit_id"`
	UnitCode string `db:"code"`
	TaskID   string
	token    string
}

// figures are one measurement: every request's latency, the failures, the wall time.
type figures struct {
	lat    []time.Duration
	failed int
	took   time.Duration
	sample string // the first failure
}

func (f figures) rate() float64 {
	return float64(len(f.lat)-f.failed) / f.took.Seconds()
}

func (f figures) print(name string) {
	if len(f.lat) == 0 {
		fmt.Printf("%-44s no requests\n", name)
		return
	}
	p50, p99 := percentiles(f.lat)
	fmt.Printf("%-44s n=%-7d failed=%-4d %8.1f/s  p50=%-9v p99=%-9v max=%v\n", name, len(f.lat), f.failed, f.rate(),
		p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), slices.Max(f.lat).Round(10*time.Microsecond))
	if f.sample != "" {
		fmt.Printf("%-44s first failure: %s\n", "", f.sample)
	}
}

// compare prints a measurement, its floor, and the ratio of their throughputs.
func compare(name string, m figures, floorName string, fl figures) {
	m.print(name)
	fl.print(floorName)
	if fl.rate() > 0 {
		_, p99m := percentiles(m.lat)
		_, p99f := percentiles(fl.lat)
		fmt.Printf("%-44s throughput %.1f%% of the floor's; p99 %.1fx the floor's\n\n", "", 100*m.rate()/fl.rate(), float64(p99m)/float64(p99f))
	}
}

// attack runs vegeta with a fixed number of workers as fast as they go (rate
// 0) for d, or until next has no more targets.
func attack(name string, clients int, d time.Duration, next vegeta.Targeter) figures {
	atk := vegeta.NewAttacker(vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)),
		vegeta.Connections(clients), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var f figures
	start := time.Now()
	var last time.Time
	for r := range atk.Attack(next, vegeta.Rate{}, d, name) {
		if r.Error == vegeta.ErrNoTargets.Error() {
			continue
		}
		f.lat = append(f.lat, r.Latency)
		if end := r.Timestamp.Add(r.Latency); end.After(last) {
			last = end
		}
		if r.Code < 200 || r.Code > 299 {
			f.failed++
			if f.sample == "" {
				f.sample = fmt.Sprintf("%s %d %s %.200s", r.URL, r.Code, r.Error, r.Body)
			}
		}
	}
	f.took = last.Sub(start)
	return f
}

// floor runs op from clients goroutines back to back for d, or until op
// answers errStop.
func floor(ctx context.Context, clients int, d time.Duration, op func(ctx context.Context, client, i int) error) figures {
	var mu sync.Mutex
	var f figures
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			failed, sample := 0, ""
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				err := op(ctx, c, i)
				if errors.Is(err, errStop) {
					break
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					failed++
					if sample == "" {
						sample = err.Error()
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			f.lat = append(f.lat, lat...)
			f.failed += failed
			if f.sample == "" {
				f.sample = sample
			}
		}()
	}
	wg.Wait()
	f.took = time.Since(start)
	return f
}

var errStop = errors.New("no more work")

// benchLoad is `bench load`.
func benchLoad(ctx context.Context, args []string) error {
	opts, err := parseLoadFlags(args)
	if err != nil {
		return err
	}
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Printf("bench load: %s, %d vCPU, %d clients, %s each, %d tokens\n", time.Now().Format(time.DateTime), runtime.NumCPU(), opts.clients, opts.duration, opts.tokens)
	if err := fillInbox(ctx, s); err != nil {
		return err
	}
	people, err := seed.Load(ctx, s)
	if err != nil {
		return err
	}
	callers, err := loadCallers(ctx, s, opts.tokens)
	if err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "zeren-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ts, err := devenv.StartTemporal(devenv.TemporalOptions{Namespace: "default", LogFile: filepath.Join(dir, "temporal.log")})
	if err != nil {
		return err
	}
	defer ts.Stop()
	base, stop, err := startLoadZeren(ctx, opts, s, ts.HostPort, dir)
	if err != nil {
		return err
	}
	defer stop()

	run := func(name string) bool { return slices.Contains(strings.Split(opts.only, ","), name) }
	if run("inbox") || run("task") {
		if err := measureReads(ctx, opts, s, base, callers, run); err != nil {
			return err
		}
	}
	if run("complete") {
		var office string
		for _, p := range people {
			if p.Key == "yjj-office" {
				office, err = store.IssueToken(ctx, s.DB, p.ID, "bench-load")
				if err != nil {
					return err
				}
			}
		}
		if err := measureCompletions(ctx, opts, s, ts.HostPort, base, office, callers); err != nil {
			return err
		}
	}
	return nil
}

// loadCallers issues tokens for n heads of units spread over the filled ones,
// each with an open task of their unit for the task page.
func loadCallers(ctx context.Context, s *store.Store, n int) ([]loadCaller, error) {
	var all []loadCaller
	err := s.DB.SelectContext(ctx, &all, `SELECT p.id AS person_id, p.unit_id, u.code FROM people p JOIN units u ON u.id = p.unit_id
WHERE u.code ~ '^u[0-9]+$' AND p.key = 'p' || u.code ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("unit heads: %w", err)
	}
	if len(all) < n {
		return nil, fmt.Errorf("%d unit heads, fewer than -tokens %d", len(all), n)
	}
	out := make([]loadCaller, n)
	for i := range out {
		c := all[i*len(all)/n]
		err := s.DB.GetContext(ctx, &c.TaskID, `SELECT id FROM tasks WHERE unit_id = $1 AND role = 'unit_head' AND status = 'open'
AND person_id IS NULL ORDER BY due_at, id LIMIT 1`, c.UnitID)
		if err != nil {
			return nil, fmt.Errorf("a task of unit %s: %w", c.UnitCode, err)
		}
		if c.token, err = store.IssueToken(ctx, s.DB, c.PersonID, "bench-load"); err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// startLoadZeren builds zeren and starts `zeren worker` and `zeren api` on the
// embedded server at hostPort, or with -inproc the API in this process (and
// the worker still as its own process). It answers the API's base URL.
func startLoadZeren(ctx context.Context, opts loadOptions, s *store.Store, hostPort, dir string) (string, func(), error) {
	bin := filepath.Join(dir, "zeren")
	fmt.Println("building zeren…")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/zeren").CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("go build ./cmd/zeren: %w\n%s", err, out)
	}
	ports, err := lowPorts(2)
	if err != nil {
		return "", nil, err
	}
	env := func(extra ...string) []string {
		return envWithout([]string{"DATABASE_URL=", "ZEREN_"}, append([]string{
			"DATABASE_URL=" + os.Getenv("DATABASE_URL"), "ZEREN_TEMPORAL_HOSTPORT=" + hostPort}, extra...)...)
	}
	probe := &http.Client{Timeout: 5 * time.Second}
	metrics := fmt.Sprintf("127.0.0.1:%d", ports[0])
	listen := fmt.Sprintf("127.0.0.1:%d", ports[1])
	procs := []*proc{{name: "worker", path: bin, args: []string{"worker"}, env: env("ZEREN_WORKER_METRICS_LISTEN=" + metrics),
		dir: dir, log: filepath.Join(dir, "worker.log"), ready: httpReady(probe, "http://"+metrics+"/healthz")}}
	if !opts.inproc {
		procs = append(procs, &proc{name: "api", path: bin, args: []string{"api"}, env: env("ZEREN_API_LISTEN=" + listen),
			dir: dir, log: filepath.Join(dir, "api.log"), ready: httpReady(probe, "http://"+listen+"/readyz")})
	}
	stop := func() {
		for _, p := range procs {
			if err := p.stop(15 * time.Second); err != nil {
				fmt.Fprintln(os.Stderr, "bench load:", err)
			}
		}
	}
	for _, p := range procs {
		if err := p.start(ctx, 2*time.Minute); err != nil {
			stop()
			return "", nil, err
		}
	}
	if !opts.inproc {
		return "http://" + listen, stop, nil
	}
	// The API in this process, as `zeren api` builds it: a client of the
	// server, its request log as JSON (to a file here).
	c, err := dialBench(hostPort)
	if err != nil {
		stop()
		return "", nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "api.log"))
	if err != nil {
		c.Close()
		stop()
		return "", nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(api.New(api.Deps{Store: s, Temporal: c, TaskQueue: "zeren", Registry: reg, Gatherer: reg,
		Log: slog.New(slog.NewJSONHandler(logFile, nil))}))
	return srv.URL, func() { srv.Close(); logFile.Close(); c.Close(); stop() }, nil
}

// measureReads runs the inbox and the task page, each beside its bare SQL read.
func measureReads(ctx context.Context, opts loadOptions, s *store.Store, base string, callers []loadCaller, run func(string) bool) error {
	stopProfile, err := func() (func(), error) {
		if !opts.inproc {
			return func() {}, nil
		}
		return profileCPU()
	}()
	if err != nil {
		return err
	}
	var next atomic.Uint64
	pick := func() loadCaller { return callers[(next.Add(1)-1)%uint64(len(callers))] }
	target := func(path func(loadCaller) string) vegeta.Targeter {
		return func(t *vegeta.Target) error {
			c := pick()
			t.Method, t.URL = http.MethodGet, base+path(c)
			t.Header = http.Header{"Authorization": {"Bearer " + c.token}}
			return nil
		}
	}
	var inbox, task figures
	if run("inbox") {
		inbox = attack("inbox", opts.clients, opts.duration, target(func(loadCaller) string { return "/api/v1/inbox" }))
	}
	if run("task") {
		task = attack("task", opts.clients, opts.duration, target(func(c loadCaller) string { return "/api/v1/tasks/" + c.TaskID }))
	}
	stopProfile()
	if run("inbox") {
		// The floor: the page query alone (50 rows by due time), as the handler sends it.
		fl := floor(ctx, opts.clients, opts.duration, func(ctx context.Context, _, _ int) error {
			c := pick()
			_, _, err := store.Inbox(ctx, s.DB, store.InboxQuery{PersonID: c.PersonID, UnitIDs: []int64{c.UnitID}, Roles: []string{"unit_head"}, Now: time.Now(), Limit: 50})
			return err
		})
		compare("GET /api/v1/inbox (mixed tokens)", inbox, "floor: inbox page query (store.Inbox)", fl)
	}
	if run("task") {
		// The floor: the page's query alone (the task with its history), as
		// the handler sends it; and the task's row alone, for reference.
		fl := floor(ctx, opts.clients, opts.duration, func(ctx context.Context, _, _ int) error {
			_, err := store.TaskPageOf(ctx, s.DB, pick().TaskID, 100)
			return err
		})
		compare("GET /api/v1/tasks/{id} (a task of the unit)", task, "floor: the page's query (store.TaskPageOf)", fl)
		row := floor(ctx, opts.clients, opts.duration, func(ctx context.Context, _, _ int) error {
			_, err := store.TaskByID(ctx, s.DB, pick().TaskID)
			return err
		})
		compare("GET /api/v1/tasks/{id} (a task of the unit)", task, "reference: the task's row (store.TaskByID)", row)
	}
	return nil
}

// measureCompletions opens opts.tasks assignments, one to each caller's unit in
// turn; measures the floor, bare Updates to 16 workflows (one per client) on
// the same server; then completes the assignments' tasks 16 at a time over
// HTTP, each by its unit's head.
func measureCompletions(ctx context.Context, opts loadOptions, s *store.Store, hostPort, base, office string, callers []loadCaller) error {
	type open struct {
		task  string
		token string
	}
	tasks := make([]open, opts.tasks)
	start := time.Now()
	var made atomic.Int64
	err := parallel(opts.clients, opts.tasks, func(i int) error {
		c := callers[i%len(callers)]
		body := fmt.Sprintf(`{"title":"负载测试 %d","content":"x","due_at":%q,"assignee_unit":%q,"ladder":[]}`,
			i, time.Now().Add(30*24*time.Hour).Format(time.RFC3339), c.UnitCode)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/assignments", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+office)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("create an assignment: %d %s", res.StatusCode, b)
		}
		var a store.Assignment
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		tasks[i] = open{task: fmt.Sprintf("assignment.%d.complete.1", a.ID), token: c.token}
		made.Add(1)
		return nil
	})
	if err != nil {
		return err
	}
	ids := make([]string, len(tasks))
	for i, t := range tasks {
		ids[i] = t.task
	}
	err = poll(ctx, 500*time.Millisecond, 10*time.Minute, "every assignment's task to open", func() (bool, error) {
		var n int
		err := s.DB.GetContext(ctx, &n, `SELECT count(*) FROM tasks WHERE id = ANY($1) AND status = 'open'`, pq.Array(ids))
		return n == len(ids), err
	})
	if err != nil {
		return err
	}
	fmt.Printf("opened %d assignments (a real process each) in %v\n", made.Load(), time.Since(start).Round(time.Second))

	// The floor first, so that no completed process's next steps (its review
	// task) run beside it: bare Updates that do nothing, one workflow per
	// client, on a worker of this process against the same server.
	c, err := dialBench(hostPort)
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, "bench-bare", worker.Options{})
	w.RegisterWorkflowWithOptions(bareUpdate, workflow.RegisterOptions{Name: "BareUpdate"})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	runs := make([]string, opts.clients)
	for i := range runs {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bench-load-bare-%d", i), TaskQueue: "bench-bare"}, "BareUpdate")
		if err != nil {
			return err
		}
		runs[i] = run.GetID()
	}
	// Each bare workflow answers one Update before the floor is timed: the
	// first, sent while a workflow's first task may still be on its way, has
	// waited up to 20 s, and a floor held up by it flattered the ratio.
	if err := parallel(opts.clients, len(runs), func(i int) error { return noop(ctx, c, runs[i], -1) }); err != nil {
		return err
	}
	fl := floor(ctx, opts.clients, opts.duration, func(ctx context.Context, cl, i int) error { return noop(ctx, c, runs[cl], i) })
	for _, id := range runs {
		_ = c.SignalWorkflow(ctx, id, "", "stop", nil)
	}
	// Without -inproc the API and the worker are processes of their own, so a
	// profile of this one is the embedded Temporal server's (and vegeta's).
	stopProfile := func() {}
	if !opts.inproc {
		if stopProfile, err = profileCPU(); err != nil {
			return err
		}
	}
	var next atomic.Int64
	complete := attack("complete", opts.clients, opts.duration, func(t *vegeta.Target) error {
		i := next.Add(1) - 1
		if i >= int64(len(tasks)) {
			return vegeta.ErrNoTargets
		}
		t.Method, t.URL = http.MethodPost, base+"/api/v1/tasks/"+tasks[i].task+"/complete"
		t.Body = []byte(`{"result":"已完成"}`)
		t.Header = http.Header{"Authorization": {"Bearer " + tasks[i].token}, "Content-Type": {"application/json"}}
		return nil
	})
	stopProfile()
	if int(next.Load()) > len(tasks) {
		fmt.Printf("(the completions ran out of open tasks after %v: raise -tasks)\n", complete.took.Round(time.Second))
	}
	compare("POST /api/v1/tasks/{id}/complete (different)", complete, "floor: bare Update (one workflow per client)", fl)
	return nil
}

// parallel runs f(0) … f(n-1) from k goroutines and answers the first error.
func parallel(k, n int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
