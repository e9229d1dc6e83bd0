// Package devenv runs the parts that `zeren dev` and the end-to-end tests need on
// one machine: an embedded Temporal server persisting to SQLite, its Web UI, and a
// local PostgreSQL started from the system's binaries.
package devenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"github.com/zeren-county/zeren/internal/pgdev"
)

// TemporalOptions says where the embedded server keeps its data and listens.
type TemporalOptions struct {
	// DatabaseFile is the SQLite file; empty means in-memory (tests).
	DatabaseFile string
	// IP to bind; default 127.0.0.1.
	IP string
	// FrontendPort is the gRPC port clients dial; 0 picks a free one.
	FrontendPort int
	// UIPort serves the Temporal Web UI; 0 disables the UI.
	UIPort int
	// Namespace is registered at start.
	Namespace string
	// LogFile receives the server's own log; empty discards it.
	LogFile string
}

// Temporal is a running embedded Temporal server (and optionally its Web UI).
type Temporal struct {
	server   temporal.Server
	ui       *uiserver.Server
	HostPort string
	UIURL    string
	dsn      string // the SQLite database the server opened
}

// StartTemporal builds the server the way the Temporal CLI's dev server does: a
// sqlite store for persistence and visibility, one history shard, the schema set
// up on a new file, the namespace pre-registered.
func StartTemporal(opts TemporalOptions) (*Temporal, error) {
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.FrontendPort == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		opts.FrontendPort = p
	}
	if err := portFree(opts.IP, opts.FrontendPort); err != nil {
		return nil, fmt.Errorf("temporal frontend port: %w", err)
	}

	sqlCfg := &config.SQL{
		PluginName: sqliteplugin.PluginName,
		// Pragmas (the plugin passes unknown keys as pragmas, so no leading
		// underscore): write-ahead log, synced at checkpoints — a commit survives
		// the process being killed, the last ones may not survive the machine
		// losing power —, 64 MiB of page cache. Measured: README, Benchmarks.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "1", "busy_timeout": "10000", "cache_size": "-65536", "temp_store": "memory"},
		DatabaseName:      opts.DatabaseFile,
	}
	partitions := 1
	if opts.DatabaseFile == "" {
		sqlCfg.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		sqlCfg.DatabaseName = fmt.Sprintf("zeren-%d", time.Now().UnixNano()) // the plugin sets up a memory store's schema itself
	} else if _, err := os.Stat(opts.DatabaseFile); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(opts.DatabaseFile), 0o755); err != nil {
			return nil, err
		}
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("temporal schema on %s: %w", opts.DatabaseFile, err)
		}
		if err := os.WriteFile(opts.DatabaseFile+partitionsSuffix, []byte("1\n"), 0o644); err != nil {
			return nil, err
		}
	} else if partitions, err = PartitionsOf(opts.DatabaseFile); err != nil {
		return nil, err
	}

	ns, err := sqlite.NewNamespaceConfig("active", opts.Namespace, false, nil)
	if err != nil {
		return nil, err
	}
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("temporal namespace %q: %w", opts.Namespace, err)
	}

	services := map[string]config.Service{}
	for i, name := range []string{"frontend", "history", "matching", "worker"} {
		grpcPort := opts.FrontendPort
		if i > 0 {
			if grpcPort, err = FreePort(); err != nil {
				return nil, err
			}
		}
		services[name] = config.Service{RPC: config.RPC{GRPCPort: grpcPort, BindOnIP: opts.IP}}
	}
	pprofPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	hostPort := fmt.Sprintf("%s:%d", opts.IP, opts.FrontendPort)
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: opts.IP},
			PProf:      config.PProf{Port: pprofPort},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}

	var logger tlog.Logger = tlog.NewNoopLogger()
	if opts.LogFile != "" {
		logger = tlog.NewZapLogger(tlog.BuildZapLogger(tlog.Config{Level: "warn", OutputFile: opts.LogFile}))
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	dyn := dynamicconfig.StaticClient{
		// No ForceSearchAttributesCacheRefreshOnRead (the CLI's dev server sets
		// it): every read of the search attributes' types — each upsert, each
		// visibility write — then re-read the cluster's metadata, 6 % of the
		// server's CPU on completions. With SQL visibility a custom search
		// attribute is an alias in the namespace's record, not a type in that
		// metadata, so none needs the refresh to be seen.
		//
		// One process serves all: let the frontend take the load of a benchmark.
		dynamicconfig.FrontendRPS.Key():                        []dynamicconfig.ConstrainedValue{{Value: 10000}},
		dynamicconfig.FrontendMaxNamespaceRPSPerInstance.Key(): []dynamicconfig.ConstrainedValue{{Value: 10000}},
		// The history service reads its task queues at most 20 times a second
		// by default; on one shard that paces back-to-back activities and
		// workflow starts at 50 ms each. One process on one shard reads them
		// as fast as they come (measured: README, Benchmarks).
		dynamicconfig.TransferProcessorMaxPollRPS.Key():   []dynamicconfig.ConstrainedValue{{Value: 10000}},
		dynamicconfig.TimerProcessorMaxPollRPS.Key():      []dynamicconfig.ConstrainedValue{{Value: 10000}},
		dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): []dynamicconfig.ConstrainedValue{{Value: 10000}},
		dynamicconfig.OutboundProcessorMaxPollRPS.Key():   []dynamicconfig.ConstrainedValue{{Value: 10000}},
		// A timer due sooner than a second from now fires a second from now by
		// default (the allowance for clocks differing between history hosts):
		// one host has one clock. A completion's Update is answered before the
		// process's next steps, which follow a millisecond's timer
		// (workflows.answerFirst): they come milliseconds later, not a second.
		dynamicconfig.TimerProcessorMaxTimeShift.Key(): []dynamicconfig.ConstrainedValue{{Value: 10 * time.Millisecond}},
		// One matching host: a task queue in one partition, so no task or poll
		// waits on the forwarder between partitions (10 a second by default).
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  []dynamicconfig.ConstrainedValue{{Value: partitions}},
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): []dynamicconfig.ConstrainedValue{{Value: partitions}},
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		// Static membership, as the CLI's dev server does: no ringpop, so no stale
		// members from the previous run in the file to wait for after a restart.
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(hostOf(services, "frontend")),
			primitives.HistoryService:  static.SingleLocalHost(hostOf(services, "history")),
			primitives.MatchingService: static.SingleLocalHost(hostOf(services, "matching")),
			primitives.WorkerService:   static.SingleLocalHost(hostOf(services, "worker")),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("temporal server start: %w", err)
	}
	t := &Temporal{server: srv, HostPort: hostPort, dsn: sqliteDSN(sqlCfg.DatabaseName, sqlCfg.ConnectAttributes)}
	trimCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err = trimVisibilityIndexes(trimCtx, t.dsn)
	cancel()
	if err != nil {
		_ = srv.Stop()
		return nil, err
	}
	if err := registerSearchAttributes(hostPort, opts.Namespace); err != nil {
		_ = srv.Stop()
		return nil, err
	}

	if opts.UIPort != 0 {
		if err := portFree(opts.IP, opts.UIPort); err != nil {
			_ = srv.Stop()
			return nil, fmt.Errorf("temporal UI port: %w", err)
		}
		uiCfg := &uiconfig.Config{
			Host:                opts.IP,
			Port:                opts.UIPort,
			TemporalGRPCAddress: hostPort,
			EnableUI:            true,
			DefaultNamespace:    opts.Namespace,
			HideLogs:            true,
			DisableNewsFetch:    true,
			CORS:                uiconfig.CORS{CookieInsecure: true},
		}
		t.ui = uiserver.NewServer(uioptions.WithConfigProvider(uiCfg))
		go func() { _ = t.ui.Start() }()
		t.UIURL = fmt.Sprintf("http://%s:%d/namespaces/%s/workflows", opts.IP, opts.UIPort, opts.Namespace)
	}
	return t, nil
}

