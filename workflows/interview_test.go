package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A summons interview from two triggers (they join one interview), through all
// its steps; the fulfilment of the commitments is returned once, and the
// ladder reminds the interviewee before and on their deadline, never after.
func TestInterviewFromSummonsToClose(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	a := &activities.Activities{Store: s}
	summon := func(sm store.Summons) (contract.SummonResult, error) {
		var res contract.SummonResult
		err := s.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			res, err = activities.Summon(ctx, tx, sm)
			return err
		})
		return res, err
	}
	zx, _ := store.UnitByCode(ctx, s.DB, "zx")
	first, err := summon(store.Summons{Key: "report/x/zx/2021-05#4", UnitID: zx.ID, ReasonKey: "lateness:report", Reason: "5月工作进展逾期10天未报送", Source: "ladder", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	second, err := summon(store.Summons{Key: "report/x/zx/2021-06#4", UnitID: zx.ID, ReasonKey: "lateness:report", Reason: "6月工作进展逾期10天未报送", Source: "ladder", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := summon(store.Summons{Key: "report/x/zx/2021-05#4", UnitID: zx.ID, ReasonKey: "lateness:report", Reason: "5月工作进展逾期10天未报送", Source: "ladder", At: t0})
	if !first.Created || second.Created || second.InterviewID != first.InterviewID || !again.Created || again.InterviewID != first.InterviewID {
		t.Fatalf("summons: first %+v, second %+v, retry of first %+v", first, second, again)
	}
	other, _ := summon(store.Summons{Key: "manual:1", UnitID: zx.ID, ReasonKey: "manual", Reason: "整治不重视", Source: "manual", At: t0})
	if !other.Created || other.InterviewID == first.InterviewID {
		t.Fatalf("another reason must open its own interview: %+v", other)
	}

	items, err := store.InterviewItems(ctx, s.DB, first.InterviewID)
	if err != nil || len(items) != 2 || items[0].Label != "5月工作进展逾期10天未报送" || items[1].Label != "6月工作进展逾期10天未报送" {
		t.Fatalf("items %+v (%v); want the two summonses", items, err)
	}
	answer := func(texts ...string) []map[string]any {
		var out []map[string]any
		for i, text := range texts {
			out = append(out, map[string]any{"item": items[i%len(items)].ID, "text": text})
		}
		return out
	}

	env := newEnv()
	engine.Register(env, a)
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.InterviewID(first.InterviewID)})
	wid := contract.InterviewID(first.InterviewID)
	var errs []error
	act := func(d time.Duration, step string, round int, kind, person string, payload any) {
		env.RegisterDelayedCallback(func() {
			id := contract.TaskID(wid, step, round)
			env.UpdateWorkflow(contract.UpdateCompleteTask, id, updateCallback(collect(&errs, id)), completeRequest(ids, id, kind, person, payload))
		}, d)
	}
	at := t0.Add(5 * day)
	act(day, "schedule", 1, "interview.schedule", "yjj-office", map[string]any{"scheduled_at": at, "place": "县应急管理局三楼会议室", "leader": "分管安全生产副县长"})
	act(2*day, "acknowledge", 1, "interview.acknowledge", "zx-head", map[string]any{"note": "按时参加"})
	act(5*day+3*time.Hour, "minutes", 1, "interview.minutes", "yjj-office", map[string]any{"minutes": "指出月报连续逾期问题，要求建立专人负责制度。"})
	// Plain commitments do not say which summons they answer: refused while the interview lists two.
	env.RegisterDelayedCallback(func() {
		id := contract.TaskID(wid, "commitments", 1)
		env.UpdateWorkflow(contract.UpdateCompleteTask, "plain", &testsuite.TestUpdateCallback{
			OnAccept:   func() { errs = append(errs, fmt.Errorf("%s: unnamed commitments accepted for two items", id)) },
			OnReject:   func(error) {},
			OnComplete: func(any, error) {},
		}, completeRequest(ids, id, "interview.commitments", "zx-head", map[string]any{"commitments": []string{"明确专人按月报送"}, "commitments_due": t0.Add(20 * day)}))
	}, 6*day-time.Hour)
	act(6*day, "commitments", 1, "interview.commitments", "zx-head", map[string]any{"commitments": answer("明确专人按月报送", "每月3日前完成初稿"), "commitments_due": t0.Add(20 * day)})
	// The interviewee reports the commitments fulfilled after both reminders; the office returns the report once.
	act(20*day+12*time.Hour, "fulfil", 1, "interview.fulfil", "zx-head", map[string]any{"result": "已明确专人，初稿按期完成"})
	act(21*day, "confirm", 1, "interview.confirm", "yjj-office", map[string]any{"decision": "return", "comment": "专人制度未见文件，请补充"})
	act(22*day, "fulfil", 2, "interview.fulfil", "zx-head", map[string]any{"result": "已印发专人负责制度文件"})
	act(23*day, "confirm", 2, "interview.confirm", "yjj-office", map[string]any{"decision": "confirm"})
	env.ExecuteWorkflow(contract.InterviewWorkflow, first.Spec)
	for _, err := range errs {
		t.Error(err)
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res contract.InterviewResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Status != domain.InterviewClosed || res.Rounds != 2 {
		t.Fatalf("result %+v (%v)", res, err)
	}
	iv, err := store.InterviewByID(ctx, s.DB, first.InterviewID)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Status != domain.InterviewClosed || iv.Triggers != 2 || len(iv.Items) != 2 || iv.ScheduledAt == nil || !iv.ScheduledAt.Equal(at) ||
		iv.Minutes == nil || iv.CommitmentsDue == nil || !iv.CommitmentsDue.Equal(t0.Add(20*day)) || iv.Fulfilment == nil || *iv.Fulfilment != "已印发专人负责制度文件" {
		t.Fatalf("interview %+v", iv)
	}
	// The minutes and commitments tasks listed both items for the people answering them.
	for _, step := range []string{"minutes", "commitments"} {
		task, err := store.TaskByID(ctx, s.DB, contract.TaskID(wid, step, 1))
		if err != nil {
			t.Fatal(err)
		}
		var tc domain.TaskContext
		if err := json.Unmarshal(task.Context, &tc); err != nil || len(tc.Items) != 2 {
			t.Fatalf("%s task context %s: want both items", step, task.Context)
		}
	}
	// A summons after the interview was held opens a new interview rather than joining answered commitments.
	later, err := summon(store.Summons{Key: "report/x/zx/2021-07#4", UnitID: zx.ID, ReasonKey: "lateness:report", Reason: "7月工作进展逾期10天未报送", Source: "ladder", At: t0.Add(40 * day)})
	if err != nil || !later.Created || later.InterviewID == first.InterviewID {
		t.Fatalf("a summons after the interview was held: %+v (%v); want a new interview", later, err)
	}
	var fired []time.Time
	if err := s.DB.Select(&fired, `SELECT at FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(fired) != 2 || !fired[0].Equal(t0.Add(19*day)) || !fired[1].Equal(t0.Add(20*day)) {
		t.Fatalf("rungs fired at %v; want reminders at day 19 and day 20", fired)
	}
}
