package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Campaign is a special rectification campaign and its policy.
type Campaign struct {
	ID        string    `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	TimeZone  string    `db:"time_zone" json:"time_zone"`
	StartsOn  time.Time `db:"starts_on" json:"starts_on"`
	EndsOn    time.Time `db:"ends_on" json:"ends_on"`
	Policy    JSON      `db:"policy" json:"policy"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	// ClockSpeed is how many times faster than real time the campaign runs (1: real time).
	ClockSpeed float64 `db:"clock_speed" json:"clock_speed"`
	// ClockAnchor is the wall time the campaign's clock started from, set when it is first run.
	ClockAnchor *time.Time `db:"clock_anchor" json:"clock_anchor,omitempty"`
	// EndedAt is when the campaign was ended early, in campaign time; no rung fires after it.
	EndedAt *time.Time `db:"ended_at" json:"ended_at,omitempty"`
	// rules is Policy decoded.
	rules CampaignPolicy
}

// Clock is the campaign's clock: nil while it runs in real time or has not been run.
func (c Campaign) Clock() *domain.Clock {
	if c.ClockSpeed <= 1 || c.ClockAnchor == nil {
		return nil
	}
	loc := c.Location()
	start := time.Date(c.StartsOn.Year(), c.StartsOn.Month(), c.StartsOn.Day(), 0, 0, 0, 0, loc)
	return &domain.Clock{Anchor: *c.ClockAnchor, Start: start, Speed: c.ClockSpeed}
}

// Now is the campaign's time at wall time wall; a fast campaign not yet run
// stands at its first day.
func (c Campaign) Now(wall time.Time) time.Time {
	if c.ClockSpeed > 1 && c.ClockAnchor == nil {
		return time.Date(c.StartsOn.Year(), c.StartsOn.Month(), c.StartsOn.Day(), 0, 0, 0, 0, c.Location())
	}
	return c.Clock().Now(wall)
}

// CampaignPolicy is the policy a campaign stores.
type CampaignPolicy = domain.CampaignPolicy

// FullPolicy is the campaign's whole policy with defaults filled in, as read
// when the campaign was loaded (a stored policy that does not decode is an
// error of CampaignByID, never a silent fall back to the defaults).
func (c Campaign) FullPolicy() CampaignPolicy { return c.rules.WithDefaults(c.StartsOn, c.EndsOn) }

// decodePolicy reads the stored policy strictly.
func (c *Campaign) decodePolicy() error {
	if len(c.Policy) == 0 {
		return nil
	}
	if err := domain.DecodeJSON(c.Policy, &c.rules); err != nil {
		return fmt.Errorf("campaign %s: stored policy does not decode: %w", c.ID, err)
	}
	return nil
}

// PledgePolicy reads the campaign's pledge policy with defaults filled in.
func (c Campaign) PledgePolicy() domain.PledgePolicy { return c.FullPolicy().Pledge }

// Location is the campaign's time zone.
func (c Campaign) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// UpsertCampaign creates or updates a campaign by id.
func UpsertCampaign(ctx context.Context, db sqlx.ExtContext, c Campaign) error {
	_, err := db.ExecContext(ctx, `
INSERT INTO campaigns (id, name, time_zone, starts_on, ends_on, policy, clock_speed) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone, starts_on = EXCLUDED.starts_on,
  ends_on = EXCLUDED.ends_on, policy = EXCLUDED.policy, clock_speed = EXCLUDED.clock_speed`,
		c.ID, c.Name, c.TimeZone, c.StartsOn, c.EndsOn, string(c.Policy), max(c.ClockSpeed, 1))
	if err != nil {
		return fmt.Errorf("campaign %s: %w", c.ID, mapError(err))
	}
	return nil
}

