package activities

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// ListHazard lists a major hazard for county supervision (挂牌督办) under the
// named leader and publishes its notice (问责曝光) at once, telling the unit:
// once per hazard, whatever the retries.
func (a *Activities) ListHazard(ctx context.Context, in contract.ListHazardInput) error {
	key := fmt.Sprintf("hazard.listed:%d", in.HazardID)
	return a.recordOnce(ctx, key, func(tx *sqlx.Tx) error {
		var leader *int64
		if in.LeaderID != 0 {
			leader = &in.LeaderID
		}
		_, h, err := store.SetHazardState(ctx, tx, in.HazardID, domain.HazardListed, nil, nil, leader, in.At)
		if err != nil {
			return err
		}
		supervisor := "县领导"
		if h.Supervisor != nil {
			supervisor = *h.Supervisor
		}
		reason := fmt.Sprintf("%s存在重大事故隐患“%s”，已责令停产整顿，由%s挂牌督办，予以通报曝光。", h.UnitName, in.Title, supervisor)
		if _, _, err := store.AddNotice(ctx, tx, store.Notice{Key: key, IssuerUnitID: in.IssuerUnitID, UnitIDs: []int64{in.UnitID},
			Reason: reason, SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(in.HazardID), At: in.At}); err != nil {
			return err
		}
		if _, err := store.Enqueue(ctx, tx, store.Notification{Key: key, UnitID: in.UnitID, Kind: string(domain.ActionNotice),
			Title: "【挂牌督办】" + in.Title, Body: reason}); err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: key, At: in.At, Actor: store.ActorEngine, Action: "hazard.listed",
			SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(in.HazardID), UnitID: in.UnitID,
			After: map[string]any{"supervisor_id": in.LeaderID, "notice": reason}})
		return err
	})
}

// StopHazardsOpen counts the hazards behind a stop order that are not yet closed.
func (a *Activities) StopHazardsOpen(ctx context.Context, stopID int64) (int, error) {
	n, err := store.OpenHazardsBehind(ctx, a.Store.DB, stopID)
	return n, permanent(err)
}

// IssueStop writes a stop order once (by its key) with its audit row, and
// answers the input of its lifting process; created is false when the order
// existed already (its id is filled in either way).
func IssueStop(ctx context.Context, tx *sqlx.Tx, actor string, o *store.StopOrder) (contract.StopOrderInput, bool, error) {
	id, created, err := store.InsertStopOrder(ctx, tx, *o)
	if err != nil {
		return contract.StopOrderInput{}, false, err
	}
	o.ID = id
	if created {
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("stop.issued:%d", id), At: o.IssuedAt, Actor: actor, Action: "stop.issued",
			SubjectType: domain.SubjectStopOrder, SubjectID: fmt.Sprint(id), UnitID: o.UnitID,
			After: map[string]any{"scope": o.Scope, "faces": o.FaceIDs, "reason": o.Reason, "hazards": o.HazardIDs, "case": o.CaseID}}); err != nil {
			return contract.StopOrderInput{}, false, err
		}
	}
	unit, err := store.UnitByID(ctx, tx, o.UnitID)
	if err != nil {
		return contract.StopOrderInput{}, false, err
	}
	name := unit.Name
	_, supervisor, err := store.UnitProduction(ctx, tx, o.UnitID)
	if err != nil {
		return contract.StopOrderInput{}, false, err
	}
	county, err := store.CountyUnit(ctx, tx)
	if err != nil {
		return contract.StopOrderInput{}, false, err
	}
	in := contract.StopOrderInput{ID: id, Title: name + "停产整顿", UnitID: o.UnitID, UnitCode: unit.Code, SupervisorUnitID: supervisor, CountyUnitID: county.ID}
	if o.Scope == "faces" {
		in.Title = name + "停止作业工作面"
	}
	return in, created, nil
}

// IssueCaseStop issues the stop order of an enforcement decision to stop
// production: the whole unit, once per case, and answers its lifting's input.
func (a *Activities) IssueCaseStop(ctx context.Context, in contract.CaseStopInput) (contract.CaseStopResult, error) {
	var out contract.CaseStopResult
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := store.CaseByID(ctx, tx, in.CaseID)
		if err != nil {
			return err
		}
		caseID := c.ID
		by := in.By
		if by == "" {
			by = store.ActorEngine
		}
		o := store.StopOrder{UnitID: c.UnitID, Scope: "unit", Reason: "执法决定责令停产停业：" + c.Violation, CaseID: &caseID,
			Key: fmt.Sprintf("case:%d", c.ID), IssuedAt: in.At}
		out.Lifting, _, err = IssueStop(ctx, tx, by, &o)
		return err
	})
	return out, permanent(err)
}
