package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/zeren-county/zeren/internal/config"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/pgdev"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// The production shape on one machine (`go run ./bench cluster`, by hand, not
// part of `make test`): PostgreSQL; the Temporal server built from
// go.temporal.io/server at the version zeren's go.mod pins, as a process of
// its own on PostgreSQL persistence, its schema set up by the server's SQL
// tool, with mTLS (deploy/build-temporal.sh, deploy/temporal-schema.sh,
// deploy/temporal/temporal-server.yaml); two `zeren worker` and two `zeren
// api` configured only through deploy/zeren/temporal.yaml and the
// environment, started as deploy/systemd starts them. The demo bot plays one
// campaign month for -units units through both APIs alternately; halfway (or
// at -kill-at) one worker and one API are killed with SIGKILL and, after
// -down, started again (as systemd's Restart= would). Then the campaign is paused and checked: the
// chaos run's invariants (chaos_check.go), and the cluster's own
// (cluster_check.go).

// clusterOptions are the flags of `bench cluster`.
type clusterOptions struct {
	units  int
	speed  float64
	until  time.Time     // campaign time at which the run pauses and checks
	killAt time.Time     // campaign time of the kills; default halfway to until
	down   time.Duration // how long the killed worker and API stay dead
	bots   int           // bots playing side by side, each a share of the people
	shards int           // the Temporal cluster's history shards
	rev    string        // build zeren and take deploy/ from this revision ("": the working tree)
	keep   bool
}

const (
	// clusterNamespace is the namespace deploy/zeren/temporal.yaml names.
	clusterNamespace = "zeren"
	// clusterRetention is the namespace's retention of closed workflows.
	clusterRetention = 30 * 24 * time.Hour
	// clusterTowns prefixes the codes of the towns added to reach -units.
	clusterTowns = "k"
)

