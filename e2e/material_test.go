package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// stock reads a mine's inventory: each item's (quantity, lent) by name, and what it holds on loan.
func (s *system) stock(t *testing.T, unit, person string) (map[string][2]int, []store.BorrowedItem) {
	t.Helper()
	var list api.MaterialList
	s.send(t, "GET", "/api/v1/materials?unit="+unit, person, nil).want(t, 200).decode(t, &list)
	out := map[string][2]int{}
	for _, m := range list.Materials {
		out[m.Name] = [2]int{m.Quantity, m.Lent}
	}
	return out, list.Borrowed
}

// awaitLoan reads a loan until cond holds.
func (s *system) awaitLoan(t *testing.T, id int64, person string, cond func(api.LoanView) bool) api.LoanView {
	t.Helper()
	var l api.LoanView
	for wait := time.Now().Add(90 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		s.send(t, "GET", fmt.Sprintf("/api/v1/material-loans/%d", id), person, nil).want(t, 200).decode(t, &l)
		if cond(l) {
			return l
		}
	}
	t.Fatalf("loan %d never got there: %+v", id, l)
	return l
}

// TestMaterialLoanOverHTTP: 郭家河 records its rescue materials; 园子沟 asks
// for 5 self-rescuers in an emergency (idempotently); 郭家河's head approves
// and hands them over — its stock 8 → 3, 5 lent, 园子沟 holds 5 on loan —
// and 园子沟 returns them, which puts them back. Then the race: 招贤 and the
// emergency bureau each ask for 郭家河's last oxygen breathing apparatus,
// both are approved, both hand-overs are sent at once: exactly one moves it,
// the other is a 409 naming items[0].quantity; the stock never goes below
// zero; the owner left below its minimum gets a restock task.
func TestMaterialLoanOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	ctx := context.Background()
	var rescuer, breather api.MaterialView
	sys.send(t, "POST", "/api/v1/materials", "gjh-head", map[string]any{"name": "自救器", "spec": "ZYX45 压缩氧", "uom": "台", "quantity": 8,
		"min_stock": 2, "location": "井口救护器材库", "expires_on": "2099-12-31"}).want(t, 201).decode(t, &rescuer)
	sys.send(t, "POST", "/api/v1/materials", "gjh-staff", map[string]any{"name": "氧气呼吸器", "spec": "HY4 正压", "uom": "台", "quantity": 1,
		"min_stock": 1, "location": "救护队器材室"}).want(t, 201).decode(t, &breather)
	sys.send(t, "POST", "/api/v1/materials", "yzg-head", map[string]any{"unit": "gjh", "name": "水泵", "uom": "台", "quantity": 1}).want(t, 403)

	body := map[string]any{"owner": "gjh", "purpose": "emergency", "reason": "园子沟煤矿2号回风巷发生火情，急需自救器",
		"items": []map[string]any{{"item_id": rescuer.ID, "quantity": 5}}}
	var loan, again api.LoanView
	sys.send(t, "POST", "/api/v1/material-loans", "yzg-head", body, "Idempotency-Key", "fire-1").want(t, 201).decode(t, &loan)
	sys.send(t, "POST", "/api/v1/material-loans", "yzg-head", body, "Idempotency-Key", "fire-1").want(t, 200).decode(t, &again)
	if again.ID != loan.ID || loan.Status != domain.LoanRequested || loan.RequesterCode != "yzg" || len(loan.Items) != 1 {
		t.Fatalf("loan %+v, again %d", loan, again.ID)
	}
	id := contract.LoanID(loan.ID)
	approve := sys.awaitTask(t, "gjh-head", contract.TaskID(id, "approve", 1))
	if approve.Kind != string(domain.KindLoanApprove) || approve.DueAt.Sub(approve.CreatedAt) != 2*time.Hour {
		t.Fatalf("approval task %+v", approve)
	}
	p := sys.send(t, "POST", "/api/v1/tasks/"+approve.ID+"/complete", "gjh-head", map[string]any{"decision": "refuse"}).want(t, 422).problem(t)
	if len(p.Errors) == 0 || p.Errors[0].Field != "comment" {
		t.Fatalf("refusal without a comment: %+v", p)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+approve.ID+"/complete", "gjh-head", map[string]any{"decision": "approve", "comment": "同意，即刻交付"}).want(t, 200)
	handover := sys.awaitTask(t, "gjh-head", contract.TaskID(id, "handover", 1))
	if st, _ := sys.stock(t, "gjh", "gjh-head"); st["自救器"] != [2]int{8, 0} {
		t.Fatalf("approved, not handed over: %v", st)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+handover.ID+"/complete", "gjh-head", map[string]any{"note": "已交园子沟救护队"}).want(t, 200)
	if st, _ := sys.stock(t, "gjh", "yjj-office"); st["自救器"] != [2]int{3, 5} {
		t.Fatalf("handed over: 郭家河 %v", st)
	}
	if _, borrowed := sys.stock(t, "yzg", "yzg-head"); len(borrowed) != 1 || borrowed[0].Quantity != 5 || borrowed[0].OwnerCode != "gjh" {
		t.Fatalf("园子沟 holds %+v", borrowed)
	}
	ret := sys.awaitTask(t, "yzg-head", contract.TaskID(id, "return", 1))
	sys.send(t, "POST", "/api/v1/tasks/"+ret.ID+"/complete", "yzg-head", map[string]any{"how": "return", "note": "火情已扑灭，如数归还"}).want(t, 200)
	l := sys.awaitLoan(t, loan.ID, "yzg-head", func(l api.LoanView) bool { return l.Status == domain.LoanReturned })
	if len(l.Steps) != 3 || l.ReturnHow == nil || *l.ReturnHow != "return" || l.HandedOverAt == nil {
		t.Fatalf("returned loan %+v", l)
	}
	if st, _ := sys.stock(t, "gjh", "gjh-head"); st["自救器"] != [2]int{8, 0} {
		t.Fatalf("returned: 郭家河 %v", st)
	}
	var res contract.LoanResult
	if err := sys.client.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil || res.Status != domain.LoanReturned {
		t.Fatalf("loan process %+v %v", res, err)
	}
	var item api.MaterialView
	sys.send(t, "GET", fmt.Sprintf("/api/v1/materials/%d", rescuer.ID), "gjh-head", nil).want(t, 200).decode(t, &item)
	if len(item.Movements) != 3 || item.Movements[0].Kind != "return" || item.Movements[1].Kind != "handover" || item.Movements[1].QuantityDelta != -5 {
		t.Fatalf("ledger %+v", item.Movements)
	}
	checkHistory(t, sys.client, id, "material-loan")

	// The race for the last oxygen breathing apparatus.
	ask := func(person string) int64 {
		var l api.LoanView
		sys.send(t, "POST", "/api/v1/material-loans", person, map[string]any{"owner": "gjh", "purpose": "drill", "reason": "救护演练",
			"items": []map[string]any{{"item_id": breather.ID, "quantity": 1}}}).want(t, 201).decode(t, &l)
		task := sys.awaitTask(t, "gjh-head", contract.TaskID(contract.LoanID(l.ID), "approve", 1))
		sys.send(t, "POST", "/api/v1/tasks/"+task.ID+"/complete", "gjh-head", map[string]any{"decision": "approve"}).want(t, 200)
		sys.awaitTask(t, "gjh-head", contract.TaskID(contract.LoanID(l.ID), "handover", 1))
		return l.ID
	}
	loans := []int64{ask("zxm-head"), ask("yjj-office")}
	codes := make([]resp, 2)
	var wg sync.WaitGroup
	for i, lid := range loans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = sys.send(t, "POST", "/api/v1/tasks/"+contract.TaskID(contract.LoanID(lid), "handover", 1)+"/complete", "gjh-head", map[string]any{})
		}()
	}
	wg.Wait()
	won, lost := 0, 0
	for _, r := range codes {
		switch r.code {
		case 200:
			won++
		case 409:
			lost++
			if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "items[0].quantity" {
				t.Errorf("the refused hand-over: %+v", p)
			}
		default:
			t.Errorf("hand-over: %d %s", r.code, r.body)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d hand-overs won, %d refused; want one each", won, lost)
	}
	if st, _ := sys.stock(t, "gjh", "gjh-head"); st["氧气呼吸器"] != [2]int{0, 1} {
		t.Fatalf("after the race: %v", st)
	}
	// 郭家河 is now below its minimum of oxygen breathing apparatus: one restock task.
	var alertID int64
	for wait := time.Now().Add(90 * time.Second); alertID == 0 && time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		_ = s.DB.Get(&alertID, `SELECT id FROM material_alerts WHERE item_id = $1 AND closed_at IS NULL`, breather.ID)
	}
	restock := sys.awaitTask(t, "gjh-head", contract.TaskID(contract.MaterialAlertID(alertID), "fix", 1))
	if restock.Kind != string(domain.KindMaterialRestock) {
		t.Fatalf("restock task %+v", restock)
	}
	// The item is restocked, and the task then closes the alert.
	sys.send(t, "PUT", fmt.Sprintf("/api/v1/materials/%d", breather.ID), "gjh-staff", map[string]any{"name": "氧气呼吸器", "spec": "HY4 正压",
		"uom": "台", "quantity": 2, "min_stock": 1, "location": "救护队器材室"}).want(t, 200)
	sys.send(t, "POST", "/api/v1/tasks/"+restock.ID+"/complete", "gjh-head", map[string]any{"note": "已补充两台"}).want(t, 200)
	var closed contract.AlertResult
	if err := sys.client.GetWorkflow(ctx, contract.MaterialAlertID(alertID), "").Get(ctx, &closed); err != nil || !closed.Closed || closed.Rounds != 1 {
		t.Fatalf("alert %+v %v", closed, err)
	}
	var negative int
	if err := s.DB.Get(&negative, `SELECT count(*) FROM material_items WHERE quantity < 0 OR lent < 0`); err != nil || negative != 0 {
		t.Fatalf("%d items below zero (%v)", negative, err)
	}
	checkHistory(t, sys.client, contract.MaterialAlertID(alertID), "material-alert")
}

