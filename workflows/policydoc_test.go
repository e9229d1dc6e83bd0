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
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// Three units must acknowledge the county's 实施意见 by day 10: two do so
// early and hear no rung; 崔木镇 acknowledges on day 16 and gets the reminders
// (day 8, day 10) and the supervision letter (day 15) of the document ladder,
// not its notice (day 20). Each acknowledgement is recorded with who, when and
// the comment, and with the last the version is acknowledged by all.
func TestPolicyDocumentAcknowledgements(t *testing.T) {
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
	county, jcg, cm, zjj := unit("linyou"), unit("jcg"), unit("cm"), unit("zjj")
	id, err := store.NextPolicyDocumentID(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	due := t0.Add(10 * day)
	spec := domain.PolicyDocumentSpec{ID: id, SeriesID: id, Version: 1, Title: "麟游县落实煤矿企业安全生产主体责任的实施意见", Number: "麟政办发〔2020〕8号",
		IssuerUnitID: county.ID, IssuerCode: "linyou", IssuedOn: "2021-03-01", Body: "为进一步落实煤矿企业安全生产主体责任……",
		DueAt: due, Ladder: domain.DefaultDocumentLadder(),
		Units:    []domain.DocumentUnit{{UnitID: jcg.ID, Code: "jcg"}, {UnitID: cm.ID, Code: "cm"}, {UnitID: zjj.ID, Code: "zjj"}},
		IssuedBy: "yjj-office", IssuerID: ids["yjj-office"], CreatedAt: t0}
	env := newEnv()
	env.SetTestTimeout(time.Minute) // real database activities: a saturated machine can hold one up past the default 3 s
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.PolicyDocumentID(id)})
	var errs []error
	ack := func(u domain.Unit, person string, at time.Duration, payload map[string]any) {
		env.RegisterDelayedCallback(func() {
			task := contract.DocumentAckTaskID(id, u.ID)
			env.UpdateWorkflow(contract.UpdateCompleteTask, task, updateCallback(collect(&errs, person)),
				completeRequest(ids, task, string(domain.KindDocumentAcknowledge), person, payload))
		}, at)
	}
	ack(jcg, "jcg-head", 1*day, map[string]any{"comment": "已组织班子学习传达"})
	ack(zjj, "zjj-head", 2*day, map[string]any{})
	ack(cm, "cm-head", 16*day, map[string]any{"comment": "已补签"})
	// A payload of another kind is refused by the validator, naming the field.
	var refused error
	env.RegisterDelayedCallback(func() {
		task := contract.DocumentAckTaskID(id, cm.ID)
		env.UpdateWorkflow(contract.UpdateCompleteTask, "bad", updateCallback(func(err error) { refused = err }),
			completeRequest(ids, task, string(domain.KindDocumentAcknowledge), "cm-head", map[string]any{"result": "x"}))
	}, 3*day)
	env.ExecuteWorkflow(contract.PolicyDocumentWorkflow, spec)
	if err := env.GetWorkflowError(); err != nil || len(errs) > 0 {
		t.Fatalf("workflow %v, updates %v", err, errs)
	}
	if refused == nil {
		t.Error("an acknowledgement with a result was accepted")
	}
	var res contract.PolicyDocumentResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Units != 3 || res.Acknowledged != 3 {
		t.Fatalf("result %+v %v", res, err)
	}
	var fired []struct {
		At     time.Time `db:"at"`
		UnitID int64     `db:"unit_id"`
	}
	if err := s.DB.Select(&fired, `SELECT at, unit_id FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{due.Add(-2 * day), due, due.Add(5 * day)}
	if len(fired) != len(want) {
		t.Fatalf("fired %+v, want at %v", fired, want)
	}
	for i := range want {
		if !fired[i].At.Equal(want[i]) || fired[i].UnitID != cm.ID {
			t.Errorf("rung %d: %+v, want 崔木镇 at %v", i, fired[i], want[i])
		}
	}
	var letters int
	if err := s.DB.Get(&letters, `SELECT count(*) FROM supervision_letters WHERE unit_id = $1 AND subject_type = 'policy-document'`, cm.ID); err != nil {
		t.Fatal(err)
	}
	if letters != 1 {
		t.Errorf("%d letters to 崔木镇, want 1", letters)
	}
	doc, err := store.PolicyDocumentByID(ctx, s.DB, id)
	if err != nil || doc.Status != domain.DocumentAcknowledged || doc.Acknowledged != 3 || doc.Units != 3 {
		t.Fatalf("document %+v %v", doc, err)
	}
	acks, err := store.DocumentAcks(ctx, s.DB, id)
	if err != nil || len(acks) != 3 {
		t.Fatalf("acks %+v %v", acks, err)
	}
	if a := acks[0]; a.UnitCode != "jcg" || a.State != "acknowledged" || a.AcknowledgedAt == nil || !a.AcknowledgedAt.Equal(t0.Add(day)) ||
		a.Comment == nil || *a.Comment != "已组织班子学习传达" || a.AcknowledgedBy == nil {
		t.Errorf("jcg %+v", a)
	}
	if a := acks[1]; a.UnitCode != "cm" || !a.AcknowledgedAt.Equal(t0.Add(16*day)) {
		t.Errorf("cm %+v", a)
	}
	var recorded int
	if err := s.DB.Get(&recorded, `SELECT count(*) FROM audit_log WHERE action = 'policy-document.acknowledged'`); err != nil || recorded != 3 {
		t.Errorf("%d acknowledgements audited (%v), want 3", recorded, err)
	}
}
