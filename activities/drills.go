package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// HazardLoopInput is the input of a recorded hazard's loop (hazard/{id}): it
// is verified by the finding body — by its inspectors where it has some, else
// by its head — with the county's letters, on the hazard's campaign's policy
// (the defaults outside a campaign). POST /hazards and a drill's problems
// both build their loops with it. supervisor is the unit's supervising
// department. A major hazard's supervising leader is the caller's to add.
func HazardLoopInput(ctx context.Context, db sqlx.ExtContext, h store.Hazard, unitCode string, supervisor int64) (contract.HazardInput, error) {
	county, err := store.CountyUnit(ctx, db)
	if err != nil {
		return contract.HazardInput{}, err
	}
	verifier := domain.RoleUnitHead
	if ok, err := store.HasRole(ctx, db, h.FinderUnitID, domain.RoleInspector); err != nil {
		return contract.HazardInput{}, err
	} else if ok {
		verifier = domain.RoleInspector
	}
	in := contract.HazardInput{ID: h.ID, Title: h.Description, UnitID: h.UnitID, UnitCode: unitCode, Level: h.Level,
		Deadline: domain.Stored(h.Deadline), FoundAt: domain.Stored(h.CreatedAt), FinderUnitID: h.FinderUnitID, VerifierRole: verifier,
		SupervisorUnitID: supervisor, CountyUnitID: county.ID, Policy: domain.DefaultHazardPolicy()}
	if h.CampaignID != nil {
		camp, err := store.CampaignByID(ctx, db, *h.CampaignID)
		if err != nil {
			return in, err
		}
		in.Policy = camp.FullPolicy().Hazard
	}
	return in, nil
}

// RecordDrill writes a drill and its units, with its audit row, if the API's
// transaction did not (a crash between the start of the process and the
// commit): every process has its row. Idempotent on the id.
func (a *Activities) RecordDrill(ctx context.Context, spec domain.DrillSpec) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.InsertDrill(ctx, tx, spec, DrillPrepareTaskIDs(spec), contract.DrillEvaluateTaskID(spec.ID))
		if err != nil || !inserted {
			return err
		}
		return AppendDrillPlanned(ctx, tx, spec)
	})
}

// DrillPrepareTaskIDs are the ids of a drill's preparation tasks, in the order of its units.
func DrillPrepareTaskIDs(spec domain.DrillSpec) []string {
	ids := make([]string, len(spec.Units))
	for i, u := range spec.Units {
		ids[i] = contract.DrillPrepareTaskID(spec.ID, u.UnitID)
	}
	return ids
}

// AppendDrillPlanned writes a drill's audit row (once, by its key): the API and RecordDrill share it.
func AppendDrillPlanned(ctx context.Context, tx sqlx.ExtContext, spec domain.DrillSpec) error {
	codes := make([]string, len(spec.Units))
	for i, u := range spec.Units {
		codes[i] = u.Code
	}
	_, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("drill.planned:%d", spec.ID), At: spec.CreatedAt, Actor: spec.PlannedBy,
		Action: "drill.planned", SubjectType: domain.SubjectDrill, SubjectID: fmt.Sprint(spec.ID), UnitID: spec.OrganiserUnitID,
		After: map[string]any{"year": spec.Year, "title": spec.Title, "drill_at": spec.DrillAt, "prepare_due": spec.PrepareDue,
			"units": codes, "lead_unit_id": spec.LeadUnitID, "campaign": spec.CampaignID}})
	return err
}

// DrillPrepared records a mine's preparation with its audit row, once.
func (a *Activities) DrillPrepared(ctx context.Context, in contract.DrillPreparedInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		recorded, err := store.RecordDrillPreparation(ctx, tx, in.DrillID, in.UnitID, in.By, in.At, in.Result)
		if err != nil || !recorded {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("drill.prepared:%d:%d", in.DrillID, in.UnitID), At: in.At, Actor: in.By,
			Action: "drill.prepared", SubjectType: domain.SubjectDrill, SubjectID: fmt.Sprint(in.DrillID), TaskID: in.TaskID, UnitID: in.UnitID,
			After: map[string]any{"result": in.Result}})
		return err
	})
}