// parseClusterFlags reads the flags of `bench cluster`.
func parseClusterFlags(args []string) (clusterOptions, error) {
	var o clusterOptions
	var until, killAt string
	fs := flag.NewFlagSet("bench cluster", flag.ContinueOnError)
	fs.IntVar(&o.units, "units", 500, "reporting units (the demo county's 25 and added towns)")
	fs.Float64Var(&o.speed, "speed", 5000, "campaign clock speed (5000: a campaign day in 17.3 s)")
	fs.StringVar(&until, "until", "2020-05-18", "campaign day (YYYY-MM-DD) at which to pause and check: past April's reports' last rung (15 May 18:00) and the check's day of margin")
	fs.StringVar(&killAt, "kill-at", "", "campaign time (YYYY-MM-DD or YYYY-MM-DDTHH:MM) of the kills (default: halfway to -until)")
	fs.DurationVar(&o.down, "down", 20*time.Second, "how long the killed worker and API stay dead before they are started again")
	fs.IntVar(&o.bots, "bots", 2, "bots playing side by side, each acting for a share of the people (each reads inboxes back to back)")
	fs.IntVar(&o.shards, "shards", 4, "history shards of the Temporal cluster (TEMPORAL_NUM_HISTORY_SHARDS)")
	fs.StringVar(&o.rev, "rev", "", "build zeren and take deploy/ from this git revision (default: the working tree)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (binaries, data, logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	u, err := time.ParseInLocation(time.DateOnly, until, chaosZone)
	if err != nil {
		return o, fmt.Errorf("-until %q is not YYYY-MM-DD: %w", until, err)
	}
	switch {
	case u.Sub(campaignFirstDay) < 7*24*time.Hour || u.After(time.Date(2022, 12, 31, 0, 0, 0, 0, chaosZone)):
		return o, fmt.Errorf("-until %s: from 2020-04-08 to 2022-12-31", until)
	case o.units < 25:
		return o, fmt.Errorf("-units %d: at least the demo county's 25", o.units)
	case o.speed < 100 || o.speed > 100000:
		return o, fmt.Errorf("-speed %g: from 100 to 100000", o.speed)
	case o.bots < 1 || o.shards < 1:
		return o, errors.New("-bots and -shards must be at least 1")
	}
	o.until = u
	o.killAt = campaignFirstDay.Add(u.Sub(campaignFirstDay) / 2).Truncate(time.Hour)
	if killAt != "" {
		k, err := time.ParseInLocation("2006-01-02T15:04", killAt, chaosZone)
		if err != nil {
			k, err = time.ParseInLocation(time.DateOnly, killAt, chaosZone)
		}
		if err != nil || !k.After(campaignFirstDay) || !k.Before(u) {
			return o, fmt.Errorf("-kill-at %q: a campaign time after 2020-04-01 and before -until", killAt)
		}
		o.killAt = k
	}
	return o, nil
}

// clusterRun is one run: its folder, its processes, and what happened.
type clusterRun struct {
	opts     clusterOptions
	repo     string // where deploy/ and the sources are read from
	dir      string
	bin      string // the Temporal binaries and schema (deploy/build-temporal.sh)
	zerenBin string
	version  string // the Temporal server's version
	revision string // zeren's commit, or "the working tree"

	pg       *pgdev.Server
	pgPort   int
	tls      clusterTLS
	frontend string // the frontend's host:port
	temporal *proc
	workers  []*proc
	apis     []*proc
	zerenCfg string // temporal.yaml of the zeren processes

	people []demo.Person
	tokens map[string]string
	lb     *roundRobin
	http   *http.Client
	bots   []*demo.Bot

	began    time.Time
	steps    []timedStep
	played   time.Time // when the campaign started to run
	kills    []killRecord
	pausedAt time.Time
	usage    []procUsage
}

// timedStep is a step of the run and its wall time.
type timedStep struct {
	name string
	took time.Duration
}

// killRecord is the SIGKILL of a worker and an API, and their return.
type killRecord struct {
	names      []string
	campaignAt time.Time
	wallAt     time.Duration // since the campaign started to run
	back       time.Duration // until both served again
}

// procUsage is a process's CPU time and peak RSS at the end of the run.
type procUsage struct {
	name string
	cpu  time.Duration
	rss  int // MiB; 0 when not known
	note string
}

// benchCluster runs the whole production-shape run and fails on any violation.
func benchCluster(ctx context.Context, args []string) error {
	opts, err := parseClusterFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	r, err := newClusterRun(opts)
	if err != nil {
		return err
	}
	defer r.cleanup()
	fmt.Printf("cluster: %d units, speed %g, pause at %s, folder %s\n", opts.units, opts.speed, opts.until.Format(time.DateOnly), r.dir)
	res, err := r.run(ctx)
	if err != nil {
		r.showLogTails()
		return err
	}
	r.readUsage()
	r.stopAll()
	printClusterFigures(r, res)
	if n := res.violations(); n > 0 {
		return fmt.Errorf("cluster: %d invariant violations (rerun with -keep to keep the folder)", n)
	}
	return nil
}

// newClusterRun makes the temporary folder.
func newClusterRun(opts clusterOptions) (*clusterRun, error) {
	repo, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(repo, "deploy", "temporal", "temporal-server.yaml")); err != nil {
		return nil, errors.New("run bench cluster from the repository's root (deploy/ not found)")
	}
	dir, err := os.MkdirTemp("", "zeren-cluster-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder: %w", err)
	}
	return &clusterRun{opts: opts, repo: repo, dir: dir, bin: filepath.Join(dir, "bin"), zerenBin: filepath.Join(dir, "zeren"),
		zerenCfg: filepath.Join(dir, "etc", "temporal.yaml"), began: time.Now()}, nil
}

// step runs one step and records its wall time.
func (r *clusterRun) step(name string, f func() error) error {
	fmt.Printf("  %s…\n", name)
	start := time.Now()
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	r.steps = append(r.steps, timedStep{name, time.Since(start)})
	return nil
}

