package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The province run (`go run ./bench province`, by hand, not part of `make
// test`): the demo campaign for a province's reporting units on the real
// server — zeren dev (the embedded Temporal server on its SQLite file, a local
// PostgreSQL) — played by the demo bot through the API at a fast clock, with
// no faults; then, from the database as the chaos run checks it, every due
// rung fired once and none twice, and how late the rungs fired in campaign
// time; with the wall time, memory and CPU it took.
//
// zeren dev -demo gives its bot the seeded people's tokens only, so the run
// starts zeren dev without -demo, adds the towns and their heads' tokens, and
// plays with `zeren demo` (the same bot and campaign) in a second process.

// provinceOptions are the flags of `bench province`.
type provinceOptions struct {
	units int
	speed float64
	until time.Time // zero: play to the campaign's end
	keep  bool
}

// provinceTownPrefix codes the added towns (p1, p2, …); no seeded unit is coded so.
const provinceTownPrefix = "p"

// campaignOver is after the last assessment's interviews can be closed (the bot's own stop).
var campaignOver = time.Date(2023, 1, 31, 0, 0, 0, 0, chaosZone)

// parseProvinceFlags reads the flags of `bench province`.
func parseProvinceFlags(args []string) (provinceOptions, error) {
	var o provinceOptions
	var until string
	fs := flag.NewFlagSet("bench province", flag.ContinueOnError)
	fs.IntVar(&o.units, "units", 2500, "reporting units (the demo county's 25 and added towns, each with its head)")
	fs.Float64Var(&o.speed, "speed", 10000, "campaign clock speed, passed to zeren demo -speed")
	fs.StringVar(&until, "until", "", "campaign month (YYYY-MM) at whose first day to pause and check (default: play to the end)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (binary, data, logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.units < 25 || o.units > 20000 {
		return o, fmt.Errorf("-units %d: from 25 to 20000", o.units)
	}
	if o.speed < 100 || o.speed > 100000 {
		return o, fmt.Errorf("-speed %g: from 100 to 100000", o.speed)
	}
	if until != "" {
		m, err := time.ParseInLocation("2006-01", until, chaosZone)
		if err != nil || !m.After(campaignFirstDay) || m.After(campaignOver) {
			return o, fmt.Errorf("-until %q: a month (YYYY-MM) from 2020-05 to 2023-01", until)
		}
		o.until = m
	}
	return o, nil
}

// provinceRun is one province run: zeren dev driven as the chaos run drives
// it, the bot beside it, and the usage sampled meanwhile.
type provinceRun struct {
	*chaosRun
	popts  provinceOptions
	bot    *proc
	usage  usageSampler
	played time.Duration // from the bot's start to the end or the pause
	month  []string      // a line per campaign month
}

// benchProvince prepares the county, plays the campaign and checks it.
func benchProvince(ctx context.Context, args []string) error {
	opts, err := parseProvinceFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	cr, err := newChaosRun(chaosOptions{speed: opts.speed, keep: opts.keep})
	if err != nil {
		return err
	}
	cr.devFlags = nil // no bot inside zeren dev: the run's own plays every unit
	r := &provinceRun{chaosRun: cr, popts: opts}
	defer r.cleanup()
	defer func() {
		if r.bot != nil {
			_ = r.bot.stop(10 * time.Second)
		}
	}()
	until := "the end"
	if !opts.until.IsZero() {
		until = opts.until.Format("2006-01")
	}
	fmt.Printf("province: %d units, speed %g, until %s, folder %s\n", opts.units, opts.speed, until, r.dir)
	fmt.Printf("machine: %d cores, load average at the start %s\n", runtime.NumCPU(), loadAverage())

	res, err := r.run(ctx)
	if err != nil {
		r.showLogTail()
		return err
	}
	printProvince(r, res)
	if n := len(res.duplicates) + len(res.rungProblems); n > 0 {
		return fmt.Errorf("province: %d violations (rerun with -keep to keep the data folder)", n)
	}
	return nil
}

