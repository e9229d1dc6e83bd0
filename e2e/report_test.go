package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// TestMonthlyReportOverHTTP: a month's reports start; 九成宫镇 submits bad
// figures (refused, naming the field), then a real report; the safety office
// returns it (a comment is required), the town resubmits, the office accepts.
// The month is long past, so the report is late: the ledger and the notices show it.
func TestMonthlyReportOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	const campaign, period = seed.DemoCampaignID, "2022-12"
	path := "/api/v1/campaigns/" + campaign + "/reports"
	if p := sys.send(t, "POST", path, "yjj-office", map[string]any{"period": "2019-01"}).want(t, 422).problem(t); p.Errors[0].Field != "period" {
		t.Fatalf("problem %+v", p)
	}
	sys.send(t, "POST", path, "yjj-office", map[string]any{"period": period}).want(t, 202)
	sys.send(t, "POST", path, "yjj-office", map[string]any{"period": period}).want(t, 200)

	rid := contract.ReportID(campaign, "jcg", period)
	submit1 := contract.TaskID(rid, "submit", 1)
	sys.awaitTask(t, "jcg-head", submit1)
	report := map[string]any{
		"figures":    map[string]any{"inspections": 5, "units_inspected": 4, "hazards_found": map[string]int{"daily": 8}, "hazards_rectified": map[string]int{"daily": 7}, "training_sessions": 1, "people_trained": 60},
		"problems":   "一处隐患整改未完成",
		"next_steps": "督促整改到位",
	}
	for field, bad := range map[string]map[string]any{
		"figures.inspections":             {"figures": map[string]any{"inspections": -2}, "next_steps": "x"},
		"figures.hazards_rectified.daily": {"figures": map[string]any{"hazards_found": map[string]int{"daily": 1}, "hazards_rectified": map[string]int{"daily": 2}}, "next_steps": "x"},
		"figures.hazards_found.gas":       {"figures": map[string]any{"hazards_found": map[string]int{"gas": 1}}, "next_steps": "x"},
	} {
		if p := sys.send(t, "POST", "/api/v1/tasks/"+submit1+"/complete", "jcg-head", bad).want(t, 422).problem(t); p.Errors[0].Field != field {
			t.Errorf("want %s named: %+v", field, p.Errors)
		}
	}
	// The month is long past: every rung past its time fires at once (stale
	// reminders skipped). Let the ladder reach its last rung before submitting.
	jcg, _ := store.UnitByCode(t.Context(), s.DB, "jcg")
	for wait := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var n int
		_ = s.DB.Get(&n, `SELECT count(*) FROM score_ledger WHERE unit_id = $1`, jcg.ID)
		if n == 2 {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("the ladder made %d deductions, want 2", n)
		}
	}
	sys.send(t, "POST", "/api/v1/tasks/"+submit1+"/complete", "jcg-head", report).want(t, 200)

	review1 := contract.TaskID(rid, "review", 1)
	sys.awaitTask(t, "yjj-office", review1)
	if p := sys.send(t, "POST", "/api/v1/tasks/"+review1+"/complete", "yjj-office", map[string]any{"decision": "return"}).want(t, 422).problem(t); p.Errors[0].Field != "comment" {
		t.Fatalf("problem %+v", p)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+review1+"/complete", "yjj-office", map[string]any{"decision": "return", "comment": "请补充未整改隐患的整改时限"}).want(t, 200)
	submit2 := contract.TaskID(rid, "submit", 2)
	sys.awaitTask(t, "jcg-head", submit2)
	report["problems"] = "一处隐患整改未完成，限期2023年1月10日前整改到位"
	sys.send(t, "POST", "/api/v1/tasks/"+submit2+"/complete", "jcg-head", report).want(t, 200)
	review2 := contract.TaskID(rid, "review", 2)
	sys.awaitTask(t, "yjj-office", review2)
	sys.send(t, "POST", "/api/v1/tasks/"+review2+"/complete", "yjj-office", map[string]any{"decision": "accept"}).want(t, 200)
	// A second submission after acceptance is refused.
	sys.send(t, "POST", "/api/v1/tasks/"+submit2+"/complete", "jcg-head", report).want(t, 409)

	var r store.Report
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		sys.send(t, "GET", "/api/v1/reports/"+campaign+"/jcg/"+period, "jcg-head", nil).want(t, 200).decode(t, &r)
		if r.Status == domain.ReportAccepted {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r.Status != domain.ReportAccepted || r.Round != 2 || r.LateSeconds == nil || *r.LateSeconds <= 0 {
		t.Fatalf("report %+v", r)
	}
	sys.send(t, "GET", "/api/v1/reports/"+campaign+"/jcg/"+period, "cm-head", nil).want(t, 404)

	// Long past its deadline: the late deduction, the notice, the interview and its deduction.
	var scores struct {
		Units []store.UnitScore `json:"units"`
	}
	// December's lateness counts in December's year, so the year's assessment sees it.
	sys.send(t, "GET", "/api/v1/campaigns/"+campaign+"/scores?year=2022", "linyou-secretary", nil).want(t, 200).decode(t, &scores)
	for _, u := range scores.Units {
		if u.UnitCode == "jcg" && (u.Score != 96 || len(u.Entries) != 2) {
			t.Fatalf("jcg score %+v; want 96 from two entries", u)
		}
	}
	var notices struct {
		Notices []store.NoticeRow `json:"notices"`
	}
	sys.send(t, "GET", "/api/v1/notices?unit=jcg", "jcg-head", nil).want(t, 200).decode(t, &notices)
	if len(notices.Notices) == 0 {
		t.Fatal("no notice names 九成宫镇")
	}

	// Notices by hand: the safety office only, named units must exist.
	sys.send(t, "POST", "/api/v1/notices", "jcg-head", map[string]any{"units": []string{"cm"}, "reason": "x"}).want(t, 403)
	if p := sys.send(t, "POST", "/api/v1/notices", "yjj-office", map[string]any{"units": []string{"nowhere"}, "reason": "推进措施不力"}).want(t, 422).problem(t); p.Errors[0].Field != "units[0]" {
		t.Fatalf("problem %+v", p)
	}
	var n store.NoticeRow
	sys.send(t, "POST", "/api/v1/notices", "yjj-office", map[string]any{"units": []string{"cm", "zx"}, "reason": "三年行动整治不重视、推进措施不力、成效不明显，予以通报。"}).want(t, 201).decode(t, &n)
	if len(n.UnitIDs) != 2 || n.IssuedBy != "yjj-office" {
		t.Fatalf("notice %+v", n)
	}
	_ = api.Problem{}
	checkHistory(t, sys.client, rid, "report-return-accept")
}

