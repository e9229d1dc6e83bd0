package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// loanFixture seeds gjh's 自救器 (10 in stock, minimum min) and a loan of n to yzg.
func loanFixture(t *testing.T, purpose string, n, min int) (*store.Store, map[string]int64, domain.LoanSpec) {
	t.Helper()
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	unit := func(code string) domain.Unit {
		u, err := store.UnitByCode(ctx, s.DB, code)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	gjh, yzg, yjj := unit("gjh"), unit("yzg"), unit("yjj")
	qty := 10
	item, err := store.InsertMaterial(ctx, s.DB, gjh.ID, ids["gjh-head"], "gjh-head", "", domain.MaterialInput{Name: "自救器", Spec: "ZYX45", UOM: "台",
		Quantity: &qty, MinStock: min, Location: "井口库房"}, t0.Add(-day))
	if err != nil {
		t.Fatal(err)
	}
	id, err := store.NextLoanID(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	return s, ids, domain.LoanSpec{ID: id, RequesterUnitID: yzg.ID, RequesterCode: "yzg", RequesterName: yzg.Name, OwnerUnitID: gjh.ID, OwnerCode: "gjh",
		OwnerName: gjh.Name, Purpose: purpose, Reason: "2号回风巷火情", Items: []domain.LoanItem{{ItemID: item, Name: "自救器", Spec: "ZYX45", UOM: "台", Quantity: n}},
		ReturnDays: 7, BureauUnitID: yjj.ID, RequestedBy: "yzg-head", RequesterID: ids["yzg-head"], CreatedAt: t0}
}

func stockOf(t *testing.T, s *store.Store, id int64) (quantity, lent int) {
	t.Helper()
	m, err := store.MaterialByID(context.Background(), s.DB, id, t0)
	if err != nil {
		t.Fatal(err)
	}
	return m.Quantity, m.Lent
}

// An emergency loan played on time: 园子沟 asks 郭家河 for 5 self-rescuers; the
// head approves within the hour and hands over, which moves the stock (10 →
// 5 in store, 5 lent); a hand-over the stock no longer covers is refused
// naming items[0].quantity and the task stays open; 园子沟 replaces them on day
// 3, which moves them back. No rung fires; the ledger holds each movement once.
func TestEmergencyLoanOnTime(t *testing.T) {
	s, ids, spec := loanFixture(t, domain.PurposeEmergency, 5, 2)
	item := spec.Items[0].ItemID
	id := contract.LoanID(spec.ID)
	env := newEnv()
	env.SetTestTimeout(time.Minute) // real database activities: a saturated machine can hold one up past the default 3 s
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	var errs []error
	complete := func(step, kind, person string, at time.Duration, payload map[string]any, fail func(error)) {
		env.RegisterDelayedCallback(func() {
			task := contract.TaskID(id, step, 1)
			env.UpdateWorkflow(contract.UpdateCompleteTask, step+at.String(), updateCallback(fail), completeRequest(ids, task, kind, person, payload))
		}, at)
	}
	complete("approve", string(domain.KindLoanApprove), "gjh-head", 30*time.Minute, map[string]any{"decision": "approve"}, collect(&errs, "approve"))
	// Someone took the stock in between: the hand-over is refused, nothing moves.
	env.RegisterDelayedCallback(func() {
		if _, err := s.DB.Exec(`UPDATE material_items SET quantity = 3 WHERE id = $1`, item); err != nil {
			t.Error(err)
		}
	}, 40*time.Minute)
	var short error
	complete("handover", string(domain.KindLoanHandover), "gjh-head", 45*time.Minute, map[string]any{}, func(err error) { short = err })
	var during [2]int
	env.RegisterDelayedCallback(func() {
		during[0], during[1] = stockOf(t, s, item)
		if _, err := s.DB.Exec(`UPDATE material_items SET quantity = 10 WHERE id = $1`, item); err != nil {
			t.Error(err)
		}
	}, 50*time.Minute)
	complete("handover", string(domain.KindLoanHandover), "gjh-head", time.Hour, map[string]any{"note": "已交园子沟救护队"}, collect(&errs, "handover"))
	var lentOut [2]int
	env.RegisterDelayedCallback(func() { lentOut[0], lentOut[1] = stockOf(t, s, item) }, 2*time.Hour)
	complete("return", string(domain.KindLoanReturn), "yzg-head", 3*day, map[string]any{"how": "replace", "note": "已用新品更换"}, collect(&errs, "return"))
	env.ExecuteWorkflow(contract.MaterialLoanWorkflow, spec)
	if err := env.GetWorkflowError(); err != nil || len(errs) > 0 {
		t.Fatalf("workflow %v, updates %v", err, errs)
	}
	var res contract.LoanResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Status != domain.LoanReturned || res.ReturnHow != domain.ReturnReplace {
		t.Fatalf("result %+v %v", res, err)
	}
	var app *temporal.ApplicationError
	if !errors.As(short, &app) || app.Type() != contract.ErrInsufficientStock {
		t.Fatalf("hand-over beyond the stock: %v", short)
	}
	var fields []domain.FieldError
	if err := app.Details(&fields); err != nil || len(fields) != 1 || fields[0].Field != "items[0].quantity" {
		t.Fatalf("refusal names %+v (%v)", fields, err)
	}
	if during != [2]int{3, 0} {
		t.Errorf("after the refused hand-over: quantity, lent = %v, want 3, 0", during)
	}
	if lentOut != [2]int{5, 5} {
		t.Errorf("after the hand-over: quantity, lent = %v, want 5, 5", lentOut)
	}
	if q, l := stockOf(t, s, item); q != 10 || l != 0 {
		t.Errorf("after the return: quantity %d, lent %d, want 10, 0", q, l)
	}
	var kinds []string
	if err := s.DB.Select(&kinds, `SELECT kind || ':' || quantity_delta FROM material_movements WHERE item_id = $1 ORDER BY id`, item); err != nil {
		t.Fatal(err)
	}
	if want := []string{"stock:10", "handover:-5", "return:5"}; len(kinds) != 3 || kinds[0] != want[0] || kinds[1] != want[1] || kinds[2] != want[2] {
		t.Errorf("ledger %v, want %v", kinds, want)
	}
	var fired int
	if err := s.DB.Get(&fired, `SELECT count(*) FROM audit_log WHERE action = 'rung.fired'`); err != nil || fired != 0 {
		t.Errorf("%d rungs fired (%v), want none", fired, err)
	}
	l, err := store.LoanByID(context.Background(), s.DB, spec.ID)
	if err != nil || l.Status != domain.LoanReturned || l.ApprovedAt == nil || !l.ApprovedAt.Equal(t0.Add(30*time.Minute)) ||
		l.HandedOverAt == nil || !l.HandedOverAt.Equal(t0.Add(time.Hour)) || l.ReturnHow == nil || *l.ReturnHow != "replace" {
		t.Fatalf("loan %+v %v", l, err)
	}
}

// The loser of a race for the last of an item: 郭家河 approves, but another
// loan took its stock, so the hand-over is refused; its head then answers
// that it cannot supply them (the reason required), which ends the loan
// unsupplied with nothing moved, and the hand-over's ladder stops there.
func TestLoanTheOwnerCannotSupply(t *testing.T) {
	s, ids, spec := loanFixture(t, domain.PurposeEmergency, 5, 0)
	item := spec.Items[0].ItemID
	id := contract.LoanID(spec.ID)
	env := newEnv()
	env.SetTestTimeout(time.Minute) // real database activities: a saturated machine can hold one up past the default 3 s
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	var errs []error
	complete := func(step, kind string, at time.Duration, payload map[string]any, fail func(error)) {
		env.RegisterDelayedCallback(func() {
			task := contract.TaskID(id, step, 1)
			env.UpdateWorkflow(contract.UpdateCompleteTask, step+at.String(), updateCallback(fail), completeRequest(ids, task, kind, "gjh-head", payload))
		}, at)
	}
	complete("approve", string(domain.KindLoanApprove), 30*time.Minute, map[string]any{"decision": "approve"}, collect(&errs, "approve"))
	env.RegisterDelayedCallback(func() {
		if _, err := s.DB.Exec(`UPDATE material_items SET quantity = 2 WHERE id = $1`, item); err != nil {
			t.Error(err)
		}
	}, 40*time.Minute)
	var short, noReason error
	complete("handover", string(domain.KindLoanHandover), 45*time.Minute, map[string]any{}, func(err error) { short = err })
	complete("handover", string(domain.KindLoanHandover), 50*time.Minute, map[string]any{"decision": "unable"}, func(err error) { noReason = err })
	complete("handover", string(domain.KindLoanHandover), 55*time.Minute, map[string]any{"decision": "unable", "note": "自救器已借给招贤煤矿，库存仅余2台"},
		collect(&errs, "unable"))
	env.ExecuteWorkflow(contract.MaterialLoanWorkflow, spec)
	if err := env.GetWorkflowError(); err != nil || len(errs) > 0 {
		t.Fatalf("workflow %v, updates %v", err, errs)
	}
	var res contract.LoanResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Status != domain.LoanUnsupplied {
		t.Fatalf("result %+v %v", res, err)
	}
	var app *temporal.ApplicationError
	if !errors.As(short, &app) || app.Type() != contract.ErrInsufficientStock {
		t.Fatalf("hand-over beyond the stock: %v", short)
	}
	if !errors.As(noReason, &app) || app.Type() != contract.ErrInvalidPayload {
		t.Fatalf("unable without a reason: %v", noReason)
	}
	if q, l := stockOf(t, s, item); q != 2 || l != 0 {
		t.Errorf("quantity %d, lent %d, want 2, 0: nothing moved", q, l)
	}
	l, err := store.LoanByID(context.Background(), s.DB, spec.ID)
	if err != nil || l.Status != domain.LoanUnsupplied || l.HandedOverAt != nil {
		t.Fatalf("loan %+v %v", l, err)
	}
	var after int
	if err := s.DB.Get(&after, `SELECT count(*) FROM audit_log WHERE action = 'rung.fired' AND at > $1`, t0.Add(55*time.Minute)); err != nil || after != 0 {
		t.Errorf("%d rungs after the loan ended (%v)", after, err)
	}
}

// An emergency request whose owner is late escalates within hours: the
// approval is due 2 hours after the request; 郭家河 hears reminders at 1 h and
// 2 h and the emergency bureau's supervision letter at 3 h, and refuses at 5 h
// (before the notice at 6 h). Nothing is lent.
func TestLateEmergencyApprovalEscalatesWithinHours(t *testing.T) {
	s, ids, spec := loanFixture(t, domain.PurposeEmergency, 5, 2)
	id := contract.LoanID(spec.ID)
	env := newEnv()
	env.SetTestTimeout(time.Minute) // real database activities: a saturated machine can hold one up past the default 3 s
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	var errs []error
	env.RegisterDelayedCallback(func() {
		task := contract.TaskID(id, "approve", 1)
		env.UpdateWorkflow(contract.UpdateCompleteTask, "refuse", updateCallback(collect(&errs, "refuse")),
			completeRequest(ids, task, string(domain.KindLoanApprove), "gjh-head", map[string]any{"decision": "refuse", "comment": "本矿正在使用"}))
	}, 5*time.Hour)
	env.ExecuteWorkflow(contract.MaterialLoanWorkflow, spec)
	if err := env.GetWorkflowError(); err != nil || len(errs) > 0 {
		t.Fatalf("workflow %v, updates %v", err, errs)
	}
	var fired []struct {
		At     time.Time `db:"at"`
		UnitID int64     `db:"unit_id"`
	}
	if err := s.DB.Select(&fired, `SELECT at, unit_id FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour), t0.Add(3 * time.Hour)}
	if len(fired) != len(want) {
		t.Fatalf("fired %+v, want at %v", fired, want)
	}
	for i := range want {
		if !fired[i].At.Equal(want[i]) || fired[i].UnitID != spec.OwnerUnitID {
			t.Errorf("rung %d: %+v, want 郭家河 at %v", i, fired[i], want[i])
		}
	}
	var letters int
	if err := s.DB.Get(&letters, `SELECT count(*) FROM supervision_letters WHERE unit_id = $1 AND subject_type = $2`, spec.OwnerUnitID,
		domain.SubjectMaterialLoan); err != nil || letters != 1 {
		t.Errorf("%d letters to 郭家河 (%v), want 1", letters, err)
	}
	l, err := store.LoanByID(context.Background(), s.DB, spec.ID)
	if err != nil || l.Status != domain.LoanRefused {
		t.Fatalf("loan %+v %v", l, err)
	}
	if q, lent := stockOf(t, s, spec.Items[0].ItemID); q != 10 || lent != 0 {
		t.Errorf("refused loan moved stock: %d, %d", q, lent)
	}
}

// A stock alert: 郭家河's self-rescuers fall below the minimum; the restock
// task's first completion with the stock still low comes back as round 2;
// after the stock is raised the second closes the alert, and a new alert may
// open for the item later.
func TestMaterialAlertRounds(t *testing.T) {
	s, ids, spec := loanFixture(t, domain.PurposeDrill, 5, 12)
	ctx := context.Background()
	item := spec.Items[0].ItemID
	alerts, err := store.OpenAlerts(ctx, s.DB, []int64{item}, spec.BureauUnitID, t0)
	if err != nil || len(alerts) != 1 || alerts[0].Condition != domain.ConditionLow {
		t.Fatalf("alerts %+v %v", alerts, err)
	}
	if again, err := store.OpenAlerts(ctx, s.DB, nil, spec.BureauUnitID, t0); err != nil || len(again) != 0 {
		t.Fatalf("a second check opened %+v (%v)", again, err)
	}
	a := alerts[0]
	id := contract.MaterialAlertID(a.ID)
	env := newEnv()
	env.SetTestTimeout(time.Minute) // real database activities: a saturated machine can hold one up past the default 3 s
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	var errs []error
	fix := func(round int, at time.Duration) {
		env.RegisterDelayedCallback(func() {
			task := contract.TaskID(id, "fix", round)
			env.UpdateWorkflow(contract.UpdateCompleteTask, task, updateCallback(collect(&errs, task)),
				completeRequest(ids, task, string(domain.KindMaterialRestock), "gjh-head", map[string]any{"note": "已采购"}))
		}, at)
	}
	fix(1, day)
	env.RegisterDelayedCallback(func() {
		if _, err := s.DB.Exec(`UPDATE material_items SET quantity = 20 WHERE id = $1`, item); err != nil {
			t.Error(err)
		}
	}, 2*day)
	fix(2, 3*day)
	env.ExecuteWorkflow(contract.MaterialAlertWorkflow, a)
	if err := env.GetWorkflowError(); err != nil || len(errs) > 0 {
		t.Fatalf("workflow %v, updates %v", err, errs)
	}
	var res contract.AlertResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Rounds != 2 || !res.Closed {
		t.Fatalf("result %+v %v", res, err)
	}
	open, err := store.OpenAlertsOf(ctx, s.DB, 0)
	if err != nil || len(open) != 0 {
		t.Fatalf("open alerts %+v %v", open, err)
	}
	if _, err := s.DB.Exec(`UPDATE material_items SET quantity = 1 WHERE id = $1`, item); err != nil {
		t.Fatal(err)
	}
	if next, err := store.OpenAlerts(ctx, s.DB, nil, spec.BureauUnitID, t0.Add(5*day)); err != nil || len(next) != 1 || next[0].ID == a.ID {
		t.Fatalf("a new alert after the first closed: %+v (%v)", next, err)
	}
}

// The daily sweep: 郭家河's self-rescuers expire on 3 March; the sweeps of 1
// and 2 March open nothing, the one at 01:00 on 3 March (county time) opens
// one alert and starts its process, which asks the mine to inspect them; the
// later sweeps open nothing more; after 30 days the sweep continues as new.
func TestMaterialSweepOpensExpiryAlerts(t *testing.T) {
	s, _, spec := loanFixture(t, domain.PurposeDrill, 1, 0)
	item := spec.Items[0].ItemID
	if _, err := s.DB.Exec(`UPDATE material_items SET expires_on = '2021-03-03' WHERE id = $1`, item); err != nil {
		t.Fatal(err)
	}
	env := newEnv()
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0) // 2021-03-01 17:00 county time
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.MaterialSweepID})
	env.SetTestTimeout(2 * time.Minute) // thirty daily sweeps, each a database transaction
	// The alert's own process is TestMaterialAlertRounds'; here it is only started.
	var started []contract.AlertInput
	env.OnWorkflow(contract.MaterialAlertWorkflow, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, in contract.AlertInput) (contract.AlertResult, error) {
			started = append(started, in)
			return contract.AlertResult{}, nil
		})
	env.ExecuteWorkflow(contract.MaterialSweepWorkflow, contract.SweepInput{})
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("sweep ended with %v, want continue-as-new", err)
	}
	var alerts []struct {
		Condition string    `db:"condition"`
		OpenedAt  time.Time `db:"opened_at"`
	}
	if err := s.DB.Select(&alerts, `SELECT condition, opened_at FROM material_alerts WHERE item_id = $1`, item); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2021, 3, 3, 1, 0, 0, 0, domain.DefaultZone)
	if len(alerts) != 1 || alerts[0].Condition != domain.ConditionExpired || !alerts[0].OpenedAt.Equal(want) {
		t.Fatalf("alerts %+v, want one expired alert opened at %v", alerts, want)
	}
	if len(started) != 1 || started[0].ItemID != item || started[0].Detail != "有效期至2021-03-03" {
		t.Fatalf("alert processes started: %+v", started)
	}
}
