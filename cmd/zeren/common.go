package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/config"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/metrics"
	"github.com/zeren-county/zeren/internal/namespace"
	"github.com/zeren-county/zeren/internal/notify"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/web"
)

// flags parses the command's flags plus -config, and loads the configuration.
func flags(name string, args []string, define func(*flag.FlagSet)) (config.Config, error) {
	fs := flag.NewFlagSet("zeren "+name, flag.ContinueOnError)
	path := fs.String("config", "temporal.yaml", "configuration file")
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	required := false
	fs.Visit(func(f *flag.Flag) { required = required || f.Name == "config" })
	return config.Load(*path, required, os.Getenv)
}

// newLogger is the text log on standard error of the commands a person runs
// (dev, demo, temporal); services log JSON (newServiceLogger).
func newLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// registry is the Prometheus registry of the process: Go and process collectors,
// the HTTP metrics and the Temporal SDK's.
func registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// dialTemporal connects to the frontend (see connectTemporal) and checks that
// the namespace has zeren's search attributes, without which no process
// starts: a namespace set up by no one is one line naming the command that
// sets it up (a visibility store that does not answer is only a warning).
func dialTemporal(ctx context.Context, cfg config.Config, reg prometheus.Registerer, log *slog.Logger) (client.Client, error) {
	c, err := connectTemporal(ctx, cfg, reg, log)
	if err != nil {
		return nil, err
	}
	checkCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := namespace.Check(checkCtx, c, cfg.Temporal.Namespace); errors.Is(err, namespace.ErrMissing) {
		c.Close()
		return nil, fmt.Errorf("temporal namespace %s: %w", cfg.Temporal.Namespace, err)
	} else if err != nil {
		log.Warn("could not check the namespace's search attributes", "namespace", cfg.Temporal.Namespace, "error", err)
	}
	return c, nil
}

// connectTemporal connects to the frontend, retrying for a while: in production the
// cluster may start after zeren.
func connectTemporal(ctx context.Context, cfg config.Config, reg prometheus.Registerer, log *slog.Logger) (client.Client, error) {
	tlsCfg, err := cfg.Temporal.TLS.ClientTLS()
	if err != nil {
		return nil, err
	}
	opts := client.Options{
		HostPort:          cfg.Temporal.HostPort,
		Namespace:         cfg.Temporal.Namespace,
		ConnectionOptions: client.ConnectionOptions{TLS: tlsCfg, GrpcCompression: cfg.Temporal.GrpcCompression()},
		MetricsHandler:    metrics.NewTemporalHandler(reg),
		Logger:            tlog.NewStructuredLogger(slog.New(warnOnly{log.Handler()})),
	}
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", cfg.Temporal.HostPort, cfg.Temporal.Namespace, err)
		}
		log.Warn("waiting for Temporal", "host_port", cfg.Temporal.HostPort, "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

// warnOnly passes the SDK's warnings and errors, not its chatter.
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

// startDispatcher drains the outbox in the background until ctx ends.
func startDispatcher(ctx context.Context, cfg config.Config, s *store.Store, log *slog.Logger) {
	var sender notify.Sender = notify.LogSender{Log: log}
	if cfg.Notify.WebhookURL != "" {
		sender = notify.WebhookSender{URL: cfg.Notify.WebhookURL, AllowPrivate: cfg.Notify.AllowPrivate}
	}
	d := &notify.Dispatcher{Store: s, Sender: sender, Channels: robotChannels(cfg), Log: log}
	go d.Run(ctx, 2*time.Second)
}

// startHeartbeat records that the engine is up: one beat now, before the
// worker polls (so an outage before it is recorded first), then every minute.
func startHeartbeat(ctx context.Context, s *store.Store, log *slog.Logger) {
	if o, err := s.Beat(ctx, time.Now()); err != nil {
		log.Warn("engine heartbeat", "error", err)
	} else if o != nil {
		log.Warn("engine outage recorded", "from", o.StartedAt, "to", o.EndedAt, "seconds", int(o.Duration().Seconds()))
	}
	go s.Heartbeat(ctx, log)
}

// startEngine dials Temporal and starts what a worker runs: the heartbeat (a
// beat before the worker polls, so an outage before it is recorded first), the
// worker with every workflow and activity, the outbox dispatcher and the
// confirmation of completions (engine.KeepConfirming). stop
// stops the worker and closes the client.
func startEngine(ctx context.Context, cfg config.Config, s *store.Store, reg prometheus.Registerer, log *slog.Logger) (c client.Client, stop func(), err error) {
	if c, err = dialTemporal(ctx, cfg, reg, log); err != nil {
		return nil, nil, err
	}
	startHeartbeat(ctx, s, log)
	if cfg.Worker.StickyCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(cfg.Worker.StickyCacheSize)
	}
	w := worker.New(c, cfg.Temporal.TaskQueue, worker.Options{})
	engine.Register(w, &activities.Activities{Store: s, Temporal: c})
	if err := w.Start(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("start worker: %w", err)
	}
	startDispatcher(ctx, cfg, s, log)
	go engine.KeepConfirming(ctx, s, c, log)
	go engine.StartMaterialSweep(ctx, c, cfg.Temporal.TaskQueue, log)
	return c, func() { w.Stop(); c.Close() }, nil
}

// serve runs an HTTP server until ctx ends, then shuts it down gracefully.
func serve(ctx context.Context, srv *http.Server, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "addr", srv.Addr, "error", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func openStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	if err := cfg.RequireDatabase(); err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DatabaseURL)
}

func runWorker(ctx context.Context, args []string) error {
	cfg, err := flags("worker", args, nil)
	if err != nil {
		return err
	}
	log, closeLog := newServiceLogger(os.Stderr)
	defer closeLog()
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	reg := registry()
	_, stop, err := startEngine(ctx, cfg, s, reg, log)
	if err != nil {
		return err
	}
	defer stop()
	log.Info("worker polling", "task_queue", cfg.Temporal.TaskQueue, "metrics", cfg.Worker.MetricsListen)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	return serve(ctx, api.NewHTTPServer(cfg.Worker.MetricsListen, mux), log)
}

func runAPI(ctx context.Context, args []string) error {
	cfg, err := flags("api", args, nil)
	if err != nil {
		return err
	}
	log, closeLog := newServiceLogger(os.Stderr)
	defer closeLog()
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	reg := registry()
	c, err := dialTemporal(ctx, cfg, reg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	h := api.New(api.Deps{Store: s, Temporal: c, TaskQueue: cfg.Temporal.TaskQueue, Registry: reg, Gatherer: reg, Log: log})
	if _, err := web.Mount(h, web.Deps{Store: s, Log: log}); err != nil {
		return err
	}
	log.Info("api listening", "addr", cfg.API.Listen)
	return serve(ctx, api.NewHTTPServer(cfg.API.Listen, h), log)
}