// TestInterviewOverHTTP: a leader summons a head; a second summons for the same
// reason joins it; the steps run from the inbox to the close.
func TestInterviewOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	body := map[string]any{"unit": "lt", "reason": "三年行动推进措施不力、成效不明显", "reason_key": "poor-measures"}
	sys.send(t, "POST", "/api/v1/interviews", "yjj-office", body).want(t, 403)
	if p := sys.send(t, "POST", "/api/v1/interviews", "linyou-deputy", map[string]any{"unit": "nowhere", "reason": ""}).want(t, 422).problem(t); len(p.Errors) != 2 {
		t.Fatalf("problem %+v", p)
	}
	var first, second struct {
		Interview store.Interview `json:"interview"`
		Joined    bool            `json:"joined"`
	}
	sys.send(t, "POST", "/api/v1/interviews", "linyou-deputy", body).want(t, 201).decode(t, &first)
	sys.send(t, "POST", "/api/v1/interviews", "linyou-secretary", body).want(t, 200).decode(t, &second)
	if !second.Joined || second.Interview.ID != first.Interview.ID || second.Interview.Triggers != 2 {
		t.Fatalf("second summons %+v", second)
	}
	wid := contract.InterviewID(first.Interview.ID)
	step := func(name string, round int, person string, payload any) {
		t.Helper()
		id := contract.TaskID(wid, name, round)
		sys.awaitTask(t, person, id)
		sys.send(t, "POST", "/api/v1/tasks/"+id+"/complete", person, payload).want(t, 200)
	}
	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	step("schedule", 1, "yjj-office", map[string]any{"scheduled_at": at, "place": "县应急管理局三楼会议室", "leader": "分管安全生产副县长"})
	step("acknowledge", 1, "lt-head", map[string]any{"note": "按时参加"})
	step("minutes", 1, "yjj-office", map[string]any{"minutes": "约谈指出问题三项，要求限期整改。"})
	sys.awaitTask(t, "lt-head", contract.TaskID(wid, "commitments", 1))
	if p := sys.send(t, "POST", "/api/v1/tasks/"+contract.TaskID(wid, "commitments", 1)+"/complete", "lt-head", map[string]any{"commitments": []string{}}).problem(t); p.Status != 422 {
		t.Fatalf("empty commitments: %+v", p)
	}
	// Two summonses joined the interview: the commitments answer each item it lists.
	var held store.Interview
	sys.send(t, "GET", fmt.Sprintf("/api/v1/interviews/%d", first.Interview.ID), "lt-head", nil).want(t, 200).decode(t, &held)
	if len(held.Items) != 2 {
		t.Fatalf("interview items %+v; want the two summonses", held.Items)
	}
	p := sys.send(t, "POST", "/api/v1/tasks/"+contract.TaskID(wid, "commitments", 1)+"/complete", "lt-head",
		map[string]any{"commitments": []string{"一周内完成隐患台账整改"}, "commitments_due": at.Add(7 * 24 * time.Hour)}).want(t, 422).problem(t)
	if p.Errors[0].Field != "commitments" {
		t.Fatalf("unnamed commitments for two items: %+v", p)
	}
	step("commitments", 1, "lt-head", map[string]any{"commitments": []map[string]any{
		{"item": held.Items[0].ID, "text": "一周内完成隐患台账整改"}, {"item": held.Items[1].ID, "text": "建立推进措施周调度制度"},
	}, "commitments_due": at.Add(7 * 24 * time.Hour)})
	step("fulfil", 1, "lt-head", map[string]any{"result": "隐患台账已整改，推进措施周调度制度已建立"})
	step("confirm", 1, "yjj-office", map[string]any{"decision": "confirm"})
	var iv store.Interview
	for wait := time.Now().Add(90 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		sys.send(t, "GET", fmt.Sprintf("/api/v1/interviews/%d", first.Interview.ID), "lt-head", nil).want(t, 200).decode(t, &iv)
		if iv.Status == domain.InterviewClosed {
			break
		}
	}
	if iv.Status != domain.InterviewClosed || iv.Place == nil || iv.Minutes == nil {
		t.Fatalf("interview %+v", iv)
	}
	sys.send(t, "GET", fmt.Sprintf("/api/v1/interviews/%d", first.Interview.ID), "cm-head", nil).want(t, 404)
	checkHistory(t, sys.client, wid, "interview")
}