// run carries out the run up to the checks.
func (r *clusterRun) run(ctx context.Context) (*clusterResult, error) {
	var s *store.Store
	for _, st := range []struct {
		name string
		f    func() error
	}{
		{"build zeren and the Temporal server", func() error { return r.build(ctx) }},
		{"start PostgreSQL", func() error { return r.startPostgres(ctx) }},
		{"set up Temporal's schema (temporal-sql-tool)", func() error { return r.setupSchema(ctx) }},
		{"start the Temporal server", func() error { return r.startTemporal(ctx) }},
		{"register the namespace", func() error { return r.registerNamespace(ctx) }},
		{"zeren migrate and zeren temporal-setup (zeren-setup.service)", func() error { return r.migrate(ctx) }},
		{fmt.Sprintf("load the demo county and towns up to %d units, issue tokens", r.opts.units), func() (err error) {
			s, err = r.populate(ctx)
			return err
		}},
		{"start two workers and two API replicas", func() error { return r.startZeren(ctx) }},
		{"create and run the campaign", func() error { return r.startCampaign(ctx, s) }},
	} {
		if err := r.step(st.name, st.f); err != nil {
			if s != nil {
				s.Close()
			}
			return nil, err
		}
	}
	defer s.Close()
	res, err := r.play(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Println("checking the invariants…")
	start := time.Now()
	if err := r.check(ctx, s, res); err != nil {
		return nil, err
	}
	r.steps = append(r.steps, timedStep{"checks", time.Since(start)})
	return res, nil
}

// build builds zeren, and the Temporal server and its SQL tool with deploy/build-temporal.sh.
func (r *clusterRun) build(ctx context.Context) error {
	r.revision = "the working tree"
	if r.opts.rev != "" {
		out, err := exec.CommandContext(ctx, "git", "-C", r.repo, "rev-parse", "--short", r.opts.rev+"^{commit}").Output()
		if err != nil {
			return fmt.Errorf("-rev %s: %w", r.opts.rev, err)
		}
		r.revision = strings.TrimSpace(string(out))
		src := filepath.Join(r.dir, "src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, "sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", r.repo, r.revision, src)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git archive %s: %w\n%s", r.opts.rev, err, out)
		}
		r.repo = src
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", r.zerenBin, "./cmd/zeren")
	cmd.Dir = r.repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/zeren: %w\n%s", err, out)
	}
	cmd = exec.CommandContext(ctx, "bash", filepath.Join(r.repo, "deploy", "build-temporal.sh"), r.bin)
	cmd.Dir = r.repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("deploy/build-temporal.sh: %w\n%s", err, out)
	}
	v, err := os.ReadFile(filepath.Join(r.bin, "temporal-schema", "VERSION"))
	r.version = strings.TrimSpace(string(v))
	return err
}

// startPostgres starts one PostgreSQL for both: zeren's database (user zeren)
// and Temporal's two (user temporal, which creates them).
func (r *clusterRun) startPostgres(ctx context.Context) error {
	port, err := pgdev.FreePort()
	if err != nil {
		return err
	}
	r.pgPort = port
	if r.pg, err = pgdev.Start(ctx, pgdev.Options{Dir: filepath.Join(r.dir, "postgres"), Port: port, Database: "zeren"}); err != nil {
		return err
	}
	db, err := store.Open(ctx, r.databaseURL())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.DB.ExecContext(ctx, `CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal'`)
	return err
}

// databaseURL is zeren's database.
func (r *clusterRun) databaseURL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/zeren?sslmode=disable", pgdev.User, r.pgPort)
}

// temporalDBEnv is the environment naming Temporal's databases, as temporal.env sets it.
func (r *clusterRun) temporalDBEnv() []string {
	return []string{"TEMPORAL_DB_HOST=127.0.0.1", "TEMPORAL_DB_PORT=" + strconv.Itoa(r.pgPort),
		"TEMPORAL_DB_USER=temporal", "TEMPORAL_DB_PASSWORD=temporal"}
}

// setupSchema runs deploy/temporal-schema.sh: both databases created, their
// schema set up and updated by temporal-sql-tool.
func (r *clusterRun) setupSchema(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(r.repo, "deploy", "temporal-schema.sh"), r.bin)
	cmd.Env = envWithout([]string{"TEMPORAL_", "SQL_"}, r.temporalDBEnv()...)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(r.dir, "temporal-schema.log"), out, 0o644)
	if err != nil {
		return fmt.Errorf("deploy/temporal-schema.sh: %w\n%s", err, lastLines(out, 10))
	}
	return nil
}

