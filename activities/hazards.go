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
