package activities

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// RecordInterview writes the interview its process runs and its first summons,
// if the summons' transaction did not commit (every process has its row).
func (a *Activities) RecordInterview(ctx context.Context, spec domain.InterviewSpec) (contract.RecordInterviewResult, error) {
	var res contract.RecordInterviewResult
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

// Summon records a summons inside tx — it joins the unit's interview for the
// same reason that has not yet been held, or opens a new one — tells the unit,
// audits it, and for a new interview answers the spec its process starts with.
// Ladder rungs, the annual ranking and the API's manual summons all use it.
func Summon(ctx context.Context, tx *sqlx.Tx, s store.Summons) (contract.SummonResult, error) {
	id, created, err := store.OpenInterview(ctx, tx, s)
	if err != nil {
		return contract.SummonResult{}, err
	}
	res := contract.SummonResult{InterviewID: id, Created: created}
	label := s.ItemLabel()
	if !created {
		if _, err := store.Enqueue(ctx, tx, store.Notification{Key: "interview.joined:" + s.Key, UnitID: s.UnitID, Kind: "interview",
			Title: fmt.Sprintf("【约谈通知】约谈事项增加（第%d号约谈）", id), Body: "本次约谈增加事项：" + label}); err != nil {
			return res, err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "interview.joined:" + s.Key, At: s.At, Actor: store.ActorEngine, Action: "interview.joined",
			SubjectType: "interview", SubjectID: fmt.Sprint(id), UnitID: s.UnitID, After: map[string]any{"reason": s.Reason, "source": s.Source, "item": label}})
		return res, err
	}
	unit, err := store.UnitByID(ctx, tx, s.UnitID)
	if err != nil {
		return res, err
	}
	name := unit.Name
	office, err := store.SafetyOfficeUnit(ctx, tx)
	if err != nil {
		return res, err
	}
	res.Spec = domain.InterviewSpec{ID: id, CampaignID: s.CampaignID, UnitID: s.UnitID, UnitCode: unit.Code, UnitName: name, Reason: s.Reason,
		OfficeUnitID: office, Ladder: domain.DefaultInterviewLadder(),
		ReasonKey: s.ReasonKey, Source: s.Source, FirstTrigger: s.Key, Label: label, CreatedAt: s.At}
	if s.CampaignID != "" {
		camp, err := store.CampaignByID(ctx, tx, s.CampaignID)
		if err != nil {
			return res, err
		}
		res.Spec.Clock = camp.Clock()
	}
	if _, err := store.Enqueue(ctx, tx, store.Notification{Key: "interview:" + fmt.Sprint(id), UnitID: s.UnitID, Kind: "interview",
		Title: "【约谈通知】" + name + "主要负责人", Body: s.Reason + "约谈事项：" + label}); err != nil {
		return res, err
	}
	_, err = store.Append(ctx, tx, store.Event{Key: "interview.summoned:" + s.Key, At: s.At, Actor: store.ActorEngine, Action: "interview.summoned",
		SubjectType: "interview", SubjectID: fmt.Sprint(id), UnitID: s.UnitID, After: map[string]any{"reason": s.Reason, "source": s.Source}})
	return res, err
}
