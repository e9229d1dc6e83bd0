package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// TestInspectionsHazardsAndEnforcementOverHTTP runs the closed loop over HTTP
// on the embedded server: an enforcement inspection of 崔木煤矿 with 逢查必考;
// a general hazard rectified and closed (销号); a major hazard that stops a
// heading face, whose 五到位 plan is approved, which is listed for county
// supervision with a notice, rectified and closed; the stop order lifted only
// after; a case filed and taken through its steps to a fine; a covert check
// that summons the mine's head; and the figures counted from these records.
func TestInspectionsHazardsAndEnforcementOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	today := time.Now().In(domain.DefaultZone).Format(time.DateOnly)
	complete := func(person, taskID string, payload any) {
		t.Helper()
		sys.awaitTask(t, person, taskID)
		sys.send(t, "POST", "/api/v1/tasks/"+taskID+"/complete", person, payload).want(t, 200)
	}

	// Bad input changes nothing: a unit that is not a production unit, a category not of the sector, a visit outside the dates.
	bad := sys.send(t, "POST", "/api/v1/hazards", "yjj-inspector-1", map[string]any{"unit": "jcg", "source": "daily", "level": "general",
		"category": "安全管理", "description": "x", "found_by": "report", "found_on": today, "deadline": time.Now().Add(72 * time.Hour)}).want(t, 422).problem(t)
	if bad.Errors[0].Field != "unit" {
		t.Fatalf("problem %+v", bad)
	}
	bad = sys.send(t, "POST", "/api/v1/hazards", "yjj-inspector-1", map[string]any{"unit": "cmm", "source": "daily", "level": "major",
		"category": "安全管理", "description": "x", "found_by": "report", "found_on": today, "deadline": time.Now().Add(72 * time.Hour)}).want(t, 422).problem(t)
	if bad.Errors[0].Field != "category" {
		t.Fatalf("problem %+v", bad)
	}
	sys.send(t, "POST", "/api/v1/inspections", "yjj-inspector-1", map[string]any{"kind": "enforcement", "title": "x", "leader": "yjj-inspector-1",
		"starts_on": today, "ends_on": today, "visits": []map[string]any{{"unit": "cmm", "visited_on": "2000-01-01"}}}).want(t, 422)
	sys.send(t, "POST", "/api/v1/hazards", "jcg-head", map[string]any{"unit": "cmm", "source": "daily", "level": "general",
		"category": "安全管理", "description": "x", "found_by": "report", "found_on": today, "deadline": time.Now().Add(72 * time.Hour)}).want(t, 403)
	if n := testdb.Count(t, s.DB, `SELECT (SELECT count(*) FROM hazards) + (SELECT count(*) FROM inspections) + (SELECT count(*) FROM stop_orders)`); n != 0 {
		t.Fatalf("%d records after refused input", n)
	}

	// The enforcement inspection.
	var insp store.Inspection
	sys.send(t, "POST", "/api/v1/inspections", "yjj-inspector-1", map[string]any{"kind": "enforcement", "title": "煤矿安全执法检查", "leader": "yjj-inspector-1",
		"starts_on": today, "ends_on": today, "visits": []map[string]any{{"unit": "cmm", "visited_on": today, "examined": 10, "passed": 8, "findings": "回风巷风量不足；掘进面支护不到位"}}},
		"Idempotency-Key", "insp-1").want(t, 201).decode(t, &insp)

	// A general hazard: rectified, verified by the finding body, closed.
	var general store.Hazard
	sys.send(t, "POST", "/api/v1/hazards", "yjj-inspector-1", map[string]any{"unit": "cmm", "source": "daily", "level": "general", "category": "设备设施",
		"description": "回风巷风量不足", "found_by": "inspection", "inspection": insp.ID, "found_on": today, "deadline": time.Now().Add(72 * time.Hour)},
		"Idempotency-Key", "hz-1").want(t, 201).decode(t, &general)
	gwid := contract.HazardID(general.ID)
	complete("cmm-head", contract.TaskID(gwid, "rectify", 1), map[string]any{"result": "已增设局部通风机，风量达标"})
	complete("yjj-inspector-1", contract.TaskID(gwid, "verify", 1), map[string]any{"decision": "approve"})

	// A major hazard stops a heading face; its plan, listing, rectification, verification.
	var major store.Hazard
	sys.send(t, "POST", "/api/v1/hazards", "yjj-inspector-1", map[string]any{"unit": "cmm", "face": "4202j", "source": "rock_burst", "level": "major",
		"category": "有冲击地压危险未采取有效措施", "description": "4202j掘进面冲击地压防治措施不落实", "found_by": "inspection", "inspection": insp.ID,
		"found_on": today, "deadline": time.Now().Add(10 * 24 * time.Hour), "stop_faces": []string{"4202j"}}).want(t, 201).decode(t, &major)
	var stops struct {
		StopOrders []store.StopOrder `json:"stop_orders"`
	}
	sys.send(t, "GET", "/api/v1/stop-orders?unit=cmm", "linyou-secretary", nil).want(t, 200).decode(t, &stops)
	if len(stops.StopOrders) != 1 || stops.StopOrders[0].Scope != "faces" || len(stops.StopOrders[0].FaceIDs) != 1 {
		t.Fatalf("stop orders %+v", stops)
	}
	stop := stops.StopOrders[0]
	swid := contract.StopOrderID(stop.ID)
	// Applying to resume while the hazard is open is sent back at once.
	complete("cmm-head", contract.TaskID(swid, "resume", 1), map[string]any{"result": "申请复产"})
	sys.awaitTask(t, "cmm-head", contract.TaskID(swid, "resume", 2))
	mwid := contract.HazardID(major.ID)
	complete("cmm-head", contract.TaskID(mwid, "plan", 1), map[string]any{"measures": "卸压钻孔、加强支护", "funds": 1200000, "deadline": time.Now().Add(9 * 24 * time.Hour),
		"responsible": "崔木煤矿矿长", "contingency": "出现冲击征兆立即撤人"})
	complete("yjj-head", contract.TaskID(mwid, "approve-plan", 1), map[string]any{"decision": "approve"})
	complete("cmm-head", contract.TaskID(mwid, "rectify", 1), map[string]any{"result": "卸压钻孔施工完毕，支护已加强"})
	complete("yjj-head", contract.TaskID(mwid, "verify", 1), map[string]any{"decision": "approve"})
	var got struct {
		Hazard store.Hazard `json:"hazard"`
	}
	for wait := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		sys.send(t, "GET", fmt.Sprintf("/api/v1/hazards/%d", major.ID), "linyou-secretary", nil).want(t, 200).decode(t, &got)
		if got.Hazard.Status == domain.HazardClosed || time.Now().After(wait) {
			break
		}
	}
	if got.Hazard.Status != domain.HazardClosed || got.Hazard.Supervisor == nil {
		t.Fatalf("major hazard %+v", got.Hazard)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM notices WHERE subject_type = 'hazard' AND subject_id = $1`, fmt.Sprint(major.ID)); n != 1 {
		t.Fatalf("%d notices of the listing", n)
	}
	// Now the face may resume.
	complete("cmm-head", contract.TaskID(swid, "resume", 2), map[string]any{"result": "隐患已销号，申请复产"})
	complete("yjj-head", contract.TaskID(swid, "accept", 2), map[string]any{"decision": "approve"})
	complete("linyou-secretary", contract.TaskID(swid, "approve", 2), map[string]any{"decision": "approve"})

	// A case through its steps to a fine.
	var cs store.Case
	sys.send(t, "POST", "/api/v1/cases", "yjj-inspector-1", map[string]any{"unit": "cmm", "inspection": insp.ID, "hazard": major.ID,
		"violation": "冲击地压防治措施不落实", "legal_basis": "《煤矿安全规程》第二百三十二条", "filed_on": today}).want(t, 201).decode(t, &cs)
	cwid := contract.CaseID(cs.ID)
	complete("yjj-inspector-1", contract.TaskID(cwid, "investigate", 1), map[string]any{"note": "现场取证", "number": "麟应急调〔2026〕1号"})
	complete("yjj-inspector-1", contract.TaskID(cwid, "notify", 1), map[string]any{"number": "麟应急告〔2026〕1号"})
	sys.awaitTask(t, "yjj-inspector-1", contract.TaskID(cwid, "decide", 1))
	sys.send(t, "POST", "/api/v1/tasks/"+contract.TaskID(cwid, "decide", 1)+"/complete", "yjj-inspector-1", map[string]any{"decision": "fine"}).want(t, 422)
	complete("yjj-inspector-1", contract.TaskID(cwid, "decide", 1), map[string]any{"decision": "fine", "fine": 30000, "number": "麟应急罚〔2026〕1号"})
	complete("yjj-inspector-1", contract.TaskID(cwid, "execute", 1), map[string]any{"note": "罚款已缴纳"})
	complete("yjj-inspector-1", contract.TaskID(cwid, "close", 1), map[string]any{"number": "麟应急结〔2026〕1号"})

	// A decision to stop production issues a stop order of the mine and starts its lifting.
	var stopCase store.Case
	sys.send(t, "POST", "/api/v1/cases", "yjj-inspector-1", map[string]any{"unit": "gjh", "violation": "超层越界开采",
		"legal_basis": "《安全生产法》第一百一十三条", "filed_on": today}).want(t, 201).decode(t, &stopCase)
	swid2 := contract.CaseID(stopCase.ID)
	complete("yjj-inspector-1", contract.TaskID(swid2, "investigate", 1), map[string]any{"note": "现场勘验"})
	complete("yjj-inspector-1", contract.TaskID(swid2, "notify", 1), map[string]any{"number": "麟应急告〔2026〕2号"})
	complete("yjj-inspector-1", contract.TaskID(swid2, "decide", 1), map[string]any{"decision": "stop", "number": "麟应急罚〔2026〕2号"})
	var caseStop int64
	for wait := time.Now().Add(90 * time.Second); caseStop == 0 && time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		_ = s.DB.Get(&caseStop, `SELECT id FROM stop_orders WHERE case_id = $1 AND status = 'standing'`, stopCase.ID)
	}
	if caseStop == 0 {
		t.Fatal("the decision to stop production issued no stop order")
	}
	sys.awaitTask(t, "gjh-head", contract.TaskID(contract.StopOrderID(caseStop), "resume", 1))
	complete("yjj-inspector-1", contract.TaskID(swid2, "execute", 1), map[string]any{"note": "已停产"})
	complete("yjj-inspector-1", contract.TaskID(swid2, "close", 1), map[string]any{"number": "麟应急结〔2026〕2号"})

	// A covert check: the mine's leader did not go down with the shift.
	sys.send(t, "POST", "/api/v1/inspections", "yjj-inspector-2", map[string]any{"kind": "covert", "title": "带班下井暗访", "leader": "yjj-inspector-2",
		"starts_on": today, "ends_on": today, "visits": []map[string]any{{"unit": "cmm", "visited_on": today, "leader_down": false}}}).want(t, 201)
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM interviews i JOIN units u ON u.id = i.unit_id WHERE u.code = 'cmm' AND i.source = 'covert'`); n != 1 {
		t.Fatalf("%d covert-check interviews of cmm, want 1", n)
	}

	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM score_ledger l JOIN units u ON u.id = l.unit_id WHERE u.code = 'cmm' AND l.points = -1 AND l.key LIKE 'covert:%'`); n != 1 {
		t.Fatalf("%d covert-check deductions of 1 point from cmm, want 1 (the default)", n)
	}
	// In a campaign, its policy says what a failed covert check costs.
	if _, err := s.DB.Exec(`UPDATE campaigns SET policy = jsonb_set(policy, '{hazard}', '{"covert_points": 2.5}') WHERE id = $1`, seed.DemoCampaignID); err != nil {
		t.Fatal(err)
	}
	sys.send(t, "POST", "/api/v1/inspections", "yjj-inspector-2", map[string]any{"kind": "covert", "title": "带班下井暗访", "leader": "yjj-inspector-2",
		"campaign": seed.DemoCampaignID, "starts_on": today, "ends_on": today, "visits": []map[string]any{{"unit": "gjh", "visited_on": today, "leader_down": false}}}).want(t, 201)
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM score_ledger l JOIN units u ON u.id = l.unit_id WHERE u.code = 'gjh' AND l.points = -2.5 AND l.campaign_id = $1`, seed.DemoCampaignID); n != 1 {
		t.Fatalf("%d covert-check deductions of 2.5 points from gjh under the campaign's policy, want 1", n)
	}

	// A people's-congress inspection: its recommendations become assigned matters, once.
	congress := map[string]any{"kind": "congress", "title": "县人大常委会安全生产执法检查视察", "leader": "yjj-office", "starts_on": today, "ends_on": today,
		"visits": []map[string]any{{"unit": "zjj", "visited_on": today, "findings": "建筑施工领域监管力量不足"}},
		"recommendations": []map[string]any{
			{"unit": "zjj", "title": "充实建筑施工安全监管力量", "content": "增配专职安全监管人员，建立在建工地巡查台账。", "due_at": time.Now().Add(30 * 24 * time.Hour)},
			{"unit": "jtj", "title": "加强道路运输企业动态监控", "content": "督促运输企业落实动态监控，按月通报。", "due_at": time.Now().Add(30 * 24 * time.Hour)}}}
	bad = sys.send(t, "POST", "/api/v1/inspections", "yjj-office", map[string]any{"kind": "supervision", "title": "x", "leader": "yjj-office", "starts_on": today, "ends_on": today,
		"visits": congress["visits"], "recommendations": congress["recommendations"]}).want(t, 422).problem(t)
	if bad.Errors[0].Field != "recommendations" {
		t.Fatalf("recommendations of a supervision: %+v", bad)
	}
	wrong := map[string]any{}
	for k, v := range congress {
		wrong[k] = v
	}
	wrong["recommendations"] = []map[string]any{{"unit": "nowhere", "title": "x", "content": "x", "due_at": time.Now().Add(time.Hour)}}
	if p := sys.send(t, "POST", "/api/v1/inspections", "yjj-office", wrong).want(t, 422).problem(t); p.Errors[0].Field != "recommendations[0].unit" {
		t.Fatalf("a recommendation to no unit: %+v", p)
	}
	sys.send(t, "POST", "/api/v1/inspections", "yjj-inspector-1", congress).want(t, 403)
	var viewed store.Inspection
	sys.send(t, "POST", "/api/v1/inspections", "yjj-office", congress, "Idempotency-Key", "congress-1").want(t, 201).decode(t, &viewed)
	sys.send(t, "POST", "/api/v1/inspections", "yjj-office", congress, "Idempotency-Key", "congress-1").want(t, 200)
	if len(viewed.Assignments) != 2 {
		t.Fatalf("the recommendations made %v", viewed.Assignments)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM assignments WHERE title LIKE '人大视察建议：%'`); n != 2 {
		t.Fatalf("%d assigned matters from the recommendations, want 2", n)
	}
	sys.awaitTask(t, "zjj-head", contract.TaskID(contract.AssignmentID(viewed.Assignments[0]), "complete", 1))
	sys.awaitTask(t, "jtj-head", contract.TaskID(contract.AssignmentID(viewed.Assignments[1]), "complete", 1))

	// The figures, from these records.
	var st struct {
		Inspections struct {
			Inspections, Visits int
		} `json:"inspections"`
		Hazards struct {
			Found, Closed int
		} `json:"hazards"`
		StopOrders struct {
			HeadingFaces struct{ Issued, Lifted int } `json:"heading_faces"`
		} `json:"stop_orders"`
		Cases struct {
			Filed, Closed int
			Fines         float64
		} `json:"cases"`
		Exams struct{ Examined, Passed int } `json:"exams"`
	}
	for wait := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		sys.send(t, "GET", "/api/v1/campaigns/"+seed.DemoCampaignID+"/statistics?from="+today+"&to="+today, "linyou-secretary", nil).want(t, 200).decode(t, &st)
		if (st.Cases.Closed == 2 && st.StopOrders.HeadingFaces.Lifted == 1) || time.Now().After(wait) {
			break
		}
	}
	if st.Inspections.Inspections != 4 || st.Inspections.Visits != 4 || st.Hazards.Found != 2 || st.Hazards.Closed != 2 ||
		st.StopOrders.HeadingFaces.Issued != 1 || st.StopOrders.HeadingFaces.Lifted != 1 || st.Cases.Filed != 2 || st.Cases.Closed != 2 ||
		st.Cases.Fines != 30000 || st.Exams.Examined != 10 || st.Exams.Passed != 8 {
		t.Fatalf("statistics %+v", st)
	}
	time.Sleep(300 * time.Millisecond)
	checkHistory(t, sys.client, gwid, "hazard-general")
	checkHistory(t, sys.client, mwid, "hazard-major")
	checkHistory(t, sys.client, swid, "stop-order")
	checkHistory(t, sys.client, cwid, "case")
	checkHistory(t, sys.client, swid2, "case-stop")
}
