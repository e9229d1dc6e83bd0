package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// drill is the state of one joint drill: a preparation task per
// participating mine with a ladder beside each, the organiser's record of the
// drill, and the hazards its problems opened.
type drill struct {
	In       contract.DrillInput
	ID       string
	Board    board
	Ladders  []ladder // one per unit, in the order of In.Units
	Evaluate ladder
	Prepared int
	Hazards  []int64
	Err      error `json:"-"`
}

// Drill runs a joint drill (联合演练) of the mines' rescue teams. Each
// participating mine's head reports its preparation (team, equipment, plan)
// by the preparation deadline, the ladder pressing a late one; when the
// drill's time comes the organiser gets the task to record it — the day it
// was held, the units present, the evaluation, the problems found, each with
// its unit, description and deadline. A preparation still open then is closed
// (the drill took place without it). Each problem opens a general hazard at
// its unit, whose loop (rectify → verify → closed) runs as a child of its
// own; the drill is closed when every one is. All preparations live in this
// one process (four mines: some ten history events each), not a child per mine.
func Drill(ctx workflow.Context, in contract.DrillInput) (contract.DrillResult, error) {
	id := contract.DrillID(in.ID)
	s := &drill{In: in, ID: id, Board: board{Clock: in.Clock, CancelReason: "联合演练已取消"},
		Evaluate: newLadder(id+"#evaluate", domain.DrillEvaluateLadder())}
	for _, u := range in.Units {
		s.Ladders = append(s.Ladders, newLadder(fmt.Sprintf("%s/unit/%d", id, u.UnitID), in.Ladder))
	}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *drill) run(ctx workflow.Context) (contract.DrillResult, error) {
	in := s.In
	res := contract.DrillResult{Hazards: []int64{}}
	if err := s.Board.install(ctx); err != nil {
		return res, err
	}
	// The process writes its own row first (a crash between its start and the API's commit converges).
	if err := dbStep(ctx, localStep, contract.ActRecordDrill, in, nil); err != nil {
		return res, err
	}
	running := len(in.Units)
	for i := range in.Units {
		workflow.Go(ctx, func(ctx workflow.Context) {
			if err := s.prepare(ctx, i); err != nil && s.Err == nil {
				s.Err = err
			}
			running--
		})
	}
	// The drill's time: the organiser records it.
	for now := s.Board.now(ctx); now.Before(in.DrillAt); now = s.Board.now(ctx) {
		if err := workflow.Sleep(ctx, s.Board.Clock.Wall(in.DrillAt.Sub(now))); err != nil {
			return res, err
		}
	}
	if s.Err != nil {
		return res, s.Err
	}
	hazards, err := s.evaluate(ctx)
	if err != nil {
		return res, err
	}
	// Preparations never reported are closed: the drill has taken place.
	for _, t := range s.Board.Tasks {
		if t.Spec.Kind == domain.KindDrillPrepare && t.open() && !t.Completing {
			t.Status = domain.TaskCancelled
			cancel := contract.CancelTaskInput{TaskID: t.Spec.ID, Reason: "联合演练已举行，准备情况不再报送", At: s.Board.now(ctx)}
			if err := dbStep(ctx, localStep, contract.ActCancelTask, cancel, nil); err != nil {
				return res, err
			}
		}
	}
	if err := workflow.Await(ctx, func() bool { return running == 0 }); err != nil {
		return res, err
	}
	res.Prepared = s.Prepared
	if s.Err != nil {
		return res, s.Err
	}
	// Each problem is a general hazard's loop; the drill closes when all are closed.
	ids := make([]string, len(hazards))
	inputs := make([]any, len(hazards))
	for i, h := range hazards {
		ids[i], inputs[i] = contract.HazardID(h.ID), h
		s.Hazards = append(s.Hazards, h.ID)
	}
	res.Hazards = append(res.Hazards, s.Hazards...)
	if _, _, err := runChildren[contract.HazardResult](ctx, contract.HazardWorkflow, ids, inputs); err != nil {
		return res, err
	}
	if err := dbStep(ctx, localStep, contract.ActDrillClosed, contract.DrillClosedInput{DrillID: in.ID, At: s.Board.now(ctx)}, nil); err != nil {
		return res, err
	}
	if err := setState(ctx, domain.DrillClosed.String()); err != nil {
		return res, err
	}
	return res, finish(ctx)
}

