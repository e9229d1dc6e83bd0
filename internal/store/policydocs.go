package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// PolicyDocument is one version of a policy document (制度), with how many of
// its units have acknowledged it.
type PolicyDocument struct {
	ID             int64         `db:"id" json:"id"`
	SeriesID       int64         `db:"series_id" json:"series_id"`
	Version        int           `db:"version" json:"version"`
	Title          string        `db:"title" json:"title"`
	Number         string        `db:"number" json:"number"`
	IssuerUnitID   int64         `db:"issuer_unit_id" json:"issuer_unit_id"`
	IssuerUnit     string        `db:"issuer_unit" json:"issuer_unit"`
	IssuedBy       int64         `db:"issued_by" json:"issued_by"`
	IssuedByName   string        `db:"issued_by_name" json:"issued_by_name"`
	IssuedOn       string        `db:"issued_on" json:"issued_on"`
	Body           string        `db:"body" json:"body"`
	DueAt          time.Time     `db:"due_at" json:"due_at"`
	Ladder         JSON          `db:"ladder" json:"ladder"`
	CampaignID     *string       `db:"campaign_id" json:"campaign_id,omitempty"`
	Status         domain.Status `db:"status" json:"status"`
	SupersededBy   *int64        `db:"superseded_by" json:"superseded_by,omitempty"`
	IdempotencyKey *string       `db:"idempotency_key" json:"-"`
	CreatedAt      time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time     `db:"updated_at" json:"updated_at"`
	// Units is how many units must acknowledge it; Acknowledged how many have.
	Units        int `db:"units" json:"units"`
	Acknowledged int `db:"acknowledged" json:"acknowledged"`
}

// DocumentAck is one unit's acknowledgement of a version: pending,
// acknowledged (when, by whom, with what comment) or cancelled (superseded).
type DocumentAck struct {
	UnitID         int64      `db:"unit_id" json:"unit_id"`
	UnitCode       string     `db:"unit_code" json:"unit_code"`
	UnitName       string     `db:"unit_name" json:"unit_name"`
	TaskID         string     `db:"task_id" json:"task_id"`
	State          string     `db:"state" json:"state"`
	AcknowledgedAt *time.Time `db:"acknowledged_at" json:"acknowledged_at,omitempty"`
	AcknowledgedBy *string    `db:"acknowledged_by" json:"acknowledged_by,omitempty"`
	Comment        *string    `db:"comment" json:"comment,omitempty"`
}

// DocumentVersion is one version of a document's series, as the document page lists them.
type DocumentVersion struct {
	ID        int64         `db:"id" json:"id"`
	Version   int           `db:"version" json:"version"`
	Status    domain.Status `db:"status" json:"status"`
	IssuedOn  string        `db:"issued_on" json:"issued_on"`
	CreatedAt time.Time     `db:"created_at" json:"created_at"`
}

// NextPolicyDocumentID reserves an id, so the workflow id is known before anything is written.
func NextPolicyDocumentID(ctx context.Context, db sqlx.ExtContext) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `SELECT nextval('policy_documents_id_seq')`); err != nil {
		return 0, fmt.Errorf("policy document id: %w", err)
	}
	return id, nil
}