// lastLines answers the last n lines of out.
func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// startTemporal writes the certificates and starts temporal-server with
// deploy/temporal/temporal-server.yaml, its ports and databases from the
// environment, and waits until the frontend answers over mTLS.
func (r *clusterRun) startTemporal(ctx context.Context) error {
	var err error
	if r.tls, err = writeTLS(filepath.Join(r.dir, "tls")); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	ports, err := lowPorts(10)
	if err != nil {
		return err
	}
	r.frontend = fmt.Sprintf("127.0.0.1:%d", ports[0])
	names := []string{"TEMPORAL_FRONTEND_PORT", "TEMPORAL_FRONTEND_HTTP_PORT", "TEMPORAL_FRONTEND_MEMBERSHIP_PORT",
		"TEMPORAL_HISTORY_PORT", "TEMPORAL_HISTORY_MEMBERSHIP_PORT", "TEMPORAL_MATCHING_PORT", "TEMPORAL_MATCHING_MEMBERSHIP_PORT",
		"TEMPORAL_WORKER_PORT", "TEMPORAL_WORKER_MEMBERSHIP_PORT"}
	env := r.temporalDBEnv()
	for i, n := range names {
		env = append(env, fmt.Sprintf("%s=%d", n, ports[i]))
	}
	env = append(env, "TEMPORAL_BIND_IP=127.0.0.1", "TEMPORAL_LOG_LEVEL=warn", fmt.Sprintf("TEMPORAL_METRICS_LISTEN=127.0.0.1:%d", ports[9]),
		"TEMPORAL_NUM_HISTORY_SHARDS="+strconv.Itoa(r.opts.shards),
		"TEMPORAL_TLS_CERT="+r.tls.serverCert, "TEMPORAL_TLS_KEY="+r.tls.serverKey, "TEMPORAL_TLS_CA="+r.tls.ca,
		"TEMPORAL_TLS_SERVER_NAME="+tlsServerName,
		"TEMPORAL_DYNAMIC_CONFIG="+filepath.Join(r.repo, "deploy", "temporal", "dynamicconfig.yaml"))
	r.temporal = &proc{name: "temporal-server", path: filepath.Join(r.bin, "temporal-server"),
		args: []string{"--config-file", filepath.Join(r.repo, "deploy", "temporal", "temporal-server.yaml"), "--allow-no-auth", "start"},
		env:  envWithout([]string{"TEMPORAL_", "SQL_"}, env...), dir: r.dir, log: filepath.Join(r.dir, "temporal-server.log"),
		ready: func(ctx context.Context) error {
			c, err := r.dial(ctx, "temporal-system")
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		}}
	return r.temporal.start(ctx, 3*time.Minute)
}

// dial connects to the frontend over mTLS, with zeren's client certificate.
func (r *clusterRun) dial(ctx context.Context, namespace string) (client.Client, error) {
	t := config.TLS{CertFile: r.tls.clientCert, KeyFile: r.tls.clientKey, CAFile: r.tls.ca, ServerName: tlsServerName}
	tlsCfg, err := t.ClientTLS()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return client.DialContext(ctx, client.Options{HostPort: r.frontend, Namespace: namespace,
		ConnectionOptions: client.ConnectionOptions{TLS: tlsCfg},
		Logger:            tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))})
}

// registerNamespace registers zeren's namespace with its retention, as an
// operator does once (README, Running in production), and waits until the
// frontend serves it.
func (r *clusterRun) registerNamespace(ctx context.Context) error {
	c, err := r.dial(ctx, clusterNamespace)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: clusterNamespace, WorkflowExecutionRetentionPeriod: durationpb.New(clusterRetention)})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return err
	}
	return poll(ctx, 500*time.Millisecond, time.Minute, "the namespace to be served", func() (bool, error) {
		_, err := c.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: clusterNamespace, PageSize: 1})
		return err == nil, nil
	})
}

// zerenEnv is the environment of a zeren process: what deploy/zeren/zeren.env
// sets (the database), the frontend and the certificates of this run, and extra.
func (r *clusterRun) zerenEnv(extra ...string) []string {
	return envWithout([]string{"DATABASE_URL=", "ZEREN_"}, append([]string{
		"DATABASE_URL=" + r.databaseURL(),
		"ZEREN_TEMPORAL_HOSTPORT=" + r.frontend,
		"ZEREN_TEMPORAL_TLS_CERT=" + r.tls.clientCert, "ZEREN_TEMPORAL_TLS_KEY=" + r.tls.clientKey,
		"ZEREN_TEMPORAL_TLS_CA=" + r.tls.ca, "ZEREN_TEMPORAL_TLS_SERVER_NAME=" + tlsServerName,
	}, extra...)...)
}

