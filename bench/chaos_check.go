package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The invariants of a chaos run, checked once the campaign is paused and has
// settled: from the database (read in one snapshot) and the Temporal server.

// safetyMargin is how long (campaign time) before the pause a rung's time must
// be for the run to expect it fired on a task still open: a ladder's timer and
// its activity need a moment of wall time.
const safetyMargin = 24 * time.Hour

// recheckWait is how long a process without its row (or a row without its
// process) is given to converge before it counts: a summons commits its row
// just before its process starts.
const recheckWait = 5 * time.Second

// chaosResult is what the checks found.
type chaosResult struct {
	pausedAt        time.Time
	facts           *chaosFacts
	counts          chaosCounts
	ladders         ladderFigures
	processes       processFigures
	duplicates      []string
	duplicateDetail string
	rungProblems    []string
	processProblems []string
	auditProblems   []string
	auditOutput     string
	continuity      []string
}

// violations counts every problem found.
func (res *chaosResult) violations() int {
	return len(res.duplicates) + len(res.rungProblems) + len(res.processProblems) + len(res.auditProblems) + len(res.continuity)
}

// chaosCounts are the figures of the database.
type chaosCounts struct {
	tasks, completed, open, cancelled int
	ledger, notices, interviews       int
}

// taskRow is a task as the inbox holds it; every time is campaign time.
type taskRow struct {
	ID          string        `db:"id"`
	WorkflowID  string        `db:"workflow_id"`
	Kind        string        `db:"kind"`
	Status      domain.Status `db:"status"`
	CampaignID  *string       `db:"campaign_id"`
	DueAt       time.Time     `db:"due_at"`
	CreatedAt   time.Time     `db:"created_at"`
	CompletedAt *time.Time    `db:"completed_at"`
}

// firedRow is a rung.fired audit row.
type firedRow struct {
	Key    string // the rung key, without the "rung.fired:" prefix
	TaskID string
	At     time.Time
	Action domain.Action
	Index  int
	RungAt time.Time
}

// ledgerRow is a score-ledger entry.
type ledgerRow struct {
	Key     string `db:"key"`
	Process string `db:"process"`
	Rung    *int   `db:"rung"`
}

// originKey is a keyed row and where it came from (a notice's issuer, a trigger's source).
type originKey struct {
	Key    string `db:"key"`
	Origin string `db:"origin"`
}

// chaosFacts is everything the checks read from the database, in one snapshot.
type chaosFacts struct {
	campaigns map[string]store.Campaign
	tasks     []taskRow // by creation
	taskByID  map[string]taskRow
	fired     []firedRow
	ledger    []ledgerRow
	notices   []originKey // origin: issued_by
	triggers  []originKey // origin: source
	letters   []string
	outages   []store.Outage
	// rows maps the workflow id of every process row (reports, pledges,
	// interviews, plan tasks, assignments) to its table.
	rows map[string]string
	// assignmentLadders are the ladders assigned matters were given, by workflow id.
	assignmentLadders map[string]domain.Ladder
}

// checkInvariants reads the facts and checks invariants a to d.
func (r *chaosRun) checkInvariants(ctx context.Context) (*chaosResult, error) {
	fmt.Println("checking the invariants…")
	db, err := sqlx.ConnectContext(ctx, "postgres", r.databaseURL())
	if err != nil {
		return nil, fmt.Errorf("connect to zeren's PostgreSQL: %w", err)
	}
	defer db.Close()
	facts, err := readFacts(ctx, db)
	if err != nil {
		return nil, err
	}
	res := &chaosResult{pausedAt: r.pausedAt, facts: facts, counts: facts.counts(), continuity: r.continuity}
	res.duplicates, res.duplicateDetail = checkDuplicates(facts)
	res.ladders, res.rungProblems = checkRungs(facts, r.pausedAt.Add(-safetyMargin))

	tc, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", r.temporalPort), Namespace: "default",
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal: %w", err)
	}
	defer tc.Close()
	res.processes, res.processProblems, err = checkProcesses(ctx, tc, db, facts)
	if err != nil {
		return nil, err
	}
	res.auditOutput, res.auditProblems = r.verifyAudit(ctx)
	return res, nil
}