// run builds and starts zeren dev, prepares the county, plays until the end
// or the chosen month, checks, and stops everything.
func (r *provinceRun) run(ctx context.Context) (*provinceResult, error) {
	if err := r.build(ctx); err != nil {
		return nil, err
	}
	if err := r.startZeren(ctx); err != nil {
		return nil, err
	}
	tokens, err := r.prepareCounty(ctx)
	if err != nil {
		return nil, err
	}
	r.bot = &proc{name: "zeren demo", path: r.bin, env: childEnv(), log: filepath.Join(r.dir, "bot.log"),
		args: []string{"demo", "-api", fmt.Sprintf("http://127.0.0.1:%d", r.apiPort), "-tokens", tokens,
			"-speed", strconv.FormatFloat(r.popts.speed, 'f', -1, 64)}}
	started := time.Now()
	if err := r.bot.start(ctx, 0); err != nil {
		return nil, err
	}
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go r.usage.run(sampling, r)
	if err := r.awaitCampaign(ctx); err != nil {
		return nil, err
	}
	cutoff, err := r.play(ctx)
	if err != nil {
		return nil, err
	}
	r.played = time.Since(started)
	stopSampling()
	r.usage.sample(r) // the last figures, before anything stops
	if err := r.bot.stop(30 * time.Second); err != nil {
		return nil, err
	}
	res, err := r.check(ctx, cutoff)
	if err != nil {
		return nil, err
	}
	if err := r.stopZeren(); err != nil {
		return nil, fmt.Errorf("stop zeren: %w", err)
	}
	return res, nil
}

// prepareCounty adds towns until units report, each with its head, and
// writes the tokens the bot plays with: zeren dev's demo people and the
// added heads. The bot's campaign, created after this, takes every town.
func (r *provinceRun) prepareCounty(ctx context.Context) (string, error) {
	start := time.Now()
	s, err := store.Open(ctx, r.databaseURL())
	if err != nil {
		return "", err
	}
	defer s.Close()
	if extra := r.popts.units - 25; extra > 0 {
		if err := addTowns(ctx, s, provinceTownPrefix, "省测试镇", extra); err != nil {
			return "", err
		}
	}
	b, err := os.ReadFile(filepath.Join(r.data, "demo-tokens.json"))
	if err != nil {
		return "", fmt.Errorf("demo tokens: %w", err)
	}
	var people []demo.Person
	if err := json.Unmarshal(b, &people); err != nil {
		return "", fmt.Errorf("demo tokens: %w", err)
	}
	var heads []struct {
		ID   int64  `db:"id"`
		Key  string `db:"key"`
		Unit string `db:"code"`
	}
	if err := s.DB.SelectContext(ctx, &heads, `SELECT p.id, p.key, u.code FROM people p JOIN units u ON u.id = p.unit_id
WHERE u.code ~ $1 AND p.key = u.code || '-head' ORDER BY p.id`, "^"+provinceTownPrefix+"[0-9]+$"); err != nil {
		return "", fmt.Errorf("added heads: %w", err)
	}
	for _, h := range heads {
		tok, err := store.IssueToken(ctx, s.DB, h.ID, "bench province")
		if err != nil {
			return "", err
		}
		people = append(people, demo.Person{Key: h.Key, Role: domain.RoleUnitHead.String(), UnitCode: h.Unit, Token: tok})
	}
	var reporting int
	if err := s.DB.GetContext(ctx, &reporting, `SELECT count(*) FROM units WHERE kind IN ('department', 'town', 'enterprise')`); err != nil {
		return "", err
	}
	path := filepath.Join(r.dir, "province-tokens.json")
	out, err := json.Marshal(people)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return "", err
	}
	fmt.Printf("county prepared: %d reporting units, %d people the bot plays (%s)\n", reporting, len(people), time.Since(start).Round(time.Millisecond))
	return path, nil
}