// migrate copies deploy/zeren/temporal.yaml for the zeren processes and runs `zeren migrate` with it.
func (r *clusterRun) migrate(ctx context.Context) error {
	b, err := os.ReadFile(filepath.Join(r.repo, "deploy", "zeren", "temporal.yaml"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.zerenCfg), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(r.zerenCfg, b, 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, r.zerenBin, "migrate", "-config", r.zerenCfg)
	cmd.Env = r.zerenEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("zeren migrate: %w\n%s", err, out)
	}
	fmt.Printf("    %s\n", strings.TrimSpace(string(out)))
	// zeren's search attributes on the namespace, where the binary has the
	// command for it (an operator's step once per namespace and upgrade).
	usage, _ := exec.CommandContext(ctx, r.zerenBin, "help").CombinedOutput()
	if !strings.Contains(string(usage), "temporal-setup") {
		return nil
	}
	cmd = exec.CommandContext(ctx, r.zerenBin, "temporal-setup", "-config", r.zerenCfg)
	cmd.Env = r.zerenEnv()
	if out, err = cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("zeren temporal-setup: %w\n%s", err, out)
	}
	fmt.Printf("    %s\n", lastLines(out, 1))
	return nil
}

// populate loads the demo county, adds towns up to -units reporting units
// (as bench reports does), and issues a token for every person the bot plays.
func (r *clusterRun) populate(ctx context.Context) (*store.Store, error) {
	s, err := store.Open(ctx, r.databaseURL())
	if err != nil {
		return nil, err
	}
	seeded, err := seed.Load(ctx, s)
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := addTowns(ctx, s, clusterTowns, "集群镇", r.opts.units-25); err != nil {
		s.Close()
		return nil, err
	}
	type who struct {
		ID       int64  `db:"id"`
		Key      string `db:"key"`
		UnitCode string `db:"code"`
	}
	var heads []who
	if err := s.DB.SelectContext(ctx, &heads, `SELECT p.id, p.key, u.code FROM people p JOIN units u ON u.id = p.unit_id
WHERE u.code ~ $1 AND p.key = u.code || '-head' ORDER BY p.id`, "^"+clusterTowns+"[0-9]+$"); err != nil {
		s.Close()
		return nil, err
	}
	r.tokens = map[string]string{}
	add := func(id int64, key, role, unit string) error {
		tok, ok := r.tokens[key]
		if !ok {
			var err error
			if tok, err = store.IssueToken(ctx, s.DB, id, "bench-cluster"); err != nil {
				return err
			}
			r.tokens[key] = tok
		}
		r.people = append(r.people, demo.Person{Key: key, Role: role, UnitCode: unit, Token: tok})
		return nil
	}
	for _, p := range seeded {
		if err := add(p.ID, p.Key, p.Role.String(), p.UnitCode); err != nil {
			s.Close()
			return nil, err
		}
	}
	for _, h := range heads {
		if err := add(h.ID, h.Key, "unit_head", h.UnitCode); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// startZeren starts the two workers and the two API replicas, each as its
// systemd unit does: `zeren worker|api -config temporal.yaml`, its address
// from the environment.
func (r *clusterRun) startZeren(ctx context.Context) error {
	ports, err := lowPorts(4)
	if err != nil {
		return err
	}
	probe := &http.Client{Timeout: 5 * time.Second}
	for i := range 2 {
		metrics := fmt.Sprintf("127.0.0.1:%d", ports[i])
		r.workers = append(r.workers, &proc{name: fmt.Sprintf("worker-%d", i+1), path: r.zerenBin,
			args: []string{"worker", "-config", r.zerenCfg}, env: r.zerenEnv("ZEREN_WORKER_METRICS_LISTEN=" + metrics),
			dir: r.dir, log: filepath.Join(r.dir, fmt.Sprintf("worker-%d.log", i+1)), ready: httpReady(probe, "http://"+metrics+"/healthz")})
		listen := fmt.Sprintf("127.0.0.1:%d", ports[2+i])
		r.apis = append(r.apis, &proc{name: fmt.Sprintf("api-%d", i+1), path: r.zerenBin,
			args: []string{"api", "-config", r.zerenCfg}, env: r.zerenEnv("ZEREN_API_LISTEN=" + listen),
			dir: r.dir, log: filepath.Join(r.dir, fmt.Sprintf("api-%d.log", i+1)), ready: httpReady(probe, "http://"+listen+"/readyz")})
	}
	for _, p := range append(slices.Clone(r.workers), r.apis...) {
		if err := p.start(ctx, 2*time.Minute); err != nil {
			return err
		}
	}
	r.lb = newRoundRobin([]string{r.apis[0].listen(), r.apis[1].listen()})
	r.http = &http.Client{Transport: r.lb, Timeout: 30 * time.Second}
	return nil
}

// listen is an API replica's address, from its environment.
func (p *proc) listen() string {
	for _, kv := range p.env {
		if v, ok := strings.CutPrefix(kv, "ZEREN_API_LISTEN="); ok {
			return v
		}
	}
	return ""
}

// startCampaign creates the demo campaign through the API (every reporting
// unit takes part by default), runs its calendar, and checks it has -units
// participants; then makes the bots, each acting for a share of the people.
func (r *clusterRun) startCampaign(ctx context.Context, s *store.Store) error {
	logFile, err := os.OpenFile(filepath.Join(r.dir, "bots.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(logFile, nil))
	keys := slices.Sorted(maps.Keys(r.tokens))
	share := map[string]int{}
	for i, k := range keys {
		share[k] = i % r.opts.bots
	}
	for i := range r.opts.bots {
		var people []demo.Person
		for _, p := range r.people {
			if share[p.Key] == i {
				people = append(people, p)
			}
		}
		r.bots = append(r.bots, &demo.Bot{BaseURL: "http://zeren-api", People: people, Model: demo.DefaultModel(), HTTP: r.http, Log: log, Poll: time.Second})
	}
	starter := &demo.Bot{BaseURL: "http://zeren-api", People: r.people, HTTP: r.http, Log: log}
	if err := starter.Start(ctx, demo.DemoCampaign(chaosCampaign, r.opts.speed), "yjj-office", "linyou-deputy"); err != nil {
		return err
	}
	r.played = time.Now()
	units, err := store.ReportingUnits(ctx, s.DB, chaosCampaign)
	if err != nil {
		return err
	}
	if len(units) != r.opts.units {
		return fmt.Errorf("the campaign has %d reporting units, not %d", len(units), r.opts.units)
	}
	return nil
}

// play runs the bots until -until, kills a worker and an API at -kill-at
// (halfway by default) and starts them again after -down, then pauses the campaign and stops the bots.
func (r *clusterRun) play(ctx context.Context) (*clusterResult, error) {
	botCtx, stopBots := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, b := range r.bots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = b.Run(botCtx, chaosCampaign, statusReader, nil)
		}()
	}
	defer func() {
		stopBots()
		wg.Wait()
	}()
	fmt.Printf("playing from %s to %s; the kills at %s\n", campaignFirstDay.Format(time.DateOnly), r.opts.until.Format(time.DateOnly), r.opts.killAt.Format("2006-01-02 15:04"))
	if err := r.killAndRestart(ctx, r.opts.killAt); err != nil {
		return nil, err
	}
	if _, err := r.awaitCampaignTime(ctx, r.opts.until); err != nil {
		return nil, err
	}
	if err := r.pause(ctx); err != nil {
		return nil, err
	}
	stopBots()
	wg.Wait()
	fmt.Printf("  paused at campaign %s (wall +%s); settling %s\n", r.pausedAt.In(chaosZone).Format("2006-01-02 15:04"),
		time.Since(r.played).Round(100*time.Millisecond), settleWait)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(settleWait):
	}
	r.steps = append(r.steps, timedStep{"the campaign played, paused and settled", time.Since(r.played)})
	return &clusterResult{}, nil
}

// killAndRestart waits for campaign time at, kills worker-1 and api-1 with
// SIGKILL, keeps them dead for -down, and starts them again.
func (r *clusterRun) killAndRestart(ctx context.Context, at time.Time) error {
	st, err := r.awaitCampaignTime(ctx, at)
	if err != nil {
		return err
	}
	rec := killRecord{names: []string{r.workers[0].name, r.apis[0].name}, campaignAt: st.Now, wallAt: time.Since(r.played)}
	for _, p := range []*proc{r.workers[0], r.apis[0]} {
		if err := p.kill(); err != nil {
			return err
		}
	}
	killed := time.Now()
	fmt.Printf("  SIGKILL %s at campaign %s (wall +%s); down %s\n", strings.Join(rec.names, " and "),
		st.Now.In(chaosZone).Format("2006-01-02 15:04"), rec.wallAt.Round(100*time.Millisecond), r.opts.down)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.opts.down):
	}
	for _, p := range []*proc{r.workers[0], r.apis[0]} {
		if err := p.start(ctx, 2*time.Minute); err != nil {
			return fmt.Errorf("restart: %w", err)
		}
	}
	rec.back = time.Since(killed)
	r.kills = append(r.kills, rec)
	fmt.Printf("  %s serve again %s after the kill\n", strings.Join(rec.names, " and "), rec.back.Round(100*time.Millisecond))
	return nil
}

