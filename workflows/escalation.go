package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/internal/domain"
)

// The escalation-ladder primitive. Rungs fire at the deadline plus their
// offsets while the task they watch is open; each rung fires at most once (its
// Fired flag lives in the process state, and its activity is keyed), and a moved
// deadline re-times the rungs not yet fired.

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

// FiredCount is how many rungs have fired.
func (l *ladder) FiredCount() int {
	n := 0
	for _, f := range l.Fired {
		if f {
			n++
		}
	}
	return n
}

// rungTarget says what the rungs are about and whom they reach.
type rungTarget struct {
	Title        string
	SubjectType  string
	SubjectID    string
	CampaignID   string
	UnitID       int64
	IssuerUnitID int64
}

// run fires the unfired rungs of the ladder in order, each when its time comes,
// for as long as t is open. It returns when t closes or every rung has fired.
func (l *ladder) run(ctx workflow.Context, b *board, t *humanTask, target rungTarget) error {
	// Version 1: a reminder due at or before the task was opened is not sent
	// (the new task's own notice says it); other rungs still fire when past.
	skipStale := workflow.GetVersion(ctx, "ladder-skip-stale-reminders", workflow.DefaultVersion, 1) >= 1
	for i := range l.Rungs {
		if l.Fired[i] {
			continue
		}
		for {
			if !t.open() {
				return nil
			}
			version := t.DueVersion
			wait := t.Spec.DueAt.Add(l.Rungs[i].Offset.Duration()).Sub(b.now(ctx))
			// While the campaign is paused the rung is held until the resume moves the deadline.
			hold := func() error {
				return workflow.Await(ctx, func() bool { return !t.open() || !b.Held || t.DueVersion != version })
			}
			if wait <= 0 {
				if !b.Held {
					break
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
				break // the rung's time has come
			}
			if !moved {
				if err := hold(); err != nil {
					return err
				}
			}
		}
		if !t.open() {
			return nil
		}
		if skipStale && l.Rungs[i].Action == domain.ActionRemind && !t.Spec.DueAt.Add(l.Rungs[i].Offset.Duration()).After(t.Spec.CreatedAt) {
			l.Fired[i] = true
			continue
		}
		in := activities.FireRungInput{
			Key: l.Key, Index: i, Rung: l.Rungs[i], WorkflowID: t.Spec.WorkflowID, TaskID: t.Spec.ID,
			Title: target.Title, SubjectType: target.SubjectType, SubjectID: target.SubjectID, CampaignID: target.CampaignID,
			UnitID: target.UnitID, IssuerUnitID: target.IssuerUnitID, DueAt: t.Spec.DueAt, At: b.now(ctx),
		}
		var res activities.FireRungResult
		if err := workflow.ExecuteActivity(ctx, acts.FireRung, in).Get(ctx, &res); err != nil {
			return err
		}
		l.Fired[i] = true
		// Version 1: an interview rung starts the interview process it summoned.
		if res.Summons != nil && res.Summons.Created && workflow.GetVersion(ctx, "ladder-starts-interviews", workflow.DefaultVersion, 1) >= 1 {
			if err := startInterview(ctx, res.Summons.Spec); err != nil {
				return err
			}
		}
	}
	return nil
}

// escalated opens a human task with the ladder running beside it, and waits
// until the task is closed and the ladder has stopped.
func (b *board) escalated(ctx workflow.Context, spec domain.TaskSpec, ap approver, l *ladder, target rungTarget) (*humanTask, error) {
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
	return t, ladderErr
}
