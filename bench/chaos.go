package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"
)

// The chaos run (`go run ./bench chaos`, by hand, not part of `make test`):
// zeren dev plays the demo campaign on a fresh data folder while the run kills
// it outright three times and its PostgreSQL once, then pauses the campaign
// and checks from the database and the Temporal server that no rung fired
// twice, that every rung due fired, that every process has its row and every
// row its process, and that the audit chain holds.

// chaosCampaign is the campaign zeren dev -demo creates and plays.
const chaosCampaign = "linyou-demo"

// chaosOptions are the flags of `bench chaos`.
type chaosOptions struct {
	seed  int64     // chooses the kill points
	month time.Time // the campaign month at which the run pauses and checks
	keep  bool      // keep the temporary folder
	speed float64   // the demo's clock speed (zeren dev -speed)
	// down keeps zeren dead this long after its last SIGKILL: past two minutes
	// the restart records an engine outage, and deadlines that fell in it get their grace.
	down time.Duration
}

// Timing of the run, in wall time unless named campaign time.
const (
	// settleWait lets in-flight activities finish after the pause before the checks read.
	settleWait = 10 * time.Second
	// faultLead keeps the first fault this long (campaign time) after the campaign starts.
	faultLead = 3 * 24 * time.Hour
	// faultTail keeps the last fault this long (campaign time) before the chosen month.
	faultTail = 10 * 24 * time.Hour
	// zerenKills is how many times zeren is killed outright.
	zerenKills = 3
)

// campaignFirstDay is the demo campaign's first day (demo.DemoCampaign), in its zone.
var campaignFirstDay = time.Date(2020, 4, 1, 0, 0, 0, 0, chaosZone)

// chaosZone is the demo campaign's time zone.
var chaosZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// parseChaosFlags reads the flags of `bench chaos`.
func parseChaosFlags(args []string) (chaosOptions, error) {
	var o chaosOptions
	var month string
	fs := flag.NewFlagSet("bench chaos", flag.ContinueOnError)
	fs.Int64Var(&o.seed, "seed", 1, "seed of the kill points")
	fs.StringVar(&month, "month", "2020-10", "campaign month (YYYY-MM) at which to pause the campaign and check")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (binary, data, logs)")
	fs.Float64Var(&o.speed, "speed", 40000, "campaign clock speed, passed to zeren dev -speed")
	fs.DurationVar(&o.down, "down", 0, "how long zeren stays dead after its last SIGKILL (over 2m records an engine outage)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	m, err := time.ParseInLocation("2006-01", month, chaosZone)
	if err != nil {
		return o, fmt.Errorf("-month %q is not YYYY-MM: %w", month, err)
	}
	last := time.Date(2022, 12, 1, 0, 0, 0, 0, chaosZone)
	if m.Sub(campaignFirstDay) < faultLead+faultTail+7*24*time.Hour || m.After(last) {
		return o, fmt.Errorf("-month %s: choose a month from 2020-05 to 2022-12, leaving room for the faults before it", month)
	}
	if o.speed < 1000 || o.speed > 100000 {
		return o, fmt.Errorf("-speed %g: from 1000 to 100000 (slower runs take days)", o.speed)
	}
	o.month = m
	return o, nil
}

// faultKind is what a fault kills.
type faultKind string

const (
	faultZeren    faultKind = "zeren SIGKILL"
	faultPostgres faultKind = "postgres SIGKILL"
)

// fault is one planned kill, at a campaign time; down is how long zeren stays dead after it.
type fault struct {
	kind faultKind
	at   time.Time
	down time.Duration
}

// faultRecord is what happened when a fault was carried out.
type faultRecord struct {
	fault
	campaignAt time.Time     // campaign time when it was done
	wallAt     time.Duration // wall time since zeren first started
	outage     time.Duration // until /readyz answered 200 again
	// note says what else was seen: a surviving postmaster, the API's 503.
	note string
}

// planFaults draws the kill points (seeded): zerenKills kills of zeren and one
// of PostgreSQL, each at a campaign time from faultLead after the campaign's
// first day to faultTail before the chosen month, in order.
func planFaults(seed int64, month time.Time) []fault {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5a4552454e)) // "ZEREN"
	from, to := campaignFirstDay.Add(faultLead), month.Add(-faultTail)
	span := to.Sub(from)
	at := func() time.Time { return from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Minute) }
	var out []fault
	for range zerenKills {
		out = append(out, fault{kind: faultZeren, at: at()})
	}
	out = append(out, fault{kind: faultPostgres, at: at()})
	slices.SortFunc(out, func(a, b fault) int { return a.at.Compare(b.at) })
	return out
}

// benchChaos runs the whole chaos test: build, start, faults, pause, checks,
// stop. It fails when a step fails or an invariant is violated.
func benchChaos(ctx context.Context, args []string) error {
	opts, err := parseChaosFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	r, err := newChaosRun(opts)
	if err != nil {
		return err
	}
	defer r.cleanup()
	fmt.Printf("chaos: seed %d, pause at %s, speed %g, folder %s\n", opts.seed, opts.month.Format("2006-01"), opts.speed, r.dir)

	res, err := r.run(ctx)
	if err != nil {
		r.showLogTail()
		return err
	}
	if err := r.stopZeren(); err != nil {
		return fmt.Errorf("stop zeren: %w", err)
	}
	printChaosFigures(r, res)
	if n := res.violations(); n > 0 {
		return fmt.Errorf("chaos: %d invariant violations (rerun with -keep to keep the data folder)", n)
	}
	return nil
}

