package activities

import (
	"context"
	"encoding/json"
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
func (a *Activities) PledgeSpecs(ctx context.Context, in contract.PledgeSignersInput) ([]domain.PledgeSpec, error) {
	c, err := store.CampaignByID(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return nil, err
	}
	policy := c.PledgePolicy()
	issuerName, err := store.UnitName(ctx, a.Store.DB, in.IssuerUnitID)
	if err != nil {
		return nil, err
	}
	signers, err := store.PledgeSigners(ctx, a.Store.DB, c.ID, in.IssuerUnitID)
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
