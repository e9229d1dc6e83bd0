package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// hazard is the state of one hazard's closed loop (闭环管理).
type hazard struct {
	In          contract.HazardInput
	ID          string
	Board       board
	PlanLadder  ladder
	Ladder      ladder
	CheckLadder ladder
}

// Hazard runs a hazard's loop on the review loop: a general hazard is
// rectified by the unit and verified (复查) by the body that found it; a
// major one first needs its 五到位 plan approved by the supervising
// department, is then listed for county supervision with a public notice, and
// is verified by the supervising department. Every step has its ladder.
func Hazard(ctx workflow.Context, in contract.HazardInput) (contract.HazardResult, error) {
	in.Policy = in.Policy.WithDefaults()
	id := contract.HazardID(in.ID)
	rectify := in.Policy.Ladder
	if in.Level == domain.HazardMajor {
		rectify = in.Policy.MajorLadder
	}
	s := &hazard{In: in, ID: id, Board: board{Clock: in.Clock}, PlanLadder: newLadder(id+"#plan", in.Policy.StepLadder), Ladder: newLadder(id, rectify),
		CheckLadder: newLadder(id+"#check", in.Policy.StepLadder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *hazard) run(ctx workflow.Context) (contract.HazardResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.HazardResult{}, err
	}
	subject := fmt.Sprint(in.ID)
	task := func(kind domain.TaskKind, step string, round int, title string) domain.TaskSpec {
		return domain.TaskSpec{ID: contract.TaskID(s.ID, step, round), WorkflowID: s.ID, Kind: kind, Title: title,
			SubjectType: domain.SubjectHazard, SubjectID: subject, CampaignID: in.CampaignID}
	}
	// The rectification is checked by the finding body (general) or the supervising department (major).
	checker, checkRole, letters := in.FinderUnitID, in.VerifierRole, in.FinderUnitID
	if in.Level == domain.HazardMajor {
		checker, checkRole, letters = in.SupervisorUnitID, domain.RoleUnitHead, in.CountyUnitID
		if err := s.plan(ctx, task, subject); err != nil {
			return contract.HazardResult{}, err
		}
	}
	days := func(n int) time.Duration { return domain.Days(n) }
	_, review, round, err := s.Board.reviewed(ctx, &reviewLoop{
		Subject: domain.SubjectHazard, ID: subject, Due: in.Deadline,
		Submit: func(round int, returned string, due time.Time) domain.TaskSpec {
			t := task(domain.KindHazardRectify, "rectify", round, "整改隐患："+in.Title)
			t.UnitID, t.Role, t.IssuerUnitID, t.DueAt = in.UnitID, domain.RoleUnitHead, letters, due
			t.Context = domain.TaskContext{Content: in.Title, Round: round, ReturnComment: returned}
			return t
		},
		Approver: approver{UnitID: checker, Role: checkRole},
		Ladder:   &s.Ladder,
		Target:   rungTarget{Title: "整改隐患：" + in.Title, SubjectType: domain.SubjectHazard, SubjectID: subject, CampaignID: in.CampaignID, UnitID: in.UnitID, IssuerUnitID: letters},
		Review: func(round int, done *humanTask) domain.TaskSpec {
			t := task(domain.KindHazardVerify, "verify", round, "复查隐患整改："+in.Title)
			t.UnitID, t.Role, t.IssuerUnitID = checker, checkRole, in.CountyUnitID
			t.DueAt = s.Board.now(ctx).Add(days(in.Policy.VerifyDays))
			t.Context = domain.TaskContext{Content: in.Title, Round: round, Result: done.Outcome.Result, Attachments: done.Outcome.Attachments}
			return t
		},
		ReviewLadder: &s.CheckLadder,
		ReviewTarget: rungTarget{Title: "复查隐患整改：" + in.Title, SubjectType: domain.SubjectHazard, SubjectID: subject, CampaignID: in.CampaignID, UnitID: checker, IssuerUnitID: in.CountyUnitID},
		Positive:     domain.DecisionApprove, Submitted: domain.HazardSubmitted, Done: domain.HazardClosed,
	})
	if err != nil {
		return contract.HazardResult{}, err
	}
	if err := finish(ctx); err != nil {
		return contract.HazardResult{}, err
	}
	return contract.HazardResult{Status: domain.HazardClosed, Rounds: round, ClosedAt: review.CompletedAt}, nil
}

// plan runs a major hazard's plan through the supervising department, then
// lists the hazard for county supervision with its public notice.
func (s *hazard) plan(ctx workflow.Context, task func(domain.TaskKind, string, int, string) domain.TaskSpec, subject string) error {
	in := s.In
	due := in.FoundAt.Add(domain.Days(in.Policy.PlanDays))
	approval := new(ladder)
	*approval = newLadder(s.ID+"#approve", in.Policy.StepLadder)
	_, review, _, err := s.Board.reviewed(ctx, &reviewLoop{
		Subject: domain.SubjectHazard, ID: subject, Due: due,
		Submit: func(round int, returned string, due time.Time) domain.TaskSpec {
			t := task(domain.KindHazardPlan, "plan", round, "重大隐患整改方案（五到位）："+in.Title)
			t.UnitID, t.Role, t.IssuerUnitID, t.DueAt = in.UnitID, domain.RoleUnitHead, in.SupervisorUnitID, due
			t.Context = domain.TaskContext{Content: in.Title, Round: round, ReturnComment: returned}
			return t
		},
		Approver: approver{UnitID: in.SupervisorUnitID, Role: domain.RoleUnitHead},
		Ladder:   &s.PlanLadder,
		Target:   rungTarget{Title: "重大隐患整改方案：" + in.Title, SubjectType: domain.SubjectHazard, SubjectID: subject, CampaignID: in.CampaignID, UnitID: in.UnitID, IssuerUnitID: in.SupervisorUnitID},
		Review: func(round int, done *humanTask) domain.TaskSpec {
			t := task(domain.KindHazardApprovePlan, "approve-plan", round, "审批重大隐患整改方案："+in.Title)
			t.UnitID, t.Role, t.IssuerUnitID = in.SupervisorUnitID, domain.RoleUnitHead, in.CountyUnitID
			t.DueAt = s.Board.now(ctx).Add(domain.Days(in.Policy.ApproveDays))
			t.Context = domain.TaskContext{Content: in.Title, Round: round}
			return t
		},
		ReviewLadder: approval,
		ReviewTarget: rungTarget{Title: "审批重大隐患整改方案：" + in.Title, SubjectType: domain.SubjectHazard, SubjectID: subject, CampaignID: in.CampaignID, UnitID: in.SupervisorUnitID, IssuerUnitID: in.CountyUnitID},
		Positive:     domain.DecisionApprove, Submitted: domain.HazardPlanned, Done: domain.HazardListed,
	})
	if err != nil {
		return err
	}
	list := contract.ListHazardInput{HazardID: in.ID, LeaderID: in.LeaderID, IssuerUnitID: in.CountyUnitID, UnitID: in.UnitID, Title: in.Title, At: review.CompletedAt}
	return workflow.ExecuteActivity(ctx, contract.ActListHazard, list).Get(ctx, nil)
}
