package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// PledgeSpecs builds the pledges an issuer signs with the units under it: the
// county with its departments and towns, a department with the enterprises it
// supervises. Targets come from the template of the signer's kind, duties from
// its duty list, the deadline and ladder from the campaign's policy.
//
// Histories from before contract.PledgesFromActivityVersion ask for them
// here; since, PlanPledges does.
func (a *Activities) PledgeSpecs(ctx context.Context, in contract.PledgeSignersInput) ([]domain.PledgeSpec, error) {
	return a.pledgeSpecs(ctx, in)
}

// PlanPledges counts an issuer's pledges of the year and, below the
// children's limit, builds them.
func (a *Activities) PlanPledges(ctx context.Context, in contract.PledgeSignersInput) (contract.PledgePlan, error) {
	c, signers, err := a.pledgeSigners(ctx, in)
	if err != nil {
		return contract.PledgePlan{}, err
	}
	plan := contract.PledgePlan{Total: len(signers), Clock: c.Clock()}
	if len(signers) > a.maxChildren() {
		return plan, nil
	}
	plan.Specs, err = a.pledgeSpecsOf(ctx, in, c, signers)
	return plan, err
}

// StartPledgeProcesses starts an issuer's pledges of the year as processes of
// their own, sixteen at a time; one already started is left as it is.
func (a *Activities) StartPledgeProcesses(ctx context.Context, in contract.PledgeSignersInput) (int, error) {
	if a.Temporal == nil {
		return 0, errors.New("start pledge processes: the worker has no Temporal client")
	}
	specs, err := a.pledgeSpecs(ctx, in)
	if err != nil {
		return 0, err
	}
	err = a.startEach(ctx, contract.PledgeWorkflow, len(specs), func(i int) (string, any) { return specs[i].ID, specs[i] })
	return len(specs), err
}

// CancelPledgeProcesses asks an issuer's pledges of the year not yet in force
// to cancel (the year was cancelled); one already closed is skipped.
func (a *Activities) CancelPledgeProcesses(ctx context.Context, in contract.PledgeSignersInput) error {
	if a.Temporal == nil {
		return errors.New("cancel pledge processes: the worker has no Temporal client")
	}
	ids, err := store.OpenPledges(ctx, a.Store.DB, in.CampaignID, in.Year, in.IssuerUnitID)
	if err != nil {
		return err
	}
	return a.cancelEach(ctx, ids)
}

// TallyPledges counts an issuer's pledges of the year from the database.
func (a *Activities) TallyPledges(ctx context.Context, in contract.PledgeSignersInput) (contract.PledgeTally, error) {
	t, err := store.TallyPledges(ctx, a.Store.DB, in.CampaignID, in.Year, in.IssuerUnitID)
	return contract.PledgeTally{Pledges: t.Pledges, InForce: t.InForce, Year: t.Year}, err
}

// pledgeSpecs builds the pledges an issuer signs with the units under it.
func (a *Activities) pledgeSpecs(ctx context.Context, in contract.PledgeSignersInput) ([]domain.PledgeSpec, error) {
	c, signers, err := a.pledgeSigners(ctx, in)
	if err != nil {
		return nil, err
	}
	return a.pledgeSpecsOf(ctx, in, c, signers)
}

// pledgeSigners reads the campaign and the units an issuer signs pledges with.
func (a *Activities) pledgeSigners(ctx context.Context, in contract.PledgeSignersInput) (store.Campaign, []domain.Unit, error) {
	c, err := store.CampaignByID(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return c, nil, err
	}
	signers, err := store.PledgeSigners(ctx, a.Store.DB, c.ID, in.IssuerUnitID)
	return c, signers, err
}

// pledgeSpecsOf builds the pledges of the campaign's issuer with its signers.
func (a *Activities) pledgeSpecsOf(ctx context.Context, in contract.PledgeSignersInput, c store.Campaign, signers []domain.Unit) ([]domain.PledgeSpec, error) {
	policy := c.PledgePolicy()
	issuerName, err := store.UnitName(ctx, a.Store.DB, in.IssuerUnitID)
	if err != nil {
		return nil, err
	}
	specs := make([]domain.PledgeSpec, 0, len(signers))
	for _, u := range signers {
		tpl, err := store.PledgeTemplateFor(ctx, a.Store.DB, u.Kind.String())
		if err != nil {
			return nil, fmt.Errorf("no pledge template for %s units: %w", u.Kind, err)
		}
		duties, err := store.Duties(ctx, a.Store.DB, u.ID)
		if err != nil {
			return nil, err
		}
		specs = append(specs, domain.PledgeSpec{
			ID: domain.PledgeWorkflowID(in.CampaignID, in.Year, u.Code), CampaignID: in.CampaignID, Year: in.Year, Level: in.Level,
			IssuerUnitID: in.IssuerUnitID, IssuerName: issuerName, SignerUnitID: u.ID, SignerCode: u.Code, SignerName: u.Name,
			Targets: tpl.Targets, Duties: duties, DueAt: policy.SigningDeadline(in.Year, c.Location(), c.Now(in.Now)),
			CountersignDays: policy.CountersignDays, Ladder: policy.Ladder, Clock: c.Clock(),
		})
	}
	return specs, nil
}

// RecordPledge writes the issued pledge and its audit row, once.
func (a *Activities) RecordPledge(ctx context.Context, in contract.RecordPledgeInput) error {
	spec, at := in.Spec, in.At
	targets, err := json.Marshal(spec.Targets)
	if err != nil {
		return err
	}
	duties, err := json.Marshal(spec.Duties)
	if err != nil {
		return err
	}
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.InsertPledge(ctx, tx, store.Pledge{ID: spec.ID, CampaignID: spec.CampaignID, Year: spec.Year, Level: spec.Level,
			IssuerUnitID: spec.IssuerUnitID, SignerUnitID: spec.SignerUnitID, Targets: targets, Duties: duties, DueAt: spec.DueAt, CreatedAt: at})
		if err != nil || !inserted {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "pledge.issued:" + spec.ID, At: at, Actor: store.ActorEngine, Action: "pledge.issued",
			SubjectType: "pledge", SubjectID: spec.ID, UnitID: spec.SignerUnitID,
			After: map[string]any{"issuer_unit_id": spec.IssuerUnitID, "year": spec.Year, "due_at": spec.DueAt, "targets": spec.Targets}})
		return err
	})
}