// TestPlanTaskOverHTTP: a plan task reaches its owner's inbox and is done from there.
func TestPlanTaskOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	var plans struct {
		Plans []store.Plan `json:"plans"`
	}
	sys.send(t, "GET", "/api/v1/campaigns/"+seed.DemoCampaignID+"/plans", "zjj-head", nil).want(t, 200).decode(t, &plans)
	var gas store.Plan
	for _, p := range plans.Plans {
		if p.Title == "城镇燃气安全专项整治方案" {
			gas = p
		}
	}
	var pt store.PlanTask
	sys.send(t, "POST", fmt.Sprintf("/api/v1/plans/%d/tasks", gas.ID), "yjj-office", map[string]any{
		"content": "完成城镇燃气管网隐患排查", "owner_unit": "zjj", "deadline": time.Now().Add(30 * 24 * time.Hour), "measures": "逐户排查、建立台账、限期整改",
	}).want(t, 201).decode(t, &pt)
	task := contract.TaskID(contract.PlanTaskID(pt.ID), "done", 1)
	sys.awaitTask(t, "zjj-head", task)
	sys.send(t, "POST", "/api/v1/tasks/"+task+"/complete", "zjj-head", map[string]any{"result": "排查燃气用户1200户，整改隐患37处"}).want(t, 200)
	for wait := time.Now().Add(90 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		sys.send(t, "GET", "/api/v1/campaigns/"+seed.DemoCampaignID+"/plans", "zjj-head", nil).want(t, 200).decode(t, &plans)
		for _, p := range plans.Plans {
			for _, x := range p.Tasks {
				if x.ID == pt.ID {
					pt = x
				}
			}
		}
		if pt.Status == domain.PlanTaskDone {
			break
		}
	}
	if pt.Status != domain.PlanTaskDone {
		t.Fatalf("plan task %+v", pt)
	}
	checkHistory(t, sys.client, contract.PlanTaskID(pt.ID), "plan-task")
}

