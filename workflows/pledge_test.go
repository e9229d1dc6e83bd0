package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

var cst = time.FixedZone("CST", 8*3600)

// The whole cascade for the demo county, in virtual time: the county issues 21
// pledges (14 departments, 7 towns); the emergency-management bureau's, once in
// force, issues the 4 coal mines'. Every unit signs; the market-supervision
// bureau signs 20 days late and collects its three reminders, the notice, the
// interview and the 2-point deduction at the policy's times; one town is
// returned and re-signs; one department proposes changed targets that are accepted.
func TestPledgeCascadeForTheDemoCounty(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	county, _ := store.UnitByCode(ctx, s.DB, "linyou")
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute) // real database activities on a saturated machine
	engine.Register(env, &activities.Activities{Store: s})
	start := time.Date(2021, 1, 4, 9, 0, 0, 0, cst)
	env.SetStartTime(start)
	env.SetTestTimeout(2 * time.Minute) // 25 processes with real database activities
	env.SetDetachedChildWait(false)     // interviews the ladder starts outlive the test's subject
	const campaign, year = seed.DemoCampaignID, 2021
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.PledgeYearID(campaign, year)})

	var errs []error
	deadline := time.Date(2021, 1, 31, 18, 0, 0, 0, cst)
	lateSign := deadline.Add(20 * 24 * time.Hour)
	sign := map[string]any{"decision": "sign"}
	approve := map[string]any{"decision": "approve"}
	proposal := map[string]any{"decision": "propose", "comment": "建议提高隐患整改目标权重",
		"targets": []map[string]any{
			{"text": "落实行业领域安全生产监管责任", "indicator": "责任落实率", "target_value": "100%", "weight": 25},
			{"text": "按期完成三年行动年度任务", "indicator": "年度任务完成率", "target_value": "100%", "weight": 25},
			{"text": "不发生较大及以上生产安全事故", "indicator": "较大及以上事故起数", "target_value": "0", "weight": 25},
			{"text": "道路运输隐患闭环整改", "indicator": "隐患整改率", "target_value": "100%", "weight": 25},
		}}
	// The behaviour model: every unit head acts on its open pledge tasks at the
	// first look after they appear (looks every 6 virtual hours from day 10),
	// except the market-supervision bureau, which signs 20 days after the
	// deadline; the county returns 崔木镇's first signature; 交通运输局 proposes
	// changed targets.
	acted := map[string]bool{}
	var look func()
	look = func() {
		now := env.Now()
		var open []struct {
			ID         string `db:"id"`
			WorkflowID string `db:"workflow_id"`
			Kind       string `db:"kind"`
			Code       string `db:"code"`
		}
		if err := s.DB.Select(&open, `SELECT t.id, t.workflow_id, t.kind, u.code FROM tasks t JOIN units u ON u.id = t.unit_id WHERE t.status = 'open' ORDER BY t.id`); err != nil {
			errs = append(errs, err)
			return
		}
		for _, task := range open {
			if acted[task.ID] || !strings.HasPrefix(task.Kind, "pledge.") {
				continue
			}
			signer := strings.TrimPrefix(task.WorkflowID, fmt.Sprintf("pledge/%s/%d/", campaign, year))
			var payload any = sign
			switch {
			case task.Kind == "pledge.sign" && signer == "scj" && now.Before(lateSign):
				continue
			case task.Kind == "pledge.sign" && signer == "jtj":
				payload = proposal
			case task.Kind == "pledge.countersign" && signer == "cm" && task.ID == contract.TaskID(task.WorkflowID, "countersign", 1):
				payload = map[string]any{"decision": "return", "comment": "目标值未结合本镇煤矿实际，请修改后重签"}
			case task.Kind == "pledge.countersign":
				payload = approve
			}
			acted[task.ID] = true
			raw, _ := json.Marshal(payload)
			person := task.Code + "-head"
			if task.Code == "linyou" {
				person = "linyou-magistrate"
			}
			id := task.ID
			err := env.UpdateWorkflowByID(task.WorkflowID, contract.UpdateCompleteTask, task.ID, updateCallback(collect(&errs, id)),
				contract.CompleteTaskRequest{TaskID: task.ID, Kind: task.Kind, PersonID: ids[person], PersonKey: person, Payload: raw})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
			}
		}
		if now.Sub(start) < 70*24*time.Hour { // everyone has acted long before
			env.RegisterDelayedCallback(look, 6*time.Hour)
		}
	}
	env.RegisterDelayedCallback(look, 10*24*time.Hour)

	env.ExecuteWorkflow(contract.PledgeYearWorkflow, contract.PledgeYearInput{CampaignID: campaign, Year: year, IssuerUnitID: county.ID})
	for _, err := range errs {
		t.Error(err)
	}
	if !env.IsWorkflowCompleted() {
		t.Fatal("the pledge year did not complete")
	}
	res := workflowResult[contract.PledgeYearResult](t, env)
	if res.Pledges != 25 {
		t.Fatalf("%d pledges in force, want 25", res.Pledges)
	}

	progress, err := store.PledgeProgressOf(ctx, s.DB, campaign, year, lateSign.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(progress) != "[{1 21 21 21 0} {2 4 4 4 0}]" {
		t.Fatalf("progress %v", progress)
	}

	// Only the late bureau was escalated, at exactly the policy's times.
	scj, _ := store.UnitByCode(ctx, s.DB, "scj")
	var rungs []struct {
		At    time.Time `db:"at"`
		After []byte    `db:"after"`
		Unit  int64     `db:"unit_id"`
	}
	if err := s.DB.Select(&rungs, `SELECT at, after, unit_id FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action string
		at     time.Time
	}{
		{"remind", deadline.Add(-7 * 24 * time.Hour)}, {"remind", deadline.Add(-24 * time.Hour)}, {"remind", deadline},
		{"notice", deadline.Add(7 * 24 * time.Hour)}, {"interview", deadline.Add(15 * 24 * time.Hour)}, {"deduct", deadline.Add(15 * 24 * time.Hour)},
	}
	if len(rungs) != len(want) {
		t.Fatalf("%d rungs fired, want %d", len(rungs), len(want))
	}
	for i, w := range want {
		var a struct{ Action string }
		_ = json.Unmarshal(rungs[i].After, &a)
		if a.Action != w.action || !rungs[i].At.Equal(w.at) || rungs[i].Unit != scj.ID {
			t.Errorf("rung %d: %s at %v on unit %d; want %s at %v on scj", i, a.Action, rungs[i].At.In(cst), rungs[i].Unit, w.action, w.at)
		}
	}
	var points float64
	if err := s.DB.Get(&points, `SELECT coalesce(sum(points), 0) FROM score_ledger WHERE unit_id = $1 AND year = 2021 AND campaign_id = $2`, scj.ID, campaign); err != nil || points != -2 {
		t.Fatalf("scj deductions %v (%v), want -2", points, err)
	}

	// The returned town signed twice; the proposal replaced the department's targets.
	cm, _ := store.PledgeByID(ctx, s.DB, contract.PledgeID(campaign, year, "cm"))
	if cm.Round != 2 || cm.Status != domain.PledgeInForce || cm.ReturnComment == nil {
		t.Fatalf("cm pledge %+v", cm)
	}
	jtj, _ := store.PledgeByID(ctx, s.DB, contract.PledgeID(campaign, year, "jtj"))
	var targets []domain.Target
	_ = json.Unmarshal(jtj.Targets, &targets)
	if len(targets) != 4 || targets[3].Text != "道路运输隐患闭环整改" {
		t.Fatalf("jtj targets %+v", targets)
	}
	mine, _ := store.PledgeByID(ctx, s.DB, contract.PledgeID(campaign, year, "gjh"))
	if mine.Level != 2 || mine.IssuerCode != "yjj" || mine.Status != domain.PledgeInForce {
		t.Fatalf("mine pledge %+v", mine)
	}
}
