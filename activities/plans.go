package activities

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// PlanTaskDone records a plan task done, with its audit row, once.
func (a *Activities) PlanTaskDone(ctx context.Context, in contract.PlanTaskDoneInput) error {
	id, by, at := in.ID, in.By, in.At
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		changed, err := store.MarkPlanTaskDone(ctx, tx, id, at)
		if err != nil || !changed {
			return err
		}
		t, err := store.PlanTaskByID(ctx, tx, id)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("plan-task.done:%d", id), At: at, Actor: by, Action: "plan-task.done",
			SubjectType: "plan-task", SubjectID: fmt.Sprint(id), UnitID: t.OwnerUnitID, After: map[string]any{"status": "done"}})
		return err
	})
}

// RecordPlanTask writes the plan task its process runs, with its audit row,
// if the API's transaction did not (a crash between the start of the process
// and the commit): every process has its row.
func (a *Activities) RecordPlanTask(ctx context.Context, spec domain.PlanTaskSpec) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.UpsertPlanTask(ctx, tx, store.PlanTask{ID: spec.ID, PlanID: spec.PlanID, Content: spec.Content,
			OwnerUnitID: spec.OwnerUnitID, Deadline: spec.Deadline, Measures: spec.Measures, CreatedBy: spec.CreatedBy, CreatedAt: spec.CreatedAt})
		if err != nil || !inserted {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("plan-task.created:%d", spec.ID), At: spec.CreatedAt, Actor: spec.CreatedBy,
			Action: "plan-task.created", SubjectType: "plan-task", SubjectID: fmt.Sprint(spec.ID), UnitID: spec.OwnerUnitID,
			After: map[string]any{"content": spec.Content, "deadline": spec.Deadline, "measures": spec.Measures, "plan": spec.PlanTitle}})
		return err
	})
}