// InsertPolicyDocument writes a version and the units that must acknowledge
// it (each with its task's id); a second write of the same id changes nothing
// and answers false.
func InsertPolicyDocument(ctx context.Context, tx sqlx.ExtContext, s domain.PolicyDocumentSpec, taskIDs []string) (bool, error) {
	ladder, err := json.Marshal(s.Ladder)
	if err != nil {
		return false, err
	}
	var number, campaign, key any
	if s.Number != "" {
		number = s.Number
	}
	if s.CampaignID != "" {
		campaign = s.CampaignID
	}
	if s.IdempotencyKey != "" {
		key = s.IdempotencyKey
	}
	res, err := tx.ExecContext(ctx, `
INSERT INTO policy_documents (id, series_id, version, title, number, issuer_unit_id, issued_by, issued_on, body, due_at, ladder,
  campaign_id, idempotency_key, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9, $10, $11, $12, $13, $14, $14)
ON CONFLICT (id) DO NOTHING`, s.ID, s.SeriesID, s.Version, s.Title, number, s.IssuerUnitID, s.IssuerID, s.IssuedOn, s.Body, s.DueAt,
		string(ladder), campaign, key, s.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("policy document %d: %w", s.ID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	units := make([]int64, len(s.Units))
	for i, u := range s.Units {
		units[i] = u.UnitID
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO policy_document_units (document_id, unit_id, position, task_id)
SELECT $1, u.unit_id, u.pos, t.task_id
FROM unnest($2::bigint[]) WITH ORDINALITY AS u (unit_id, pos)
JOIN unnest($3::text[]) WITH ORDINALITY AS t (task_id, pos) USING (pos)
ON CONFLICT DO NOTHING`, s.ID, pq.Array(units), pq.Array(taskIDs))
	if err != nil {
		return false, fmt.Errorf("policy document %d units: %w", s.ID, mapError(err))
	}
	return true, nil
}

const policyDocumentSelect = `SELECT d.id, d.series_id, d.version, d.title, COALESCE(d.number, '') AS number, d.issuer_unit_id,
  iu.name AS issuer_unit, d.issued_by, ip.name AS issued_by_name, to_char(d.issued_on, 'YYYY-MM-DD') AS issued_on, d.body, d.due_at,
  d.ladder, d.campaign_id, d.status, d.superseded_by, d.idempotency_key, d.created_at, d.updated_at,
  (SELECT count(*) FROM policy_document_units pu WHERE pu.document_id = d.id) AS units,
  (SELECT count(*) FROM policy_document_units pu JOIN tasks t ON t.id = pu.task_id
    WHERE pu.document_id = d.id AND t.status = 'completed') AS acknowledged
FROM policy_documents d JOIN units iu ON iu.id = d.issuer_unit_id JOIN people ip ON ip.id = d.issued_by`

// PolicyDocumentByID loads one version.
func PolicyDocumentByID(ctx context.Context, db sqlx.ExtContext, id int64) (PolicyDocument, error) {
	var d PolicyDocument
	if err := sqlx.GetContext(ctx, db, &d, policyDocumentSelect+` WHERE d.id = $1`, id); err != nil {
		return d, fmt.Errorf("policy document %d: %w", id, mapError(err))
	}
	return d, nil
}

// PolicyDocumentByKey finds the version a person issued with an idempotency key.
func PolicyDocumentByKey(ctx context.Context, db sqlx.ExtContext, issuedBy int64, key string) (PolicyDocument, error) {
	var d PolicyDocument
	if err := sqlx.GetContext(ctx, db, &d, policyDocumentSelect+` WHERE d.issued_by = $1 AND d.idempotency_key = $2`, issuedBy, key); err != nil {
		return d, fmt.Errorf("policy document by key: %w", mapError(err))
	}
	return d, nil
}

// PolicyDocumentQuery selects versions: by status (empty: every one not
// superseded), addressed to a unit (0: any), a page of Limit after the id Before.
type PolicyDocumentQuery struct {
	Status domain.Status
	UnitID int64
	Before int64
	Limit  int
}

// PolicyDocuments answers a page of versions, newest first, and the id to page on from (0 at the end).
func PolicyDocuments(ctx context.Context, db sqlx.ExtContext, q PolicyDocumentQuery) ([]PolicyDocument, int64, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	var out []PolicyDocument
	err := sqlx.SelectContext(ctx, db, &out, policyDocumentSelect+`
WHERE (($1 = '' AND d.status <> 'superseded') OR d.status = $1)
  AND ($2 = 0 OR EXISTS (SELECT 1 FROM policy_document_units pu WHERE pu.document_id = d.id AND pu.unit_id = $2))
  AND ($3 = 0 OR d.id < $3)
ORDER BY d.id DESC LIMIT $4`, q.Status.String(), q.UnitID, q.Before, q.Limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("policy documents: %w", err)
	}
	next := int64(0)
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// DocumentAcks answers each unit's acknowledgement of a version, in the order
// the issuer named them: the state is its task's (the completion is the
// acknowledgement), by whom as the person's name.
func DocumentAcks(ctx context.Context, db sqlx.ExtContext, id int64) ([]DocumentAck, error) {
	var out []DocumentAck
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT pu.unit_id, u.code AS unit_code, u.name AS unit_name, pu.task_id,
  CASE t.status WHEN 'completed' THEN 'acknowledged' WHEN 'cancelled' THEN 'cancelled' ELSE 'pending' END AS state,
  COALESCE(t.completed_at, pu.acknowledged_at) AS acknowledged_at,
  COALESCE(p.name, pu.acknowledged_by) AS acknowledged_by,
  NULLIF(COALESCE(t.outcome ->> 'comment', pu.comment), '') AS comment
FROM policy_document_units pu
JOIN units u ON u.id = pu.unit_id
LEFT JOIN tasks t ON t.id = pu.task_id
LEFT JOIN people p ON p.id = t.completed_by
WHERE pu.document_id = $1
ORDER BY pu.position`, id)
	if err != nil {
		return nil, fmt.Errorf("policy document %d acknowledgements: %w", id, err)
	}
	return out, nil
}

// DocumentVersions answers every version of a series, newest first.
func DocumentVersions(ctx context.Context, db sqlx.ExtContext, seriesID int64) ([]DocumentVersion, error) {
	var out []DocumentVersion
	err := sqlx.SelectContext(ctx, db, &out, `SELECT id, version, status, to_char(issued_on, 'YYYY-MM-DD') AS issued_on, created_at
FROM policy_documents WHERE series_id = $1 ORDER BY version DESC`, seriesID)
	if err != nil {
		return nil, fmt.Errorf("policy document %d versions: %w", seriesID, err)
	}
	return out, nil
}

// DocumentUnits answers the units of a version, in order.
func DocumentUnits(ctx context.Context, db sqlx.ExtContext, id int64) ([]domain.DocumentUnit, error) {
	var out []struct {
		UnitID int64  `db:"unit_id"`
		Code   string `db:"code"`
	}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT pu.unit_id, u.code FROM policy_document_units pu JOIN units u ON u.id = pu.unit_id
WHERE pu.document_id = $1 ORDER BY pu.position`, id)
	if err != nil {
		return nil, fmt.Errorf("policy document %d units: %w", id, err)
	}
	units := make([]domain.DocumentUnit, len(out))
	for i, u := range out {
		units[i] = domain.DocumentUnit{UnitID: u.UnitID, Code: u.Code}
	}
	return units, nil
}

// SupersedeDocument marks a version superseded by a newer one; false when it
// was superseded already (another new version came first).
func SupersedeDocument(ctx context.Context, tx sqlx.ExtContext, id, by int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE policy_documents SET status = 'superseded', superseded_by = $2, updated_at = $3
WHERE id = $1 AND status <> 'superseded'`, id, by, at)
	if err != nil {
		return false, fmt.Errorf("supersede policy document %d: %w", id, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecordDocumentAck records a unit's acknowledgement once; false when it was recorded before.
func RecordDocumentAck(ctx context.Context, tx sqlx.ExtContext, documentID, unitID int64, by string, at time.Time, comment string) (bool, error) {
	var c any
	if comment != "" {
		c = comment
	}
	res, err := tx.ExecContext(ctx, `UPDATE policy_document_units SET acknowledged_at = $3, acknowledged_by = $4, comment = $5
WHERE document_id = $1 AND unit_id = $2 AND acknowledged_at IS NULL`, documentID, unitID, at, by, c)
	if err != nil {
		return false, fmt.Errorf("policy document %d acknowledgement: %w", documentID, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkDocumentAcknowledged records a version acknowledged by every unit (once; not a superseded one).
func MarkDocumentAcknowledged(ctx context.Context, tx sqlx.ExtContext, id int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE policy_documents SET status = 'acknowledged', updated_at = $2 WHERE id = $1 AND status = 'issued'`, id, at)
	if err != nil {
		return false, fmt.Errorf("policy document %d acknowledged: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
