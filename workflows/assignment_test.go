package workflows_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

const day = 24 * time.Hour

var t0 = time.Date(2021, 3, 1, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	s     *store.Store
	env   *testsuite.TestWorkflowEnvironment
	units map[string]int64
	ids   map[string]int64 // person key → id
	in    contract.AssignmentInput
}

func newSuite() *testsuite.WorkflowTestSuite { return &testsuite.WorkflowTestSuite{} }

// newEnv is a time-skipping environment whose real database activities may
// take up to a minute of wall time each (the SDK's default, 3 s, is short of
// a saturated machine's).
func newEnv() *testsuite.TestWorkflowEnvironment {
	env := newSuite().NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute)
	return env
}

// workflowResult is the finished workflow's result; its error fails the test.
func workflowResult[T any](t *testing.T, env *testsuite.TestWorkflowEnvironment) T {
	t.Helper()
	var res T
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func startOptions(assignment int64) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: contract.AssignmentID(assignment)}
}

func newHarness(t *testing.T, ladder domain.Ladder) *harness {
	t.Helper()
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s := seeded.Store
	h := &harness{t: t, s: s, units: seeded.Units, ids: seeded.IDs}
	suite := newSuite()
	h.env = suite.NewTestWorkflowEnvironment()
	h.env.SetTestTimeout(time.Minute) // real database activities on a saturated machine
	engine.Register(h.env, &activities.Activities{Store: s})
	h.env.SetStartTime(t0)
	h.env.SetStartWorkflowOptions(startOptions(7))
	h.env.SetDetachedChildWait(false) // interviews the ladder starts outlive the test's subject
	h.in = contract.AssignmentInput{AssignmentRecord: contract.AssignmentRecord{
		ID: 7, Title: "排查整治九成宫镇液化气站隐患", Content: "对辖区液化气站开展全面排查，形成问题清单并整改。",
		DueAt: t0.Add(10 * day), IssuerUnitID: h.units["yjj"], AssignerID: h.ids["yjj-office"], AssignerKey: "yjj-office",
		AssigneeUnitID: h.units["jcg"], ReviewerUnitID: h.units["yjj"], ReviewerRole: domain.RoleSafetyOffice,
		Ladder: ladder, CreatedAt: t0,
	}}
	if _, err := store.NextAssignmentID(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	return h
}

// at schedules fn at virtual time t0+d.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// complete sends the complete-task Update; the result or error goes to out.
func (h *harness) complete(taskID, kind, person string, payload any, out *error) {
	h.env.UpdateWorkflow(contract.UpdateCompleteTask, "", updateCallback(func(err error) { *out = err }),
		completeRequest(h.ids, taskID, kind, person, payload))
}

func (h *harness) run() contract.AssignmentResult {
	h.t.Helper()
	h.env.ExecuteWorkflow(contract.AssignmentWorkflow, h.in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatal(err)
	}
	var res contract.AssignmentResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		h.t.Fatal(err)
	}
	return res
}

type fired struct {
	Action string
	At     time.Time
}