// run carries out steps 1 to 4: build and start zeren, play the faults, wait
// for the month, pause, and check the invariants.
func (r *chaosRun) run(ctx context.Context) (*chaosResult, error) {
	if err := r.build(ctx); err != nil {
		return nil, err
	}
	if err := r.startZeren(ctx); err != nil {
		return nil, err
	}
	if err := r.awaitCampaign(ctx); err != nil {
		return nil, err
	}
	faults := planFaults(r.opts.seed, r.opts.month)
	last := -1 // the last kill of zeren
	for i, f := range faults {
		if f.kind == faultZeren {
			last = i
		}
	}
	for i, f := range faults {
		if i == last {
			f.down = r.opts.down
		}
		if err := r.carryOut(ctx, f); err != nil {
			return nil, err
		}
	}
	if err := r.awaitMonth(ctx); err != nil {
		return nil, err
	}
	if err := r.pauseCampaign(ctx); err != nil {
		return nil, err
	}
	return r.checkInvariants(ctx)
}

// carryOut waits for the fault's campaign time and does it, then waits until
// zeren is ready again and checks that the same campaign goes on.
func (r *chaosRun) carryOut(ctx context.Context, f fault) error {
	st, err := r.awaitCampaignTime(ctx, f.at)
	if err != nil {
		return err
	}
	rec := faultRecord{fault: f, campaignAt: st.Now, wallAt: time.Since(r.firstStart)}
	fmt.Printf("  %-17s at campaign %s (wall +%s)\n", f.kind, st.Now.In(chaosZone).Format("2006-01-02 15:04"), rec.wallAt.Round(100*time.Millisecond))
	switch f.kind {
	case faultZeren:
		err = r.killAndRestart(ctx, &rec)
	case faultPostgres:
		err = r.killPostgres(ctx, &rec)
	}
	if err != nil {
		return fmt.Errorf("%s at %s: %w", f.kind, st.Now.Format(time.DateTime), err)
	}
	r.faults = append(r.faults, rec)
	return r.checkContinuity(ctx, st)
}

// checkContinuity confirms after a fault that the campaign zeren plays is the
// one it played before: the same clock anchor, its time not set back, still running.
func (r *chaosRun) checkContinuity(ctx context.Context, before campaignStatus) error {
	st, err := r.awaitStatus(ctx, func(st campaignStatus) bool { return st.Running })
	if err != nil {
		return fmt.Errorf("campaign after the restart: %w", err)
	}
	switch {
	case st.anchor() != before.anchor():
		r.continuity = append(r.continuity, fmt.Sprintf("clock anchor changed from %s to %s", before.anchor(), st.anchor()))
	case st.Now.Before(before.Now):
		r.continuity = append(r.continuity, fmt.Sprintf("campaign time went back from %s to %s", before.Now, st.Now))
	}
	return nil
}

// printChaosFigures prints the run's figures and each invariant's result.
func printChaosFigures(r *chaosRun, res *chaosResult) {
	day := func(t time.Time) string { return t.In(chaosZone).Format("2006-01-02 15:04") }
	fmt.Printf("\nchaos run: seed %d, paused at campaign %s, speed %g\n", r.opts.seed, day(res.pausedAt), r.opts.speed)
	fmt.Printf("%-26s %s (build %s)\n", "wall time", time.Since(r.began).Round(time.Second), r.buildTime.Round(time.Second))
	fmt.Printf("%-26s %d\n", "kills done", len(r.faults))
	for i, f := range r.faults {
		fmt.Printf("  %d. %-17s campaign %s  wall +%-8s ready again in %-6s %s\n", i+1, f.kind, day(f.campaignAt),
			f.wallAt.Round(100*time.Millisecond), f.outage.Round(100*time.Millisecond), f.note)
	}
	fmt.Printf("%-26s %d", "engine outages recorded", len(res.facts.outages))
	for _, o := range res.facts.outages {
		fmt.Printf("  [%s, %s]", o.StartedAt.Format(time.TimeOnly), o.Duration().Round(time.Second))
	}
	fmt.Println()
	c := res.counts
	fmt.Printf("%-26s %d (completed %d, open %d, cancelled %d)\n", "tasks", c.tasks, c.completed, c.open, c.cancelled)
	fmt.Printf("%-26s %d\n", "completions", c.completed)
	fmt.Printf("%-26s %d\n", "ledger entries", c.ledger)
	fmt.Printf("%-26s %d\n", "notices", c.notices)
	fmt.Printf("%-26s %d\n", "interviews", c.interviews)
	fmt.Printf("%-26s %d\n", "rung.fired audit rows", len(res.facts.fired))
	fmt.Printf("%-26s %d on %d ladders (penalties due %d, fired %d; reminders fired %d)\n", "rungs checked",
		res.ladders.rungs, res.ladders.ladders, res.ladders.due, res.ladders.penaltiesFired, res.ladders.remindersFired)
	fmt.Printf("%-26s %s\n", "processes", res.processes.summary())
	fmt.Println()
	verdict := func(name string, problems []string, detail string) {
		if len(problems) == 0 {
			fmt.Printf("%-48s ok  %s\n", name, detail)
			return
		}
		fmt.Printf("%-48s %d VIOLATIONS  %s\n", name, len(problems), detail)
		for _, p := range problems {
			fmt.Printf("    VIOLATION %s\n", p)
		}
	}
	verdict("a. no duplicate ledger entry/notice/summons", res.duplicates, res.duplicateDetail)
	verdict("b. every due rung fired exactly once", res.rungProblems, "")
	verdict("c. every process its row, every row its process", res.processProblems, "")
	verdict("d. audit chain intact", res.auditProblems, strings.TrimSpace(res.auditOutput))
	verdict("   the same campaign after each restart", res.continuity, "")
}
