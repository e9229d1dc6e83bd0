package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// awaitDrill reads a drill until cond holds.
func (s *system) awaitDrill(t *testing.T, id int64, person string, cond func(api.DrillView) bool) api.DrillView {
	t.Helper()
	var d api.DrillView
	for wait := time.Now().Add(90 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		s.send(t, "GET", fmt.Sprintf("/api/v1/drills/%d", id), person, nil).want(t, 200).decode(t, &d)
		if cond(d) {
			return d
		}
	}
	t.Fatalf("drill %d never got there: %+v", id, d)
	return d
}

// TestJointDrillOverHTTP: the safety office plans a joint drill of 郭家河 and
// 园子沟 (idempotently; a mine's head may not); both heads report their
// preparation from the inbox; when the drill's time comes the office gets
// the record task, is refused for a problem at a mine that did not take part
// (naming the field), and records the drill with two problems; each opens a
// general hazard at its mine, which the mine rectifies and the bureau's
// inspector verifies; the drill closes with them, its page shows every step
// and the statistics count it.
func TestJointDrillOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	ctx := context.Background()
	at := time.Now().Add(15 * time.Second).UTC().Truncate(time.Second)
	body := map[string]any{"year": at.In(domain.DefaultZone).Year(), "title": "矿井火灾事故救援联合演练", "scenario": "1302采煤工作面外因火灾，两矿救护队协同救援",
		"location": "郭家河煤矿", "units": []string{"gjh", "yzg"}, "lead": "gjh", "drill_at": at}
	sys.send(t, "POST", "/api/v1/drills", "gjh-head", body).want(t, 403)
	bad := map[string]any{"year": 1999, "title": "x", "scenario": "x", "units": []string{"gjh"}, "lead": "cmm", "drill_at": at}
	if p := sys.send(t, "POST", "/api/v1/drills", "yjj-office", bad).want(t, 422).problem(t); len(p.Errors) < 2 {
		t.Fatalf("problem %+v", p)
	}
	var d api.DrillView
	sys.send(t, "POST", "/api/v1/drills", "yjj-office", body, "Idempotency-Key", "drill-2026-1").want(t, 201).decode(t, &d)
	var again api.DrillView
	sys.send(t, "POST", "/api/v1/drills", "yjj-office", body, "Idempotency-Key", "drill-2026-1").want(t, 200).decode(t, &again)
	if again.ID != d.ID || d.Units != 2 || len(d.Participants) != 2 || d.Status != domain.DrillPlanned || d.OrganiserCode != "yjj" {
		t.Fatalf("planned %+v, again %d", d, again.ID)
	}
	units := map[string]int64{}
	for _, u := range d.Participants {
		units[u.UnitCode] = u.UnitID
	}
	for _, u := range []string{"gjh", "yzg"} {
		id := contract.DrillPrepareTaskID(d.ID, units[u])
		task := sys.awaitTask(t, u+"-head", id)
		if task.Kind != string(domain.KindDrillPrepare) || task.SubjectType != domain.SubjectDrill {
			t.Fatalf("task %+v", task)
		}
		if u == "yzg" {
			p := sys.send(t, "POST", "/api/v1/tasks/"+id+"/complete", u+"-head", map[string]any{"comment": "已准备"}).want(t, 422).problem(t)
			if len(p.Errors) == 0 || p.Errors[0].Field != "comment" {
				t.Fatalf("problem %+v", p)
			}
		}
		sys.send(t, "POST", "/api/v1/tasks/"+id+"/complete", u+"-head", map[string]any{"result": "救护小队9人、正压氧气呼吸器12台已就位"}).want(t, 200)
	}
	sys.awaitDrill(t, d.ID, "gjh-head", func(d api.DrillView) bool { return d.Prepared == 2 })
	// The drill's time comes: the office records it.
	eval := contract.DrillEvaluateTaskID(d.ID)
	sys.awaitTask(t, "yjj-office", eval)
	held := at.In(domain.DefaultZone).Format(time.DateOnly)
	deadline := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
	problem := func(unit, text string) map[string]any {
		return map[string]any{"unit": unit, "description": text, "deadline": deadline}
	}
	p := sys.send(t, "POST", "/api/v1/tasks/"+eval+"/complete", "yjj-office", map[string]any{"held_on": held, "present": []string{"gjh", "yzg"},
		"evaluation": "协同有序", "problems": []any{problem("cmm", "不是参演单位")}}).want(t, 422).problem(t)
	if len(p.Errors) == 0 || p.Errors[0].Field != "problems[0].unit" {
		t.Fatalf("problem %+v", p)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+eval+"/complete", "yjj-office", map[string]any{"held_on": held, "present": []string{"gjh", "yzg"},
		"evaluation": "两队响应迅速、协同有序；通信联络和器材管理存在不足",
		"problems":   []any{problem("gjh", "井下救灾通信中断后未启用备用联络方式"), problem("yzg", "氧气呼吸器备用气瓶压力不足")}}, "Idempotency-Key", "eval-1").want(t, 200)
	// The problems' hazards can show a moment before the record (a step of its own): wait for both.
	d = sys.awaitDrill(t, d.ID, "yzg-head", func(d api.DrillView) bool { return len(d.ProblemHazards) == 2 && d.Status == domain.DrillEvaluated })
	if d.Status != domain.DrillEvaluated || d.HeldOn == nil || *d.HeldOn != held || d.Participants[1].Present == nil || !*d.Participants[1].Present {
		t.Fatalf("evaluated %+v", d)
	}
	// Each problem is a general hazard at its mine, in the hazard loop.
	for i, u := range []string{"gjh", "yzg"} {
		ph := d.ProblemHazards[i]
		var hd api.HazardDetail
		sys.send(t, "GET", fmt.Sprintf("/api/v1/hazards/%d", ph.HazardID), u+"-head", nil).want(t, 200).decode(t, &hd)
		h := hd.Hazard
		if h.UnitCode != u || h.FoundBy != domain.HazardFoundByDrill || h.Level != domain.HazardGeneral || !h.Deadline.Equal(deadline) {
			t.Fatalf("hazard %+v", h)
		}
		rectify := contract.TaskID(contract.HazardID(ph.HazardID), "rectify", 1)
		sys.awaitTask(t, u+"-head", rectify)
		sys.send(t, "POST", "/api/v1/tasks/"+rectify+"/complete", u+"-head", map[string]any{"result": "已整改：" + ph.Description}).want(t, 200)
		verify := contract.TaskID(contract.HazardID(ph.HazardID), "verify", 1)
		sys.awaitTask(t, "yjj-inspector-1", verify)
		sys.send(t, "POST", "/api/v1/tasks/"+verify+"/complete", "yjj-inspector-1", map[string]any{"decision": "approve"}).want(t, 200)
	}
	d = sys.awaitDrill(t, d.ID, "linyou-secretary", func(d api.DrillView) bool { return d.Status == domain.DrillClosed })
	if d.Rectified != 2 || d.Problems != 2 || d.ClosedAt == nil || d.ProblemHazards[0].HazardStatus != domain.HazardClosed {
		t.Fatalf("closed %+v", d)
	}
	var list api.DrillPage
	sys.send(t, "GET", fmt.Sprintf("/api/v1/drills?year=%d&unit=yzg", at.In(domain.DefaultZone).Year()), "yzg-head", nil).want(t, 200).decode(t, &list)
	if len(list.Drills) != 1 || list.Drills[0].ID != d.ID {
		t.Errorf("list %+v", list)
	}
	st, err := store.Statistics(ctx, s.DB, store.StatsQuery{From: at, To: at})
	if err != nil || st.Drills.Drills != 1 || st.Drills.Problems != 2 || st.Drills.Rectified != 2 {
		t.Fatalf("statistics %+v %v", st.Drills, err)
	}
	var res contract.DrillResult
	if err := sys.client.GetWorkflow(ctx, contract.DrillID(d.ID), "").Get(ctx, &res); err != nil || res.Prepared != 2 || len(res.Hazards) != 2 {
		t.Fatalf("the drill's process: %+v %v", res, err)
	}
	checkHistory(t, sys.client, contract.DrillID(d.ID), "drill")
}