// firedRungs reads the rung.fired audit rows: which action, at what workflow time.
func (h *harness) firedRungs() []fired {
	h.t.Helper()
	var rows []struct {
		At    time.Time       `db:"at"`
		After json.RawMessage `db:"after"`
	}
	if err := h.s.DB.Select(&rows, `SELECT at, after FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		h.t.Fatal(err)
	}
	var out []fired
	for _, r := range rows {
		var a struct{ Action string }
		_ = json.Unmarshal(r.After, &a)
		out = append(out, fired{Action: a.Action, At: r.At.UTC()})
	}
	return out
}

func (h *harness) count(q string, args ...any) int {
	h.t.Helper()
	return testdb.Count(h.t, h.s.DB, q, args...)
}

const (
	work1   = "assignment.7.complete.1"
	review1 = "assignment.7.review.1"
)

func approve(h *harness, d time.Duration, task string) {
	var err error
	h.at(d, func() {
		h.complete(task, "assignment.review", "yjj-office", map[string]string{"decision": "approve"}, &err)
	})
	h.t.Cleanup(func() {
		if err != nil {
			h.t.Errorf("approve %s: %v", task, err)
		}
	})
}

func submit(h *harness, d time.Duration, task string) {
	var err error
	h.at(d, func() {
		h.complete(task, "assignment.complete", "jcg-head", map[string]string{"result": "已排查液化气站3家，整改隐患5处。"}, &err)
	})
	h.t.Cleanup(func() {
		if err != nil {
			h.t.Errorf("submit %s: %v", task, err)
		}
	})
}

// Each rung fires at exactly deadline + offset while the matter is open.
func TestLadderFiresEachRungAtItsOffset(t *testing.T) {
	h := newHarness(t, domain.DefaultLadder())
	submit(h, 30*day, work1) // the deadline is day 10: the whole ladder has fired by day 25
	approve(h, 31*day, review1)
	h.run()

	due := h.in.DueAt
	want := []fired{
		{"remind", due.Add(-day)}, {"remind", due}, {"letter", due.Add(3 * day)},
		{"notice", due.Add(7 * day)}, {"interview", due.Add(15 * day)}, {"deduct", due.Add(15 * day)},
	}
	got := h.firedRungs()
	if len(got) != len(want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Action != want[i].Action || !got[i].At.Equal(want[i].At) {
			t.Errorf("rung %d: fired %s at %v, want %s at %v", i, got[i].Action, got[i].At, want[i].Action, want[i].At)
		}
	}
	// Each action left its record once.
	for table, n := range map[string]int{"notices": 1, "supervision_letters": 1, "interviews": 1, "score_ledger": 1} {
		if c := h.count(`SELECT count(*) FROM ` + table); c != n {
			t.Errorf("%s: %d rows, want %d", table, c, n)
		}
	}
	var points float64
	if err := h.s.DB.Get(&points, `SELECT points FROM score_ledger WHERE unit_id = $1`, h.units["jcg"]); err != nil || points != -2 {
		t.Errorf("deduction %v (%v), want -2", points, err)
	}
	if c := h.count(`SELECT count(*) FROM outbox WHERE kind = 'remind' AND unit_id = $1`, h.units["jcg"]); c != 2 {
		t.Errorf("%d reminders in the outbox, want 2", c)
	}
	var status string
	_ = h.s.DB.Get(&status, `SELECT status FROM assignments WHERE id = 7`)
	if status != "approved" {
		t.Errorf("assignment status %q", status)
	}
}

// The ladder stops the instant the task completes: nothing fires after.
func TestNoRungFiresAfterCompletion(t *testing.T) {
	h := newHarness(t, domain.DefaultLadder())
	submit(h, 10*day+2*day, work1) // two days late: both reminders, nothing else
	approve(h, 40*day, review1)    // the review takes long; the ladder must stay quiet
	h.run()
	got := h.firedRungs()
	if len(got) != 2 || got[0].Action != "remind" || got[1].Action != "remind" {
		t.Fatalf("fired %v; want the two reminders only", got)
	}
	if c := h.count(`SELECT count(*) FROM score_ledger`); c != 0 {
		t.Fatalf("%d deductions after completion", c)
	}
}

// A returned result loops back to the unit with the comment, under the same deadline.
func TestReturnLoopsBackToTheAuthor(t *testing.T) {
	h := newHarness(t, domain.Ladder{{Offset: domain.Offset(3 * day), Action: domain.ActionNotice}})
	submit(h, 5*day, work1)
	var err error
	h.at(6*day, func() {
		h.complete(review1, "assignment.review", "yjj-office", map[string]string{"decision": "return", "comment": "问题清单不完整，请补充整改时限。"}, &err)
	})
	submit(h, 15*day, "assignment.7.complete.2") // after the deadline+3d: the notice fires in round 2
	approve(h, 16*day, "assignment.7.review.2")
	res := h.run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != domain.StatusApproved || res.Rounds != 2 {
		t.Fatalf("result %+v", res)
	}
	task, err := store.TaskByID(context.Background(), h.s.DB, "assignment.7.complete.2")
	if err != nil {
		t.Fatal(err)
	}
	if !task.DueAt.Equal(h.in.DueAt) || !strings.Contains(string(task.Context), "问题清单不完整") {
		t.Fatalf("round 2 task: due %v context %s", task.DueAt, task.Context)
	}
	got := h.firedRungs()
	if len(got) != 1 || !got[0].At.Equal(h.in.DueAt.Add(3*day)) {
		t.Fatalf("fired %v; want the notice at the original deadline +3d", got)
	}
}

// A return without a comment is rejected by the validator before anything is written.
func TestReturnWithoutCommentIsRejected(t *testing.T) {
	h := newHarness(t, nil)
	submit(h, day, work1)
	var rejected, wrongKind error
	h.at(2*day, func() {
		h.complete(review1, "assignment.review", "yjj-office", map[string]string{"decision": "return"}, &rejected)
		h.complete(review1, "assignment.complete", "yjj-office", map[string]string{"result": "x"}, &wrongKind)
	})
	approve(h, 3*day, review1)
	h.run()
	if rejected == nil || !strings.Contains(rejected.Error(), "comment") {
		t.Fatalf("return without comment: %v", rejected)
	}
	if wrongKind == nil || !strings.Contains(wrongKind.Error(), "kind") {
		t.Fatalf("wrong kind: %v", wrongKind)
	}
	if c := h.count(`SELECT count(*) FROM audit_log WHERE action = 'assignment.returned'`); c != 0 {
		t.Fatalf("a rejected return was recorded")
	}
}

// An approved extension re-times the rungs that have not fired; fired ones stay fired.
func TestApprovedExtensionRetimesUnfiredRungs(t *testing.T) {
	ladder := domain.Ladder{
		{Offset: domain.Offset(-2 * day), Action: domain.ActionRemind},
		{Offset: 0, Action: domain.ActionRemind},
		{Offset: domain.Offset(2 * day), Action: domain.ActionNotice},
	}
	h := newHarness(t, ladder)
	newDue := h.in.DueAt.Add(5 * day)
	var reqErr, decideErr error
	h.at(9*day, func() { // after the first reminder (day 8), before the deadline (day 10)
		h.env.UpdateWorkflow(contract.UpdateRequestExtension, "", updateCallback(func(err error) { reqErr = err }), contract.ExtensionRequest{TaskID: work1, PersonID: h.ids["jcg-head"], PersonKey: "jcg-head", Reason: "需协调燃气公司联合检查", DueAt: newDue})
	})
	h.at(9*day+time.Hour, func() {
		h.complete("assignment.7.extension-complete-1.1", "extension.decide", "yjj-office", map[string]string{"decision": "approve"}, &decideErr)
	})
	submit(h, 20*day, work1)
	approve(h, 21*day, review1)
	h.run()
	if reqErr != nil || decideErr != nil {
		t.Fatalf("extension: %v / decision: %v", reqErr, decideErr)
	}
	want := []fired{
		{"remind", h.in.DueAt.Add(-2 * day)}, // fired before the extension; not again
		{"remind", newDue},
		{"notice", newDue.Add(2 * day)},
	}
	got := h.firedRungs()
	if len(got) != len(want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Action != want[i].Action || !got[i].At.Equal(want[i].At) {
			t.Errorf("rung %d: %s at %v, want %s at %v", i, got[i].Action, got[i].At, want[i].Action, want[i].At)
		}
	}
	task, _ := store.TaskByID(context.Background(), h.s.DB, work1)
	if !task.DueAt.Equal(newDue) {
		t.Fatalf("task due %v, want %v", task.DueAt, newDue)
	}
}
