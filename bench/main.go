// Command bench measures zeren by hand (not part of `make test`):
//
//	go run ./cmd/testpg go run ./bench inbox      # inbox query over 1,000,000 tasks / 10,000 units
//	go run ./cmd/testpg go run ./bench complete   # completion round trip vs a bare Update, embedded Temporal
//	go run ./cmd/testpg go run ./bench reports    # one month of reports for 10,000 units on the embedded server
//	go run ./cmd/testpg go run ./bench threeyear [-units 2500]  # the three-year demo campaign in virtual time
//	go run ./cmd/testpg go run ./bench audit [-writers 16] [-duration 20s] [-n 0]  # audited writes/s, 16 writers on different units
//	go run ./cmd/testpg go run ./bench pages      # server time per web page (inbox, dashboard) and the first visit's bytes
//	go run ./cmd/testpg go run ./bench load [-duration 60s] [-clients 16] [-only inbox,task,complete]  # zeren api under vegeta beside each bare floor
//	go run ./bench chaos [-seed 1] [-month 2020-10] [-speed 40000] [-keep]  # zeren dev -demo killed and restarted, then its invariants checked
//	go run ./bench province [-units 2500] [-speed 10000] [-until YYYY-MM] [-keep]  # zeren dev played by the bot for a province's units, no faults; rungs checked, lateness, RSS, CPU
//	go run ./bench cluster [-units 500] [-speed 5000] [-until 2020-05-18] [-kill-at …] [-keep]  # the production shape: Temporal server on PostgreSQL, 2 workers, 2 APIs, kills, checks
//
// It prints p50/p99 figures for the README; chaos prints its figures and each
// invariant's result, and fails on any violation.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench inbox|complete|events|reports|threeyear|chaos|cluster|audit|pages|load|province")
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "inbox":
		err = benchInbox(ctx)
	case "complete":
		err = benchComplete(ctx, os.Args[2:])
	case "reports":
		err = benchReports(ctx, os.Args[2:])
	case "threeyear":
		err = benchThreeYear(ctx, os.Args[2:])
	case "chaos":
		err = benchChaos(ctx, os.Args[2:])
	case "cluster":
		err = benchCluster(ctx, os.Args[2:])
	case "audit":
		err = benchAudit(ctx, os.Args[2:])
	case "pages":
		err = benchPages(ctx)
	case "events":
		err = benchEvents(ctx, os.Args[2:])
	case "load":
		err = benchLoad(ctx, os.Args[2:])
	case "province":
		err = benchProvince(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown benchmark %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// percentiles answers p50 and p99 of the samples.
func percentiles(d []time.Duration) (time.Duration, time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return at(0.50), at(0.99)
}

func report(name string, d []time.Duration) {
	p50, p99 := percentiles(d)
	fmt.Printf("%-40s n=%-6d p50=%-10v p99=%v\n", name, len(d), p50.Round(time.Microsecond), p99.Round(time.Microsecond))
}

// openStore opens and migrates the database of DATABASE_URL (go run ./cmd/testpg sets it).
func openStore(ctx context.Context) (*store.Store, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, fmt.Errorf("DATABASE_URL is not set: run through go run ./cmd/testpg")
	}
	s, err := store.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// addTowns adds n towns coded prefix1…prefixN to the demo county, each with
// its head (key "<code>-head", role unit_head), all taking part in the demo
// campaign. Running it again adds nothing.
func addTowns(ctx context.Context, s *store.Store, prefix, name string, n int) error {
	codes := "^" + prefix + "[0-9]+$"
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO units (code, name, kind, parent_id) SELECT $1 || g, $2 || g, 'town', (SELECT id FROM units WHERE kind = 'county')
		 FROM generate_series(1, $3::int) g ON CONFLICT DO NOTHING`, []any{prefix, name, n}},
		{`INSERT INTO people (key, name, unit_id) SELECT u.code || '-head', u.name || '主要负责人', u.id FROM units u WHERE u.code ~ $1 ON CONFLICT DO NOTHING`, []any{codes}},
		{`INSERT INTO role_grants (person_id, role, unit_id) SELECT p.id, 'unit_head', p.unit_id FROM people p JOIN units u ON u.id = p.unit_id
		 WHERE u.code ~ $1 AND p.key = u.code || '-head' ON CONFLICT DO NOTHING`, []any{codes}},
		{`INSERT INTO campaign_participants (campaign_id, unit_id) SELECT $2, id FROM units WHERE code ~ $1 ON CONFLICT DO NOTHING`, []any{codes, seed.DemoCampaignID}},
	} {
		if _, err := s.DB.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("add %d towns: %w", n, err)
		}
	}
	return nil
}

// profileCPU writes a CPU profile to $BENCH_CPUPROFILE, when set, until the
// returned stop is called.
func profileCPU() (stop func(), err error) {
	f := os.Getenv("BENCH_CPUPROFILE")
	if f == "" {
		return func() {}, nil
	}
	out, err := os.Create(f)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); out.Close() }, nil
}
