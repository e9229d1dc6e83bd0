package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// awaitDocument reads a policy document until cond holds.
func (s *system) awaitDocument(t *testing.T, id int64, person string, cond func(api.PolicyDocumentView) bool) api.PolicyDocumentView {
	t.Helper()
	var d api.PolicyDocumentView
	for wait := time.Now().Add(90 * time.Second); time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
		s.send(t, "GET", fmt.Sprintf("/api/v1/policy-documents/%d", id), person, nil).want(t, 200).decode(t, &d)
		if cond(d) {
			return d
		}
	}
	t.Fatalf("document %d never got there: %+v", id, d)
	return d
}

// TestPolicyDocumentOverHTTP: the safety office issues the county's 联防联治
// rule to two towns (idempotently); it reaches both heads' inboxes; 九成宫镇
// acknowledges with a comment and the document shows who has and has not;
// a second version supersedes the first — its open task is closed — and both
// towns acknowledge it again, after which it is acknowledged by all.
func TestPolicyDocumentOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	ctx := context.Background()
	due := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)
	body := map[string]any{"title": "麟游县安全生产联防联治工作制度", "number": "麟安委办发〔2020〕5号", "issued_on": "2020-06-01",
		"body": "第一条 为建立健全县、镇、村和行业部门安全生产联防联治工作机制……", "units": []string{"jcg", "cm"}, "due_at": due}
	sys.send(t, "POST", "/api/v1/policy-documents", "jcg-head", body).want(t, 403)
	var v1 api.PolicyDocumentView
	sys.send(t, "POST", "/api/v1/policy-documents", "yjj-office", body, "Idempotency-Key", "lflz-1").want(t, 201).decode(t, &v1)
	var again api.PolicyDocumentView
	sys.send(t, "POST", "/api/v1/policy-documents", "yjj-office", body, "Idempotency-Key", "lflz-1").want(t, 200).decode(t, &again)
	if again.ID != v1.ID || v1.Version != 1 || v1.Units != 2 || len(v1.Acknowledgements) != 2 {
		t.Fatalf("issued %+v, again %d", v1, again.ID)
	}
	units := map[string]int64{}
	for _, a := range v1.Acknowledgements {
		units[a.UnitCode] = a.UnitID
	}
	jcgTask, cmTask := contract.DocumentAckTaskID(v1.ID, units["jcg"]), contract.DocumentAckTaskID(v1.ID, units["cm"])
	task := sys.awaitTask(t, "jcg-head", jcgTask)
	if task.Kind != string(domain.KindDocumentAcknowledge) || task.SubjectType != domain.SubjectPolicyDocument {
		t.Fatalf("task %+v", task)
	}
	sys.awaitTask(t, "cm-head", cmTask)
	// A payload of another kind is refused, naming the field.
	p := sys.send(t, "POST", "/api/v1/tasks/"+jcgTask+"/complete", "jcg-head", map[string]any{"result": "已学习"}).want(t, 422).problem(t)
	if len(p.Errors) == 0 || p.Errors[0].Field != "result" {
		t.Fatalf("problem %+v", p)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+jcgTask+"/complete", "jcg-head", map[string]any{"comment": "已组织镇村干部学习"}).want(t, 200)
	d := sys.awaitDocument(t, v1.ID, "cm-head", func(d api.PolicyDocumentView) bool { return d.Acknowledged == 1 })
	if a := d.Acknowledgements[0]; a.UnitCode != "jcg" || a.State != "acknowledged" || a.AcknowledgedBy == nil || a.Comment == nil || *a.Comment != "已组织镇村干部学习" || a.AcknowledgedAt == nil {
		t.Errorf("jcg %+v", a)
	}
	if a := d.Acknowledgements[1]; a.UnitCode != "cm" || a.State != "pending" || a.Overdue {
		t.Errorf("cm %+v", a)
	}
	// A new version: the rest is the first version's.
	var v2 api.PolicyDocumentView
	sys.send(t, "POST", fmt.Sprintf("/api/v1/policy-documents/%d/versions", v1.ID), "yjj-office", map[string]any{
		"issued_on": "2020-09-01", "body": "第一条（修订）……", "due_at": due}).want(t, 201).decode(t, &v2)
	if v2.Version != 2 || v2.SeriesID != v1.ID || v2.Title != v1.Title || v2.Units != 2 || len(v2.Versions) != 2 {
		t.Fatalf("version 2 %+v", v2)
	}
	sys.send(t, "POST", fmt.Sprintf("/api/v1/policy-documents/%d/versions", v1.ID), "yjj-office", map[string]any{
		"issued_on": "2020-09-01", "body": "再改", "due_at": due}).want(t, 409)
	d = sys.awaitDocument(t, v1.ID, "cm-head", func(d api.PolicyDocumentView) bool { return d.Acknowledgements[1].State == "cancelled" })
	if d.Status != domain.DocumentSuperseded || d.SupersededBy == nil || *d.SupersededBy != v2.ID {
		t.Errorf("version 1 %+v", d.PolicyDocument)
	}
	for _, u := range []string{"jcg", "cm"} {
		id := contract.DocumentAckTaskID(v2.ID, units[u])
		sys.awaitTask(t, u+"-head", id)
		sys.send(t, "POST", "/api/v1/tasks/"+id+"/complete", u+"-head", map[string]any{}).want(t, 200)
	}
	sys.awaitDocument(t, v2.ID, "linyou-secretary", func(d api.PolicyDocumentView) bool { return d.Status == domain.DocumentAcknowledged })
	var list api.PolicyDocumentPage
	sys.send(t, "GET", "/api/v1/policy-documents?unit=cm", "cm-head", nil).want(t, 200).decode(t, &list)
	if len(list.Documents) != 1 || list.Documents[0].ID != v2.ID || list.Documents[0].Acknowledged != 2 {
		t.Errorf("list %+v", list)
	}
	var res contract.PolicyDocumentResult
	if err := sys.client.GetWorkflow(ctx, contract.PolicyDocumentID(v2.ID), "").Get(ctx, &res); err != nil || res.Acknowledged != 2 {
		t.Fatalf("version 2's process: %+v %v", res, err)
	}
	if err := sys.client.GetWorkflow(ctx, contract.PolicyDocumentID(v1.ID), "").Get(ctx, nil); err == nil {
		t.Error("version 1's process ended without being cancelled")
	}
	checkHistory(t, sys.client, contract.PolicyDocumentID(v2.ID), "policy-document")
	checkHistory(t, sys.client, contract.PolicyDocumentID(v1.ID), "policy-document-superseded")
}

