package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// SummonResult says which interview a summons joined, and whether it is new
// (then the caller starts its process with Spec).
type SummonResult struct {
	InterviewID int64                `json:"interview_id"`
	Created     bool                 `json:"created"`
	Spec        domain.InterviewSpec `json:"spec"`
}

// summon records a summons inside tx and, for a new interview, tells the unit
// and builds its process spec.
func summon(ctx context.Context, tx *sqlx.Tx, s store.Summons) (SummonResult, error) {
	id, created, err := store.OpenInterview(ctx, tx, s)
	if err != nil {
		return SummonResult{}, err
	}
	res := SummonResult{InterviewID: id, Created: created}
	if !created {
		_, err = store.Append(ctx, tx, store.Event{Key: "interview.joined:" + s.Key, At: s.At, Actor: store.ActorEngine, Action: "interview.joined",
			SubjectType: "interview", SubjectID: fmt.Sprint(id), UnitID: s.UnitID, After: map[string]any{"reason": s.Reason, "source": s.Source}})
		return res, err
	}
	name, err := store.UnitName(ctx, tx, s.UnitID)
	if err != nil {
		return res, err
	}
	office, err := safetyOfficeUnit(ctx, tx)
	if err != nil {
		return res, err
	}
	res.Spec = domain.InterviewSpec{ID: id, CampaignID: s.CampaignID, UnitID: s.UnitID, UnitName: name, Reason: s.Reason,
		OfficeUnitID: office, Ladder: domain.DefaultInterviewLadder()}
	if _, err := store.Enqueue(ctx, tx, store.Notification{Key: "interview:" + fmt.Sprint(id), UnitID: s.UnitID, Kind: "interview",
		Title: "【约谈通知】" + name + "主要负责人", Body: s.Reason}); err != nil {
		return res, err
	}
	_, err = store.Append(ctx, tx, store.Event{Key: "interview.summoned:" + s.Key, At: s.At, Actor: store.ActorEngine, Action: "interview.summoned",
		SubjectType: "interview", SubjectID: fmt.Sprint(id), UnitID: s.UnitID, After: map[string]any{"reason": s.Reason, "source": s.Source}})
	return res, err
}

// Summon records a summons from outside a ladder (the annual ranking, a leader).
func (a *Activities) Summon(ctx context.Context, s store.Summons) (SummonResult, error) {
	var res SummonResult
	err := a.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		res, err = summon(ctx, tx, s)
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
	return a.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var seen int
		if err := tx.GetContext(ctx, &seen, `SELECT count(*) FROM audit_log WHERE key = $1`, in.Key); err != nil || seen > 0 {
			return err
		}
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
