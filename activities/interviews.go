package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Summon records a summons from outside a ladder (the annual ranking, a leader).
func (a *Activities) Summon(ctx context.Context, s store.Summons) (store.SummonResult, error) {
	var res store.SummonResult
	err := a.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = store.Summon(ctx, tx, s)
		return err
	})
	return res, err
}

// InterviewStateInput moves an interview a step, once per key.
type InterviewStateInput struct {
	Key    string                     `json:"key"`
	ID     int64                      `json:"id"`
	Status string                     `json:"status"`
	Step   domain.InterviewCompletion `json:"step"`
	By     string                     `json:"by"`
	At     time.Time                  `json:"at"`
}

// SetInterviewState records a step of an interview with its audit row.
func (a *Activities) SetInterviewState(ctx context.Context, in InterviewStateInput) error {
	return a.recordOnce(ctx, in.Key, func(tx *sqlx.Tx) error {
		before, after, err := store.UpdateInterview(ctx, tx, store.InterviewUpdate{ID: in.ID, Status: in.Status, Step: in.Step, At: in.At})
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: in.Key, At: in.At, Actor: in.By, Action: "interview." + in.Status,
			SubjectType: "interview", SubjectID: fmt.Sprint(in.ID), UnitID: after.UnitID,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": after.Status, "step": in.Step}})
		return err
	})
}