// readFacts reads every fact the checks need in one read-only, repeatable-read
// transaction, so they are consistent with each other while the bot goes on.
func readFacts(ctx context.Context, db *sqlx.DB) (*chaosFacts, error) {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	f := &chaosFacts{campaigns: map[string]store.Campaign{}, taskByID: map[string]taskRow{}, rows: map[string]string{},
		assignmentLadders: map[string]domain.Ladder{}}
	for _, step := range []struct {
		what string
		read func(context.Context, *sqlx.Tx) error
	}{
		{"tasks", f.readTasks},
		{"campaigns", f.readCampaigns},
		{"rung.fired audit rows", f.readFired},
		{"score ledger", func(ctx context.Context, tx *sqlx.Tx) error {
			return tx.SelectContext(ctx, &f.ledger, `SELECT key, process, rung FROM score_ledger ORDER BY id`)
		}},
		{"notices", func(ctx context.Context, tx *sqlx.Tx) error {
			return tx.SelectContext(ctx, &f.notices, `SELECT key, issued_by AS origin FROM notices ORDER BY id`)
		}},
		{"interview triggers", func(ctx context.Context, tx *sqlx.Tx) error {
			return tx.SelectContext(ctx, &f.triggers, `SELECT key, source AS origin FROM interview_triggers ORDER BY created_at, key`)
		}},
		{"supervision letters", func(ctx context.Context, tx *sqlx.Tx) error {
			return tx.SelectContext(ctx, &f.letters, `SELECT key FROM supervision_letters ORDER BY id`)
		}},
		{"engine outages", func(ctx context.Context, tx *sqlx.Tx) error {
			return tx.SelectContext(ctx, &f.outages, `SELECT id, started_at, ended_at FROM engine_outages ORDER BY started_at`)
		}},
		{"process rows", f.readProcessRows},
	} {
		if err := step.read(ctx, tx); err != nil {
			return nil, fmt.Errorf("read %s: %w", step.what, err)
		}
	}
	return f, nil
}

// readTasks reads every task, oldest first.
func (f *chaosFacts) readTasks(ctx context.Context, tx *sqlx.Tx) error {
	err := tx.SelectContext(ctx, &f.tasks, `SELECT id, workflow_id, kind, status, campaign_id, due_at, created_at, completed_at
FROM tasks ORDER BY created_at, id`)
	for _, t := range f.tasks {
		f.taskByID[t.ID] = t
	}
	return err
}

// readCampaigns reads every campaign, with its policy.
func (f *chaosFacts) readCampaigns(ctx context.Context, tx *sqlx.Tx) error {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM campaigns`); err != nil {
		return err
	}
	for _, id := range ids {
		c, err := store.CampaignByID(ctx, tx, id)
		if err != nil {
			return err
		}
		f.campaigns[id] = c
	}
	return nil
}

// readFired reads the rung.fired audit rows and what each says of its rung.
func (f *chaosFacts) readFired(ctx context.Context, tx *sqlx.Tx) error {
	var rows []struct {
		Key    string    `db:"key"`
		TaskID string    `db:"task_id"`
		At     time.Time `db:"at"`
		After  string    `db:"after"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT COALESCE(key, '') AS key, COALESCE(task_id, '') AS task_id, at, COALESCE(after::text, '{}') AS after
FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		return err
	}
	for _, row := range rows {
		var after struct {
			Action domain.Action `json:"action"`
			Index  int           `json:"index"`
			RungAt time.Time     `json:"rung_at"`
		}
		if err := json.Unmarshal([]byte(row.After), &after); err != nil {
			return fmt.Errorf("audit row %s: %w", row.Key, err)
		}
		f.fired = append(f.fired, firedRow{Key: strings.TrimPrefix(row.Key, "rung.fired:"), TaskID: row.TaskID, At: row.At,
			Action: after.Action, Index: after.Index, RungAt: after.RungAt})
	}
	return nil
}

