package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// TestMeetingsOverHTTP runs meetings and their decisions (议定事项督办) over
// HTTP on the embedded server: refused input changes nothing; the safety
// committee's meeting chaired by the county magistrate is recorded once (a
// retry answers it) and each decision reaches its unit's inbox as an assigned
// matter; one is done and approved, and the meeting shows each decision's
// state; the statistics count the meeting; a periodic meeting of the demo
// policy opens the organiser's minutes task, which the meeting recorded for it
// answers, and its process ends with the meeting's id (its history saved for
// the replay test).
func TestMeetingsOverHTTP(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	today := time.Now().In(domain.DefaultZone).Format(time.DateOnly)
	due := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
	meeting := func(decisions ...map[string]any) map[string]any {
		return map[string]any{"kind": "safety_committee", "title": "县安委会2020年第二次全体会议", "held_on": today, "organiser": "yjj",
			"chair": "linyou-magistrate", "attendees": []string{"县长", "分管安全生产副县长", "安委会各成员单位主要负责人"},
			"topics": []string{"传达省市安全生产工作会议精神", "部署煤矿安全专项整治"}, "minutes": "会议研究了煤矿安全专项整治工作。", "decisions": decisions}
	}
	jcgDecision := map[string]any{"unit": "jcg", "content": "九成宫镇开展辖区自建房安全隐患排查", "due_at": due}
	gjhDecision := map[string]any{"unit": "gjh", "content": "郭家河煤矿完成冲击地压防治措施复核", "due_at": due}

	// Refused: unknown kind and unit, a decision due in the past, a chair no one is; a unit head with decisions.
	bad := meeting(map[string]any{"unit": "nobody", "content": "x", "due_at": time.Now().Add(-time.Hour)})
	bad["kind"], bad["chair"] = "party", "nobody"
	p := sys.send(t, "POST", "/api/v1/meetings", "yjj-office", bad).want(t, 422).problem(t)
	fields := map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Field] = true
	}
	for _, f := range []string{"kind", "chair", "decisions[0].unit", "decisions[0].due_at"} {
		if !fields[f] {
			t.Errorf("problem %+v does not name %s", p, f)
		}
	}
	// Text the database cannot hold is named, never looked up (no 500).
	nul := meeting()
	nul["chair"], nul["campaign"], nul["minutes_task"] = "linyou\x00magistrate", "linyou-2020\x00", "meeting.x\x00"
	p = sys.send(t, "POST", "/api/v1/meetings", "yjj-office", nul).want(t, 422).problem(t)
	fields = map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Field] = true
	}
	if !fields["chair"] || !fields["campaign"] || !fields["minutes_task"] {
		t.Errorf("problem %+v does not name chair, campaign and minutes_task", p)
	}
	sys.send(t, "POST", "/api/v1/meetings", "jcg-head", meeting(jcgDecision)).want(t, 403)
	// A fast campaign not yet run has no clock its decisions could run on.
	sys.send(t, "POST", "/api/v1/campaigns", "yjj-office", map[string]any{"id": "fast-unrun", "name": "未启动的演练行动", "starts_on": "2030-01-01",
		"clock_speed": 100}).want(t, 201)
	unrun := meeting(jcgDecision)
	unrun["campaign"] = "fast-unrun"
	if p := sys.send(t, "POST", "/api/v1/meetings", "yjj-office", unrun).want(t, 422).problem(t); p.Errors[0].Field != "campaign" {
		t.Fatalf("problem %+v", p)
	}
	if n := testdb.Count(t, s.DB, `SELECT (SELECT count(*) FROM meetings) + (SELECT count(*) FROM assignments)`); n != 0 {
		t.Fatalf("%d records after refused input", n)
	}

	// Recorded once; each decision an assigned matter of its unit.
	var m store.Meeting
	sys.send(t, "POST", "/api/v1/meetings", "yjj-office", meeting(jcgDecision, gjhDecision), "Idempotency-Key", "awh-2020-2").want(t, 201).decode(t, &m)
	var again store.Meeting
	sys.send(t, "POST", "/api/v1/meetings", "yjj-office", meeting(jcgDecision, gjhDecision), "Idempotency-Key", "awh-2020-2").want(t, 200).decode(t, &again)
	if again.ID != m.ID || len(m.Decisions) != 2 || m.ChairName == "" || m.DecisionCount != 2 || m.OpenDecisions != 2 {
		t.Fatalf("meeting %+v, again %d", m, again.ID)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM assignments`); n != 2 {
		t.Fatalf("%d assignments, want 2", n)
	}
	jcg := m.Decisions[0]
	if jcg.UnitCode != "jcg" || jcg.Status != "open" || !jcg.DueAt.Equal(due) {
		t.Fatalf("decision %+v", jcg)
	}
	wid := contract.AssignmentID(jcg.AssignmentID)
	task := sys.awaitTask(t, "jcg-head", contract.TaskID(wid, "complete", 1))
	if task.Title != "议定事项：县安委会2020年第二次全体会议（第1项）" {
		t.Fatalf("task title %q", task.Title)
	}
	sys.awaitTask(t, "gjh-head", contract.TaskID(contract.AssignmentID(m.Decisions[1].AssignmentID), "complete", 1))
	sys.send(t, "POST", "/api/v1/tasks/"+task.ID+"/complete", "jcg-head", map[string]any{"result": "排查自建房312户，整改隐患9处"}).want(t, 200)
	review := contract.TaskID(wid, "review", 1)
	sys.awaitTask(t, "yjj-office", review)
	sys.send(t, "POST", "/api/v1/tasks/"+review+"/complete", "yjj-office", map[string]any{"decision": "approve"}).want(t, 200)
	deadline := time.Now().Add(90 * time.Second)
	for {
		sys.send(t, "GET", fmt.Sprintf("/api/v1/meetings/%d", m.ID), "linyou-magistrate", nil).want(t, 200).decode(t, &m)
		if m.Decisions[0].Status == "approved" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("decision never approved: %+v", m.Decisions)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if m.Decisions[1].Status != "open" || m.OpenDecisions != 1 {
		t.Fatalf("decisions %+v, open %d", m.Decisions, m.OpenDecisions)
	}
	// Readers: the units it names and the county; not another unit.
	sys.send(t, "GET", fmt.Sprintf("/api/v1/meetings/%d", m.ID), "gjh-head", nil).want(t, 200)
	sys.send(t, "GET", fmt.Sprintf("/api/v1/meetings/%d", m.ID), "jtj-head", nil).want(t, 404)
	var list struct {
		Meetings []store.Meeting `json:"meetings"`
	}
	sys.send(t, "GET", "/api/v1/meetings?kind=safety_committee", "jtj-head", nil).want(t, 200).decode(t, &list)
	if len(list.Meetings) != 0 {
		t.Fatalf("jtj sees %d meetings", len(list.Meetings))
	}
	sys.send(t, "GET", "/api/v1/meetings?kind=party", "yjj-office", nil).want(t, 422)

	// A periodic meeting of the demo policy: the organiser's minutes task, answered by the meeting recorded for it.
	ctx := context.Background()
	id := contract.MeetingMinutesID(seed.DemoCampaignID, 0, "2021-Q1")
	in := contract.MeetingMinutesInput{CampaignID: seed.DemoCampaignID, Rule: 0, Period: "2021-Q1", At: time.Now().UTC().Truncate(time.Second)}
	run, err := sys.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue,
		TypedSearchAttributes: contract.SearchAttributesOf(contract.MeetingMinutesWorkflow, in)}, contract.MeetingMinutesWorkflow, in)
	if err != nil {
		t.Fatal(err)
	}
	minutes := sys.awaitTask(t, "yjj-head", contract.TaskID(id, "minutes", 1))
	if minutes.Kind != string(domain.KindMeetingMinutes) {
		t.Fatalf("minutes task %+v", minutes)
	}
	// Answering before the meeting is recorded is refused, naming the field.
	if p := sys.send(t, "POST", "/api/v1/tasks/"+minutes.ID+"/complete", "yjj-head", map[string]any{"meeting_id": m.ID}).want(t, 422).problem(t); p.Errors[0].Field != "meeting_id" {
		t.Fatalf("problem %+v", p)
	}
	var tech store.Meeting
	sys.send(t, "POST", "/api/v1/meetings", "yjj-head", map[string]any{"kind": "technical_exchange", "title": "麟北矿区煤矿安全生产技术交流会",
		"held_on": today, "organiser": "yjj", "chair": "yjj-head", "attendees": []string{"郭家河煤矿", "园子沟煤矿", "招贤煤矿", "崔木煤矿"},
		"topics": []string{"冲击地压防治经验交流"}, "minutes": "各矿交流了冲击地压防治经验。", "minutes_task": minutes.ID}).want(t, 201).decode(t, &tech)
	// A second record for the same task answers the first.
	var dup store.Meeting
	sys.send(t, "POST", "/api/v1/meetings", "yjj-head", map[string]any{"kind": "technical_exchange", "title": "x", "held_on": today,
		"organiser": "yjj", "chair": "yjj-head", "minutes_task": minutes.ID}).want(t, 200).decode(t, &dup)
	if dup.ID != tech.ID {
		t.Fatalf("second record %d, first %d", dup.ID, tech.ID)
	}
	sys.send(t, "POST", "/api/v1/tasks/"+minutes.ID+"/complete", "yjj-head", map[string]any{"meeting_id": tech.ID}).want(t, 200)
	var got int64
	if err := run.Get(ctx, &got); err != nil || got != tech.ID {
		t.Fatalf("minutes process answered %d (%v), want %d", got, err, tech.ID)
	}
	checkHistory(t, sys.client, id, "meeting-minutes")

	// The statistics count both meetings by kind.
	var stats store.Stats
	sys.send(t, "GET", "/api/v1/campaigns/"+seed.DemoCampaignID+"/statistics?from="+today+"&to="+today, "linyou-magistrate", nil).want(t, 200).decode(t, &stats)
	if stats.Meetings.Held != 2 || stats.Meetings.ByKind["safety_committee"] != 1 || stats.Meetings.ByKind["technical_exchange"] != 1 ||
		stats.Meetings.Decisions != 2 || stats.Meetings.OpenDecisions != 1 {
		t.Fatalf("meeting statistics %+v", stats.Meetings)
	}
}