// status reads the campaign through the balancer.
func (r *clusterRun) status(ctx context.Context) (campaignStatus, error) {
	var st campaignStatus
	code, body, err := r.call(ctx, statusReader, http.MethodGet, "/api/v1/campaigns/"+chaosCampaign, nil)
	if err != nil {
		return st, err
	}
	if code != http.StatusOK {
		return st, fmt.Errorf("GET campaign: %d %s", code, strings.TrimSpace(string(body)))
	}
	return st, jsonUnmarshal(body, &st)
}

// awaitCampaignTime waits until the campaign's time reaches at; a generous
// bound of wall time is three times what the clock needs, plus two minutes.
func (r *clusterRun) awaitCampaignTime(ctx context.Context, at time.Time) (campaignStatus, error) {
	var last campaignStatus
	limit := 3*time.Duration(float64(max(time.Until(at), at.Sub(campaignFirstDay)))/r.opts.speed) + 2*time.Minute
	err := poll(ctx, 500*time.Millisecond, limit, "campaign time "+at.Format(time.DateTime), func() (bool, error) {
		st, err := r.status(ctx)
		if err != nil {
			return false, nil
		}
		last = st
		return !st.Now.Before(at), nil
	})
	return last, err
}

// pause pauses the campaign as the safety office and remembers the campaign
// time it was asked at.
func (r *clusterRun) pause(ctx context.Context) error {
	st, err := r.status(ctx)
	if err != nil {
		return err
	}
	r.pausedAt = st.Now
	code, body, err := r.call(ctx, pauser, http.MethodPost, "/api/v1/campaigns/"+chaosCampaign+"/pause", map[string]any{})
	if err == nil && code == http.StatusOK {
		return nil
	}
	fmt.Printf("  pause answered %d %s (%v); waiting for the calendar to say paused\n", code, strings.TrimSpace(string(body)), err)
	return poll(ctx, 500*time.Millisecond, 2*time.Minute, "the campaign to pause", func() (bool, error) {
		st, err := r.status(ctx)
		return err == nil && st.paused(), nil
	})
}