// DrillEvaluated records the organiser's record of a drill (held on, present,
// evaluation) and opens a general hazard per problem at its unit — found by
// the drill (found_by drill) by the organiser, source other, category
// 应急管理, the drill's campaign's — each once, keyed by drill and problem,
// each audited as POST /hazards audits one; all in one transaction. It
// answers the hazards' loops, on the drill's campaign's clock when it has
// one, so the deadlines the organiser wrote in campaign time hold.
func (a *Activities) DrillEvaluated(ctx context.Context, in contract.DrillEvaluatedInput) (contract.DrillEvaluatedResult, error) {
	var out contract.DrillEvaluatedResult
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		out = contract.DrillEvaluatedResult{}
		d, err := store.DrillByID(ctx, tx, in.DrillID)
		if err != nil {
			return err
		}
		units, err := store.DrillUnitIDs(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		present := make([]int64, 0, len(in.Record.Present))
		for _, code := range in.Record.Present {
			present = append(present, units[code])
		}
		recorded, err := store.RecordDrillEvaluation(ctx, tx, d.ID, in.Record, present, in.By, in.At)
		if err != nil {
			return err
		}
		if recorded {
			if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("drill.evaluated:%d", d.ID), At: in.At, Actor: in.By,
				Action: "drill.evaluated", SubjectType: domain.SubjectDrill, SubjectID: fmt.Sprint(d.ID), TaskID: in.TaskID, UnitID: d.OrganiserUnitID,
				After: map[string]any{"held_on": in.Record.HeldOn, "present": in.Record.Present, "problems": len(in.Record.Problems)}}); err != nil {
				return err
			}
		}
		createdBy := d.PlannedBy
		if p, err := store.PersonByKey(ctx, tx, in.By); err == nil {
			createdBy = p.ID
		} else if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		found, err := time.ParseInLocation(time.DateOnly, in.Record.HeldOn, domain.DefaultZone)
		if err != nil {
			return fmt.Errorf("drill %d held on %q: %w", d.ID, in.Record.HeldOn, err)
		}
		var clock *domain.Clock
		if d.CampaignID != nil {
			camp, err := store.CampaignByID(ctx, tx, *d.CampaignID)
			if err != nil {
				return err
			}
			clock = camp.Clock()
		}
		for i, p := range in.Record.Problems {
			unitID, ok := units[p.Unit]
			if !ok || p.Deadline == nil {
				return fmt.Errorf("drill %d problem %d: unit %q: %w", d.ID, i+1, p.Unit, domain.ErrNotFound)
			}
			_, supervisor, err := store.UnitProduction(ctx, tx, unitID)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			key := fmt.Sprintf("drill:%d:%d", d.ID, i+1)
			h := store.Hazard{UnitID: unitID, Source: "other", Level: domain.HazardGeneral, Category: domain.DrillProblemCategory,
				Description: p.Description, Location: d.Location, FoundBy: domain.HazardFoundByDrill, FinderUnitID: d.OrganiserUnitID,
				FoundOn: store.Date{Time: found}, Deadline: *p.Deadline, CampaignID: d.CampaignID, Key: &key, CreatedBy: createdBy, CreatedAt: in.At}
			id, created, err := store.InsertHazard(ctx, tx, h)
			if err != nil {
				return err
			}
			h.ID = id
			if created {
				if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("hazard.recorded:%d", id), At: in.At, Actor: in.By, Action: "hazard.recorded",
					SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(id), UnitID: unitID,
					After: map[string]any{"level": h.Level, "source": h.Source, "category": h.Category, "deadline": h.Deadline, "drill": d.ID}}); err != nil {
					return err
				}
			}
			if err := store.InsertDrillProblem(ctx, tx, d.ID, i+1, unitID, p.Description, *p.Deadline, id); err != nil {
				return err
			}
			loop, err := HazardLoopInput(ctx, tx, h, p.Unit, supervisor)
			if err != nil {
				return err
			}
			if d.CampaignID != nil {
				loop.CampaignID, loop.Clock = *d.CampaignID, clock
			}
			out.Hazards = append(out.Hazards, loop)
		}
		return nil
	})
	return out, permanent(err)
}

// DrillClosed records a drill whose problems are all rectified, with its audit row, once.
func (a *Activities) DrillClosed(ctx context.Context, in contract.DrillClosedInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		closed, err := store.CloseDrill(ctx, tx, in.DrillID, in.At)
		if err != nil || !closed {
			return err
		}
		d, err := store.DrillByID(ctx, tx, in.DrillID)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("drill.closed:%d", in.DrillID), At: in.At, Actor: store.ActorEngine,
			Action: "drill.closed", SubjectType: domain.SubjectDrill, SubjectID: fmt.Sprint(in.DrillID), UnitID: d.OrganiserUnitID,
			After: map[string]any{"problems": d.Problems, "rectified": d.Rectified}})
		return err
	})
}
