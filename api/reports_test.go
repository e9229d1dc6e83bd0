package api_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
)

// reportJSON is a report as the API answers it, by the JSON names a form reads.
type reportJSON struct {
	Status          string              `json:"status"`
	Figures         *domain.Figures     `json:"figures"`
	RecordedFigures *domain.Figures     `json:"recorded_figures"`
	Corrections     []domain.Correction `json:"corrections"`
	Recorded        *domain.Figures     `json:"recorded"`
}

// A report's task and the report offer the figures of its unit's records for
// the period, to prefill the form; once the unit submits, the report holds
// what it submitted beside what the records held then, the corrected figures
// named, and a retried submission records nothing again.
func TestReportOffersRecordedFigures(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	unit := func(code string) int64 {
		t.Helper()
		var id int64
		if err := f.db.Get(&id, `SELECT id FROM units WHERE code = $1`, code); err != nil {
			t.Fatal(err)
		}
		return id
	}
	zjj, yjj := unit("zjj"), unit("yjj")
	one := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := f.db.QueryRowx(q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	var admin int64
	if err := f.db.Get(&admin, `SELECT id FROM people WHERE key = 'linyou-admin'`); err != nil {
		t.Fatal(err)
	}
	// 住建局's records of March 2021: one inspection visiting its construction
	// site (a hazard found, rectified), an enforcement visit with 逢查必考 (2
	// failed), a case; a case of another month.
	site := one(`INSERT INTO units (code, name, kind, parent_id) VALUES ('rr-site', '某建筑工地', 'producer', $1) RETURNING id`, zjj)
	one(`INSERT INTO production_units (unit_id, sector, supervisor_unit_id, responsible) VALUES ($1, 'construction', $2, '项目经理') RETURNING unit_id`, site, zjj)
	inspection := func(kind, on string) int64 {
		return one(`INSERT INTO inspections (kind, title, body_unit_id, leader_id, starts_on, ends_on, created_by)
VALUES ($1, $1, $2, $3, $4, $4, $3) RETURNING id`, kind, zjj, admin, on)
	}
	insp := inspection("supervision", "2021-03-02")
	enf := inspection("enforcement", "2021-03-09")
	if _, err := f.db.Exec(`INSERT INTO inspection_visits (inspection_id, unit_id, visited_on, examined, passed) VALUES ($1, $3, '2021-03-02', 0, 0),
    ($2, $3, '2021-03-09', 5, 3)`, insp, enf, site); err != nil {
		t.Fatal(err)
	}
	one(`INSERT INTO hazards (unit_id, source, level, category, description, found_by, inspection_id, finder_unit_id, found_on, deadline,
    status, closed_at, created_by)
VALUES ($1, 'daily', 'general', '其他', '脚手架', 'inspection', $2, $3, '2021-03-02', '2021-03-20', 'closed', '2021-03-12T10:00:00+08:00', $4) RETURNING id`,
		site, insp, zjj, admin)
	for _, filed := range []string{"2021-03-15", "2021-04-02"} {
		one(`INSERT INTO cases (unit_id, authority_id, violation, legal_basis, filed_on, created_by)
VALUES ($1, $2, '违法行为', '《安全生产法》', $3, $4) RETURNING id`, site, zjj, filed, admin)
	}
	recorded := domain.Figures{Inspections: 2, UnitsInspected: 1, HazardsFound: domain.HazardCounts{Daily: 1},
		HazardsRectified: domain.HazardCounts{Daily: 1}, ViolationsFiled: 1, PeopleTrained: 2}

	// The report of March and its submit task, as the report process records them.
	a := &activities.Activities{Store: f.store}
	camp := seed.DemoCampaignID
	loc, _ := time.LoadLocation("Asia/Shanghai")
	due := time.Date(2021, 4, 5, 18, 0, 0, 0, loc)
	spec := domain.ReportSpec{ID: contract.ReportID(camp, "zjj", "2021-03"), CampaignID: camp, Period: "2021-03", UnitID: zjj,
		UnitCode: "zjj", OfficeUnitID: yjj, DueAt: due}
	at := time.Date(2021, 4, 1, 9, 0, 0, 0, loc)
	if err := a.RecordReport(ctx, contract.RecordReportInput{Spec: spec, At: at}); err != nil {
		t.Fatal(err)
	}
	taskID := contract.TaskID(spec.ID, "submit", 1)
	if err := a.CreateTask(ctx, domain.TaskSpec{ID: taskID, WorkflowID: spec.ID, Kind: domain.KindReportSubmit, Title: "报送", CampaignID: camp,
		SubjectType: domain.SubjectReport, SubjectID: spec.ID, UnitID: zjj, Role: domain.RoleUnitHead, IssuerUnitID: yjj, DueAt: due, CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	reportPath := "/api/v1/reports/" + camp + "/zjj/2021-03"
	get := func(path, person string, out any) {
		t.Helper()
		rec := f.do(t, "GET", path, person, nil)
		if rec.Code != 200 {
			t.Fatalf("GET %s as %s: %d %s", path, person, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
	var detail struct {
		Report *reportJSON `json:"report"`
	}
	get("/api/v1/tasks/"+taskID, "zjj-head", &detail)
	if r := detail.Report; r == nil || r.Recorded == nil || *r.Recorded != recorded || r.Figures != nil || r.RecordedFigures != nil ||
		r.Corrections == nil || len(r.Corrections) != 0 {
		t.Fatalf("the submit task's report: %+v, want recorded %+v and nothing submitted", r, recorded)
	}
	var due1 reportJSON
	get(reportPath, "zjj-head", &due1)
	if due1.Recorded == nil || *due1.Recorded != recorded || due1.Status != "due" {
		t.Fatalf("the due report: %+v", due1)
	}

	// The unit submits: two figures corrected, one confirmed by leaving it, its
	// training sessions its own; the activity retried after a record is added
	// writes nothing again.
	submitted := recorded
	submitted.Inspections, submitted.HazardsFound.Daily, submitted.HazardsRectified.Daily, submitted.TrainingSessions = 3, 2, 1, 1
	step := contract.Step{Subject: domain.SubjectReport, ID: spec.ID, Status: domain.ReportSubmitted, Round: 1, By: "zjj-head", At: at.Add(time.Hour),
		Outcome: domain.Completion{Report: &domain.Report{Figures: submitted, Problems: "无", NextSteps: "继续"}}}
	if err := a.RecordStep(ctx, step); err != nil {
		t.Fatal(err)
	}
	inspection("daily", "2021-03-30") // recorded after the submission
	if err := a.RecordStep(ctx, step); err != nil {
		t.Fatal(err)
	}
	now := recorded
	now.Inspections = 3
	wantCorrections := []domain.Correction{{Field: "figures.inspections", Submitted: 3, Recorded: 2},
		{Field: "figures.hazards_found.daily", Submitted: 2, Recorded: 1}}
	check := func(what string, r *reportJSON) {
		t.Helper()
		if r == nil || r.Status != "submitted" || r.Figures == nil || *r.Figures != submitted || r.RecordedFigures == nil || *r.RecordedFigures != recorded ||
			!slices.Equal(r.Corrections, wantCorrections) || r.Recorded == nil || *r.Recorded != now {
			t.Errorf("%s: %+v\nwant submitted %+v, recorded at submission %+v, corrections %+v, recorded now %+v",
				what, r, submitted, recorded, wantCorrections, now)
		}
	}
	var sent reportJSON
	get(reportPath, "zjj-head", &sent)
	check("the report", &sent)
	get(reportPath, "yjj-office", &sent)
	check("the report to the safety office", &sent)
	detail.Report = nil
	get("/api/v1/tasks/"+taskID, "zjj-head", &detail)
	check("the task's report", detail.Report)

	// The list holds what was submitted and recorded, and the corrections.
	var list struct{ Reports []reportJSON }
	get("/api/v1/campaigns/"+camp+"/reports?period=2021-03", "zjj-head", &list)
	if len(list.Reports) != 1 || !slices.Equal(list.Reports[0].Corrections, wantCorrections) || list.Reports[0].RecordedFigures == nil {
		t.Errorf("list: %+v", list.Reports)
	}

	// Another unit's people see neither the report nor its task.
	for _, path := range []string{reportPath, "/api/v1/tasks/" + taskID} {
		if rec := f.do(t, "GET", path, "jcg-head", nil); rec.Code != 404 && rec.Code != 403 {
			t.Errorf("GET %s as another unit's head: %d", path, rec.Code)
		}
	}
}
