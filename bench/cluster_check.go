package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The checks of `bench cluster`: the chaos run's invariants a to d, read the
// same way (chaos_check.go), and four of the cluster's own:
//
//	e. every reporting unit has exactly one report of each month opened and
//	   exactly one pledge of the year: the month reached all of them, once;
//	f. every completed task has exactly one task.completed audit row and every
//	   such row its completed task; every task its task.created row;
//	g. every completion answered 200 is a completed task, and every completed
//	   task was answered 200 or its request was cut off by the kill: no
//	   completion lost when a replica died under it, none from nowhere;
//	h. every completed task's Update reached its process: Temporal knows the
//	   Update under the id the row holds, completed (a worker killed right
//	   after the handler's commit, with a client that never retries, would
//	   leave the row completed and the process waiting).

// clusterResult is what the checks found.
type clusterResult struct {
	chaos *chaosResult
	// units: reporting units, periods checked, reports and pledges found.
	units                     int
	periods                   []string
	reports, pledges          int
	unitProblems              []string
	created, completedAudited int
	completionProblems        []string
	botAnswers                map[string]int // the bots' 200 answers, by task kind
	answerProblems            []string
	updatesChecked            int
	updateProblems            []string
}

// violations counts every problem found.
func (res *clusterResult) violations() int {
	return res.chaos.violations() + len(res.unitProblems) + len(res.completionProblems) + len(res.answerProblems) + len(res.updateProblems)
}

// check reads the facts once the campaign is paused and has settled, and checks a to h.
func (r *clusterRun) check(ctx context.Context, s *store.Store, res *clusterResult) error {
	facts, err := readFacts(ctx, s.DB)
	if err != nil {
		return err
	}
	c := &chaosResult{pausedAt: r.pausedAt, facts: facts, counts: facts.counts()}
	res.chaos = c
	c.duplicates, c.duplicateDetail = checkDuplicates(facts)
	c.ladders, c.rungProblems = checkRungs(facts, r.pausedAt.Add(-safetyMargin))
	tc, err := r.dial(ctx, clusterNamespace)
	if err != nil {
		return fmt.Errorf("connect to Temporal: %w", err)
	}
	defer tc.Close()
	if c.processes, c.processProblems, err = checkProcesses(ctx, namespaced{tc, clusterNamespace}, s.DB, facts); err != nil {
		return err
	}
	c.auditOutput, c.auditProblems = (&chaosRun{bin: r.zerenBin, pgPort: r.pgPort}).verifyAudit(ctx)

	tx, err := s.DB.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := r.checkUnits(ctx, tx, res); err != nil {
		return err
	}
	if err := checkCompletions(ctx, tx, res); err != nil {
		return err
	}
	res.botAnswers = map[string]int{}
	for _, b := range r.bots {
		for kind, n := range b.Acted {
			res.botAnswers[kind] += n
		}
	}
	res.answerProblems = checkAnswers(facts, r.lb)
	res.updatesChecked, res.updateProblems, err = checkUpdates(ctx, tx, tc)
	return err
}

// namespaced is the client with the chaos check's listing turned to zeren's
// namespace (listWorkflows names "default", zeren dev's).
type namespaced struct {
	client.Client
	namespace string
}

func (n namespaced) ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	req.Namespace = n.namespace
	return n.Client.ListWorkflow(ctx, req)
}

