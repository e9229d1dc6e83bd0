package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// DefaultReviewPeriod is how long a reviewer has to approve or return a result.
const DefaultReviewPeriod = 5 * 24 * time.Hour

// assignment is the state of one assigned matter (交办事项).
type assignment struct {
	In     contract.AssignmentInput
	ID     string
	Board  board
	Ladder ladder
}

// Assignment runs an assigned matter: the assignee unit's head completes it with
// a written result by the deadline, the ladder escalating while it is open; the
// reviewer approves or returns it with a comment, and a returned matter goes
// back to the unit under the same deadline.
func Assignment(ctx workflow.Context, in contract.AssignmentInput) (contract.AssignmentResult, error) {
	// The id comes from the input, not the execution, so a saved history
	// replays whatever id the replayer gives the run.
	id := contract.AssignmentID(in.ID)
	if in.ReviewPeriod <= 0 {
		in.ReviewPeriod = DefaultReviewPeriod
	}
	s := &assignment{In: in, ID: id, Board: board{Clock: in.Clock}, Ladder: newLadder(id, in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *assignment) run(ctx workflow.Context) (contract.AssignmentResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.AssignmentResult{}, err
	}
	if err := dbStep(ctx, localStep, contract.ActRecordAssignment, in.AssignmentRecord, nil); err != nil {
		return contract.AssignmentResult{}, err
	}
	subject := fmt.Sprint(in.ID)
	task := func(kind domain.TaskKind, step string, round int) domain.TaskSpec {
		return domain.TaskSpec{ID: contract.TaskID(s.ID, step, round), WorkflowID: s.ID, Kind: kind, Title: in.Title,
			SubjectType: domain.SubjectAssignment, SubjectID: subject, CampaignID: in.CampaignID}
	}
	_, review, round, err := s.Board.reviewed(ctx, &reviewLoop{
		Subject: domain.SubjectAssignment, ID: subject, Due: in.DueAt,
		Submit: func(round int, returned string, due time.Time) domain.TaskSpec {
			t := task(domain.KindAssignmentComplete, "complete", round)
			t.UnitID, t.Role, t.IssuerUnitID, t.DueAt = in.AssigneeUnitID, domain.RoleUnitHead, in.IssuerUnitID, due
			t.Context = domain.TaskContext{Content: in.Content, Round: round, ReturnComment: returned}
			return t
		},
		Approver: approver{UnitID: in.ReviewerUnitID, Role: in.ReviewerRole, PersonID: in.ReviewerID},
		Ladder:   &s.Ladder,
		Target: rungTarget{Title: in.Title, SubjectType: domain.SubjectAssignment, SubjectID: subject, CampaignID: in.CampaignID,
			UnitID: in.AssigneeUnitID, IssuerUnitID: in.IssuerUnitID},
		Review: func(round int, done *humanTask) domain.TaskSpec {
			t := task(domain.KindAssignmentReview, "review", round)
			t.Title = "审核：" + in.Title
			t.UnitID, t.Role, t.PersonID, t.IssuerUnitID = in.ReviewerUnitID, in.ReviewerRole, in.ReviewerID, in.AssigneeUnitID
			t.DueAt = s.Board.now(ctx).Add(in.ReviewPeriod)
			t.Context = domain.TaskContext{Content: in.Content, Round: round, Result: done.Outcome.Result, Attachments: done.Outcome.Attachments}
			return t
		},
		Positive: domain.DecisionApprove, Submitted: domain.StatusSubmitted, Done: domain.StatusApproved,
	})
	if err != nil {
		return contract.AssignmentResult{}, err
	}
	if err := finish(ctx); err != nil {
		return contract.AssignmentResult{}, err
	}
	return contract.AssignmentResult{Status: domain.StatusApproved, Rounds: round, ApprovedAt: review.CompletedAt}, nil
}
