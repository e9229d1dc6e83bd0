package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// CampaignZone is the county's zone, where deadlines of no campaign are read and written.
var CampaignZone = domain.DefaultZone

// fmtTimeIn writes a time as officials read it, in zone.
func fmtTimeIn(t time.Time, zone *time.Location) string {
	return t.In(zone).Format("2006年1月2日15:04")
}

// CreateTask writes a new human task's inbox row, its audit row and a
// notification to the assignee, once per task id.
func (a *Activities) CreateTask(ctx context.Context, spec domain.TaskSpec) error {
	ctxJSON, err := json.Marshal(spec.Context)
	if err != nil {
		return err
	}
	row := store.Task{
		ID: spec.ID, WorkflowID: spec.WorkflowID, Kind: string(spec.Kind), Title: spec.Title,
		SubjectType: spec.SubjectType, SubjectID: spec.SubjectID, UnitID: spec.UnitID, Role: spec.Role.String(),
		DueAt: spec.DueAt, CreatedAt: spec.CreatedAt, Context: ctxJSON,
	}
	if spec.CampaignID != "" {
		row.CampaignID = &spec.CampaignID
	}
	if spec.PersonID != 0 {
		row.PersonID = &spec.PersonID
	}
	if spec.IssuerUnitID != 0 {
		row.IssuerUnitID = &spec.IssuerUnitID
	}
	set, err := a.setting(ctx, spec.CampaignID)
	if err != nil {
		return err
	}
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.InsertTask(ctx, tx, row)
		if err != nil || !inserted {
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{
			Key: "task.created:" + spec.ID, At: spec.CreatedAt, Actor: store.ActorEngine, Action: "task.created",
			SubjectType: spec.SubjectType, SubjectID: spec.SubjectID, TaskID: spec.ID, UnitID: spec.UnitID,
			After: map[string]any{"kind": spec.Kind, "title": spec.Title, "due_at": spec.DueAt, "role": spec.Role, "person_id": spec.PersonID},
		}); err != nil {
			return err
		}
		_, err = store.Enqueue(ctx, tx, store.Notification{
			Key: "task:" + spec.ID, UnitID: spec.UnitID, TaskID: &spec.ID, Kind: "task",
			Title: "【待办】" + spec.Title, Body: fmt.Sprintf("您有一项待办：%s，请于%s前办理。", spec.Title, fmtTimeIn(spec.DueAt, set.zone)),
		})
		return err
	})
}

// CompleteTask records the outcome of a task and its audit row. A retry of the
// same update writes nothing; a task already closed by another is a
// non-retryable TaskClosed error.
func (a *Activities) CompleteTask(ctx context.Context, in contract.CompleteTaskInput) error {
	outcome, err := json.Marshal(in.Outcome)
	if err != nil {
		return err
	}
	err = a.inTx(ctx, func(tx *sqlx.Tx) error {
		t, changed, err := store.CompleteTask(ctx, tx, in.TaskID, in.PersonID, outcome, in.UpdateID, in.At)
		if err != nil || !changed {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{
			Key: "task.completed:" + in.TaskID, At: in.At, Actor: in.PersonKey, Action: "task.completed",
			SubjectType: t.SubjectType, SubjectID: t.SubjectID, TaskID: t.ID, UnitID: t.UnitID,
			Before: map[string]any{"status": domain.TaskOpen}, After: map[string]any{"status": domain.TaskCompleted, "outcome": in.Outcome},
		})
		return err
	})
	if errors.Is(err, store.ErrTaskClosed) {
		return temporal.NewNonRetryableApplicationError("这项待办已办结", contract.ErrTaskClosed, err)
	}
	return err
}

// MoveTaskDue records an approved extension (延期) on the task.
func (a *Activities) MoveTaskDue(ctx context.Context, in contract.MoveDueInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		before, err := store.TaskByID(ctx, tx, in.TaskID)
		if err != nil {
			return err
		}
		after, err := store.SetTaskDue(ctx, tx, in.TaskID, in.DueAt)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{
			Key: "task.extended:" + in.DecisionTaskID, At: in.At, Actor: in.PersonKey, Action: "task.extended",
			SubjectType: after.SubjectType, SubjectID: after.SubjectID, TaskID: after.ID, UnitID: after.UnitID,
			Before: map[string]any{"due_at": before.DueAt}, After: map[string]any{"due_at": after.DueAt, "decision_task_id": in.DecisionTaskID, "reason": in.Reason},
		})
		return err
	})
}

// CancelTask marks an open task cancelled, with its audit row.
func (a *Activities) CancelTask(ctx context.Context, in contract.CancelTaskInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		t, changed, err := store.CancelTask(ctx, tx, in.TaskID, in.At)
		if err != nil || !changed {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "task.cancelled:" + in.TaskID, At: in.At, Actor: store.ActorEngine, Action: "task.cancelled",
			SubjectType: t.SubjectType, SubjectID: t.SubjectID, TaskID: t.ID, UnitID: t.UnitID,
			Before: map[string]any{"status": domain.TaskOpen}, After: map[string]any{"status": domain.TaskCancelled, "reason": in.Reason}})
		return err
	})
}