// Stop shuts the UI and the server down.
func (t *Temporal) Stop() error {
	if t.ui != nil {
		t.ui.Stop()
	}
	return t.server.Stop()
}

// partitionsSuffix names the file beside a data file that says how many
// partitions its task queues were made with.
const partitionsSuffix = ".partitions"

// PartitionsOf reads the task queue partitions a data file was made with. A
// file made before zeren chose one partition has Temporal's default of four:
// tasks waiting in partitions 1–3 would never be read if it dropped to one.
func PartitionsOf(dataFile string) (int, error) {
	b, err := os.ReadFile(dataFile + partitionsSuffix)
	if errors.Is(err, os.ErrNotExist) {
		return 4, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 1 || n > 64 {
		return 0, fmt.Errorf("%s%s: want a number of partitions from 1 to 64", dataFile, partitionsSuffix)
	}
	return n, nil
}

func hostOf(services map[string]config.Service, name string) string {
	rpc := services[name].RPC
	return net.JoinHostPort(rpc.BindOnIP, fmt.Sprint(rpc.GRPCPort))
}

// FreePort finds a free TCP port on the loopback interface (pgdev.FreePort).
func FreePort() (int, error) { return pgdev.FreePort() }

func portFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		return fmt.Errorf("%s:%d is in use", ip, port)
	}
	return l.Close()
}
