package workflows_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/demo/virtual"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// expected derives, from the behaviour model alone, what the default ladders
// must do: a report late d days loses a point (d ≥ 1), gets a notice (d ≥ 3),
// an interview and three more points (d ≥ 10); a pledge late d days gets a
// notice (d ≥ 7), an interview and two points off (d ≥ 15). Deductions count
// in the year of the period or pledge they concern (December's report, late in
// January, in December's year).
type expected struct {
	lateReports, notices, interviews, deductions int
	lost                                         map[int]map[string]float64 // year → unit → points lost
}

func expect(m demo.Model, units []domain.Unit, campaign string, periods []string, years []int) expected {
	e := expected{lost: map[int]map[string]float64{}}
	lose := func(year int, unit string, pts float64) {
		if e.lost[year] == nil {
			e.lost[year] = map[string]float64{}
		}
		e.lost[year][unit] += pts
		e.deductions++
	}
	for _, u := range units {
		for _, period := range periods {
			id := contract.TaskID(contract.ReportID(campaign, u.Code, period), "submit", 1)
			d := m.LateDays(store.Task{ID: id, Kind: string(domain.KindReportSubmit), UnitCode: u.Code})
			month, _ := time.ParseInLocation("2006-01", period, cst)
			year := month.Year()
			if d >= 1 {
				e.lateReports++
				lose(year, u.Code, 1)
			}
			if d >= 3 {
				e.notices++
			}
			if d >= 10 {
				e.interviews++
				lose(year, u.Code, 3)
			}
		}
		for _, y := range years {
			id := contract.TaskID(contract.PledgeID(campaign, y, u.Code), "sign", 1)
			d := m.LateDays(store.Task{ID: id, Kind: string(domain.KindPledgeSign), UnitCode: u.Code})
			if d >= 7 {
				e.notices++
			}
			if d >= 15 {
				e.interviews++
				lose(y, u.Code, 2)
			}
		}
	}
	return e
}