// TestDemoPlaysAJointDrill: the demo bot, playing a campaign on a fast
// clock, plans 2020's joint drill through the API when its campaign time
// comes; the mines prepare, the office records the drill with two problems,
// and the mines rectify both (their hazards' loops on the campaign's clock)
// until the drill is closed.
func TestDemoPlaysAJointDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of real timers")
	}
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var people []demo.Person
	if err := s.DB.Select(&people, `SELECT p.key AS key, g.role AS role, u.code AS unitcode FROM people p
JOIN role_grants g ON g.person_id = p.id JOIN units u ON u.id = g.unit_id ORDER BY p.id, g.role`); err != nil {
		t.Fatal(err)
	}
	for i := range people {
		people[i].Token = tokens[people[i].Key]
	}
	bot := &demo.Bot{BaseURL: sys.http.URL, People: people, Poll: 100 * time.Millisecond, Drills: demo.Drills()[:1],
		Model: demo.Model{Think: 24 * time.Hour}}
	spec := demo.CampaignSpec{ID: "drills", Name: "联合演练测试行动", StartsOn: "2020-05-05", EndsOn: "2020-12-31", ClockSpeed: 100000}
	if err := bot.Start(ctx, spec, "yjj-office", "linyou-deputy"); err != nil {
		t.Fatal(err)
	}
	var list api.DrillPage
	closed := func() bool {
		sys.send(t, "GET", "/api/v1/drills?year=2020", "linyou-secretary", nil).want(t, 200).decode(t, &list)
		return len(list.Drills) == 1 && list.Drills[0].Status == domain.DrillClosed
	}
	var last demo.CampaignStatus
	if err := bot.Run(ctx, spec.ID, "yjj-office", func(st demo.CampaignStatus) bool { last = st; return closed() }); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		var tasks []struct {
			ID     string  `db:"id"`
			Status string  `db:"status"`
			Due    string  `db:"due"`
			Camp   *string `db:"campaign_id"`
		}
		_ = s.DB.Select(&tasks, `SELECT id, status, due_at::text AS due, campaign_id FROM tasks WHERE kind LIKE 'hazard%' OR kind LIKE 'drill%'`)
		t.Logf("tasks %+v", tasks)
		desc, err := sys.client.DescribeWorkflowExecution(context.Background(), "hazard/1", "")
		t.Logf("hazard/1: %v %v", desc, err)
		t.Fatalf("by campaign time %v: %+v", last.Now, list)
	}
	d := list.Drills[0]
	if d.Units != 4 || d.Prepared != 4 || d.Problems != 2 || d.Rectified != 2 || d.CampaignID == nil || *d.CampaignID != "drills" || d.HeldOn == nil || *d.HeldOn != "2020-06-16" {
		t.Fatalf("drill %+v", d)
	}
}
