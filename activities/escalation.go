package activities

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// FireRungInput is one rung of a ladder firing for one subject.
type FireRungInput struct {
	// Key is the ladder's stable key; Key#Index is the rung's idempotency key.
	Key          string      `json:"key"`
	Index        int         `json:"index"`
	Rung         domain.Rung `json:"rung"`
	WorkflowID   string      `json:"workflow_id"`
	TaskID       string      `json:"task_id"`
	Title        string      `json:"title"`
	SubjectType  string      `json:"subject_type"`
	SubjectID    string      `json:"subject_id"`
	CampaignID   string      `json:"campaign_id,omitempty"`
	UnitID       int64       `json:"unit_id"`
	IssuerUnitID int64       `json:"issuer_unit_id"`
	DueAt        time.Time   `json:"due_at"`
	At           time.Time   `json:"at"`
}

// RungKey is the idempotency key of one rung of one ladder.
func RungKey(ladderKey string, index int) string { return ladderKey + "#" + strconv.Itoa(index) }

// FireRungResult names the interview an interview rung summoned, and whether
// the workflow must start its process.
type FireRungResult struct {
	Summons *store.SummonResult `json:"summons,omitempty"`
}

// FireRung does what the rung says — remind, letter, notice, interview summons,
// deduction — in one transaction, once per rung key, with its audit row.
func (a *Activities) FireRung(ctx context.Context, in FireRungInput) (FireRungResult, error) {
	key := RungKey(in.Key, in.Index)
	var res FireRungResult
	err := a.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		unit, err := store.UnitName(ctx, tx, in.UnitID)
		if err != nil {
			return err
		}
		issuer, err := store.UnitName(ctx, tx, in.IssuerUnitID)
		if err != nil {
			return err
		}
		due := fmtTime(in.DueAt)
		taskID := &in.TaskID
		after := map[string]any{"action": in.Rung.Action, "index": in.Index, "offset": in.Rung.Offset, "due_at": in.DueAt}
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
			if _, err := store.AddNotice(ctx, tx, store.Notice{Key: key, IssuerUnitID: in.IssuerUnitID, UnitIDs: []int64{in.UnitID},
				Reason: reason, SubjectType: in.SubjectType, SubjectID: in.SubjectID, At: in.At}); err != nil {
				return err
			}
			notify.Title, notify.Body = "【通报】"+in.Title, reason
		case domain.ActionInterview:
			reason := fmt.Sprintf("因未按期完成“%s”（期限%s），约谈%s主要负责人。", in.Title, due, unit)
			summons, err := store.Summon(ctx, tx, store.Summons{Key: key, CampaignID: in.CampaignID, UnitID: in.UnitID,
				ReasonKey: "lateness:" + in.SubjectType, Reason: reason, Source: "ladder", At: in.At})
			if err != nil {
				return err
			}
			res.Summons = &summons
			notify.Title, notify.Body = "【约谈】"+in.Title, reason
		case domain.ActionDeduct:
			reason := fmt.Sprintf("%s未按期完成“%s”（期限%s），年度目标考核扣%g分。", unit, in.Title, due, in.Rung.Points)
			entry := store.LedgerEntry{Key: key, Year: in.DueAt.In(CampaignZone).Year(), UnitID: in.UnitID,
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
			return fmt.Errorf("unknown rung action %q", in.Rung.Action)
		}
		if _, err := store.Enqueue(ctx, tx, notify); err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "rung.fired:" + key, At: in.At, Actor: store.ActorEngine, Action: "rung.fired",
			SubjectType: in.SubjectType, SubjectID: in.SubjectID, TaskID: in.TaskID, UnitID: in.UnitID, After: after})
		return err
	})
	return res, err
}