// TestAssessmentOverHTTP: a leader records an accident, the year's assessment
// runs, the magistrate approves from the inbox, the results are published.
func TestAssessmentOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	camp := "/api/v1/campaigns/" + seed.DemoCampaignID
	sys.send(t, "POST", camp+"/accidents", "yjj-office", map[string]any{"unit": "zx", "occurred_on": "2021-08-03", "reason": "x"}).want(t, 403)
	if p := sys.send(t, "POST", camp+"/accidents", "linyou-secretary", map[string]any{"unit": "zx", "occurred_on": "2031-01-01", "reason": ""}).want(t, 422).problem(t); len(p.Errors) != 2 {
		t.Fatalf("problem %+v", p)
	}
	sys.send(t, "POST", camp+"/accidents", "linyou-secretary", map[string]any{"unit": "zx", "occurred_on": "2021-08-03", "reason": "招贤镇发生一起较大道路运输事故"}).want(t, 201)
	sys.send(t, "POST", camp+"/assessments", "yjj-office", map[string]any{"year": 2021}).want(t, 202)
	sys.send(t, "POST", camp+"/assessments", "yjj-office", map[string]any{"year": 2021}).want(t, 200)
	wid := contract.AssessmentID(seed.DemoCampaignID, 2021)
	task := contract.TaskID(wid, "approve", 1)
	sys.awaitTask(t, "linyou-magistrate", task)
	sys.send(t, "POST", "/api/v1/tasks/"+task+"/complete", "linyou-magistrate", map[string]any{"decision": "approve"}).want(t, 200)
	var a store.Assessment
	for wait := time.Now().Add(90 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		sys.send(t, "GET", camp+"/assessments/2021", "linyou-secretary", nil).want(t, 200).decode(t, &a)
		if a.Status == domain.AssessmentPublished {
			break
		}
	}
	if a.Status != domain.AssessmentPublished || len(a.Results) != 25 {
		t.Fatalf("assessment %+v", a)
	}
	for _, u := range a.Results {
		if u.UnitCode == "zx" && (!u.Vetoed || u.Grade != "fail" || !u.Summoned) {
			t.Fatalf("vetoed town %+v", u)
		}
	}
	checkHistory(t, sys.client, wid, "assessment")
}

