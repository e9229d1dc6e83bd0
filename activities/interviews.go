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
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
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

// RecordInterviewResult says whether the interview's process has work: 0, or
// the other interview of the unit for the same reason that its summons joined.
type RecordInterviewResult struct {
	MergedInto int64 `json:"merged_into,omitempty"`
}

// RecordInterview writes the interview its process runs and its first summons,
// if the summons' transaction did not commit (every process has its row).
func (a *Activities) RecordInterview(ctx context.Context, spec domain.InterviewSpec) (RecordInterviewResult, error) {
	var res RecordInterviewResult
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		merged, wrote, err := store.RecordInterview(ctx, tx, spec)
		if err != nil || !wrote {
			return err
		}
		res.MergedInto = merged
		action := "interview.recorded"
		if merged != 0 {
			action = "interview.merged"
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("%s:%d", action, spec.ID), At: spec.CreatedAt, Actor: store.ActorEngine,
			Action: action, SubjectType: "interview", SubjectID: fmt.Sprint(spec.ID), UnitID: spec.UnitID,
			After: map[string]any{"reason": spec.Reason, "merged_into": merged}})
		return err
	})
	return res, err
}

// InterviewItems lists the summonses an interview answers.
func (a *Activities) InterviewItems(ctx context.Context, id int64) ([]domain.InterviewItem, error) {
	return store.InterviewItems(ctx, a.Store.DB, id)
}