// play waits until the campaign is over (or, with -until, pauses it at that
// month's first day), printing a line per campaign month, and answers the
// campaign time before which every penalty due must have fired.
func (r *provinceRun) play(ctx context.Context) (time.Time, error) {
	month := ""
	var last campaignStatus
	limit := r.wallFor(campaignOver.Sub(campaignFirstDay)) + time.Hour
	err := poll(ctx, 2*time.Second, limit, "the campaign to end", func() (bool, error) {
		if r.exited() {
			return false, fmt.Errorf("zeren exited (%v): see %s", r.zeren.err, r.log)
		}
		st, err := r.status(ctx)
		if err != nil {
			return false, nil // a busy server: ask again
		}
		last = st
		if m := st.Now.In(chaosZone).Format("2006-01"); m != month {
			month = m
			line := fmt.Sprintf("  %s  wall +%-8s open %-5d done %-7d overdue %-5d load %s", m, time.Since(r.firstStart).Round(time.Second),
				st.Counts.Open, st.Counts.Done, st.Counts.Overdue, loadAverage())
			fmt.Println(line)
			r.month = append(r.month, line)
		}
		if !r.popts.until.IsZero() {
			return !st.Now.Before(r.popts.until), nil
		}
		if r.bot.exited() && (r.bot.err != nil || st.Running) {
			return false, fmt.Errorf("the bot exited (%v) before the campaign's end: see %s", r.bot.err, r.bot.log)
		}
		return !st.Running && st.Counts.Open == 0 && st.Now.After(campaignOver), nil
	})
	if err != nil {
		return time.Time{}, err
	}
	if r.popts.until.IsZero() {
		return last.Now.Add(-safetyMargin), nil
	}
	if err := r.pauseCampaign(ctx); err != nil {
		return time.Time{}, err
	}
	return r.pausedAt.Add(-safetyMargin), nil
}

// provinceResult is what the checks found.
type provinceResult struct {
	checkedAt       time.Time
	ladders         ladderFigures
	duplicates      []string
	duplicateDetail string
	rungProblems    []string
	lateness        latenessFigures
	bot             botFigures
	counts          map[string]int
}

// check reads the facts from zeren's PostgreSQL in one snapshot and checks
// them as the chaos run does (invariants a and b), then measures the rungs'
// lateness and the bot's, and counts the campaign's outcome.
func (r *provinceRun) check(ctx context.Context, cutoff time.Time) (*provinceResult, error) {
	fmt.Println("checking from the database…")
	db, err := sqlx.ConnectContext(ctx, "postgres", r.databaseURL())
	if err != nil {
		return nil, fmt.Errorf("connect to zeren's PostgreSQL: %w", err)
	}
	defer db.Close()
	facts, err := readFacts(ctx, db)
	if err != nil {
		return nil, err
	}
	res := &provinceResult{checkedAt: cutoff}
	res.duplicates, res.duplicateDetail = checkDuplicates(facts)
	res.ladders, res.rungProblems = checkRungs(facts, cutoff)
	res.lateness = rungLateness(facts)
	if res.bot, err = botLag(ctx, db, demo.DefaultModel()); err != nil {
		return nil, err
	}
	res.counts = map[string]int{}
	for name, q := range map[string]string{
		"pledges":     `SELECT count(*) FROM pledges`,
		"reports":     `SELECT count(*) FROM reports`,
		"late":        `SELECT count(*) FROM reports WHERE late_seconds > 0`,
		"notices":     `SELECT count(*) FROM notices`,
		"interviews":  `SELECT count(*) FROM interviews`,
		"deductions":  `SELECT count(*) FROM score_ledger`,
		"completions": `SELECT count(*) FROM tasks WHERE status = 'completed'`,
		"open":        `SELECT count(*) FROM tasks WHERE status = 'open'`,
	} {
		var n int
		if err := db.GetContext(ctx, &n, q); err != nil {
			return nil, fmt.Errorf("count %s: %w", name, err)
		}
		res.counts[name] = n
	}
	return res, nil
}

// latenessFigures say how late the fired rungs were, in campaign time: each
// rung.fired row's time (the campaign's clock when its workflow fired it)
// against the rung's own time.
type latenessFigures struct {
	fired     int
	max, p99  time.Duration
	overHour  int
	worst     firedRow
	worstLate time.Duration
}

