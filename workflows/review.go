package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// The review loop, built from the two primitives: the submitter's task with
// the ladder beside it, then the reviewer's task (with a ladder of its own
// where the process has one); the reviewer's positive decision ends it; a
// return reopens the submitter's task with the reviewer's comment, under the
// same deadline. Every step is recorded by one activity against the subject.
// Assigned matters, reports, pledges and interviews all run on it.

// reviewLoop is one process's loop.
type reviewLoop struct {
	// Subject and ID name what the steps are recorded against (domain.SubjectReport, its id).
	Subject string
	ID      string
	// Due is the submitter's deadline: extensions and pauses move it, returns keep it.
	Due time.Time
	// Submit builds the submitter's task of a round.
	Submit   func(round int, returnComment string, due time.Time) domain.TaskSpec
	Approver approver // decides the submitter's requests for more time
	Ladder   *ladder  // presses the submitter (nil: none)
	Target   rungTarget
	// Review builds the reviewer's task of a round.
	Review       func(round int, submitted *humanTask) domain.TaskSpec
	ReviewLadder *ladder // presses the reviewer (nil: none)
	ReviewTarget rungTarget
	// Positive is the decision that ends the loop (approve, accept, confirm).
	Positive string
	// Submitted and Done are the statuses recorded when the submitter acts and when the reviewer accepts.
	Submitted domain.Status
	Done      domain.Status
}

// reviewed runs the loop until the reviewer accepts, and answers the last
// round's tasks and its number.
func (b *board) reviewed(ctx workflow.Context, r *reviewLoop) (submit, review *humanTask, round int, err error) {
	returned := ""
	for round = 1; ; round++ {
		if submit, err = b.step(ctx, r.Submit(round, returned, r.Due), r.Approver, r.Ladder, r.Target); err != nil {
			return nil, nil, round, err
		}
		r.Due = submit.Spec.DueAt
		if err = b.record(ctx, r.Subject, r.ID, r.Submitted, round, submit); err != nil {
			return nil, nil, round, err
		}
		if review, err = b.step(ctx, r.Review(round, submit), approver{}, r.ReviewLadder, r.ReviewTarget); err != nil {
			return nil, nil, round, err
		}
		if review.Outcome.Decision == r.Positive {
			return submit, review, round, b.record(ctx, r.Subject, r.ID, r.Done, round, review)
		}
		returned = review.Outcome.Comment
		if err = b.record(ctx, r.Subject, r.ID, domain.StatusReturned, round, review); err != nil {
			return nil, nil, round, err
		}
	}
}

// step opens a task and waits until it is done, with the ladder beside it
// when there is one.
func (b *board) step(ctx workflow.Context, spec domain.TaskSpec, ap approver, l *ladder, target rungTarget) (*humanTask, error) {
	if l != nil {
		return b.escalated(ctx, spec, ap, l, target)
	}
	t, err := b.openTask(ctx, spec, ap)
	if err != nil {
		return nil, err
	}
	return t, b.wait(ctx, t)
}

// record writes a step of the subject, as task t answered it, and makes its
// status the process's state.
func (b *board) record(ctx workflow.Context, subject, id string, status domain.Status, round int, t *humanTask) error {
	step := contract.Step{Subject: subject, ID: id, Status: status, Round: round, By: t.CompletedBy, At: b.now(ctx), Outcome: t.Outcome}
	if err := dbStep(ctx, localStep, contract.ActRecordStep, step, nil); err != nil {
		return err
	}
	return setState(ctx, status.String())
}

// finish waits for the process's handlers before it answers.
func finish(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}