// roundRobin is the load balancer before the API replicas: each request goes
// to the next replica; one that refuses the connection (it is down) is
// skipped for the next, as a proxy's health check would.
type roundRobin struct {
	targets   []string
	base      *http.Transport
	next      atomic.Uint64
	served    []atomic.Int64
	failed    []atomic.Int64 // 5xx answers
	failovers atomic.Int64
	errors    atomic.Int64 // requests that failed on every replica, or broke mid-way

	mu sync.Mutex
	// answered and broken count, by task id, the completions answered 200 and
	// those whose request broke without an answer (the replica died under it).
	answered, broken map[string]int
}

func newRoundRobin(targets []string) *roundRobin {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	return &roundRobin{targets: targets, base: base, served: make([]atomic.Int64, len(targets)), failed: make([]atomic.Int64, len(targets)),
		answered: map[string]int{}, broken: map[string]int{}}
}

// completion notes the outcome of a task's completion request: its status, or 0 when it broke.
func (rr *roundRobin) completion(req *http.Request, status int) {
	rest, ok := strings.CutPrefix(req.URL.Path, "/api/v1/tasks/")
	id, ok2 := strings.CutSuffix(rest, "/complete")
	if req.Method != http.MethodPost || !ok || !ok2 {
		return
	}
	rr.mu.Lock()
	defer rr.mu.Unlock()
	switch {
	case status == http.StatusOK:
		rr.answered[id]++
	case status == 0:
		rr.broken[id]++
	}
}

