package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The report matrix holds every participating reporting unit, departments then
// towns then enterprises, × every month from the campaign's first to the
// latest with a report; each cell the report's status, lateness and task, or
// missing.
func TestReportMatrix(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	db := c.DB
	camp := seed.DemoCampaignID

	// Before any report: every unit, no month.
	m, err := store.ReportMatrix(ctx, db, camp)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Periods) != 0 {
		t.Fatalf("periods %v before any report, want none", m.Periods)
	}
	if len(m.Rows) != 25 {
		t.Fatalf("%d rows, want the 25 reporting units", len(m.Rows))
	}
	var codes []string
	kinds := map[string]int{}
	for i, r := range m.Rows {
		codes = append(codes, r.Unit.Code)
		kinds[r.Unit.Kind.String()]++
		if len(r.Cells) != 0 {
			t.Fatalf("row %s has %d cells before any report", r.Unit.Code, len(r.Cells))
		}
		if i > 0 {
			prev := m.Rows[i-1].Unit
			if prev.Kind == r.Unit.Kind && prev.ID > r.Unit.ID {
				t.Errorf("%s before %s: not in registration order within the kind", prev.Code, r.Unit.Code)
			}
		}
	}
	if kinds["department"] != 14 || kinds["town"] != 7 || kinds["enterprise"] != 4 {
		t.Fatalf("kinds %v", kinds)
	}
	if codes[0] != "yjj" || codes[14] != "jcg" || codes[21] != "gjh" {
		t.Fatalf("order %v: want departments (yjj first), towns (jcg first), enterprises (gjh first)", codes)
	}

	loc := time.FixedZone("CST", 8*3600)
	due := func(period string) time.Time {
		p, _ := time.Parse("2006-01", period)
		return time.Date(p.Year(), p.Month()+1, 5, 18, 0, 0, 0, loc)
	}
	report := func(unit, period string) string {
		t.Helper()
		id := domain.ReportWorkflowID(camp, unit, period)
		spec := domain.ReportSpec{ID: id, CampaignID: camp, Period: period, UnitID: c.Units[unit], UnitCode: unit, DueAt: due(period)}
		if _, err := store.InsertReport(ctx, db, spec, due(period).AddDate(0, -1, 0)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	step := func(id string, status domain.Status, at time.Time) {
		t.Helper()
		u := store.ReportUpdate{ID: id, Status: status, Round: 1, By: "test", At: at, Comment: "请补充"}
		if status == domain.ReportSubmitted {
			u.Report = &domain.Report{Problems: "无", NextSteps: "继续"}
		}
		if _, _, err := store.UpdateReport(ctx, db, u); err != nil {
			t.Fatal(err)
		}
	}
	task := func(id, report, kind, status string, created time.Time) {
		t.Helper()
		if _, err := store.InsertTask(ctx, db, store.Task{ID: id, WorkflowID: report, Kind: kind, Title: id, SubjectType: domain.SubjectReport,
			SubjectID: report, CampaignID: &camp, UnitID: c.Units["yjj"], Role: "unit_head", DueAt: created.Add(72 * time.Hour), CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
		if status != "open" {
			if _, err := db.Exec(`UPDATE tasks SET status = $2 WHERE id = $1`, id, status); err != nil {
				t.Fatal(err)
			}
		}
	}

	// jcg: April on time, May late; cm: April returned; gaj: June due with an open task.
	onTime := report("jcg", "2020-04")
	step(onTime, domain.ReportSubmitted, due("2020-04").Add(-48*time.Hour))
	step(onTime, domain.ReportAccepted, due("2020-04").Add(-24*time.Hour))
	task(onTime+"/submit.1", onTime, string(domain.KindReportSubmit), "completed", due("2020-04").Add(-20*24*time.Hour))
	task(onTime+"/review.1", onTime, string(domain.KindReportReview), "completed", due("2020-04").Add(-48*time.Hour))

	late := report("jcg", "2020-05")
	step(late, domain.ReportSubmitted, due("2020-05").Add(24*time.Hour))
	step(late, domain.ReportAccepted, due("2020-05").Add(50*time.Hour))

	returned := report("cm", "2020-04")
	step(returned, domain.ReportSubmitted, due("2020-04").Add(-48*time.Hour))
	step(returned, domain.ReportReturned, due("2020-04").Add(-24*time.Hour))

	open := report("gaj", "2020-06")
	task(open+"/submit.1", open, string(domain.KindReportSubmit), "open", due("2020-06").Add(-20*24*time.Hour))
	task(open+"/old", open, string(domain.KindReportSubmit), "cancelled", due("2020-06").Add(-10*24*time.Hour))

	// Another campaign's reports stay out of this one's matrix.
	other := store.Campaign{ID: "other", Name: "其他行动", TimeZone: "Asia/Shanghai", StartsOn: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		EndsOn: time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC), Policy: store.JSON(`{}`)}
	if err := store.UpsertCampaign(ctx, db, other); err != nil {
		t.Fatal(err)
	}
	if err := store.SetParticipants(ctx, db, "other", []int64{c.Units["cm"], c.Units["jcg"]}); err != nil {
		t.Fatal(err)
	}
	spec := domain.ReportSpec{ID: "report/other/cm/2020-09", CampaignID: "other", Period: "2020-09", UnitID: c.Units["cm"], DueAt: due("2020-09")}
	if _, err := store.InsertReport(ctx, db, spec, due("2020-08")); err != nil {
		t.Fatal(err)
	}

	m, err = store.ReportMatrix(ctx, db, camp)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2020-04", "2020-05", "2020-06"}; !slices.Equal(m.Periods, want) {
		t.Fatalf("periods %v, want %v", m.Periods, want)
	}
	if m.CampaignName != "麟游县安全生产专项整治三年行动" || m.TimeZone != "Asia/Shanghai" {
		t.Errorf("campaign %q %q", m.CampaignName, m.TimeZone)
	}
	cells := map[string][]store.MatrixCell{}
	for _, r := range m.Rows {
		if len(r.Cells) != 3 {
			t.Fatalf("row %s: %d cells, want 3", r.Unit.Code, len(r.Cells))
		}
		for i, cell := range r.Cells {
			if cell.Period != m.Periods[i] {
				t.Fatalf("row %s cell %d is %s, want %s", r.Unit.Code, i, cell.Period, m.Periods[i])
			}
		}
		cells[r.Unit.Code] = r.Cells
	}
	check := func(unit string, i int, state string, lateness bool, reportID, taskID string, taskOpen bool) {
		t.Helper()
		cell := cells[unit][i]
		if cell.State() != state || cell.Late != lateness || cell.ReportID != reportID || cell.TaskID != taskID || cell.TaskOpen != taskOpen {
			t.Errorf("%s %s: %+v; want %s late=%v report %q task %q open=%v", unit, cell.Period, cell, state, lateness, reportID, taskID, taskOpen)
		}
		if cell.Missing != (state == store.MatrixMissing) || (cell.DueAt == nil) != cell.Missing {
			t.Errorf("%s %s: missing %v, due %v", unit, cell.Period, cell.Missing, cell.DueAt)
		}
	}
	check("jcg", 0, "accepted", false, onTime, onTime+"/review.1", false)
	check("jcg", 1, "accepted", true, late, "", false)
	check("jcg", 2, store.MatrixMissing, false, "", "", false)
	check("cm", 0, "returned", false, returned, "", false)
	check("cm", 1, store.MatrixMissing, false, "", "", false)
	check("gaj", 2, "due", false, open, open+"/submit.1", true)
	check("gaj", 0, store.MatrixMissing, false, "", "", false)
	check("gjh", 1, store.MatrixMissing, false, "", "", false)
	if got := cells["jcg"][1].LateSeconds; got != 50*3600 {
		t.Errorf("late seconds %d, want %d", got, 50*3600)
	}
	if got := cells["gaj"][2].TaskKind; got != string(domain.KindReportSubmit) {
		t.Errorf("task kind %q", got)
	}
	if !cells["gaj"][2].DueAt.Equal(due("2020-06")) {
		t.Errorf("due %v, want %v", cells["gaj"][2].DueAt, due("2020-06"))
	}

	// The other campaign: its two participants, its first month to its report's.
	o, err := store.ReportMatrix(ctx, db, "other")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Rows) != 2 || o.Rows[0].Unit.Code != "jcg" || o.Rows[1].Unit.Code != "cm" {
		t.Fatalf("other campaign rows %+v", o.Rows)
	}
	if len(o.Periods) != 9 || o.Periods[0] != "2020-01" || o.Periods[8] != "2020-09" {
		t.Fatalf("other campaign periods %v", o.Periods)
	}
	if o.Rows[1].Cells[8].State() != "due" || o.Rows[0].Cells[8].State() != store.MatrixMissing {
		t.Fatalf("other campaign September: %+v %+v", o.Rows[1].Cells[8], o.Rows[0].Cells[8])
	}

	if _, err := store.ReportMatrix(ctx, db, "no-such-campaign"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown campaign: %v, want not found", err)
	}
}