// checkUnits checks e: one report per reporting unit and month opened before
// the pause, one pledge per reporting unit for the year, nothing for others.
func (r *clusterRun) checkUnits(ctx context.Context, tx *sqlx.Tx, res *clusterResult) error {
	units, err := store.ReportingUnits(ctx, tx, chaosCampaign)
	if err != nil {
		return err
	}
	res.units = len(units)
	want := map[int64]bool{}
	for _, u := range units {
		want[u.ID] = true
	}
	for m := campaignFirstDay; m.Before(r.pausedAt); m = m.AddDate(0, 1, 0) {
		res.periods = append(res.periods, m.Format("2006-01"))
	}
	var reports []struct {
		Unit   int64  `db:"unit_id"`
		Period string `db:"period"`
		N      int    `db:"n"`
	}
	if err := tx.SelectContext(ctx, &reports, `SELECT unit_id, period, count(*) AS n FROM reports WHERE campaign_id = $1 GROUP BY 1, 2`, chaosCampaign); err != nil {
		return err
	}
	got := map[string]int{}
	for _, g := range reports {
		res.reports += g.N
		got[fmt.Sprintf("%d %s", g.Unit, g.Period)] = g.N
		if !want[g.Unit] || !slices.Contains(res.periods, g.Period) {
			res.unitProblems = append(res.unitProblems, fmt.Sprintf("unit %d has %d reports of %s, which it should not", g.Unit, g.N, g.Period))
		}
	}
	var pledges []struct {
		Unit int64 `db:"signer_unit_id"`
		N    int   `db:"n"`
	}
	year := campaignFirstDay.Year()
	if err := tx.SelectContext(ctx, &pledges, `SELECT signer_unit_id, count(*) AS n FROM pledges WHERE campaign_id = $1 AND year = $2 GROUP BY 1`, chaosCampaign, year); err != nil {
		return err
	}
	signed := map[int64]int{}
	for _, p := range pledges {
		res.pledges += p.N
		signed[p.Unit] = p.N
		if !want[p.Unit] {
			res.unitProblems = append(res.unitProblems, fmt.Sprintf("unit %d signs %d pledges of %d but reports nothing", p.Unit, p.N, year))
		}
	}
	for _, u := range units {
		for _, period := range res.periods {
			if n := got[fmt.Sprintf("%d %s", u.ID, period)]; n != 1 {
				res.unitProblems = append(res.unitProblems, fmt.Sprintf("unit %s has %d reports of %s", u.Code, n, period))
			}
		}
		if n := signed[u.ID]; n != 1 {
			res.unitProblems = append(res.unitProblems, fmt.Sprintf("unit %s has %d pledges of %d", u.Code, n, year))
		}
	}
	sort.Strings(res.unitProblems)
	return nil
}

// checkCompletions checks f.
func checkCompletions(ctx context.Context, tx *sqlx.Tx, res *clusterResult) error {
	var rows []struct {
		ID        string `db:"id"`
		Kind      string `db:"kind"`
		Status    string `db:"status"`
		Created   int    `db:"created"`
		Completed int    `db:"completed"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT t.id, t.kind, t.status,
  (SELECT count(*) FROM audit_log a WHERE a.key = 'task.created:' || t.id) AS created,
  (SELECT count(*) FROM audit_log a WHERE a.action = 'task.completed' AND a.task_id = t.id) AS completed
FROM tasks t ORDER BY t.id`); err != nil {
		return err
	}
	for _, t := range rows {
		res.created += t.Created
		res.completedAudited += t.Completed
		if t.Created != 1 {
			res.completionProblems = append(res.completionProblems, fmt.Sprintf("task %s has %d task.created rows", t.ID, t.Created))
		}
		switch {
		case t.Status == "completed" && t.Completed != 1:
			res.completionProblems = append(res.completionProblems, fmt.Sprintf("completed task %s has %d task.completed rows", t.ID, t.Completed))
		case t.Status != "completed" && t.Completed != 0:
			res.completionProblems = append(res.completionProblems, fmt.Sprintf("%s task %s has %d task.completed rows", t.Status, t.ID, t.Completed))
		}
	}
	var orphans []string
	if err := tx.SelectContext(ctx, &orphans, `SELECT COALESCE(task_id, key) FROM audit_log a WHERE action = 'task.completed'
AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = a.task_id)`); err != nil {
		return err
	}
	for _, o := range orphans {
		res.completionProblems = append(res.completionProblems, fmt.Sprintf("task.completed row for %s, which is no task", o))
	}
	return nil
}