// Campaigns lists the campaigns, newest first.
func Campaigns(ctx context.Context, db sqlx.ExtContext) ([]Campaign, error) {
	var out []Campaign
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT `+campaignColumns+` FROM campaigns ORDER BY starts_on DESC, id`); err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	for i := range out {
		if err := out[i].decodePolicy(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const campaignColumns = `id, name, time_zone, starts_on, ends_on, policy, created_at, clock_speed, clock_anchor, ended_at`

// CampaignByID loads a campaign.
func CampaignByID(ctx context.Context, db sqlx.ExtContext, id string) (Campaign, error) {
	var c Campaign
	err := sqlx.GetContext(ctx, db, &c, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, id)
	if err != nil {
		return c, fmt.Errorf("campaign %s: %w", id, mapError(err))
	}
	return c, c.decodePolicy()
}

// StartClock sets the campaign's clock anchor to at unless it is set already,
// and answers the campaign as stored: running a campaign twice keeps its clock.
func StartClock(ctx context.Context, db sqlx.ExtContext, id string, at time.Time) (Campaign, error) {
	at = domain.Stored(at)
	if _, err := db.ExecContext(ctx, `UPDATE campaigns SET clock_anchor = $2 WHERE id = $1 AND clock_anchor IS NULL`, id, at); err != nil {
		return Campaign{}, fmt.Errorf("campaign %s clock: %w", id, err)
	}
	return CampaignByID(ctx, db, id)
}

// EndCampaign records that the campaign ended at at (campaign time), once:
// it answers whether this call ended it.
func EndCampaign(ctx context.Context, db sqlx.ExtContext, id string, at time.Time) (bool, error) {
	res, err := db.ExecContext(ctx, `UPDATE campaigns SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL`, id, domain.Stored(at))
	if err != nil {
		return false, fmt.Errorf("end campaign %s: %w", id, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetParticipants records the units taking part in a campaign.
func SetParticipants(ctx context.Context, db sqlx.ExtContext, campaignID string, unitIDs []int64) error {
	_, err := db.ExecContext(ctx, `INSERT INTO campaign_participants (campaign_id, unit_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`,
		campaignID, pq.Array(unitIDs))
	if err != nil {
		return fmt.Errorf("campaign %s participants: %w", campaignID, mapError(err))
	}
	return nil
}

// Participants lists the units taking part in a campaign.
func Participants(ctx context.Context, db sqlx.ExtContext, campaignID string) ([]domain.Unit, error) {
	return selectUnits(ctx, db, "participants of "+campaignID, `SELECT u.id, u.code, u.name, u.kind, u.parent_id FROM units u
JOIN campaign_participants p ON p.unit_id = u.id AND p.campaign_id = $1 ORDER BY u.id`, campaignID)
}

// PledgeTemplate is the default target list for a kind of signer unit.
type PledgeTemplate struct {
	Kind      string          `db:"kind" json:"kind"`
	Targets   []domain.Target `db:"-" json:"targets"`
	Raw       JSON            `db:"targets" json:"-"`
	UpdatedAt time.Time       `db:"updated_at" json:"updated_at"`
	UpdatedBy string          `db:"updated_by" json:"updated_by"`
}

// SetPledgeTemplate stores a kind's template.
func SetPledgeTemplate(ctx context.Context, db sqlx.ExtContext, kind string, targets []domain.Target, by string) error {
	b, err := json.Marshal(targets)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `
INSERT INTO pledge_templates (kind, targets, updated_by) VALUES ($1, $2, $3)
ON CONFLICT (kind) DO UPDATE SET targets = EXCLUDED.targets, updated_by = EXCLUDED.updated_by, updated_at = now()`, kind, string(b), by)
	if err != nil {
		return fmt.Errorf("pledge template %s: %w", kind, mapError(err))
	}
	return nil
}

// PledgeTemplateFor loads a kind's template.
func PledgeTemplateFor(ctx context.Context, db sqlx.ExtContext, kind string) (PledgeTemplate, error) {
	var t PledgeTemplate
	if err := sqlx.GetContext(ctx, db, &t, `SELECT kind, targets, updated_at, updated_by FROM pledge_templates WHERE kind = $1`, kind); err != nil {
		return t, fmt.Errorf("pledge template %s: %w", kind, mapError(err))
	}
	if err := json.Unmarshal(t.Raw, &t.Targets); err != nil {
		return t, fmt.Errorf("pledge template %s: %w", kind, err)
	}
	return t, nil
}

// SetDuties stores a unit's duty list.
func SetDuties(ctx context.Context, db sqlx.ExtContext, unitID int64, duties []string) error {
	b, err := json.Marshal(duties)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `
INSERT INTO duty_lists (unit_id, duties) VALUES ($1, $2)
ON CONFLICT (unit_id) DO UPDATE SET duties = EXCLUDED.duties, updated_at = now()`, unitID, string(b))
	if err != nil {
		return fmt.Errorf("duties of unit %d: %w", unitID, mapError(err))
	}
	return nil
}

// Duties loads a unit's duty list (empty when none is kept).
func Duties(ctx context.Context, db sqlx.ExtContext, unitID int64) ([]string, error) {
	var raw JSON
	err := sqlx.GetContext(ctx, db, &raw, `SELECT duties FROM duty_lists WHERE unit_id = $1`, unitID)
	if errors.Is(mapError(err), domain.ErrNotFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("duties of unit %d: %w", unitID, err)
	}
	var out []string
	return out, json.Unmarshal(raw, &out)
}

// Pledge is a target-responsibility pledge (安全生产目标责任书).
type Pledge struct {
	ID              string        `db:"id" json:"id"`
	CampaignID      string        `db:"campaign_id" json:"campaign_id"`
	Year            int           `db:"year" json:"year"`
	Level           int           `db:"level" json:"level"`
	IssuerUnitID    int64         `db:"issuer_unit_id" json:"issuer_unit_id"`
	IssuerCode      string        `db:"issuer_code" json:"issuer_code"`
	IssuerName      string        `db:"issuer_name" json:"issuer_name"`
	SignerUnitID    int64         `db:"signer_unit_id" json:"signer_unit_id"`
	SignerCode      string        `db:"signer_code" json:"signer_code"`
	SignerName      string        `db:"signer_name" json:"signer_name"`
	Targets         JSON          `db:"targets" json:"targets"`
	Duties          JSON          `db:"duties" json:"duties"`
	Status          domain.Status `db:"status" json:"status"`
	DueAt           time.Time     `db:"due_at" json:"due_at"`
	Round           int           `db:"round" json:"round"`
	SignedAt        *time.Time    `db:"signed_at" json:"signed_at,omitempty"`
	SignedBy        *string       `db:"signed_by" json:"signed_by,omitempty"`
	CountersignedAt *time.Time    `db:"countersigned_at" json:"countersigned_at,omitempty"`
	CountersignedBy *string       `db:"countersigned_by" json:"countersigned_by,omitempty"`
	Proposal        JSON          `db:"proposal" json:"proposal,omitempty"`
	ProposalComment *string       `db:"proposal_comment" json:"proposal_comment,omitempty"`
	ReturnComment   *string       `db:"return_comment" json:"return_comment,omitempty"`
	CreatedAt       time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time     `db:"updated_at" json:"updated_at"`
}

// Overdue says whether the pledge is not in force past its deadline.
func (p Pledge) Overdue(now time.Time) bool {
	return p.Status != domain.PledgeInForce && now.After(p.DueAt)
}

const pledgeColumns = `p.id, p.campaign_id, p.year, p.level, p.issuer_unit_id, i.code AS issuer_code, i.name AS issuer_name,
p.signer_unit_id, s.code AS signer_code, s.name AS signer_name, p.targets, p.duties, p.status, p.due_at, p.round,
p.signed_at, p.signed_by, p.countersigned_at, p.countersigned_by, p.proposal, p.proposal_comment, p.return_comment,
p.created_at, p.updated_at`

const pledgeFrom = ` FROM pledges p JOIN units i ON i.id = p.issuer_unit_id JOIN units s ON s.id = p.signer_unit_id`

// InsertPledge writes a newly issued pledge once per id.
func InsertPledge(ctx context.Context, db sqlx.ExtContext, p Pledge) (bool, error) {
	res, err := db.ExecContext(ctx, `
INSERT INTO pledges (id, campaign_id, year, level, issuer_unit_id, signer_unit_id, targets, duties, due_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING`,
		p.ID, p.CampaignID, p.Year, p.Level, p.IssuerUnitID, p.SignerUnitID, string(p.Targets), string(p.Duties), p.DueAt, p.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("pledge %s: %w", p.ID, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PledgeByID loads a pledge.
func PledgeByID(ctx context.Context, db sqlx.ExtContext, id string) (Pledge, error) {
	var p Pledge
	if err := sqlx.GetContext(ctx, db, &p, `SELECT `+pledgeColumns+pledgeFrom+` WHERE p.id = $1`, id); err != nil {
		return p, fmt.Errorf("pledge %s: %w", id, mapError(err))
	}
	return p, nil
}

// PledgeUpdate is a step of a pledge: signed, returned, in force.
type PledgeUpdate struct {
	ID       string
	Status   domain.Status
	Round    int
	By       string
	At       time.Time
	Proposal []domain.Target // signed with a proposal
	Comment  string
	// Targets replace the pledge's targets (an accepted proposal).
	Targets []domain.Target
}

// UpdatePledge applies a step and answers the pledge before and after.
func UpdatePledge(ctx context.Context, tx sqlx.ExtContext, u PledgeUpdate) (Pledge, Pledge, error) {
	before, err := PledgeByID(ctx, tx, u.ID)
	if err != nil {
		return before, before, err
	}
	var q string
	args := []any{u.ID, u.Status, u.Round, u.At}
	switch u.Status {
	case domain.PledgeSigned:
		var proposal any
		var comment any
		if len(u.Proposal) > 0 {
			b, err := json.Marshal(u.Proposal)
			if err != nil {
				return before, before, fmt.Errorf("pledge %s proposal: %w", u.ID, err)
			}
			proposal, comment = string(b), u.Comment
		}
		q = `UPDATE pledges SET status = $2, round = $3, updated_at = $4, signed_at = $4, signed_by = $5, proposal = $6, proposal_comment = $7 WHERE id = $1`
		args = append(args, u.By, proposal, comment)
	case domain.PledgeReturned:
		q = `UPDATE pledges SET status = $2, round = $3, updated_at = $4, return_comment = $5 WHERE id = $1`
		args = append(args, u.Comment)
	case domain.PledgeInForce:
		var targets any
		if len(u.Targets) > 0 {
			b, err := json.Marshal(u.Targets)
			if err != nil {
				return before, before, fmt.Errorf("pledge %s targets: %w", u.ID, err)
			}
			targets = string(b)
		}
		q = `UPDATE pledges SET status = $2, round = $3, updated_at = $4, countersigned_at = $4, countersigned_by = $5,
		     targets = COALESCE($6::jsonb, proposal, targets) WHERE id = $1`
		args = append(args, u.By, targets)
	default:
		return before, before, fmt.Errorf("pledge %s: unknown status %q", u.ID, u.Status)
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return before, before, fmt.Errorf("pledge %s: %w", u.ID, err)
	}
	after, err := PledgeByID(ctx, tx, u.ID)
	return before, after, err
}

// PledgesUnsigned selects every pledge not yet in force.
const PledgesUnsigned = "unsigned"

// PledgeQuery selects pledges for a list.
type PledgeQuery struct {
	CampaignID string
	Year       int
	UnitID     int64  // signer or issuer
	Status     string // a pledge status, or PledgesUnsigned
	Overdue    bool
	Now        time.Time
}

// Pledges lists pledges by level and signer.
func Pledges(ctx context.Context, db sqlx.ExtContext, q PledgeQuery) ([]Pledge, error) {
	conds := []string{"p.campaign_id = $1", "p.year = $2"}
	args := []any{q.CampaignID, q.Year}
	if q.UnitID != 0 {
		args = append(args, q.UnitID)
		conds = append(conds, fmt.Sprintf("(p.signer_unit_id = $%d OR p.issuer_unit_id = $%d)", len(args), len(args)))
	}
	switch q.Status {
	case "":
	case PledgesUnsigned:
		args = append(args, domain.PledgeInForce)
		conds = append(conds, fmt.Sprintf("p.status <> $%d", len(args)))
	default:
		args = append(args, q.Status)
		conds = append(conds, fmt.Sprintf("p.status = $%d", len(args)))
	}
	if q.Overdue {
		args = append(args, q.Now)
		conds = append(conds, fmt.Sprintf("p.status <> 'in_force' AND p.due_at < $%d", len(args)))
	}
	var out []Pledge
	where := conds[0]
	for _, c := range conds[1:] {
		where += " AND " + c
	}
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT `+pledgeColumns+pledgeFrom+` WHERE `+where+` ORDER BY p.level, s.kind, s.id`, args...); err != nil {
		return nil, fmt.Errorf("pledges: %w", err)
	}
	return out, nil
}

// PledgeProgress is the signing progress of one level.
type PledgeProgress struct {
	Level         int `db:"level" json:"level"`
	Issued        int `db:"issued" json:"issued"`
	Signed        int `db:"signed" json:"signed"`
	Countersigned int `db:"countersigned" json:"countersigned"`
	Overdue       int `db:"overdue" json:"overdue"`
}

// PledgeProgressOf counts, per level, pledges issued, signed (at least once),
// countersigned (in force) and overdue.
func PledgeProgressOf(ctx context.Context, db sqlx.ExtContext, campaignID string, year int, now time.Time) ([]PledgeProgress, error) {
	var out []PledgeProgress
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT level, count(*) AS issued,
       count(*) FILTER (WHERE signed_at IS NOT NULL) AS signed,
       count(*) FILTER (WHERE status = 'in_force') AS countersigned,
       count(*) FILTER (WHERE status <> 'in_force' AND due_at < $3) AS overdue
FROM pledges WHERE campaign_id = $1 AND year = $2 GROUP BY level ORDER BY level`, campaignID, year, now)
	if err != nil {
		return nil, fmt.Errorf("pledge progress: %w", err)
	}
	return out, nil
}

// PledgeSigners lists the units an issuer signs pledges with: for the county,
// its departments and towns; for any other unit, the units it supervises.
func PledgeSigners(ctx context.Context, db sqlx.ExtContext, campaignID string, issuerID int64) ([]domain.Unit, error) {
	return selectUnits(ctx, db, fmt.Sprintf("pledge signers of %d", issuerID), `
SELECT u.id, u.code, u.name, u.kind, u.parent_id FROM units u
JOIN campaign_participants p ON p.unit_id = u.id AND p.campaign_id = $2
WHERE (EXISTS (SELECT 1 FROM units c WHERE c.id = $1 AND c.kind = 'county') AND u.parent_id = $1 AND u.kind IN ('department', 'town'))
   OR u.id IN (SELECT supervised_id FROM supervision WHERE supervisor_id = $1)
ORDER BY u.id`, issuerID, campaignID)
}

// PledgeTally counts an issuer's pledges of a campaign year, and the year's.
type PledgeTally struct {
	Pledges int `db:"pledges"`
	InForce int `db:"in_force"`
	Year    int `db:"year_pledges"`
}

// TallyPledges counts an issuer's pledges of a campaign year: issued, in
// force, and every pledge of the year (the cascade below included).
func TallyPledges(ctx context.Context, db sqlx.ExtContext, campaignID string, year int, issuerID int64) (PledgeTally, error) {
	var t PledgeTally
	err := sqlx.GetContext(ctx, db, &t, `SELECT count(*) FILTER (WHERE issuer_unit_id = $3) AS pledges,
count(*) FILTER (WHERE issuer_unit_id = $3 AND status = 'in_force') AS in_force, count(*) AS year_pledges
FROM pledges WHERE campaign_id = $1 AND year = $2`, campaignID, year, issuerID)
	if err != nil {
		return t, fmt.Errorf("tally pledges %s %d of %d: %w", campaignID, year, issuerID, err)
	}
	return t, nil
}

// OpenPledges lists the ids of an issuer's pledges of a campaign year not yet in force.
func OpenPledges(ctx context.Context, db sqlx.ExtContext, campaignID string, year int, issuerID int64) ([]string, error) {
	var ids []string
	if err := sqlx.SelectContext(ctx, db, &ids, `SELECT id FROM pledges WHERE campaign_id = $1 AND year = $2 AND issuer_unit_id = $3
AND status <> 'in_force' ORDER BY id`, campaignID, year, issuerID); err != nil {
		return nil, fmt.Errorf("open pledges %s %d of %d: %w", campaignID, year, issuerID, err)
	}
	return ids, nil
}

// CampaignCounts counts a campaign's human tasks: open, done, and open past their deadline.
type CampaignCounts struct {
	Open    int `db:"open" json:"open"`
	Done    int `db:"done" json:"done"`
	Overdue int `db:"overdue" json:"overdue"`
}

// OpenCampaignProcesses lists the workflow ids of a campaign's processes that hold an open task.
func OpenCampaignProcesses(ctx context.Context, db sqlx.ExtContext, campaignID string) ([]string, error) {
	var ids []string
	err := sqlx.SelectContext(ctx, db, &ids, `SELECT DISTINCT workflow_id FROM tasks WHERE campaign_id = $1 AND status = 'open' ORDER BY workflow_id`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("open processes of %s: %w", campaignID, err)
	}
	return ids, nil
}

// CountCampaignTasks counts the tasks of a campaign at now.
func CountCampaignTasks(ctx context.Context, db sqlx.ExtContext, campaignID string, now time.Time) (CampaignCounts, error) {
	var c CampaignCounts
	err := sqlx.GetContext(ctx, db, &c, `SELECT count(*) FILTER (WHERE status = 'open') AS open, count(*) FILTER (WHERE status = 'completed') AS done,
count(*) FILTER (WHERE status = 'open' AND due_at < $2) AS overdue FROM tasks WHERE campaign_id = $1`, campaignID, now)
	if err != nil {
		return c, fmt.Errorf("campaign counts: %w", err)
	}
	return c, nil
}
