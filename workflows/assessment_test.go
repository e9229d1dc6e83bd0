package workflows_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The 2021 assessment: scores from the ledger, the veto of a town with a major
// accident, grades, ranks within kind; the leader returns the first results, a
// correction is booked, the second are approved, published, frozen, and the
// bottom unit of each kind is summoned.
func TestAnnualAssessment(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	unit := func(code string) int64 {
		u, err := store.UnitByCode(ctx, s.DB, code)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	camp := seed.DemoCampaignID
	book := func(key, code string, points float64) {
		c := camp
		if _, err := store.AddLedgerEntry(ctx, s.DB, store.LedgerEntry{Key: key, CampaignID: &c, Year: 2021, UnitID: unit(code), Points: points, Reason: key, Process: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	book("gaj-late", "gaj", -35)
	book("cm-late", "cm", -8)
	book("gjh-late", "gjh", -3)
	if _, err := store.RecordAccident(ctx, s.DB, camp, unit("zx"), time.Date(2021, 8, 3, 0, 0, 0, 0, cst), "招贤镇发生一起较大道路运输事故", "linyou-secretary"); err != nil {
		t.Fatal(err)
	}
	county := unit("linyou")

	env := newEnv()
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(time.Date(2022, 1, 2, 9, 0, 0, 0, cst))
	env.SetDetachedChildWait(false)
	wid := contract.AssessmentID(camp, 2021)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: wid})
	var errs []error
	decide := func(d time.Duration, round int, payload any) {
		env.RegisterDelayedCallback(func() {
			id := contract.TaskID(wid, "approve", round)
			env.UpdateWorkflow(contract.UpdateCompleteTask, id, updateCallback(collect(&errs, id)),
				completeRequest(ids, id, "assessment.approve", "linyou-magistrate", payload))
		}, d)
	}
	env.RegisterDelayedCallback(func() { book("gaj-correction", "gaj", 5) }, 20*time.Hour) // a deduction found excessive
	decide(day, 1, map[string]any{"decision": "return", "comment": "公安局扣分有误，请核减后重新计算"})
	decide(2*day, 2, map[string]any{"decision": "approve"})
	env.ExecuteWorkflow(contract.AssessmentWorkflow, contract.AssessmentInput{CampaignID: camp, Year: 2021, LeaderUnitID: county})
	for _, err := range errs {
		t.Error(err)
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res contract.AssessmentResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Rounds != 2 {
		t.Fatalf("result %+v (%v)", res, err)
	}
	by := map[string]domain.AssessedUnit{}
	for _, u := range res.Results {
		by[u.UnitCode] = u
	}
	checks := []struct {
		code, grade string
		score       float64
		rank        int
		summoned    bool
	}{
		{"gaj", "pass", 70, 14, true}, // last of 14 departments after the correction
		{"yjj", "excellent", 100, 1, false},
		{"zx", "fail", 100, 7, true}, // vetoed: fails and ranks last of 7 towns whatever its score
		{"cm", "excellent", 92, 6, false},
		{"gjh", "excellent", 97, 4, true}, // last of the 4 mines
	}
	for _, c := range checks {
		u := by[c.code]
		if u.Grade != c.grade || u.Score != c.score || u.Rank != c.rank || u.Summoned != c.summoned {
			t.Errorf("%s: %+v; want grade %s score %v rank %d summoned %v", c.code, u, c.grade, c.score, c.rank, c.summoned)
		}
	}
	a, err := store.AssessmentOf(ctx, s.DB, camp, 2021)
	if err != nil || a.Status != domain.AssessmentPublished || a.Round != 2 || a.ApprovedBy == nil || *a.ApprovedBy != "linyou-magistrate" {
		t.Fatalf("assessment %+v (%v)", a, err)
	}
	if _, err := s.DB.Exec(`UPDATE assessments SET round = 9`); err == nil {
		t.Fatal("a published assessment was changed")
	}
	var summoned []string
	if err := s.DB.Select(&summoned, `SELECT u.code FROM interviews i JOIN units u ON u.id = i.unit_id WHERE i.source = 'ranking' ORDER BY u.code`); err != nil {
		t.Fatal(err)
	}
	if len(summoned) != 3 || summoned[0] != "gaj" || summoned[1] != "gjh" || summoned[2] != "zx" {
		t.Fatalf("summoned %v; want gaj, gjh, zx", summoned)
	}
}