// TestDemoIssuesTheCountysDocuments: the demo bot, playing a campaign on a
// fast clock, issues the county's 实施意见 and 联防联治 rule through the API
// when their campaign time comes, and the units acknowledge them as the model
// says — 崔木镇 twelve days late, so its ladder sends the letter and the notice.
func TestDemoIssuesTheCountysDocuments(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of real timers")
	}
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	people := demoPeople(t, s, tokens)
	bot := &demo.Bot{BaseURL: sys.http.URL, People: people, Poll: 100 * time.Millisecond, Documents: demo.Documents(),
		Model: demo.Model{LateUnits: map[string]int{"cm": 12}, Think: 24 * time.Hour}}
	spec := demo.CampaignSpec{ID: "docs", Name: "制度文件测试行动", StartsOn: "2020-08-19", EndsOn: "2020-12-31", ClockSpeed: 50000}
	if err := bot.Start(ctx, spec, "yjj-office", "linyou-deputy"); err != nil {
		t.Fatal(err)
	}
	var docs api.PolicyDocumentPage
	settled := func() bool {
		sys.send(t, "GET", "/api/v1/policy-documents", "linyou-secretary", nil).want(t, 200).decode(t, &docs)
		all := len(docs.Documents) == 2
		for _, d := range docs.Documents {
			all = all && d.Status == domain.DocumentAcknowledged
		}
		return all
	}
	var last demo.CampaignStatus
	if err := bot.Run(ctx, spec.ID, "yjj-office", func(st demo.CampaignStatus) bool { last = st; return settled() }); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("by campaign time %v: %+v", last.Now, docs)
	}
	titles := map[string]store.PolicyDocument{}
	for _, d := range docs.Documents {
		titles[d.Title] = d
	}
	opinion, rule := titles["麟游县落实煤矿企业安全生产主体责任的实施意见"], titles["麟北矿区煤矿安全生产联防联治制度"]
	if opinion.Units != 9 || opinion.Acknowledged != 9 || rule.Units != 4 || rule.Acknowledged != 4 || opinion.CampaignID == nil {
		t.Fatalf("documents %+v", docs.Documents)
	}
	var rungs []string
	if err := s.DB.Select(&rungs, `SELECT a.after ->> 'action' FROM audit_log a JOIN units u ON u.id = a.unit_id
WHERE a.action = 'rung.fired' AND a.subject_type = 'policy-document' AND a.subject_id = $1 AND u.code = 'cm' ORDER BY a.seq`, fmt.Sprint(opinion.ID)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rungs, ",") != "remind,remind,letter,notice" {
		t.Errorf("崔木镇's rungs: %v", rungs)
	}
}