// TestCampaignOverHTTP: the safety office creates a campaign (its policy is
// checked), runs its calendar — this year's pledges and this month's reports
// start at once — then pauses, resumes and ends it.
func TestCampaignOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	bad := map[string]any{"id": "e2e", "name": "测试行动", "starts_on": today, "ends_on": "2000-01-01",
		"policy": map[string]any{"report": map[string]any{"ladder": []map[string]any{{"offset": "0", "action": "shout"}}}}}
	p := sys.send(t, "POST", "/api/v1/campaigns", "yjj-office", bad).want(t, 422).problem(t)
	fields := map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Field] = true
	}
	if !fields["ends_on"] || !fields["policy.report.ladder[0].action"] {
		t.Fatalf("problem %+v", p.Errors)
	}
	sys.send(t, "POST", "/api/v1/campaigns", "jcg-head", map[string]any{"id": "e2e", "name": "x", "starts_on": today}).want(t, 403)
	sys.send(t, "POST", "/api/v1/campaigns", "yjj-office", map[string]any{"id": "e2e", "name": "测试行动", "starts_on": today}).want(t, 201)
	sys.send(t, "POST", "/api/v1/campaigns", "yjj-office", map[string]any{"id": "e2e", "name": "测试行动", "starts_on": today}).want(t, 409)
	sys.send(t, "POST", "/api/v1/campaigns/e2e/run", "yjj-office", nil).want(t, 202)
	sys.send(t, "POST", "/api/v1/campaigns/e2e/run", "yjj-office", nil).want(t, 200)

	type view struct {
		Running  bool                      `json:"running"`
		Progress contract.CampaignProgress `json:"progress"`
		Counts   store.CampaignCounts      `json:"counts"`
	}
	var v view
	for wait := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		sys.send(t, "GET", "/api/v1/campaigns/e2e", "linyou-secretary", nil).want(t, 200).decode(t, &v)
		if v.Progress.Next >= 2 && v.Counts.Open >= 21+25 { // 21 pledges from the county, 25 reports
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("the calendar did not start this year's pledges and this month's reports: %+v", v)
		}
	}
	if !v.Running || v.Progress.NextEvent == nil {
		t.Fatalf("campaign %+v", v)
	}
	var before time.Time
	if err := s.DB.Get(&before, `SELECT due_at FROM tasks WHERE campaign_id = 'e2e' AND kind = 'report.submit' AND unit_id = (SELECT id FROM units WHERE code = 'gaj')`); err != nil {
		t.Fatal(err)
	}
	var prog contract.CampaignProgress
	sys.send(t, "POST", "/api/v1/campaigns/e2e/pause", "yjj-office", nil).want(t, 200).decode(t, &prog)
	if !prog.Paused {
		t.Fatalf("after pause: %+v", prog)
	}
	sys.send(t, "POST", "/api/v1/campaigns/e2e/pause", "yjj-office", nil).want(t, 409)
	sys.send(t, "POST", "/api/v1/campaigns/e2e/resume", "yjj-office", nil).want(t, 200).decode(t, &prog)
	if prog.Paused || prog.PausedFor <= 0 {
		t.Fatalf("after resume: %+v", prog)
	}
	// The resume moved every open task's deadline by the pause, with its audit row.
	var after time.Time
	if err := s.DB.Get(&after, `SELECT due_at FROM tasks WHERE campaign_id = 'e2e' AND kind = 'report.submit' AND unit_id = (SELECT id FROM units WHERE code = 'gaj')`); err != nil {
		t.Fatal(err)
	}
	if d := after.Sub(before) - prog.PausedFor; d < -time.Microsecond || d > time.Microsecond {
		t.Fatalf("gaj's report due %v before the pause, %v after; the pause lasted %v", before, after, prog.PausedFor)
	}
	var open, moved int
	_ = s.DB.Get(&open, `SELECT count(*) FROM tasks WHERE campaign_id = 'e2e' AND status = 'open'`)
	_ = s.DB.Get(&moved, `SELECT count(*) FROM audit_log WHERE action = 'task.extended' AND key LIKE 'task.extended:pause:e2e:%'`)
	if moved != open {
		t.Fatalf("%d deadlines moved, %d tasks open", moved, open)
	}
	sys.send(t, "POST", "/api/v1/campaigns/e2e/end", "linyou-deputy", nil).want(t, 200).decode(t, &prog)
	if !prog.Ended {
		t.Fatalf("after end: %+v", prog)
	}
	time.Sleep(300 * time.Millisecond) // the run closes once its handlers finish
	checkHistory(t, sys.client, contract.CampaignID("e2e"), "campaign")
}