// TestDemoPlaysAnEmergencyLoan: the demo bot, playing a campaign on a fast
// clock, records the four mines' rescue materials through the API and, when
// the campaign reaches 12 November 2020, 园子沟 asks 郭家河 for self-rescuers
// and oxygen breathing apparatus in an emergency; the mines answer as the
// model says (at once), the stock moves out and back, and no rung fires.
func TestDemoPlaysAnEmergencyLoan(t *testing.T) {
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
	bot := &demo.Bot{BaseURL: sys.http.URL, People: people, Poll: 100 * time.Millisecond, Materials: demo.Stocks(), Loans: demo.Loans(),
		Model: demo.Model{Think: 24 * time.Hour, LoanThink: time.Second}}
	spec := demo.CampaignSpec{ID: "loans", Name: "救援物资共享测试行动", StartsOn: "2020-11-01", EndsOn: "2020-12-31", ClockSpeed: 50000}
	if err := bot.Start(ctx, spec, "yjj-office", "linyou-deputy"); err != nil {
		t.Fatal(err)
	}
	var loans api.LoanList
	returned := func() bool {
		sys.send(t, "GET", "/api/v1/material-loans", "yjj-office", nil).want(t, 200).decode(t, &loans)
		return len(loans.Loans) == 1 && loans.Loans[0].Status == domain.LoanReturned
	}
	if err := bot.Run(ctx, spec.ID, "yjj-office", func(demo.CampaignStatus) bool { return returned() }); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the loan never came back: %+v", loans)
	}
	l := loans.Loans[0]
	if l.RequesterCode != "yzg" || l.OwnerCode != "gjh" || l.Purpose != domain.PurposeEmergency || l.ReturnHow == nil || *l.ReturnHow != "replace" {
		t.Fatalf("loan %+v", l)
	}
	var list api.MaterialList
	sys.send(t, "GET", "/api/v1/materials?unit=gjh", "gjh-head", nil).want(t, 200).decode(t, &list)
	if len(list.Materials) != 6 {
		t.Fatalf("郭家河's materials %+v", list.Materials)
	}
	for _, m := range list.Materials {
		if m.Lent != 0 || m.Low || m.Expired {
			t.Errorf("%s after the loan: %+v", m.Name, m)
		}
	}
	var moved []string
	if err := s.DB.Select(&moved, `SELECT kind || ':' || quantity_delta FROM material_movements WHERE loan_id = $1 ORDER BY id`, l.ID); err != nil {
		t.Fatal(err)
	}
	if len(moved) != 4 {
		t.Errorf("the loan's movements %v, want two out and two back", moved)
	}
	var fired int
	if err := s.DB.Get(&fired, `SELECT count(*) FROM audit_log WHERE action = 'rung.fired' AND subject_type = 'material-loan'`); err != nil || fired != 0 {
		t.Errorf("%d rungs fired on the loan (%v)", fired, err)
	}
}
