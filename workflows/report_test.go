package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// yearOfReports starts each month's reports on its first day (campaign time),
// as the campaign does, and waits for all twelve months.
func yearOfReports(ctx workflow.Context, campaign string, year int) (contract.ReportMonthResult, error) {
	var total contract.ReportMonthResult
	var futures []workflow.ChildWorkflowFuture
	for m := 1; m <= 12; m++ {
		start := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, cst)
		if d := start.Sub(workflow.Now(ctx)); d > 0 {
			if err := workflow.Sleep(ctx, d); err != nil {
				return total, err
			}
		}
		period := fmt.Sprintf("%d-%02d", year, m)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: contract.ReportMonthID(campaign, period), ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON})
		futures = append(futures, workflow.ExecuteChildWorkflow(cctx, contract.ReportMonthWorkflow, contract.ReportMonthInput{CampaignID: campaign, Period: period}))
	}
	for _, f := range futures {
		var r contract.ReportMonthResult
		if err := f.Get(ctx, &r); err != nil {
			return total, err
		}
		total.Reports += r.Reports
		total.Late += r.Late
	}
	return total, nil
}

// A whole year of monthly reports for the demo county's 25 units in virtual
// time. Everyone submits on the 2nd of the next month and is accepted on the
// 3rd, except: 公安局 submits March's report two days late; 崔木镇 submits June's
// twelve days late; 郭家河煤矿's September report is returned and resubmitted
// after the deadline. The test asserts exactly which reminders, notices,
// interviews and deductions happen, when, and the scores.
func TestAYearOfMonthlyReports(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute) // real database activities on a saturated machine
	engine.Register(env, &activities.Activities{Store: s})
	env.RegisterWorkflowWithOptions(yearOfReports, workflow.RegisterOptions{Name: "yearOfReports"})
	start := time.Date(2021, 1, 1, 0, 0, 0, 0, cst)
	env.SetStartTime(start)
	env.SetTestTimeout(5 * time.Minute)
	env.SetDetachedChildWait(false) // interviews the ladder starts outlive the test's subject
	const campaign = seed.DemoCampaignID

	due := func(period string) time.Time {
		m, _ := time.ParseInLocation("2006-01", period, cst)
		n := m.AddDate(0, 1, 0)
		return time.Date(n.Year(), n.Month(), 5, 18, 0, 0, 0, cst)
	}
	onTime := func(period string, day int) time.Time {
		d := due(period)
		return time.Date(d.Year(), d.Month(), day, 10, 0, 0, 0, cst)
	}
	// when a unit acts on its report task: (unit, period, kind, round) → time
	when := func(unit, period, kind string, round int) time.Time {
		switch {
		case unit == "gaj" && period == "2021-03" && kind == "report.submit":
			return due(period).Add(2 * 24 * time.Hour)
		case unit == "cm" && period == "2021-06" && kind == "report.submit":
			return due(period).Add(12 * 24 * time.Hour)
		case unit == "gjh" && period == "2021-09" && kind == "report.submit" && round == 2:
			return onTime(period, 7)
		case kind == "report.submit":
			return onTime(period, 2)
		}
		return time.Time{} // reviews: at the first look after submission
	}
	report := map[string]any{
		"figures":    map[string]any{"inspections": 4, "units_inspected": 3, "hazards_found": map[string]int{"daily": 6, "rock_burst": 1}, "hazards_rectified": map[string]int{"daily": 6, "rock_burst": 1}, "people_trained": 120},
		"progress":   []map[string]string{{"plan_task": "煤矿安全专项整治", "text": "完成本月排查任务"}},
		"problems":   "个别企业整改台账不规范",
		"next_steps": "下月开展交叉检查",
	}
	var errs []error
	acted := map[string]bool{}
	var look func()
	look = func() {
		now := env.Now()
		var open []struct {
			ID, WorkflowID, Kind string
		}
		if err := s.DB.Select(&open, `SELECT id, workflow_id AS workflowid, kind FROM tasks WHERE status = 'open' ORDER BY id`); err != nil {
			errs = append(errs, err)
			return
		}
		for _, task := range open {
			if !strings.HasPrefix(task.Kind, "report.") {
				continue
			}
			parts := strings.Split(task.WorkflowID, "/") // report/{campaign}/{unit}/{period}
			unit, period := parts[2], parts[3]
			var round int
			fmt.Sscanf(task.ID[strings.LastIndex(task.ID, ".")+1:], "%d", &round)
			if acted[task.ID] || now.Before(when(unit, period, task.Kind, round)) {
				continue
			}
			acted[task.ID] = true
			person, payload := unit+"-head", any(report)
			if task.Kind == "report.review" {
				person, payload = "yjj-office", map[string]any{"decision": "accept"}
				if unit == "gjh" && period == "2021-09" && round == 1 {
					payload = map[string]any{"decision": "return", "comment": "隐患整改数据与台账不符，请核实后重报"}
				}
			}
			raw, _ := json.Marshal(payload)
			id := task.ID
			if err := env.UpdateWorkflowByID(task.WorkflowID, contract.UpdateCompleteTask, task.ID, updateCallback(collect(&errs, id)),
				contract.CompleteTaskRequest{TaskID: task.ID, Kind: task.Kind, PersonID: ids[person], PersonKey: person, Payload: raw}); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
			}
		}
		if now.Before(time.Date(2022, 2, 1, 0, 0, 0, 0, cst)) {
			env.RegisterDelayedCallback(look, time.Hour)
		}
	}
	env.RegisterDelayedCallback(look, time.Hour)

	env.ExecuteWorkflow("yearOfReports", campaign, 2021)
	if len(errs) > 0 {
		t.Fatalf("%d errors, first: %s", len(errs), errs[0])
	}
	res := workflowResult[contract.ReportMonthResult](t, env)
	if res.Reports != 300 || res.Late != 3 {
		t.Fatalf("result %+v; want 300 reports, 3 late", res)
	}

	type rung struct {
		Unit, Action string
		At           time.Time
	}
	var got []rung
	rows, err := s.DB.Query(`SELECT u.code, a.after->>'action', a.at FROM audit_log a JOIN units u ON u.id = a.unit_id WHERE a.action = 'rung.fired' ORDER BY a.seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r rung
		if err := rows.Scan(&r.Unit, &r.Action, &r.At); err != nil {
			t.Fatal(err)
		}
		r.At = r.At.In(cst)
		got = append(got, r)
	}
	mar, jun, sep := due("2021-03"), due("2021-06"), due("2021-09")
	want := []rung{
		{"gaj", "remind", mar.Add(-3 * 24 * time.Hour)}, {"gaj", "remind", mar}, {"gaj", "deduct", mar.Add(time.Second)},
		{"cm", "remind", jun.Add(-3 * 24 * time.Hour)}, {"cm", "remind", jun}, {"cm", "deduct", jun.Add(time.Second)},
		{"cm", "notice", jun.Add(3 * 24 * time.Hour)}, {"cm", "interview", jun.Add(10 * 24 * time.Hour)}, {"cm", "deduct", jun.Add(10 * 24 * time.Hour)},
		// returned on the 2nd at 11:00, before the −3-day reminder: round 2 collects both reminders
		{"gjh", "remind", sep.Add(-3 * 24 * time.Hour)}, {"gjh", "remind", sep}, {"gjh", "deduct", sep.Add(time.Second)},
	}
	if len(got) != len(want) {
		t.Fatalf("fired %d rungs: %+v\nwant %d: %+v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Unit != want[i].Unit || got[i].Action != want[i].Action || !got[i].At.Equal(want[i].At) {
			t.Errorf("rung %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	scores, err := store.Scores(ctx, s.DB, campaign, 2021, 100)
	if err != nil {
		t.Fatal(err)
	}
	byUnit := map[string]store.UnitScore{}
	for _, sc := range scores {
		byUnit[sc.UnitCode] = sc
	}
	for unit, want := range map[string]float64{"gaj": 99, "gjh": 99, "cm": 96, "yjj": 100} {
		if byUnit[unit].Score != want {
			t.Errorf("%s scores %v, want %v", unit, byUnit[unit].Score, want)
		}
	}
	// Ranked within kind, ties sharing a rank (1, 1, 3): the 13 other departments
	// at 100 share the first place, gaj is 14th; cm is last of the 7 towns, gjh of the 4 mines.
	for unit, want := range map[string]int{"yjj": 1, "gaj": 14, "cm": 7, "gjh": 4} {
		if byUnit[unit].Rank != want {
			t.Errorf("%s ranks %d, want %d", unit, byUnit[unit].Rank, want)
		}
	}
	late, err := store.ReportByID(ctx, s.DB, contract.ReportID(campaign, "cm", "2021-06"))
	if err != nil || late.LateSeconds == nil || *late.LateSeconds < 12*24*3600 {
		t.Fatalf("cm June report: %+v (%v)", late, err)
	}
	var notices, summons int
	_ = s.DB.Get(&notices, `SELECT count(*) FROM notices`)
	_ = s.DB.Get(&summons, `SELECT count(*) FROM interviews`)
	if notices != 1 || summons != 1 {
		t.Fatalf("%d notices, %d summons; want 1 each", notices, summons)
	}
}
