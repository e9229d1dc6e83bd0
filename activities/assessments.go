package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// ComputeAssessment scores every unit from the ledger, applies the one-vote
// veto, grades and ranks within kind, and stores the computation. A published
// year answers its frozen results.
func (a *Activities) ComputeAssessment(ctx context.Context, in contract.AssessmentStep) (contract.AssessmentComputed, error) {
	c, err := store.CampaignByID(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return contract.AssessmentComputed{}, err
	}
	policy := c.FullPolicy()
	out := contract.AssessmentComputed{ApprovalDays: policy.Assessment.ApprovalDays}
	if prev, err := store.AssessmentOf(ctx, a.Store.DB, in.CampaignID, in.Year); err == nil && prev.Status == domain.AssessmentPublished {
		out.Results = prev.Results
		return out, nil
	} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return out, err
	}
	scores, err := store.Scores(ctx, a.Store.DB, in.CampaignID, in.Year, policy.Base())
	if err != nil {
		return out, err
	}
	vetoes, err := store.Vetoes(ctx, a.Store.DB, in.CampaignID, in.Year)
	if err != nil {
		return out, err
	}
	units := make([]domain.AssessedUnit, 0, len(scores))
	for _, s := range scores {
		veto, vetoed := vetoes[s.UnitID]
		units = append(units, domain.AssessedUnit{UnitID: s.UnitID, UnitCode: s.UnitCode, UnitName: s.UnitName, Kind: s.Kind, Score: s.Score, Vetoed: vetoed, Veto: veto})
	}
	ranked := policy.Assessment.RankWithinKind(units, policy.Base())
	err = a.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.SaveComputed(ctx, tx, in.CampaignID, in.Year, in.Round, ranked, in.At); err != nil {
			return err
		}
		_, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("assessment.computed:%s:%d:%d", in.CampaignID, in.Year, in.Round), At: in.At,
			Actor: store.ActorEngine, Action: "assessment.computed", SubjectType: "assessment", SubjectID: fmt.Sprintf("%s/%d", in.CampaignID, in.Year),
			After: map[string]any{"round": in.Round, "units": len(ranked)}})
		return err
	})
	out.Results = ranked
	return out, err
}

// PublishAssessment freezes the approved results and summons the bottom units'
// heads, answering the interviews to start.
func (a *Activities) PublishAssessment(ctx context.Context, in contract.AssessmentStep) ([]contract.SummonResult, error) {
	var out []contract.SummonResult
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		published, err := store.PublishAssessment(ctx, tx, in.CampaignID, in.Year, in.By, in.At)
		if err != nil {
			return err
		}
		res, err := store.AssessmentOf(ctx, tx, in.CampaignID, in.Year)
		if err != nil {
			return err
		}
		if published {
			if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("assessment.published:%s:%d", in.CampaignID, in.Year), At: in.At,
				Actor: in.By, Action: "assessment.published", SubjectType: "assessment", SubjectID: fmt.Sprintf("%s/%d", in.CampaignID, in.Year),
				After: map[string]any{"round": res.Round}}); err != nil {
				return err
			}
		}
		for _, u := range res.Results {
			if !u.Summoned {
				continue
			}
			reason := fmt.Sprintf("%d年度安全生产目标责任考核中%s在同类单位中排名第%d（%.1f分），约谈主要负责人。", in.Year, u.UnitName, u.Rank, u.Score)
			if u.TiedAtBoundary {
				reason = fmt.Sprintf("%d年度安全生产目标责任考核中%s在同类单位中并列第%d（%.1f分，与末位同分），约谈主要负责人。", in.Year, u.UnitName, u.Rank, u.Score)
			}
			s, err := Summon(ctx, tx, store.Summons{Key: fmt.Sprintf("ranking:%s:%d:%d", in.CampaignID, in.Year, u.UnitID), CampaignID: in.CampaignID,
				UnitID: u.UnitID, ReasonKey: fmt.Sprintf("ranking:%d", in.Year), Reason: reason, Source: "ranking", At: in.At})
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}
