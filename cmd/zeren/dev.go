package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/config"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/devenv"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/pgdev"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/web"
)

// runDev runs the whole system in one process on one machine.
func runDev(ctx context.Context, args []string) error {
	var dataDir string
	var apiPort, temporalPort, uiPort, pgPort int
	var playDemoCounty bool
	var demoOpts demoOptions
	cfg, err := flags("dev", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&playDemoCounty, "demo", false, "also play the demo county: a fast three-year campaign acted out through the API (see zeren demo)")
		demoOpts.define(fs)
		fs.StringVar(&dataDir, "data", "", "data folder (default dev.dataDir, .zeren)")
		fs.IntVar(&apiPort, "port", 0, "API port (default dev.apiPort, 8080)")
		fs.IntVar(&temporalPort, "temporal-port", 0, "Temporal frontend port (default dev.temporalPort, 7233)")
		fs.IntVar(&uiPort, "ui-port", 0, "Temporal Web UI port (default dev.uiPort, 8233)")
		fs.IntVar(&pgPort, "pg-port", 0, "local PostgreSQL port (default dev.postgresPort, 5433)")
	})
	if err != nil {
		return err
	}
	override := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	override(&cfg.Dev.APIPort, apiPort)
	override(&cfg.Dev.TemporalPort, temporalPort)
	override(&cfg.Dev.UIPort, uiPort)
	override(&cfg.Dev.PostgresPort, pgPort)
	if dataDir != "" {
		cfg.Dev.DataDir = dataDir
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := newLogger()
	data, err := filepath.Abs(cfg.Dev.DataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}

	dbURL := cfg.DatabaseURL
	if dbURL == "" {
		log.Info("starting local PostgreSQL", "dir", filepath.Join(data, "postgres"), "port", cfg.Dev.PostgresPort)
		pg, err := pgdev.Start(ctx, pgdev.Options{Dir: filepath.Join(data, "postgres"), Port: cfg.Dev.PostgresPort})
		if err != nil {
			return err
		}
		defer func() {
			if err := pg.Stop(); err != nil {
				log.Error("stop PostgreSQL", "error", err)
			} else {
				log.Info("PostgreSQL stopped")
			}
		}()
		dbURL = pg.URL()
		// If the local PostgreSQL dies, start it again; the API and the worker reconnect by themselves.
		go pg.Watch(ctx, 5*time.Second, func(err error) {
			if err != nil {
				log.Error("PostgreSQL died and could not be restarted", "error", err)
			} else {
				log.Warn("PostgreSQL died and was restarted")
			}
		})
	}
	s, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer s.Close()
	if applied, err := s.Migrate(ctx); err != nil {
		return err
	} else if len(applied) > 0 {
		log.Info("migrations applied", "versions", applied)
	}
	people, err := seed.Load(ctx, s)
	if err != nil {
		return err
	}

	log.Info("starting embedded Temporal", "db", filepath.Join(data, "temporal.db"), "port", cfg.Dev.TemporalPort)
	tsrv, err := devenv.StartTemporal(devenv.TemporalOptions{
		DatabaseFile: filepath.Join(data, "temporal.db"),
		FrontendPort: cfg.Dev.TemporalPort,
		UIPort:       cfg.Dev.UIPort,
		Namespace:    cfg.Temporal.Namespace,
		LogFile:      filepath.Join(data, "temporal.log"),
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := tsrv.Stop(); err != nil {
			log.Error("stop Temporal", "error", err)
		} else {
			log.Info("Temporal stopped")
		}
	}()
	cfg.Temporal.HostPort = tsrv.HostPort
	cfg.Temporal.TLS = config.TLS{} // the embedded server speaks plain TCP on loopback

	reg := registry()
	c, stop, err := startEngine(ctx, cfg, s, reg, log)
	if err != nil {
		return err
	}
	defer stop()

	tokens, err := demoTokens(ctx, s, people, filepath.Join(data, "demo-tokens.json"))
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", cfg.Dev.APIPort)
	apiLog := log
	if playDemoCounty {
		apiLog = slog.New(quietReads{log.Handler()})
	}
	h := api.New(api.Deps{Store: s, Temporal: c, TaskQueue: cfg.Temporal.TaskQueue, Registry: reg, Gatherer: reg, Log: apiLog})
	if _, err := web.Mount(h, web.Deps{Store: s, Log: apiLog, DevSignIn: true}); err != nil {
		return err
	}
	srv := api.NewHTTPServer(addr, h)
	printBanner(addr, tsrv, data, tokens)
	if playDemoCounty {
		people := make([]demo.Person, len(tokens))
		for i, t := range tokens {
			people[i] = demo.Person{Key: t.Person, Role: t.Role, UnitCode: t.UnitCode, Token: t.Token}
		}
		go func() {
			if err := playDemo(ctx, "http://"+addr, people, demoOpts, log); err != nil {
				log.Error("demo", "error", err)
			}
		}()
	}
	return serve(ctx, srv, log)
}

// DemoToken is one line of demo-tokens.json.
type DemoToken struct {
	Person   string `json:"person"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	UnitCode string `json:"unit_code"`
	Token    string `json:"token"`
}

// demoTokens keeps the tokens of demo-tokens.json that still authenticate and
// issues new ones for the rest, so a restart keeps the tokens scripts hold.
func demoTokens(ctx context.Context, s *store.Store, people []seed.Person, path string) ([]DemoToken, error) {
	known := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		var old []DemoToken
		if err := json.Unmarshal(b, &old); err == nil {
			for _, t := range old {
				known[t.Person] = t.Token
			}
		}
	}
	var out []DemoToken
	issued := map[string]string{}
	for _, p := range people {
		tok, ok := issued[p.Key]
		if !ok {
			tok = known[p.Key]
			if tok == "" || !tokenWorks(ctx, s, tok, p.ID) {
				var err error
				if tok, err = store.IssueToken(ctx, s.DB, p.ID, "demo"); err != nil {
					return nil, err
				}
			}
			issued[p.Key] = tok
		}
		out = append(out, DemoToken{Person: p.Key, Name: p.Name, Role: p.Role.String(), UnitCode: p.UnitCode, Token: tok})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return out, nil
}

func tokenWorks(ctx context.Context, s *store.Store, tok string, personID int64) bool {
	p, err := store.PersonByToken(ctx, s.DB, tok)
	return err == nil && p.ID == personID
}

func printBanner(addr string, t *devenv.Temporal, data string, tokens []DemoToken) {
	fmt.Printf(`
zeren is running (Ctrl-C stops everything; data stays in %s)

  Web          http://%s/   (sign in by picking a demo person)
  API          http://%s/api/v1   (contract: http://%s/api/openapi.yaml)
  ready        http://%s/readyz
  metrics      http://%s/metrics
  Temporal     %s
  Temporal UI  %s

demo bearer tokens, one per role (all demo people: %s):
`, data, addr, addr, addr, addr, addr, t.HostPort, t.UIURL, filepath.Join(data, "demo-tokens.json"))
	for _, role := range domain.Roles {
		for _, tok := range tokens {
			// a head of a department reads better as the example than the county's
			if tok.Role == role.String() && (role != domain.RoleUnitHead || tok.UnitCode != tokens[0].UnitCode) {
				fmt.Printf("  %-14s %-22s %-10s %s\n", role, tok.Person, tok.UnitCode, tok.Token)
				break
			}
		}
	}
	fmt.Printf("\ntry: curl -H 'Authorization: Bearer %s' http://%s/api/v1/me\n\n", firstToken(tokens), addr)
}

func firstToken(tokens []DemoToken) string {
	if len(tokens) == 0 {
		return ""
	}
	return tokens[0].Token
}