// prepare runs unit i's preparation task with its ladder, then records it.
func (s *drill) prepare(ctx workflow.Context, i int) error {
	in, u := s.In, s.In.Units[i]
	title := domain.DrillTitle(domain.KindDrillPrepare, in.Title)
	subject := fmt.Sprint(in.ID)
	content := "演练科目：" + in.Scenario + "\n演练时间：" + in.DrillAt.In(domain.DefaultZone).Format("2006-01-02 15:04")
	if u.UnitID == in.LeadUnitID {
		content += "\n本单位为牵头单位（演练现场）"
	}
	t, err := s.Board.escalated(ctx, domain.TaskSpec{
		ID: contract.DrillPrepareTaskID(in.ID, u.UnitID), WorkflowID: s.ID, Kind: domain.KindDrillPrepare, Title: title,
		SubjectType: domain.SubjectDrill, SubjectID: subject, CampaignID: in.CampaignID,
		UnitID: u.UnitID, Role: domain.RoleUnitHead, IssuerUnitID: in.OrganiserUnitID, DueAt: in.PrepareDue,
		Context: domain.TaskContext{Content: content},
	}, approver{}, &s.Ladders[i], rungTarget{Title: title, SubjectType: domain.SubjectDrill, SubjectID: subject,
		CampaignID: in.CampaignID, UnitID: u.UnitID, IssuerUnitID: in.OrganiserUnitID})
	if err != nil {
		return err
	}
	if t.Status != domain.TaskCompleted {
		return nil
	}
	s.Prepared++
	done := contract.DrillPreparedInput{DrillID: in.ID, UnitID: u.UnitID, TaskID: t.Spec.ID, By: t.CompletedBy, At: t.CompletedAt, Result: t.Outcome.Result}
	return dbStep(ctx, localStep, contract.ActDrillPrepared, done, nil)
}

// evaluate runs the organiser's record of the drill and opens the problems' hazards.
func (s *drill) evaluate(ctx workflow.Context) ([]contract.HazardInput, error) {
	in := s.In
	title := domain.DrillTitle(domain.KindDrillEvaluate, in.Title)
	subject := fmt.Sprint(in.ID)
	codes := make([]string, len(in.Units))
	names := make([]string, len(in.Units))
	for i, u := range in.Units {
		codes[i], names[i] = u.Code, u.Code
		if u.Name != "" {
			names[i] = u.Name
		}
	}
	at := in.DrillAt
	t, err := s.Board.escalated(ctx, domain.TaskSpec{
		ID: contract.DrillEvaluateTaskID(in.ID), WorkflowID: s.ID, Kind: domain.KindDrillEvaluate, Title: title,
		SubjectType: domain.SubjectDrill, SubjectID: subject, CampaignID: in.CampaignID,
		UnitID: in.OrganiserUnitID, Role: in.OrganiserRole, IssuerUnitID: in.OrganiserUnitID,
		DueAt:   in.DrillAt.Add(domain.Days(domain.DrillEvaluateDays)),
		Context: domain.TaskContext{Content: "演练科目：" + in.Scenario + "\n参演单位：" + strings.Join(names, "、"), Units: codes, UnitNames: names, DrillAt: &at},
	}, approver{}, &s.Evaluate, rungTarget{Title: title, SubjectType: domain.SubjectDrill, SubjectID: subject,
		CampaignID: in.CampaignID, UnitID: in.OrganiserUnitID, IssuerUnitID: in.OrganiserUnitID})
	if err != nil {
		return nil, err
	}
	if t.Outcome.Drill == nil {
		return nil, fmt.Errorf("drill %d: the record carries no drill", in.ID)
	}
	var out contract.DrillEvaluatedResult
	rec := contract.DrillEvaluatedInput{DrillID: in.ID, TaskID: t.Spec.ID, By: t.CompletedBy, At: t.CompletedAt, Record: *t.Outcome.Drill}
	if err := workflow.ExecuteActivity(ctx, contract.ActDrillEvaluated, rec).Get(ctx, &out); err != nil {
		return nil, err
	}
	if err := setState(ctx, domain.DrillEvaluated.String()); err != nil {
		return nil, err
	}
	return out.Hazards, nil
}