// The whole three-year demo campaign (2020-04 to 2022-12) over the demo
// county's 25 units, in virtual time, with the default behaviour model acting
// on every task. Counts of pledges, reports, notices, interviews and
// deductions, and every year's ranking, are checked against what the model
// and the default ladders imply.
func TestThreeYearDemoCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("three virtual years")
	}
	ctx := context.Background()
	s := testdb.NewCounty(t).Store
	camp, err := store.CampaignByID(ctx, s.DB, seed.DemoCampaignID)
	if err != nil {
		t.Fatal(err)
	}
	county, err := store.CountyUnit(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv()
	sizes := &runSizes{workflowType: contract.CampaignWorkflow}
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{sizes}})
	engine.Register(env, &activities.Activities{Store: s})
	virtual.Register(env)
	start := time.Date(2020, 3, 31, 23, 0, 0, 0, cst)
	env.SetStartTime(start)
	env.SetTestTimeout(15 * time.Minute)
	env.SetDetachedChildWait(false)
	model := demo.DefaultModel()
	p := &virtual.Player{Env: env, Store: s, Model: model, Every: 6 * time.Hour}
	p.Start()
	cal := domain.BuildCalendar(camp.StartsOn, camp.EndsOn, cst, camp.FullPolicy().Assessment)
	env.ExecuteWorkflow(virtual.CampaignDriver, contract.CampaignInput{ID: camp.ID, LeaderUnitID: county.ID, Calendar: cal}, 60*24*time.Hour)
	p.Stop()
	if len(p.Errs) > 0 {
		t.Fatalf("%d errors acting, first: %s", len(p.Errs), p.Errs[0])
	}
	progress := workflowResult[contract.CampaignProgress](t, env)
	if progress.Next != len(cal) || progress.Ended {
		t.Fatalf("progress %+v; want all %d events started", progress, len(cal))
	}
	// One run per month of reports (33), then the last: each small, far under Temporal's 4,096-event mark.
	if len(sizes.runs) != 34 || sizes.largest() >= 4096 {
		t.Fatalf("%d runs of the campaign, the largest at most %d events; want 34 runs, each under 4,096", len(sizes.runs), sizes.largest())
	}

	units, err := store.ReportingUnits(ctx, s.DB, camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	var periods []string
	for m := time.Date(2020, 4, 1, 0, 0, 0, 0, cst); m.Before(time.Date(2023, 1, 1, 0, 0, 0, 0, cst)); m = m.AddDate(0, 1, 0) {
		periods = append(periods, m.Format("2006-01"))
	}
	years := []int{2020, 2021, 2022}
	want := expect(model, units, camp.ID, periods, years)
	count := func(q string, args ...any) int { return testdb.Count(t, s.DB, q, args...) }
	got := map[string]int{
		"pledges in force":   count(`SELECT count(*) FROM pledges WHERE status = 'in_force'`),
		"reports accepted":   count(`SELECT count(*) FROM reports WHERE status = 'accepted'`),
		"late reports":       count(`SELECT count(*) FROM reports WHERE status = 'accepted' AND late_seconds > 0`),
		"notices":            count(`SELECT count(*) FROM notices`),
		"interviews":         count(`SELECT count(*) FROM interviews`),
		"interviews closed":  count(`SELECT count(*) FROM interviews WHERE status = 'closed'`),
		"deductions":         count(`SELECT count(*) FROM score_ledger`),
		"open tasks":         count(`SELECT count(*) FROM tasks WHERE status = 'open'`),
		"published years":    count(`SELECT count(*) FROM assessments WHERE status = 'published'`),
		"ranking interviews": count(`SELECT count(*) FROM interviews WHERE source = 'ranking'`),
	}
	// Each year the bottom unit of each kind is summoned — every unit tied with
	// it too — unless it kept the whole base score.
	summon := map[int][]string{}
	for _, y := range years {
		lowest := map[string]float64{}
		for _, u := range units {
			if l, ok := lowest[u.Kind.String()]; !ok || 100-want.lost[y][u.Code] < l {
				lowest[u.Kind.String()] = 100 - want.lost[y][u.Code]
			}
		}
		for _, u := range units {
			if score := 100 - want.lost[y][u.Code]; score == lowest[u.Kind.String()] && score < 100 {
				summon[y] = append(summon[y], u.Code)
			}
		}
		slices.Sort(summon[y])
	}
	ranked := 0
	for _, codes := range summon {
		ranked += len(codes)
	}
	wantCounts := map[string]int{
		"pledges in force":   25 * len(years),
		"reports accepted":   len(units) * len(periods),
		"late reports":       want.lateReports,
		"notices":            want.notices,
		"interviews":         want.interviews + ranked,
		"interviews closed":  want.interviews + ranked,
		"deductions":         want.deductions,
		"open tasks":         0,
		"published years":    len(years),
		"ranking interviews": ranked,
	}
	for k, w := range wantCounts {
		if got[k] != w {
			t.Errorf("%s: %d, want %d", k, got[k], w)
		}
	}
	t.Logf("three years: %v; %d runs of the campaign, each at most %d events", got, len(sizes.runs), sizes.largest())
	if want.lateReports < 66 || want.interviews < 33 {
		t.Fatalf("the model makes too few late reports (%d) or interviews (%d) to test anything", want.lateReports, want.interviews)
	}

	// Every year's published ranking: scores from the model, ranked within kind
	// (tied units share a rank), the vetoed none; the summoned as above.
	for _, y := range years {
		a, err := store.AssessmentOf(ctx, s.DB, camp.ID, y)
		if err != nil {
			t.Fatal(err)
		}
		byKind := map[string][]domain.AssessedUnit{}
		for _, r := range a.Results {
			if w := 100 - want.lost[y][r.UnitCode]; r.Score != w {
				t.Errorf("%d: %s scores %v, want %v", y, r.UnitCode, r.Score, w)
			}
			byKind[r.Kind] = append(byKind[r.Kind], r)
		}
		for kind, rs := range byKind {
			for i, r := range rs {
				better := 0
				for _, o := range rs {
					if o.Score > r.Score {
						better++
					}
				}
				if r.Rank != better+1 {
					t.Errorf("%d: %s (%s, %v points, #%d in order) ranks %d, want %d", y, r.UnitCode, kind, r.Score, i, r.Rank, better+1)
				}
			}
		}
		var got []string
		if err := s.DB.Select(&got, `SELECT u.code FROM interviews i JOIN units u ON u.id = i.unit_id
WHERE i.source = 'ranking' AND i.reason_key = $1 ORDER BY u.code`, fmt.Sprintf("ranking:%d", y)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, summon[y]) {
			t.Errorf("%d: summoned %v, want %v", y, got, summon[y])
		}
		if !slices.Contains(got, "cm") || !slices.Contains(got, "gaj") {
			t.Errorf("%d: summoned %v; the model's laggards cm and gaj must be among them", y, got)
		}
	}
}
