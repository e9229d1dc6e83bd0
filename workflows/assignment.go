package workflows

import (
	"fmt"
	"github.com/zeren-county/zeren/contract"
	"time"

	"go.temporal.io/sdk/workflow"

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
	// Due is the deadline, moved by approved extensions; returns keep it.
	Due   time.Time
	Round int
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
	s := &assignment{In: in, ID: id, Due: in.DueAt, Ladder: newLadder(id, in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *assignment) run(ctx workflow.Context) (contract.AssignmentResult, error) {
	if err := s.Board.install(ctx); err != nil {
		return contract.AssignmentResult{}, err
	}
	record := contract.AssignmentRecord{
		ID: s.In.ID, Title: s.In.Title, Content: s.In.Content, DueAt: s.In.DueAt, IssuerUnitID: s.In.IssuerUnitID,
		AssignerID: s.In.AssignerID, AssignerKey: s.In.AssignerKey, AssigneeUnitID: s.In.AssigneeUnitID, ReviewerUnitID: s.In.ReviewerUnitID,
		ReviewerRole: s.In.ReviewerRole, Ladder: s.In.Ladder, IdempotencyKey: s.In.IdempotencyKey, CreatedAt: s.In.CreatedAt,
	}
	if err := workflow.ExecuteActivity(ctx, contract.ActRecordAssignment, record).Get(ctx, nil); err != nil {
		return contract.AssignmentResult{}, err
	}
	subject := fmt.Sprint(s.In.ID)
	target := rungTarget{Title: s.In.Title, SubjectType: "assignment", SubjectID: subject, UnitID: s.In.AssigneeUnitID, IssuerUnitID: s.In.IssuerUnitID}
	returnComment := ""
	for s.Round = 1; ; s.Round++ {
		work, err := s.Board.escalated(ctx, domain.TaskSpec{
			ID: contract.TaskID(s.ID, "complete", s.Round), WorkflowID: s.ID, Kind: domain.KindAssignmentComplete,
			Title: s.In.Title, SubjectType: "assignment", SubjectID: subject,
			UnitID: s.In.AssigneeUnitID, Role: domain.RoleUnitHead, IssuerUnitID: s.In.IssuerUnitID, DueAt: s.Due,
			Context: domain.TaskContext{Content: s.In.Content, Round: s.Round, ReturnComment: returnComment},
		}, approver{UnitID: s.In.ReviewerUnitID, Role: s.In.ReviewerRole, PersonID: s.In.ReviewerID}, &s.Ladder, target)
		if err != nil {
			return contract.AssignmentResult{}, err
		}
		s.Due = work.Spec.DueAt
		if err := s.setState(ctx, "submitted", work); err != nil {
			return contract.AssignmentResult{}, err
		}

		review, err := s.Board.openTask(ctx, domain.TaskSpec{
			ID: contract.TaskID(s.ID, "review", s.Round), WorkflowID: s.ID, Kind: domain.KindAssignmentReview,
			Title: "审核：" + s.In.Title, SubjectType: "assignment", SubjectID: subject,
			UnitID: s.In.ReviewerUnitID, Role: s.In.ReviewerRole, PersonID: s.In.ReviewerID, IssuerUnitID: s.In.AssigneeUnitID,
			DueAt:   workflow.Now(ctx).Add(s.In.ReviewPeriod),
			Context: domain.TaskContext{Content: s.In.Content, Round: s.Round, Result: work.Outcome.Result, Attachments: work.Outcome.Attachments},
		}, approver{})
		if err != nil {
			return contract.AssignmentResult{}, err
		}
		if err := s.Board.wait(ctx, review); err != nil {
			return contract.AssignmentResult{}, err
		}
		if review.Outcome.Decision == domain.DecisionApprove {
			if err := s.setState(ctx, "approved", review); err != nil {
				return contract.AssignmentResult{}, err
			}
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return contract.AssignmentResult{}, err
			}
			return contract.AssignmentResult{Status: "approved", Rounds: s.Round, ApprovedAt: review.CompletedAt}, nil
		}
		if err := s.setState(ctx, "returned", review); err != nil {
			return contract.AssignmentResult{}, err
		}
		returnComment = review.Outcome.Comment
	}
}

func (s *assignment) setState(ctx workflow.Context, status string, t *humanTask) error {
	in := contract.AssignmentStateInput{ID: s.In.ID, Round: s.Round, Status: status, Outcome: t.Outcome, PersonKey: t.CompletedBy, At: workflow.Now(ctx)}
	return workflow.ExecuteActivity(ctx, contract.ActSetAssignmentState, in).Get(ctx, nil)
}
