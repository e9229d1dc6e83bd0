package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/store"
)

// PlanTaskDone records a plan task done, with its audit row, once.
func (a *Activities) PlanTaskDone(ctx context.Context, id int64, by string, at time.Time) error {
	return a.Store.InTx(ctx, func(tx *sqlx.Tx) error {
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