// rungLateness measures every fired rung's lateness.
func rungLateness(f *chaosFacts) latenessFigures {
	fig := latenessFigures{fired: len(f.fired)}
	var late []time.Duration
	for _, r := range f.fired {
		d := max(r.At.Sub(micro(r.RungAt)), 0)
		late = append(late, d)
		if d > time.Hour {
			fig.overHour++
		}
		if d >= fig.worstLate {
			fig.worst, fig.worstLate = r, d
		}
	}
	if len(late) > 0 {
		slices.Sort(late)
		fig.max = late[len(late)-1]
		fig.p99 = late[min(len(late)-1, len(late)*99/100)]
	}
	return fig
}

// botFigures say how far behind the model the bot acted, in campaign time:
// each completed task's completion against the time the model chose for it.
type botFigures struct {
	completed int
	p50, p99  time.Duration
	max       time.Duration
	worst     string
	// madeLate counts tasks the model meant to do by their deadline that
	// were completed after it, by kind: the bot changed the outcome.
	madeLate map[string]int
	// bornLate counts tasks created after their deadline, by kind.
	bornLate map[string]int
}

// botLag compares every completed task with the model's decision for it.
func botLag(ctx context.Context, db *sqlx.DB, m demo.Model) (botFigures, error) {
	fig := botFigures{madeLate: map[string]int{}, bornLate: map[string]int{}}
	var tasks []store.Task
	if err := db.SelectContext(ctx, &tasks, `SELECT t.id, t.kind, t.status, t.due_at, t.created_at, t.completed_at, t.context,
u.code AS unit_code, u.name AS unit_name FROM tasks t JOIN units u ON u.id = t.unit_id`); err != nil {
		return fig, fmt.Errorf("tasks: %w", err)
	}
	var lags []time.Duration
	for _, t := range tasks {
		if t.CreatedAt.After(t.DueAt) {
			fig.bornLate[t.Kind]++
		}
		if t.Status != domain.TaskCompleted || t.CompletedAt == nil {
			continue
		}
		a := m.Decide(t)
		lag := max(t.CompletedAt.Sub(a.At), 0)
		lags = append(lags, lag)
		if lag >= fig.max {
			fig.max, fig.worst = lag, fmt.Sprintf("%s (%s, planned %s, done %s)", t.ID, t.Kind, fmtCampaign(a.At), fmtCampaign(*t.CompletedAt))
		}
		if !a.At.After(t.DueAt) && t.CompletedAt.After(t.DueAt) {
			fig.madeLate[t.Kind]++
		}
	}
	fig.completed = len(lags)
	if len(lags) > 0 {
		slices.Sort(lags)
		fig.p50, fig.p99 = lags[len(lags)/2], lags[min(len(lags)-1, len(lags)*99/100)]
	}
	return fig, nil
}

// usageSampler keeps the largest resident set and the last CPU times seen
// of zeren dev, its PostgreSQL and the bot, sampled every few seconds.
type usageSampler struct {
	mu                      sync.Mutex
	zerenRSS, botRSS        int // MiB, VmHWM
	zerenCPU, botCPU, pgCPU time.Duration
}

