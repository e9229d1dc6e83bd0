package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// rungSetting is what a rung needs to know of its campaign: its zone, its
// clock, whether it has ended.
type rungSetting struct {
	zone  *time.Location
	clock *domain.Clock
	ended *time.Time
}

func (a *Activities) setting(ctx context.Context, campaignID string) (rungSetting, error) {
	if campaignID == "" {
		return rungSetting{zone: CampaignZone}, nil
	}
	c, err := store.CampaignByID(ctx, a.Store.DB, campaignID)
	if errors.Is(err, domain.ErrNotFound) {
		return rungSetting{zone: CampaignZone}, nil // a process of no stored campaign: real time, the county's zone
	}
	if err != nil {
		return rungSetting{}, err
	}
	return rungSetting{zone: c.Location(), clock: c.Clock(), ended: c.EndedAt}, nil
}

// errCompletionInFlight makes FireRung try again: a penalty waits for a
// completion under way, which may have come in by the rung's time.
var errCompletionInFlight = temporal.NewApplicationError("a completion of the task is under way", "CompletionInFlight")

// FireRung does what the rung says — remind, letter, notice, interview summons,
// deduction — in one transaction, once per rung key, with its audit row. It
// does not fire a rung whose time is after its campaign ended, nor a reminder
// for a task already closed, nor a penalty for a task completed by the rung's
// time (the process heard of it after the rung's timer) — while a completion
// is under way it waits for it; and, asked to (contract.Grace), it answers the
// grace of an outage that the deadline fell in instead of a penalty.
func (a *Activities) FireRung(ctx context.Context, in contract.FireRungInput) (contract.FireRungResult, error) {
	key := contract.RungKey(in.Key, in.Index)
	var res contract.FireRungResult
	set, err := a.setting(ctx, in.CampaignID)
	if err != nil {
		return res, err
	}
	rungAt := in.DueAt.Add(in.Rung.Offset.Duration())
	if set.ended != nil && rungAt.After(*set.ended) {
		res.Skipped = "专项行动已于" + fmtTimeIn(*set.ended, set.zone) + "结束"
		return res, nil
	}
	if in.Grace && in.Rung.Action.Punishes() {
		g, err := a.outageGrace(ctx, in, set)
		if err != nil || g != nil {
			res.Grace = g
			return res, err
		}
	}
	year := domain.LedgerYear(in.Year, in.DueAt, set.zone)
	err = a.inTx(ctx, func(tx *sqlx.Tx) error {
		t, err := store.TaskByID(ctx, tx, in.TaskID)
		if err != nil {
			return err
		}
		switch {
		case in.Rung.Action == domain.ActionRemind && t.Status != domain.TaskOpen:
			// A reminder's purpose ends with the task.
			res.Skipped = "任务已办结"
			return nil
		case t.Status == domain.TaskCompleted && t.CompletedAt != nil && !t.CompletedAt.After(rungAt):
			// Completed by the rung's time, though the process heard of it only
			// after the rung's timer: no penalty is deserved.
			res.Skipped = "任务已于" + fmtTimeIn(*t.CompletedAt, set.zone) + "办结"
			return nil
		case t.Status == domain.TaskOpen && in.Rung.Action.Punishes():
			// A completion on its way to the process may have come in by the
			// rung's time: wait for it (the claim lapses by itself) and look again.
			inFlight, err := store.CompletionInFlight(ctx, tx, in.TaskID, time.Now())
			if err != nil {
				return err
			}
			if inFlight {
				return errCompletionInFlight
			}
		}
		unit, err := store.UnitName(ctx, tx, in.UnitID)
		if err != nil {
			return err
		}
		issuer, err := store.UnitName(ctx, tx, in.IssuerUnitID)
		if err != nil {
			return err
		}
		due := fmtTimeIn(in.DueAt, set.zone)
		taskID := &in.TaskID
		after := map[string]any{"action": in.Rung.Action, "index": in.Index, "offset": in.Rung.Offset, "due_at": in.DueAt, "rung_at": rungAt}
		notify := store.Notification{Key: key, UnitID: in.UnitID, TaskID: taskID, Kind: string(in.Rung.Action)}
		switch in.Rung.Action {
		case domain.ActionRemind:
			notify.Title = "【提醒】" + in.Title
			if in.At.Before(in.DueAt) {
				notify.Body = fmt.Sprintf("“%s”将于%s到期，请按时办理。", in.Title, due)
			} else {
				notify.Body = fmt.Sprintf("“%s”已于%s到期，请立即办理。", in.Title, due)
			}
		case domain.ActionLetter:
			body := fmt.Sprintf("%s：你单位承办的“%s”已超过办理期限（%s），现予督办，请立即办理并反馈。——%s", unit, in.Title, due, issuer)
			if _, err := store.AddLetter(ctx, tx, key, in.IssuerUnitID, in.UnitID, body, in.SubjectType, in.SubjectID); err != nil {
				return err
			}
			notify.Title, notify.Body = "【督办函】"+in.Title, body
		case domain.ActionNotice:
			reason := fmt.Sprintf("%s未按期完成“%s”（期限%s），予以通报。", unit, in.Title, due)
			if _, _, err := store.AddNotice(ctx, tx, store.Notice{Key: key, IssuerUnitID: in.IssuerUnitID, UnitIDs: []int64{in.UnitID},
				Reason: reason, SubjectType: in.SubjectType, SubjectID: in.SubjectID, At: in.At}); err != nil {
				return err
			}
			notify.Title, notify.Body = "【通报】"+in.Title, reason
		case domain.ActionInterview:
			reason := fmt.Sprintf("因未按期完成“%s”（期限%s），约谈%s主要负责人。", in.Title, due, unit)
			label := fmt.Sprintf("“%s”（期限%s）逾期%s未办结", in.Title, due, in.Rung.Offset.Words())
			index := in.Index
			summons, err := Summon(ctx, tx, store.Summons{Key: key, CampaignID: in.CampaignID, UnitID: in.UnitID,
				ReasonKey: "lateness:" + in.SubjectType, Reason: reason, Source: "ladder", At: in.At,
				SubjectType: in.SubjectType, SubjectID: in.SubjectID, TaskID: in.TaskID, Rung: &index, Label: label})
			if err != nil {
				return err
			}
			res.Summons = &summons
			notify.Title, notify.Body = "【约谈】"+in.Title, reason
		case domain.ActionDeduct:
			reason := fmt.Sprintf("%s未按期完成“%s”（期限%s），%d年度目标考核扣%g分。", unit, in.Title, due, year, in.Rung.Points)
			entry := store.LedgerEntry{Key: key, Year: year, UnitID: in.UnitID,
				Points: -in.Rung.Points, Reason: reason, Process: in.WorkflowID, Rung: &in.Index, CreatedAt: in.At}
			if in.CampaignID != "" {
				entry.CampaignID = &in.CampaignID
			}
			added, err := store.AddLedgerEntry(ctx, tx, entry)
			if err != nil {
				return err
			}
			if added {
				if _, err := store.Append(ctx, tx, store.Event{Key: "points.deducted:" + key, At: in.At, Actor: store.ActorEngine,
					Action: "points.deducted", SubjectType: in.SubjectType, SubjectID: in.SubjectID, TaskID: in.TaskID, UnitID: in.UnitID,
					After: map[string]any{"points": -in.Rung.Points, "year": entry.Year, "reason": reason}}); err != nil {
					return err
				}
			}
			notify.Title, notify.Body = "【扣分】"+in.Title, reason
		default:
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown rung action %q", in.Rung.Action), contract.ErrDataRejected, nil)
		}
		if _, err := store.Enqueue(ctx, tx, notify); err != nil {
			return err
		}
		if err := a.tellSupervisor(ctx, tx, in, key, notify); err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "rung.fired:" + key, At: in.At, Actor: store.ActorEngine, Action: "rung.fired",
			SubjectType: in.SubjectType, SubjectID: in.SubjectID, TaskID: in.TaskID, UnitID: in.UnitID, After: after})
		return err
	})
	return res, err
}