// RoundTrip sends the request to the next replica, or on to the others while
// their connections are refused (nothing was sent: safe for any request).
func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	first := int(rr.next.Add(1) % uint64(len(rr.targets)))
	var err error
	for i := range rr.targets {
		t := (first + i) % len(rr.targets)
		out := req.Clone(req.Context())
		out.URL.Host, out.Host = rr.targets[t], ""
		if i > 0 && req.GetBody != nil {
			if out.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		var resp *http.Response
		if resp, err = rr.base.RoundTrip(out); err == nil {
			rr.served[t].Add(1)
			if resp.StatusCode >= 500 {
				rr.failed[t].Add(1)
			}
			rr.completion(req, resp.StatusCode)
			return resp, nil
		}
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			break
		}
		rr.failovers.Add(1)
	}
	rr.errors.Add(1)
	rr.completion(req, 0)
	return nil, err
}

// readUsage reads every process's CPU time and peak RSS before they stop.
func (r *clusterRun) readUsage() {
	add := func(p *proc, note string) {
		cpu, rss := p.usage()
		r.usage = append(r.usage, procUsage{name: p.name, cpu: cpu, rss: rss, note: note})
	}
	add(r.temporal, "all four services")
	for _, p := range append(slices.Clone(r.workers), r.apis...) {
		note := ""
		if p.starts > 1 {
			note = "since its restart"
		}
		add(p, note)
	}
	if pm, err := postmasterPID(filepath.Join(r.dir, "postgres")); err == nil {
		r.usage = append(r.usage, procUsage{name: "postgres", cpu: cpuTime(pm, true) + childrenCPU(pm),
			note: "the postmaster and every backend, Temporal's and zeren's"})
	}
	r.usage = append(r.usage, procUsage{name: "bench (the bots)", cpu: cpuTime(os.Getpid(), false), rss: peakRSS(os.Getpid())})
}

// postmasterPID reads the postmaster's pid from the first line of postmaster.pid.
func postmasterPID(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// stopAll stops zeren, then Temporal, then PostgreSQL, as an operator would.
func (r *clusterRun) stopAll() {
	for _, p := range append(slices.Clone(r.apis), r.workers...) {
		if err := p.stop(30 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "cluster:", err)
		}
	}
	if r.temporal != nil {
		if err := r.temporal.stop(time.Minute); err != nil {
			fmt.Fprintln(os.Stderr, "cluster:", err)
		}
	}
	if r.pg != nil {
		if err := r.pg.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "cluster: stop PostgreSQL:", err)
		}
		r.pg = nil
	}
}

// cleanup stops whatever still runs and removes the folder unless -keep.
func (r *clusterRun) cleanup() {
	r.stopAll()
	if r.opts.keep {
		fmt.Printf("kept %s (logs: temporal-server.log, worker-*.log, api-*.log, bots.log)\n", r.dir)
		return
	}
	if err := os.RemoveAll(r.dir); err != nil {
		fmt.Fprintln(os.Stderr, "cluster: remove", r.dir+":", err)
	}
}

// showLogTails prints the end of each process's log after a failed step.
func (r *clusterRun) showLogTails() {
	for _, name := range []string{"temporal-server.log", "worker-1.log", "worker-2.log", "api-1.log", "api-2.log"} {
		b, err := os.ReadFile(filepath.Join(r.dir, name))
		if err != nil {
			continue
		}
		fmt.Fprintf(os.Stderr, "last lines of %s:\n%s\n", name, lastLines(b, 8))
	}
}
