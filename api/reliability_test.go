package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

func (f *fixture) send(t *testing.T, method, path, person string, body any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *bytes.Reader
	switch b := body.(type) {
	case nil:
		r = bytes.NewReader(nil)
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if person != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[person])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func unitID(t *testing.T, db *sqlx.DB, code string) int64 {
	t.Helper()
	u, err := store.UnitByCode(context.Background(), db, code)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// readers are one person of each kind that reads lists: a unit's head, a
// leader, the safety office, an administrator.
var readers = []struct {
	person     string
	countyWide bool
}{{"jcg-head", false}, {"linyou-secretary", true}, {"yjj-office", true}, {"linyou-admin", true}}

// Every list endpoint answers each kind of reader what it may read: leaders,
// the safety office and administrators every unit's records, a unit's head
// those of its unit (and the public ones).
func TestListsPerReaderKind(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	camp := seed.DemoCampaignID
	units, err := store.ReportingUnits(ctx, f.db, camp)
	if err != nil {
		t.Fatal(err)
	}
	county, _ := store.CountyUnit(ctx, f.db)
	jcg := unitID(t, f.db, "jcg")
	at := time.Date(2021, 4, 1, 9, 0, 0, 0, time.UTC)
	for _, u := range units {
		if _, err := store.InsertReport(ctx, f.db, domain.ReportSpec{ID: domain.ReportWorkflowID(camp, u.Code, "2021-03"), CampaignID: camp,
			Period: "2021-03", UnitID: u.ID, DueAt: at.AddDate(0, 0, 4)}, at); err != nil {
			t.Fatal(err)
		}
		if _, err := store.InsertPledge(ctx, f.db, store.Pledge{ID: domain.PledgeWorkflowID(camp, 2021, u.Code), CampaignID: camp, Year: 2021, Level: 1,
			IssuerUnitID: county.ID, SignerUnitID: u.ID, Targets: store.JSON(`[]`), Duties: store.JSON(`[]`), DueAt: at, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.AddLedgerEntry(ctx, f.db, store.LedgerEntry{Key: "k:" + u.Code, CampaignID: &camp, Year: 2021, UnitID: u.ID, Points: -1,
			Reason: u.Name + "扣1分", Process: "report/" + u.Code}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.store.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, code := range []string{"jcg", "cm", "gaj"} {
			if _, err := activities.Summon(ctx, tx, store.Summons{Key: "s:" + code, UnitID: unitID(t, f.db, code), ReasonKey: "manual", Reason: "约谈", Source: "manual", At: at}); err != nil {
				return err
			}
		}
		_, _, err := store.AddNotice(ctx, tx, store.Notice{Key: "n1", IssuerUnitID: county.ID, UnitIDs: []int64{jcg}, Reason: "通报", SubjectType: "manual", SubjectID: "n1"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	n := len(units)
	lists := []struct {
		path, key      string
		own, countyAll int // rows a unit's head and a county-wide reader see
	}{
		{"/api/v1/campaigns/" + camp + "/reports?period=2021-03", "reports", 1, n},
		{"/api/v1/campaigns/" + camp + "/reports", "reports", 1, n},
		{"/api/v1/campaigns/" + camp + "/pledges?year=2021", "pledges", 1, n},
		{"/api/v1/interviews", "interviews", 1, 3},
		{"/api/v1/notices", "notices", 1, 1},
		{"/api/v1/campaigns/" + camp + "/plans", "plans", 17, 17},
		{"/api/v1/campaigns/" + camp + "/scores?year=2021", "units", n, n},
		{"/api/v1/inbox", "tasks", 0, 0},
		{"/api/v1/campaigns/" + camp + "/pledges/progress?year=2021", "levels", 1, 1},
		{"/api/v1/units", "units", 1, 1},
	}
	for _, l := range lists {
		for _, r := range readers {
			rec := f.do(t, "GET", l.path, r.person, nil)
			if rec.Code != 200 {
				t.Errorf("%s as %s: %d %s", l.path, r.person, rec.Code, rec.Body)
				continue
			}
			var out map[string]json.RawMessage
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			var rows []json.RawMessage
			_ = json.Unmarshal(out[l.key], &rows)
			want := l.own
			if r.countyWide {
				want = l.countyAll
			}
			if len(rows) != want {
				t.Errorf("%s as %s: %d %s, want %d", l.path, r.person, len(rows), l.key, want)
			}
		}
	}
	// Deduction reasons: a unit's head reads its own unit's; leaders and the office every unit's.
	for _, r := range []struct {
		person string
		units  int
	}{{"jcg-head", 1}, {"linyou-secretary", n}, {"yjj-office", n}} {
		var scores struct {
			Units []store.UnitScore `json:"units"`
		}
		_ = json.Unmarshal(f.do(t, "GET", "/api/v1/campaigns/"+camp+"/scores?year=2021", r.person, nil).Body.Bytes(), &scores)
		with := 0
		for _, u := range scores.Units {
			if len(u.Entries) > 0 {
				with++
			}
			if u.Score != 99 || u.Rank != 1 {
				t.Errorf("%s: %s scores %v rank %d; want 99, all tied first", r.person, u.UnitCode, u.Score, u.Rank)
			}
		}
		if with != r.units {
			t.Errorf("%s reads the reasons of %d units, want %d", r.person, with, r.units)
		}
	}
	// A period that is not a month is a 422 like every other filter, not an empty list.
	for _, q := range []string{"' OR 1=1 --", "2021-3", "2019-01"} {
		if rec := f.do(t, "GET", "/api/v1/campaigns/"+camp+"/reports?period="+strings.ReplaceAll(q, " ", "%20"), "yjj-office", nil); rec.Code != 422 || decodeProblem(t, rec).Errors[0].Field != "period" {
			t.Errorf("period %q: %d %s", q, rec.Code, rec.Body)
		}
	}
}

var goTerms = regexp.MustCompile(`api\.[a-z]|domain\.|time\.Time|int64|float64|\bstring\b|2006-01-02T15|Go |json: `)

// Every refusal names the JSON path of the field and says in plain (Chinese)
// words what is expected; nothing is written.
func TestRefusalsNameTheField(t *testing.T) {
	f := newFixture(t)
	camp := map[string]any{"id": "x-2023", "name": "测试", "starts_on": "2023-01-01"}
	with := func(policy map[string]any) map[string]any {
		b := map[string]any{}
		for k, v := range camp {
			b[k] = v
		}
		b["policy"] = policy
		return b
	}
	tests := []struct {
		name, path, person string
		body               any
		field              string
	}{
		{"due_at not a time", "/api/v1/assignments", "yjj-office", map[string]any{"title": "t", "content": "c", "due_at": "tomorrow", "assignee_unit": "jcg"}, "due_at"},
		{"offset not an offset", "/api/v1/assignments", "yjj-office", map[string]any{"title": "t", "content": "c", "due_at": time.Now().Add(time.Hour), "assignee_unit": "jcg",
			"ladder": []map[string]any{{"offset": "soon", "action": "remind"}}}, "ladder[0].offset"},
		{"a million points", "/api/v1/assignments", "yjj-office", map[string]any{"title": "t", "content": "c", "due_at": time.Now().Add(time.Hour), "assignee_unit": "jcg",
			"ladder": []map[string]any{{"offset": "+15d", "action": "deduct", "points": 1000000}}}, "ladder[0].points"},
		{"a notice before the deadline", "/api/v1/assignments", "yjj-office", map[string]any{"title": "t", "content": "c", "due_at": time.Now().Add(time.Hour), "assignee_unit": "jcg",
			"ladder": []map[string]any{{"offset": "-1d", "action": "notice"}}}, "ladder[0].offset"},
		{"NUL in the title", "/api/v1/assignments", "yjj-office", map[string]any{"title": "排查\u0000", "content": "c", "due_at": time.Now().Add(time.Hour), "assignee_unit": "jcg"}, "title"},
		{"self-approval", "/api/v1/assignments", "yjj-office", map[string]any{"title": "t", "content": "c", "due_at": time.Now().Add(time.Hour), "assignee_unit": "jcg",
			"reviewer": map[string]any{"unit": "jcg", "role": "unit_head"}}, "reviewer.unit"},
		{"pledge offset", "/api/v1/campaigns", "yjj-office", with(map[string]any{"pledge": map[string]any{"ladder": []map[string]any{{"offset": "x", "action": "notice"}}}}), "policy.pledge.ladder[0].offset"},
		{"report points", "/api/v1/campaigns", "yjj-office", with(map[string]any{"report": map[string]any{"ladder": []map[string]any{
			{"offset": "-3d", "action": "remind"}, {"offset": "0", "action": "remind"}, {"offset": "1s", "action": "deduct", "points": 1000000}}}}), "policy.report.ladder[2].points"},
		{"deadline hour", "/api/v1/campaigns", "yjj-office", with(map[string]any{"report": map[string]any{"deadline_hour": -2000}}), "policy.report.deadline_hour"},
		{"base score", "/api/v1/campaigns", "yjj-office", with(map[string]any{"base_score": 1e6}), "policy.base_score"},
		{"bottom n", "/api/v1/campaigns", "yjj-office", with(map[string]any{"assessment": map[string]any{"bottom_n": 8}}), "policy.assessment.bottom_n"},
		{"min signing days", "/api/v1/campaigns", "yjj-office", with(map[string]any{"pledge": map[string]any{"min_signing_days": 365}}), "policy.pledge.min_signing_days"},
		{"duplicate notice units", "/api/v1/notices", "yjj-office", map[string]any{"units": []string{"jcg", "jcg"}, "reason": "通报"}, "units[1]"},
		{"NUL in a notice", "/api/v1/notices", "yjj-office", map[string]any{"units": []string{"jcg"}, "reason": "通报\u0000"}, "reason"},
		{"NUL in a unit code", "/api/v1/notices", "yjj-office", map[string]any{"units": []string{"jc\u0000g"}, "reason": "通报"}, "units[0]"},
		{"NUL in an interview reason", "/api/v1/interviews", "linyou-secretary", map[string]any{"unit": "jcg", "reason": "约谈\u0000"}, "reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.send(t, "POST", tt.path, tt.person, tt.body)
			if rec.Code != 422 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			p := decodeProblem(t, rec)
			found := false
			for _, e := range p.Errors {
				found = found || e.Field == tt.field
				if goTerms.MatchString(e.Detail) || !regexp.MustCompile(`\p{Han}`).MatchString(e.Detail) {
					t.Errorf("detail of %s is not plain Chinese: %q", e.Field, e.Detail)
				}
			}
			if !found {
				t.Fatalf("errors %+v; want one on %s", p.Errors, tt.field)
			}
		})
	}
	for q, want := range map[string]int{`SELECT count(*) FROM assignments`: 0, `SELECT count(*) FROM campaigns WHERE id = 'x-2023'`: 0, `SELECT count(*) FROM notices`: 0} {
		var n int
		if err := f.db.Get(&n, q); err != nil || n != want {
			t.Errorf("%s = %d (%v): a refusal wrote something", q, n, err)
		}
	}
}

// A completion with text PostgreSQL cannot store is a 422 naming the field
// before anything reaches the workflow; so is a closed task's comment (409).
func TestCompletionTextAndClosedTasks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	jcg := unitID(t, f.db, "jcg")
	for _, id := range []string{"assignment.1.complete.1", "assignment.2.complete.1"} {
		if _, err := store.InsertTask(ctx, f.db, store.Task{ID: id, WorkflowID: "assignment/1", Kind: "assignment.complete", Title: "排查",
			SubjectType: "assignment", SubjectID: "1", UnitID: jcg, Role: "unit_head", DueAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for body, field := range map[string]string{
		`{"result":"已完成\u0000隐患"}`:                                    "result",
		`{"result":"已完成\ud800隐患"}`:                                    "result",
		"{\"result\":\"已完成\xff\xfe\"}":                                "result",
		`{"result":"好","attachments":[{"name":"a\u0007","ref":"r"}]}`: "attachments[0].name",
	} {
		rec := f.send(t, "POST", "/api/v1/tasks/assignment.1.complete.1/complete", "jcg-head", body)
		if rec.Code != 422 || decodeProblem(t, rec).Errors[0].Field != field {
			t.Errorf("%s: %d %s; want 422 on %s", body, rec.Code, rec.Body, field)
		}
	}
	if _, err := f.db.Exec(`UPDATE tasks SET status = 'completed', completed_at = now() WHERE id = 'assignment.2.complete.1'`); err != nil {
		t.Fatal(err)
	}
	if rec := f.send(t, "POST", "/api/v1/tasks/assignment.2.complete.1/comments", "jcg-head", map[string]any{"body": "补充说明"}); rec.Code != 409 {
		t.Errorf("comment on a completed task: %d %s", rec.Code, rec.Body)
	}
	if rec := f.send(t, "POST", "/api/v1/tasks/assignment.1.complete.1/comments", "jcg-head", map[string]any{"body": "进展\u0000"}); rec.Code != 422 {
		t.Errorf("comment with NUL: %d %s", rec.Code, rec.Body)
	}
	if rec := f.send(t, "POST", "/api/v1/tasks/assignment.1.complete.1/extension", "jcg-head",
		map[string]any{"reason": "汛期\u0000", "due_at": time.Now().Add(48 * time.Hour)}); rec.Code != 422 || decodeProblem(t, rec).Errors[0].Field != "reason" {
		t.Errorf("extension reason with NUL: %d %s", rec.Code, rec.Body)
	}
}

// A manual notice replayed with the same Idempotency-Key answers the first
// notice; a different key makes a new one.
func TestNoticeReplayAnswersTheFirst(t *testing.T) {
	f := newFixture(t)
	body := map[string]any{"units": []string{"jcg", "cm"}, "reason": "整治不重视，通报批评"}
	var first, again, other store.NoticeRow
	for _, c := range []struct {
		out *store.NoticeRow
		key string
	}{{&first, "n-1"}, {&again, "n-1"}, {&other, "n-2"}} {
		rec := f.send(t, "POST", "/api/v1/notices", "yjj-office", body, "Idempotency-Key", c.key)
		if rec.Code != 201 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		_ = json.Unmarshal(rec.Body.Bytes(), c.out)
	}
	if again.ID != first.ID || other.ID == first.ID || len(first.UnitIDs) != 2 {
		t.Fatalf("first %d, replay %d, other key %d", first.ID, again.ID, other.ID)
	}
	var n int
	_ = f.db.Get(&n, `SELECT count(*) FROM notices`)
	if n != 2 {
		t.Fatalf("%d notices, want 2", n)
	}
}

// Unapproved results are the leaders' and the safety office's to read.
func TestDraftAssessmentIsRestricted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.store.InTx(ctx, func(tx *sqlx.Tx) error {
		return store.SaveComputed(ctx, tx, seed.DemoCampaignID, 2021, 1, []domain.AssessedUnit{{UnitID: 1, UnitCode: "jcg", Kind: "town", Score: 90, Grade: domain.GradeExcellent, Rank: 1}}, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/campaigns/%s/assessments/2021", seed.DemoCampaignID)
	for person, want := range map[string]int{"jcg-head": 404, "linyou-admin": 404, "linyou-secretary": 200, "yjj-office": 200} {
		if rec := f.do(t, "GET", path, person, nil); rec.Code != want {
			t.Errorf("draft as %s: %d, want %d", person, rec.Code, want)
		}
	}
}

// A request cancelled while the server works (a client gone, a shutdown) is
// not logged as an error of the server's.
func TestCancelledRequestIsNotAnError(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/api/v1/inbox", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+f.tokens["jcg-head"])
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code == 500 || strings.Contains(f.logs.String(), `"level":"ERROR"`) {
		t.Fatalf("cancelled request: %d; log:\n%s", rec.Code, f.logs)
	}
	_ = api.RetryAfter
}

// The lists a client needs: campaigns, assigned matters (issued by or
// assigned to the caller's units, paged), one plan, interviews by status.
func TestListsAClientNeeds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var camps struct {
		Campaigns []struct {
			ID  string    `json:"id"`
			Now time.Time `json:"now"`
		} `json:"campaigns"`
	}
	if rec := f.do(t, "GET", "/api/v1/campaigns", "jcg-head", nil); rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &camps) != nil || len(camps.Campaigns) != 1 {
		t.Fatalf("campaigns: %d %s", rec.Code, rec.Body)
	}
	yjj, jcg, cm := unitID(t, f.db, "yjj"), unitID(t, f.db, "jcg"), unitID(t, f.db, "cm")
	var office int64
	_ = f.db.Get(&office, `SELECT id FROM people WHERE key = 'yjj-office'`)
	for i, assignee := range []int64{jcg, jcg, jcg, cm} {
		if _, err := store.UpsertAssignment(ctx, f.db, store.Assignment{ID: int64(i + 1), Title: "事项", Content: "内容", DueAt: time.Now().Add(time.Hour),
			IssuerUnitID: yjj, AssignerID: office, AssigneeUnitID: assignee, ReviewerUnitID: yjj, ReviewerRole: "safety_office", Ladder: store.JSON(`[]`)}); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		Assignments []store.Assignment `json:"assignments"`
		NextCursor  string             `json:"next_cursor"`
	}
	get := func(person, query string) page {
		t.Helper()
		var p page
		rec := f.do(t, "GET", "/api/v1/assignments"+query, person, nil)
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
			t.Fatalf("assignments%s as %s: %d %s", query, person, rec.Code, rec.Body)
		}
		return p
	}
	if p := get("jcg-head", ""); len(p.Assignments) != 3 {
		t.Errorf("jcg's head reads %d matters, want its 3", len(p.Assignments))
	}
	if p := get("jcg-head", "?side=issued"); len(p.Assignments) != 0 {
		t.Errorf("jcg issued %d matters, want 0", len(p.Assignments))
	}
	if p := get("linyou-secretary", ""); len(p.Assignments) != 4 {
		t.Errorf("a leader reads %d matters, want 4", len(p.Assignments))
	}
	first := get("yjj-office", "?side=issued&limit=3")
	if len(first.Assignments) != 3 || first.NextCursor == "" || first.Assignments[0].ID != 4 {
		t.Fatalf("first page %+v", first)
	}
	if rest := get("yjj-office", "?side=issued&limit=3&cursor="+first.NextCursor); len(rest.Assignments) != 1 || rest.NextCursor != "" || rest.Assignments[0].ID != 1 {
		t.Fatalf("second page %+v", rest)
	}
	if rec := f.do(t, "GET", "/api/v1/assignments?status=lost", "yjj-office", nil); rec.Code != 422 {
		t.Errorf("unknown status: %d", rec.Code)
	}
	plans, _ := store.Plans(ctx, f.db, seed.DemoCampaignID)
	var plan store.Plan
	if rec := f.do(t, "GET", fmt.Sprintf("/api/v1/plans/%d", plans[0].ID), "jcg-head", nil); rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &plan) != nil || plan.Title != plans[0].Title {
		t.Fatalf("plan: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, "GET", "/api/v1/interviews?status=closed", "yjj-office", nil); rec.Code != 200 {
		t.Fatalf("interviews by status: %d %s", rec.Code, rec.Body)
	}
	pledges := "/api/v1/campaigns/" + seed.DemoCampaignID + "/pledges?year=2021&status="
	for status, code := range map[string]int{"unsigned": 200, "in_force": 200, "lost": 422} {
		if rec := f.do(t, "GET", pledges+status, "linyou-secretary", nil); rec.Code != code {
			t.Errorf("pledges by status %s: %d %s", status, rec.Code, rec.Body)
		}
	}
}

// The API's transaction for a new assigned matter did not commit (a crash
// after the workflow started), but the process wrote its row with the
// assigner's request key: the client's retry with the same Idempotency-Key
// answers that matter, and no second one is made.
func TestAssignmentRetryAfterACrashFindsTheProcessRow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var office int64
	_ = f.db.Get(&office, `SELECT id FROM people WHERE key = 'yjj-office'`)
	yjj, jcg := unitID(t, f.db, "yjj"), unitID(t, f.db, "jcg")
	due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	a := &activities.Activities{Store: f.store}
	if err := a.RecordAssignment(ctx, contract.AssignmentRecord{ID: 41, Title: "排查液化气站", Content: "全面排查", DueAt: due, IssuerUnitID: yjj,
		AssignerID: office, AssignerKey: "yjj-office", AssigneeUnitID: jcg, ReviewerUnitID: yjj, ReviewerRole: domain.RoleSafetyOffice,
		Ladder: domain.DefaultLadder(), IdempotencyKey: "asg-crash", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rec := f.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{"title": "排查液化气站", "content": "全面排查", "due_at": due, "assignee_unit": "jcg"},
		"Idempotency-Key", "asg-crash")
	var got store.Assignment
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.ID != 41 {
		t.Fatalf("retry: %d %s; want the matter the process recorded", rec.Code, rec.Body)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM assignments`); err != nil || n != 1 {
		t.Fatalf("%d assignments (%v), want 1", n, err)
	}
}