// run samples every 5 s until ctx ends.
func (u *usageSampler) run(ctx context.Context, r *provinceRun) {
	for {
		u.sample(r)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// sample reads the processes' figures once; PostgreSQL's CPU is the
// postmaster's and its backends'.
func (u *usageSampler) sample(r *provinceRun) {
	u.mu.Lock()
	defer u.mu.Unlock()
	pm, _ := r.postmasterPID()
	if !r.exited() {
		pid := r.zeren.cmd.Process.Pid
		u.zerenRSS = max(u.zerenRSS, peakRSS(pid))
		u.zerenCPU = cpuTime(pid, true) // with its reaped children (initdb, pg_ctl); the live postmaster is PostgreSQL's
	}
	if pm > 0 && alive(pm) {
		u.pgCPU = cpuTime(pm, true) + childrenCPU(pm)
	}
	if r.bot != nil && !r.bot.exited() {
		cpu, rss := r.bot.usage()
		u.botCPU, u.botRSS = cpu, max(u.botRSS, rss)
	}
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// printProvince prints the summary block for the README.
func printProvince(r *provinceRun, res *provinceResult) {
	hours := func(d time.Duration) string { return fmt.Sprintf("%.2f h", d.Hours()) }
	u := &r.usage
	c := res.counts
	played := "to the campaign's end"
	if !r.popts.until.IsZero() {
		played = "paused at campaign " + fmtCampaign(r.pausedAt)
	}
	fmt.Printf("\nprovince run: %d units, speed %g (a campaign hour is %s of wall), %s\n", r.popts.units, r.popts.speed,
		(time.Duration(float64(time.Hour) / r.popts.speed)).Round(time.Millisecond), played)
	fmt.Printf("%-30s %s (campaign played in %s; build %s)\n", "wall time", time.Since(r.began).Round(time.Second),
		r.played.Round(time.Second), r.buildTime.Round(time.Second))
	fmt.Printf("%-30s %s (%d cores)\n", "load average at the end", loadAverage(), runtime.NumCPU())
	fmt.Printf("%-30s zeren dev %d MiB; bot (zeren demo) %d MiB\n", "peak RSS", u.zerenRSS, u.botRSS)
	fmt.Printf("%-30s zeren dev %s, PostgreSQL %s, bot %s; all %s (%.2f cores on average)\n", "CPU (user+sys)",
		u.zerenCPU.Round(time.Second), u.pgCPU.Round(time.Second), u.botCPU.Round(time.Second),
		(u.zerenCPU + u.pgCPU + u.botCPU).Round(time.Second), (u.zerenCPU+u.pgCPU+u.botCPU).Seconds()/max(r.played.Seconds(), 1))
	fmt.Printf("%-30s pledges %d, reports %d (late %d), notices %d, interviews %d, deductions %d\n", "outcome",
		c["pledges"], c["reports"], c["late"], c["notices"], c["interviews"], c["deductions"])
	fmt.Printf("%-30s %d completions, %d tasks open\n", "tasks", c["completions"], c["open"])
	fmt.Printf("%-30s %d on %d ladders (penalties due %d, fired %d; reminders fired %d)\n", "rungs checked",
		res.ladders.rungs, res.ladders.ladders, res.ladders.due, res.ladders.penaltiesFired, res.ladders.remindersFired)
	l := res.lateness
	fmt.Printf("%-30s max %s, p99 %s, over one hour %d of %d", "rung lateness (campaign time)", hours(l.max), hours(l.p99), l.overHour, l.fired)
	if l.fired > 0 {
		fmt.Printf("; worst %s (%s at %s)", l.worst.Key, l.worst.Action, fmtCampaign(micro(l.worst.RungAt)))
	}
	fmt.Println()
	b := res.bot
	fmt.Printf("%-30s p50 %s, p99 %s, max %s over %d completions; worst %s\n", "bot behind the model", hours(b.p50), hours(b.p99), hours(b.max), b.completed, b.worst)
	fmt.Printf("%-30s %s\n", "made late by the bot", kindCounts(b.madeLate))
	fmt.Printf("%-30s %s\n", "created after their deadline", kindCounts(b.bornLate))
	fmt.Println()
	verdict := func(name string, problems []string, detail string) {
		if len(problems) == 0 {
			fmt.Printf("%-48s ok  %s\n", name, detail)
			return
		}
		fmt.Printf("%-48s %d VIOLATIONS  %s\n", name, len(problems), detail)
		for i, p := range problems {
			if i == 20 {
				fmt.Printf("    … and %d more\n", len(problems)-i)
				break
			}
			fmt.Printf("    VIOLATION %s\n", p)
		}
	}
	verdict("a. no duplicate ledger entry/notice/summons", res.duplicates, res.duplicateDetail)
	verdict("b. every due rung fired exactly once", res.rungProblems, "(penalties due before "+fmtCampaign(res.checkedAt)+")")
	within := "ok"
	if l.overHour > 0 {
		within = fmt.Sprintf("NO (%d rungs)", l.overHour)
	}
	fmt.Printf("%-48s %s\n", "   every fired rung within one campaign hour", within)
}

// kindCounts writes counts by kind on one line ("none" when empty).
func kindCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
