package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// The escalation-ladder primitive. Rungs fire at the deadline plus their
// offsets while the task they watch is open; each rung fires at most once (its
// Fired flag lives in the process state, and its activity is keyed), and a moved
// deadline re-times the rungs not yet fired. A penalty whose time came while
// the task was open fires even if the task was done before the rung could
// (an outage held it up); a reminder does not. A deadline that fell in an
// engine outage gets a grace as long as the outage before any penalty.

// ladder is a process's escalation state.
type ladder struct {
	// Key is stable for the subject: a rung's idempotency key is Key#index.
	Key   string
	Rungs domain.Ladder
	Fired []bool
}

func newLadder(key string, rungs domain.Ladder) ladder {
	return ladder{Key: key, Rungs: rungs, Fired: make([]bool, len(rungs))}
}

// rungTarget says what the rungs are about and whom they reach.
type rungTarget struct {
	Title        string
	SubjectType  string
	SubjectID    string
	CampaignID   string
	UnitID       int64
	IssuerUnitID int64
	// Year is the assessment year a deduction counts in (0: the deadline's year).
	Year int
}

// rungAt is when rung i of the ladder comes for task t.
func (l *ladder) rungAt(t *humanTask, i int) time.Time {
	return t.Spec.DueAt.Add(l.Rungs[i].Offset.Duration())
}

// run fires the unfired rungs of the ladder in order, each when its time comes,
// for as long as t is open; once t has closed, it fires the penalties whose
// time came before it closed. It returns when every rung is done with.
func (l *ladder) run(ctx workflow.Context, b *board, t *humanTask, target rungTarget) error {
	for i := 0; i < len(l.Rungs); {
		if l.Fired[i] {
			i++
			continue
		}
		if err := l.wait(ctx, b, t, i); err != nil {
			return err
		}
		if !t.open() {
			return l.afterClose(ctx, b, t, target, i)
		}
		// A reminder due at or before the task was opened is not sent (the new
		// task's own notice says it); other rungs still fire when past.
		if l.Rungs[i].Action == domain.ActionRemind && !l.rungAt(t, i).After(t.Spec.CreatedAt) {
			l.Fired[i] = true
			continue
		}
		done, err := l.fire(ctx, b, t, target, i)
		if err != nil {
			return err
		}
		if done {
			i++
		}
	}
	return nil
}

// wait blocks until rung i's time has come (and the campaign is not paused),
// or t closes. A moved deadline re-times it.
func (l *ladder) wait(ctx workflow.Context, b *board, t *humanTask, i int) error {
	for t.open() {
		version := t.DueVersion
		wait := l.rungAt(t, i).Sub(b.now(ctx))
		// While the campaign is paused the rung is held until the resume moves the deadline.
		hold := func() error {
			return workflow.Await(ctx, func() bool { return !t.open() || !b.Held || t.DueVersion != version })
		}
		if wait <= 0 {
			if !b.Held {
				return nil
			}
			if err := hold(); err != nil {
				return err
			}
			continue
		}
		moved, err := workflow.AwaitWithTimeout(ctx, b.Clock.Wall(wait), func() bool { return !t.open() || t.DueVersion != version })
		if err != nil {
			return err
		}
		if !moved && !b.Held {
			return nil // the rung's time has come
		}
		if !moved {
			if err := hold(); err != nil {
				return err
			}
		}
	}
	return nil
}

// afterClose handles the rungs from i on once t has closed: a penalty whose
// time came before t was completed fires (its activity may have been held up
// by an outage while the unit completed); reminders and later rungs do not.
func (l *ladder) afterClose(ctx workflow.Context, b *board, t *humanTask, target rungTarget, i int) error {
	// Each rung's time is compared with the completion's, not "open now".
	if t.Status != domain.TaskCompleted {
		return nil
	}
	// A paused campaign's deadlines stand still: a penalty timed after the pause
	// began was not yet due when the task was done during it.
	until := t.CompletedAt
	if b.Held && b.HeldSince.Before(until) {
		until = b.HeldSince
	}
	for i < len(l.Rungs) {
		if l.Fired[i] || !l.Rungs[i].Action.Punishes() {
			i++
			continue
		}
		if !l.rungAt(t, i).Before(until) {
			return nil // offsets ascend: this rung and the rest came after completion (or the pause)
		}
		done, err := l.fire(ctx, b, t, target, i)
		if err != nil {
			return err
		}
		if done {
			i++
		}
	}
	return nil
}

// fire fires rung i. It answers false when the rung did not fire because an
// outage moved the deadline: the rung then waits for its new time.
func (l *ladder) fire(ctx workflow.Context, b *board, t *humanTask, target rungTarget, i int) (bool, error) {
	r := l.Rungs[i]
	in := contract.FireRungInput{
		Key: l.Key, Index: i, Rung: r, WorkflowID: t.Spec.WorkflowID, TaskID: t.Spec.ID,
		Title: target.Title, SubjectType: target.SubjectType, SubjectID: target.SubjectID, CampaignID: target.CampaignID,
		UnitID: target.UnitID, IssuerUnitID: target.IssuerUnitID, DueAt: t.Spec.DueAt, At: b.now(ctx), Year: target.Year,
	}
	// A penalty first asks whether the deadline fell in an outage.
	in.Grace = r.Action.Punishes()
	var res contract.FireRungResult
	if err := workflow.ExecuteActivity(ctx, contract.ActFireRung, in).Get(ctx, &res); err != nil {
		return false, err
	}
	if g := res.Grace; g != nil {
		due := t.Spec.DueAt.Add(g.ShiftBy)
		move := contract.MoveDueInput{TaskID: t.Spec.ID, DueAt: due, DecisionTaskID: g.Key, PersonKey: domain.ActorEngine, At: b.now(ctx), Reason: g.Reason}
		if err := workflow.ExecuteActivity(ctx, contract.ActMoveTaskDue, move).Get(ctx, nil); err != nil {
			return false, err
		}
		t.Spec.DueAt = due
		t.DueVersion++
		return false, nil
	}
	l.Fired[i] = true
	// An interview rung starts the interview process it summoned.
	if res.Summons != nil && res.Summons.Created {
		if err := startInterview(ctx, res.Summons.Spec); err != nil {
			return true, err
		}
	}
	return true, nil
}

// escalated opens a human task with the ladder running beside it, and waits
// until the task is closed and the ladder has stopped.
func (b *board) escalated(ctx workflow.Context, spec domain.TaskSpec, ap approver, l *ladder, target rungTarget) (*humanTask, error) {
	spec.Context.Ladder = l.Rungs // the task page shows which rungs come when
	t, err := b.openTask(ctx, spec, ap)
	if err != nil {
		return nil, err
	}
	var ladderErr error
	done := false
	workflow.Go(ctx, func(ctx workflow.Context) {
		ladderErr = l.run(ctx, b, t, target)
		done = true
	})
	if err := workflow.Await(ctx, func() bool { return !t.open() && done }); err != nil {
		return nil, err
	}
	if ladderErr != nil {
		return t, ladderErr
	}
	return t, answerFirst(ctx, t)
}