// checkAnswers checks g: every completion answered 200 is a completed task;
// every completed task was answered 200, or its request broke without an
// answer (the replica was killed under it; the bot then finds the task done).
func checkAnswers(f *chaosFacts, lb *roundRobin) []string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(lb.answered)) {
		if t, ok := f.taskByID[id]; !ok || t.Status != domain.TaskCompleted {
			problems = append(problems, fmt.Sprintf("task %s: answered 200 %d times but not completed (%v)", id, lb.answered[id], t.Status))
		}
	}
	for _, t := range f.tasks {
		if t.Status == domain.TaskCompleted && lb.answered[t.ID] == 0 && lb.broken[t.ID] == 0 {
			problems = append(problems, fmt.Sprintf("task %s (%s) is completed, but no completion of it was answered or broke", t.ID, t.Kind))
		}
	}
	return problems
}

// checkUpdates checks h: for every completed task, Temporal knows its Update
// (the row's update_id) on the task's workflow, completed without failure.
func checkUpdates(ctx context.Context, tx *sqlx.Tx, tc client.Client) (int, []string, error) {
	var rows []struct {
		ID       string  `db:"id"`
		Workflow string  `db:"workflow_id"`
		Update   *string `db:"update_id"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT id, workflow_id, update_id FROM tasks WHERE status = 'completed' ORDER BY id`); err != nil {
		return 0, nil, err
	}
	problems := make([]string, len(rows))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				t := rows[i]
				if t.Update == nil {
					problems[i] = fmt.Sprintf("completed task %s has no update id", t.ID)
					continue
				}
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := tc.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: t.Workflow, UpdateID: *t.Update}).Get(pctx, nil)
				cancel()
				if err != nil {
					problems[i] = fmt.Sprintf("task %s: its Update %s on %s: %v", t.ID, *t.Update, t.Workflow, err)
				}
			}
		}()
	}
	for i := range rows {
		work <- i
	}
	close(work)
	wg.Wait()
	var out []string
	for _, p := range problems {
		if p != "" {
			out = append(out, p)
		}
	}
	// A control: an Update no one sent must not be found, or the check proves nothing.
	if len(rows) > 0 {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := tc.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: rows[0].Workflow, UpdateID: "bench-cluster-never-sent"}).Get(pctx, nil)
		cancel()
		if err == nil {
			out = append(out, "an Update never sent was answered as completed: this check cannot tell")
		}
	}
	return len(rows), out, nil
}