// tellSupervisor escalates a penalty to the person above the task: the
// county leader who supervises a hazard listed for county supervision (挂牌督办),
// the chair of the meeting whose decision (议定事项) is overdue. Their unit is
// told what fired, once per rung.
func (a *Activities) tellSupervisor(ctx context.Context, tx *sqlx.Tx, in contract.FireRungInput, key string, n store.Notification) error {
	if !in.Rung.Action.Punishes() {
		return nil
	}
	id, err := strconv.ParseInt(in.SubjectID, 10, 64)
	if err != nil {
		return nil // not a record's id: nothing to escalate
	}
	var above int64
	var title, body string
	switch in.SubjectType {
	case domain.SubjectHazard:
		h, err := store.HazardByID(ctx, tx, id)
		if err != nil || h.SupervisorID == nil {
			return err
		}
		above, title, body = *h.SupervisorID, "【挂牌督办】", "您挂牌督办的重大隐患整改已逾期。"
	case domain.SubjectAssignment:
		m, found, err := store.MeetingOfAssignment(ctx, tx, id)
		if err != nil || !found {
			return err
		}
		above, title, body = m.ChairID, "【议定事项督办】", fmt.Sprintf("您主持的“%s”（%s）议定事项逾期未办结。", m.Title, m.HeldOn.Format("2006年1月2日"))
	default:
		return nil
	}
	person, err := store.PersonByID(ctx, tx, above)
	if err != nil {
		return err
	}
	_, err = store.Enqueue(ctx, tx, store.Notification{Key: key + "#supervisor", UnitID: person.UnitID, TaskID: n.TaskID, Kind: n.Kind,
		Title: title + in.Title, Body: person.Name + "：" + body + n.Body})
	return err
}

// outageGrace answers the grace a task gets because its deadline fell in an
// engine outage (nil when it did not). The deadline is campaign time; outages
// are wall time. An outage still under way when the rung fires (the last beat
// is old: the database or the worker has just come back) is recorded first.
func (a *Activities) outageGrace(ctx context.Context, in contract.FireRungInput, set rungSetting) (*contract.Grace, error) {
	now := time.Now()
	last, err := store.LastBeat(ctx, a.Store.DB)
	if err != nil {
		return nil, err
	}
	if !last.IsZero() && now.Sub(last) > store.OutageGap {
		if _, err := a.Store.Beat(ctx, now); err != nil {
			return nil, err
		}
	}
	o, found, err := store.OutageAt(ctx, a.Store.DB, set.clock.WallAt(in.DueAt))
	if err != nil || !found {
		return nil, err
	}
	return &contract.Grace{Key: fmt.Sprintf("outage:%d:%s", o.ID, in.TaskID), ShiftBy: set.clock.Campaign(o.Duration()), Reason: contract.OutageReason}, nil
}