// readProcessRows reads the ids of the rows that processes keep, as workflow ids.
func (f *chaosFacts) readProcessRows(ctx context.Context, tx *sqlx.Tx) error {
	var text []string
	for _, table := range []string{"reports", "pledges"} {
		if err := tx.SelectContext(ctx, &text, `SELECT id FROM `+table); err != nil {
			return err
		}
		for _, id := range text {
			f.rows[id] = table
		}
	}
	for _, t := range []struct {
		table string
		id    func(int64) string
	}{{"interviews", contract.InterviewID}, {"plan_tasks", contract.PlanTaskID}} {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM `+t.table); err != nil {
			return err
		}
		for _, id := range ids {
			f.rows[t.id(id)] = t.table
		}
	}
	var assignments []struct {
		ID     int64  `db:"id"`
		Ladder []byte `db:"ladder"`
	}
	if err := tx.SelectContext(ctx, &assignments, `SELECT id, ladder FROM assignments`); err != nil {
		return err
	}
	for _, a := range assignments {
		var l domain.Ladder
		if err := json.Unmarshal(a.Ladder, &l); err != nil {
			return fmt.Errorf("assignment %d ladder: %w", a.ID, err)
		}
		f.rows[contract.AssignmentID(a.ID)] = "assignments"
		f.assignmentLadders[contract.AssignmentID(a.ID)] = l
	}
	return nil
}

// counts are the database's figures.
func (f *chaosFacts) counts() chaosCounts {
	c := chaosCounts{tasks: len(f.tasks), ledger: len(f.ledger), notices: len(f.notices)}
	for _, t := range f.tasks {
		switch t.Status {
		case domain.TaskCompleted:
			c.completed++
		case domain.TaskOpen:
			c.open++
		case domain.TaskCancelled:
			c.cancelled++
		}
	}
	for _, table := range f.rows {
		if table == "interviews" {
			c.interviews++
		}
	}
	return c
}

// Invariant a: no duplicate ledger entry, notice, summons or letter per rung.

// checkDuplicates counts, in each table a rung writes to, the keys written
// more than once; groups the ledger by process, ladder and rung and the
// rung.fired rows by process, task kind (which names the ladder) and rung
// index, across rounds, so a rung recorded under two keys shows; and checks
// that every rung's effect has its rung.fired row and every penalty's
// rung.fired row its effect (they are written in one transaction).
func checkDuplicates(f *chaosFacts) ([]string, string) {
	var problems []string
	rungKeys := make([]string, len(f.fired))
	for i, r := range f.fired {
		rungKeys[i] = r.Key
	}
	ledgerKeys := make([]string, len(f.ledger))
	for i, e := range f.ledger {
		ledgerKeys[i] = e.Key
	}
	noticeKeys, triggerKeys := keysOf(f.notices, ""), keysOf(f.triggers, "")
	for _, s := range []struct {
		name string
		keys []string
	}{{"score_ledger", ledgerKeys}, {"audit rung.fired", rungKeys}, {"notices", noticeKeys}, {"interview_triggers", triggerKeys}, {"supervision_letters", f.letters}} {
		for key, n := range repeated(s.keys) {
			problems = append(problems, fmt.Sprintf("%s: key %s written %d times", s.name, key, n))
		}
	}
	problems = append(problems, ledgerRungDuplicates(f.ledger)...)
	problems = append(problems, firedRungDuplicates(f)...)
	problems = append(problems, effectsWithoutRung(f)...)
	detail := fmt.Sprintf("(keys: ledger %d, rung.fired %d, notices %d, triggers %d, letters %d)",
		len(ledgerKeys), len(rungKeys), len(noticeKeys), len(triggerKeys), len(f.letters))
	return problems, detail
}

// keysOf lists the keys of rows from origin (every row when origin is "").
func keysOf(rows []originKey, origin string) []string {
	var out []string
	for _, r := range rows {
		if origin == "" || r.Origin == origin {
			out = append(out, r.Key)
		}
	}
	return out
}

// repeated answers the keys that occur more than once, with their counts.
func repeated(keys []string) map[string]int {
	n := map[string]int{}
	for _, k := range keys {
		n[k]++
	}
	for k, c := range n {
		if c < 2 {
			delete(n, k)
		}
	}
	return n
}

// ledgerRungDuplicates groups the ledger by (process, ladder, rung): a pledge's
// two ladders share its process, so the ladder is read from the key, which
// must be the ladder key of the process followed by #rung.
func ledgerRungDuplicates(ledger []ledgerRow) []string {
	var problems []string
	groups := map[string][]string{}
	for _, e := range ledger {
		if e.Rung == nil {
			problems = append(problems, fmt.Sprintf("score_ledger: entry %s has no rung", e.Key))
			continue
		}
		suffix := "#" + strconv.Itoa(*e.Rung)
		ladder, ok := strings.CutSuffix(e.Key, suffix)
		if !ok || !strings.HasPrefix(ladder, e.Process) {
			problems = append(problems, fmt.Sprintf("score_ledger: key %s is not a ladder of process %s followed by %s", e.Key, e.Process, suffix))
			continue
		}
		g := e.Process + " " + ladder + " " + suffix
		groups[g] = append(groups[g], e.Key)
	}
	for g, keys := range groups {
		if len(keys) > 1 {
			problems = append(problems, fmt.Sprintf("score_ledger: %d entries for rung %s: %v", len(keys), g, keys))
		}
	}
	return problems
}

// firedRungDuplicates groups the rung.fired rows by the task's process, its
// kind and the rung's index, whatever their keys and rounds.
func firedRungDuplicates(f *chaosFacts) []string {
	var problems []string
	groups := map[string][]string{}
	for _, r := range f.fired {
		t, ok := f.taskByID[r.TaskID]
		if !ok {
			problems = append(problems, fmt.Sprintf("audit: rung %s fired for task %q, which has no row", r.Key, r.TaskID))
			continue
		}
		g := fmt.Sprintf("%s %s #%d", t.WorkflowID, t.Kind, r.Index)
		groups[g] = append(groups[g], r.Key+" (task "+r.TaskID+")")
	}
	for g, keys := range groups {
		if len(keys) > 1 {
			problems = append(problems, fmt.Sprintf("audit: rung %s fired %d times: %v", g, len(keys), keys))
		}
	}
	return problems
}

// effectsWithoutRung matches the rungs' effects with their rung.fired rows, both ways.
func effectsWithoutRung(f *chaosFacts) []string {
	effects := map[domain.Action][]string{
		domain.ActionDeduct: nil, domain.ActionNotice: keysOf(f.notices, store.ActorEngine),
		domain.ActionInterview: keysOf(f.triggers, "ladder"), domain.ActionLetter: f.letters,
	}
	for _, e := range f.ledger {
		effects[domain.ActionDeduct] = append(effects[domain.ActionDeduct], e.Key)
	}
	tables := map[domain.Action]string{domain.ActionDeduct: "score_ledger", domain.ActionNotice: "notices",
		domain.ActionInterview: "interview_triggers", domain.ActionLetter: "supervision_letters"}
	firedAs := map[string]domain.Action{}
	for _, r := range f.fired {
		firedAs[r.Key] = r.Action
	}
	var problems []string
	for action, keys := range effects {
		have := map[string]bool{}
		for _, k := range keys {
			have[k] = true
			if firedAs[k] != action {
				problems = append(problems, fmt.Sprintf("%s: %s has no rung.fired row of a %s rung", tables[action], k, action))
			}
		}
		for _, r := range f.fired {
			if r.Action == action && !have[r.Key] {
				problems = append(problems, fmt.Sprintf("audit: %s rung %s fired but %s has no row with its key", action, r.Key, tables[action]))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// Invariant b: every rung whose time passed while its task was open fired, once.

// ladderCase is one escalation ladder of one process: its key, its rungs and
// the tasks (rounds) it ran beside.
type ladderCase struct {
	key   string
	rungs domain.Ladder
	tasks []taskRow
}

// ladderFigures count what checkRungs looked at.
type ladderFigures struct {
	ladders, rungs                 int
	due                            int // penalties whose time came while their task was open
	penaltiesFired, remindersFired int
}

// checkRungs checks every rung of every ladder against the rung.fired rows:
// none fired twice; a penalty whose time (the task's final deadline plus its
// offset) came before its task was completed — or before cutoff, for a task
// still open — fired exactly once; none fired before its time, nor for a task
// completed before its time.
func checkRungs(f *chaosFacts, cutoff time.Time) (ladderFigures, []string) {
	var fig ladderFigures
	ladders, problems := buildLadders(f)
	byKey := map[string][]firedRow{}
	for _, r := range f.fired {
		byKey[r.Key] = append(byKey[r.Key], r)
		if r.Action.Punishes() {
			fig.penaltiesFired++
		} else {
			fig.remindersFired++
		}
	}
	known := map[string]bool{}
	for _, l := range ladders {
		fig.ladders++
		for i, rung := range l.rungs {
			key := contract.RungKey(l.key, i)
			known[key] = true
			fig.rungs++
			fired := byKey[key]
			if len(fired) > 1 {
				problems = append(problems, fmt.Sprintf("rung %s (%s %s) fired %d times", key, rung.Action, rung.Offset, len(fired)))
			}
			if due, why := l.mustFire(i, cutoff); due {
				fig.due++
				if len(fired) == 0 {
					problems = append(problems, fmt.Sprintf("rung %s (%s %s) did not fire: %s", key, rung.Action, rung.Offset, why))
				}
			}
			for _, r := range fired {
				problems = append(problems, firedInTime(f, key, r)...)
			}
		}
	}
	for _, r := range f.fired {
		if !known[r.Key] {
			problems = append(problems, fmt.Sprintf("rung %s fired for task %s, but is no rung of that task's ladder", r.Key, r.TaskID))
		}
	}
	return fig, problems
}

// buildLadders groups the tasks a ladder runs beside into ladders, keyed as
// the workflows key them.
func buildLadders(f *chaosFacts) ([]*ladderCase, []string) {
	var problems []string
	byKey := map[string]*ladderCase{}
	var out []*ladderCase
	for _, t := range f.tasks {
		key, rungs, err := f.ladderOf(t)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if key == "" {
			continue // a task without a ladder
		}
		l, ok := byKey[key]
		if !ok {
			l = &ladderCase{key: key, rungs: rungs}
			byKey[key] = l
			out = append(out, l)
		}
		l.tasks = append(l.tasks, t)
	}
	return out, problems
}

// ladderOf names the ladder that runs beside a task and its rungs; "" for a
// task without one. The keys are the workflows': a report's and a plan
// task's and a periodic meeting's minutes' is the workflow id, a pledge's
// <id>#sign and <id>#countersign, an interview's <id>#commitments (on the
// confirmation task).
func (f *chaosFacts) ladderOf(t taskRow) (string, domain.Ladder, error) {
	policy := func() (domain.CampaignPolicy, error) {
		if t.CampaignID == nil {
			return domain.CampaignPolicy{}, fmt.Errorf("task %s (%s) has no campaign", t.ID, t.Kind)
		}
		c, ok := f.campaigns[*t.CampaignID]
		if !ok {
			return domain.CampaignPolicy{}, fmt.Errorf("task %s: no campaign %s", t.ID, *t.CampaignID)
		}
		return c.FullPolicy(), nil
	}
	switch domain.TaskKind(t.Kind) {
	case domain.KindReportSubmit:
		p, err := policy()
		return t.WorkflowID, p.Report.Ladder, err
	case domain.KindPledgeSign, domain.KindPledgeCountersign:
		p, err := policy()
		step := "#sign"
		if t.Kind == string(domain.KindPledgeCountersign) {
			step = "#countersign"
		}
		return t.WorkflowID + step, p.Pledge.Ladder, err
	case domain.KindInterviewConfirm:
		return t.WorkflowID + "#commitments", domain.DefaultInterviewLadder(), nil
	case domain.KindPlanTaskDone:
		return t.WorkflowID, domain.DefaultPlanLadder(), nil
	case domain.KindMeetingMinutes:
		// meeting/<campaign>/<rule>/<period>: the rule's ladder in the policy.
		p, err := policy()
		if err != nil {
			return "", nil, err
		}
		parts := strings.Split(t.WorkflowID, "/")
		rule := -1
		if len(parts) == 4 {
			rule, _ = strconv.Atoi(parts[2])
		}
		if rule < 0 || rule >= len(p.Meetings) {
			return "", nil, fmt.Errorf("task %s: %s names no periodic meeting of its campaign", t.ID, t.WorkflowID)
		}
		return t.WorkflowID, *p.Meetings[rule].WithDefaults().Ladder, nil
	case domain.KindAssignmentComplete:
		l, ok := f.assignmentLadders[t.WorkflowID]
		if !ok {
			return "", nil, fmt.Errorf("task %s: assignment %s has no row", t.ID, t.WorkflowID)
		}
		return t.WorkflowID, l, nil
	}
	return "", nil, nil
}

// mustFire says whether rung i is a penalty whose time came, on some round,
// before the round was completed (a penalty then fires even if the task was
// done before it could) or, for a round still open, before cutoff; and why.
// Cancelled rounds expect nothing; reminders are never required.
func (l *ladderCase) mustFire(i int, cutoff time.Time) (bool, string) {
	rung := l.rungs[i]
	if !rung.Action.Punishes() {
		return false, ""
	}
	for _, t := range l.tasks {
		at := micro(t.DueAt.Add(rung.Offset.Duration()))
		var end time.Time
		switch {
		case t.Status == domain.TaskCompleted && t.CompletedAt != nil:
			end = *t.CompletedAt
			if cutoff.Before(end) {
				end = cutoff
			}
		case t.Status == domain.TaskOpen:
			end = cutoff
		default:
			continue
		}
		if at.Before(end) {
			return true, fmt.Sprintf("its time %s (deadline %s) came before %s of task %s (%s)",
				fmtCampaign(at), fmtCampaign(t.DueAt), endWord(t, end), t.ID, t.Status)
		}
	}
	return false, ""
}

// endWord says what ended the span a rung was expected in.
func endWord(t taskRow, end time.Time) string {
	if t.CompletedAt != nil && end.Equal(*t.CompletedAt) {
		return "completion " + fmtCampaign(end)
	}
	return "the check's cutoff " + fmtCampaign(end)
}

// firedInTime checks one rung.fired row: not before the rung's time, and for
// a penalty, not for a task completed before that time.
func firedInTime(f *chaosFacts, key string, r firedRow) []string {
	var problems []string
	rungAt := micro(r.RungAt)
	if r.At.Before(rungAt) {
		problems = append(problems, fmt.Sprintf("rung %s fired at %s, before its time %s", key, fmtCampaign(r.At), fmtCampaign(rungAt)))
	}
	t, ok := f.taskByID[r.TaskID]
	if ok && r.Action.Punishes() && t.Status == domain.TaskCompleted && t.CompletedAt != nil && rungAt.After(*t.CompletedAt) {
		problems = append(problems, fmt.Sprintf("penalty %s (time %s) fired although task %s was completed before, at %s",
			key, fmtCampaign(rungAt), t.ID, fmtCampaign(*t.CompletedAt)))
	}
	return problems
}

// micro truncates to the microsecond PostgreSQL keeps.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// fmtCampaign writes a campaign time in the campaign's zone.
func fmtCampaign(t time.Time) string { return t.In(chaosZone).Format("2006-01-02 15:04:05") }

// Invariant c: every process has its row and every row its process.

// processTables maps the workflow types that keep a row to their tables.
var processTables = map[string]string{
	contract.MonthlyReportWorkflow: "reports", contract.PledgeWorkflow: "pledges", contract.InterviewWorkflow: "interviews",
	contract.PlanTaskWorkflow: "plan_tasks", contract.AssignmentWorkflow: "assignments",
}

// workflowInfo is one workflow as the server lists it.
type workflowInfo struct {
	id, runID, typ string
	status         enumspb.WorkflowExecutionStatus
}

// processFigures count the workflows and rows compared.
type processFigures struct {
	listed  int            // every workflow the server lists
	byTable map[string]int // processes that keep a row, by table
	rows    int
	merged  int // interviews merged into another, without a row of their own
}

// summary writes the figures on one line.
func (p processFigures) summary() string {
	var parts []string
	for _, table := range []string{"reports", "pledges", "interviews", "plan_tasks", "assignments"} {
		parts = append(parts, fmt.Sprintf("%s %d", table, p.byTable[table]))
	}
	return fmt.Sprintf("%s (rows %d; interviews merged %d; %d workflows in all)", strings.Join(parts, ", "), p.rows, p.merged, p.listed)
}

// checkProcesses compares the rows with the workflows the server knows: each
// row's workflow is described; each listed workflow of a type that keeps a
// row must have one, unless it is an interview merged into another. A
// mismatch is checked again after recheckWait before it counts. A workflow
// that failed, was terminated, timed out or was cancelled is a violation too
// (nothing in this run ends or cancels the campaign).
func checkProcesses(ctx context.Context, tc client.Client, db *sqlx.DB, f *chaosFacts) (processFigures, []string, error) {
	fig := processFigures{byTable: map[string]int{}, rows: len(f.rows)}
	listed, err := listWorkflows(ctx, tc)
	if err != nil {
		return fig, nil, err
	}
	fig.listed = len(listed)
	var problems []string
	suspects := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(f.rows)) {
		typ, err := describeType(ctx, tc, id)
		switch {
		case err != nil:
			return fig, nil, err
		case typ == "":
			suspects[id] = "row in " + f.rows[id] + " without its process"
		case processTables[typ] != f.rows[id]:
			problems = append(problems, fmt.Sprintf("%s: row in %s but the workflow is a %s", id, f.rows[id], typ))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(listed)) {
		w := listed[id]
		switch w.status {
		case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
			enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
			problems = append(problems, fmt.Sprintf("%s (%s) ended %s", id, w.typ, w.status))
		}
		table, keepsRow := processTables[w.typ]
		if !keepsRow {
			continue
		}
		fig.byTable[table]++
		if _, ok := f.rows[id]; ok {
			continue
		}
		merged, err := mergedInterview(ctx, tc, w)
		if err != nil {
			return fig, nil, err
		}
		if merged {
			fig.merged++
			continue
		}
		suspects[id] = w.typ + " process without its row in " + table
	}
	more, err := recheck(ctx, tc, db, suspects)
	return fig, append(problems, more...), err
}

// listWorkflows lists every workflow of the namespace, one entry per id (the
// newest run the server answers first).
func listWorkflows(ctx context.Context, tc client.Client) (map[string]workflowInfo, error) {
	out := map[string]workflowInfo{}
	var token []byte
	for {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, fmt.Errorf("list workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			id := e.GetExecution().GetWorkflowId()
			if _, seen := out[id]; seen && e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
				continue
			}
			out[id] = workflowInfo{id: id, runID: e.GetExecution().GetRunId(), typ: e.GetType().GetName(), status: e.GetStatus()}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

// describeType answers the type of the workflow with the id, "" when the server does not know it.
func describeType(ctx context.Context, tc client.Client, id string) (string, error) {
	d, err := tc.DescribeWorkflowExecution(ctx, id, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("describe %s: %w", id, err)
	}
	return d.GetWorkflowExecutionInfo().GetType().GetName(), nil
}

// mergedInterview says whether w is an interview that ended merged into another.
func mergedInterview(ctx context.Context, tc client.Client, w workflowInfo) (bool, error) {
	if w.typ != contract.InterviewWorkflow || w.status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return false, nil
	}
	var res contract.InterviewResult
	if err := tc.GetWorkflow(ctx, w.id, w.runID).Get(ctx, &res); err != nil {
		return false, fmt.Errorf("result of %s: %w", w.id, err)
	}
	return res.Status == domain.InterviewMerged, nil
}

// recheck gives each mismatch recheckWait to converge, then looks again at
// both sides; what still does not match is a violation.
func recheck(ctx context.Context, tc client.Client, db *sqlx.DB, suspects map[string]string) ([]string, error) {
	if len(suspects) == 0 {
		return nil, nil
	}
	fmt.Printf("  %d process/row mismatches; looking again in %s\n", len(suspects), recheckWait)
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(recheckWait):
	}
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(suspects)) {
		typ, err := describeType(ctx, tc, id)
		if err != nil {
			return nil, err
		}
		row, err := rowExists(ctx, db, id)
		if err != nil {
			return nil, err
		}
		if typ == "" || !row {
			problems = append(problems, fmt.Sprintf("%s: %s (process known: %t, row: %t)", id, suspects[id], typ != "", row))
		}
	}
	return problems, nil
}

// rowTables maps the first part of a process's workflow id to the table of
// its row, and says whether the row's id is the number after the slash.
var rowTables = map[string]struct {
	table   string
	numeric bool
}{
	"report": {"reports", false}, "pledge": {"pledges", false}, "interview": {"interviews", true},
	"plan-task": {"plan_tasks", true}, "assignment": {"assignments", true},
}

// rowExists says whether the row of the process with the workflow id exists now.
func rowExists(ctx context.Context, db *sqlx.DB, workflowID string) (bool, error) {
	kind, rest, _ := strings.Cut(workflowID, "/")
	t, ok := rowTables[kind]
	if !ok {
		return false, nil
	}
	var arg any = workflowID
	if t.numeric {
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return false, nil
		}
		arg = n
	}
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM `+t.table+` WHERE id = $1)`, arg); err != nil {
		return false, fmt.Errorf("row of %s: %w", workflowID, err)
	}
	return exists, nil
}

// Invariant d: the audit chain holds.

// verifyAudit runs `zeren audit verify` (the built binary) against zeren's
// PostgreSQL and answers its output, and a problem unless it says the chain is intact.
func (r *chaosRun) verifyAudit(ctx context.Context) (string, []string) {
	cmd := exec.CommandContext(ctx, r.bin, "audit", "verify")
	cmd.Env = append(childEnv(), "DATABASE_URL="+r.databaseURL())
	out, err := cmd.CombinedOutput()
	text := strings.TrimSpace(string(out))
	if err != nil || !strings.Contains(text, "intact") {
		return text, []string{fmt.Sprintf("zeren audit verify: %v: %s", err, text)}
	}
	return text, nil
}