// call sends one API request as a person, through the balancer.
func (r *clusterRun) call(ctx context.Context, person, method, path string, body any) (int, []byte, error) {
	tok, ok := r.tokens[person]
	if !ok {
		return 0, nil, fmt.Errorf("no token for %s", person)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://zeren-api"+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// printClusterFigures prints the run's figures and each invariant's result.
func printClusterFigures(r *clusterRun, res *clusterResult) {
	day := func(t time.Time) string { return t.In(chaosZone).Format("2006-01-02 15:04") }
	c := res.chaos
	fmt.Printf("\ncluster run: %d units, campaign %s to %s (paused), speed %g, %s\n", r.opts.units,
		campaignFirstDay.Format(time.DateOnly), day(r.pausedAt), r.opts.speed, time.Now().Format(time.DateOnly))
	fmt.Printf("%-26s Temporal server %s on PostgreSQL (%d history shards), mTLS, namespace %s; 2 workers, 2 API replicas\n",
		"shape", r.version, r.opts.shards, clusterNamespace)
	fmt.Printf("%-26s %s\n", "zeren", r.revision)
	fmt.Printf("%-26s %s\n", "wall time", time.Since(r.began).Round(time.Second))
	for _, s := range r.steps {
		fmt.Printf("  %-52s %s\n", s.name, s.took.Round(100*time.Millisecond))
	}
	for _, k := range r.kills {
		fmt.Printf("%-26s %s at campaign %s (wall +%s), serving again %s later\n", "SIGKILL", strings.Join(k.names, " and "),
			day(k.campaignAt), k.wallAt.Round(100*time.Millisecond), k.back.Round(100*time.Millisecond))
	}
	var total int64
	for i := range r.lb.targets {
		total += r.lb.served[i].Load()
	}
	fmt.Printf("%-26s %d", "API requests", total)
	for i, a := range r.apis {
		fmt.Printf("; %s %d (5xx %d)", a.name, r.lb.served[i].Load(), r.lb.failed[i].Load())
	}
	fmt.Printf("; refused and sent to the other %d; failed %d\n", r.lb.failovers.Load(), r.lb.errors.Load())
	answers := 0
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(res.botAnswers)) {
		answers += res.botAnswers[k]
		kinds = append(kinds, fmt.Sprintf("%s %d", k, res.botAnswers[k]))
	}
	fmt.Printf("%-26s %d (%s)\n", "completions by the bots", answers, strings.Join(kinds, ", "))
	fmt.Printf("%-26s %d (completed %d, open %d, cancelled %d)\n", "tasks", c.counts.tasks, c.counts.completed, c.counts.open, c.counts.cancelled)
	fmt.Printf("%-26s %d reporting units; reports %d (%s); pledges %d\n", "units", res.units, res.reports, strings.Join(res.periods, ", "), res.pledges)
	fmt.Printf("%-26s %d\n", "ledger entries", c.counts.ledger)
	fmt.Printf("%-26s %d\n", "notices", c.counts.notices)
	fmt.Printf("%-26s %d\n", "interviews", c.counts.interviews)
	fmt.Printf("%-26s %d\n", "rung.fired audit rows", len(c.facts.fired))
	fmt.Printf("%-26s %d on %d ladders (penalties due %d, fired %d; reminders fired %d)\n", "rungs checked",
		c.ladders.rungs, c.ladders.ladders, c.ladders.due, c.ladders.penaltiesFired, c.ladders.remindersFired)
	fmt.Printf("%-26s %s\n", "processes", c.processes.summary())
	fmt.Printf("%-26s %d\n", "engine outages recorded", len(c.facts.outages))
	fmt.Println("CPU time and peak RSS:")
	for _, u := range r.usage {
		rss := ""
		if u.rss > 0 {
			rss = fmt.Sprintf("%d MiB", u.rss)
		}
		fmt.Printf("  %-18s cpu %-9s %-9s %s\n", u.name, u.cpu.Round(time.Second), rss, u.note)
	}
	fmt.Println()
	verdict := func(name string, problems []string, detail string) {
		if len(problems) == 0 {
			fmt.Printf("%-52s ok  %s\n", name, detail)
			return
		}
		fmt.Printf("%-52s %d VIOLATIONS  %s\n", name, len(problems), detail)
		for i, p := range problems {
			if i == 20 {
				fmt.Printf("    … and %d more\n", len(problems)-i)
				break
			}
			fmt.Printf("    VIOLATION %s\n", p)
		}
	}
	verdict("a. no duplicate ledger entry/notice/summons", c.duplicates, c.duplicateDetail)
	verdict("b. every due rung fired exactly once", c.rungProblems, "")
	verdict("c. every process its row, every row its process", c.processProblems, "")
	verdict("d. audit chain intact", c.auditProblems, strings.TrimSpace(c.auditOutput))
	verdict("e. every unit its reports and pledge, once", res.unitProblems,
		fmt.Sprintf("(%d units × %d months, %d pledges)", res.units, len(res.periods), res.pledges))
	verdict("f. every task created once, every completion once", res.completionProblems,
		fmt.Sprintf("(task.created %d, task.completed %d)", res.created, res.completedAudited))
	broken := 0
	for id, n := range r.lb.broken {
		if r.lb.answered[id] == 0 && n > 0 {
			broken++
		}
	}
	verdict("g. every completion answered or cut off, once", res.answerProblems,
		fmt.Sprintf("(%d answered 200, %d cut off by the kill and not answered)", len(r.lb.answered), broken))
	verdict("h. every completion's Update reached its process", res.updateProblems, fmt.Sprintf("(%d Updates)", res.updatesChecked))
}
