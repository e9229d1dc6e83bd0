package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Rescue materials (救援物资): inventories, their ledger, stock alerts and loans.

// Material is one inventory item of a mine, with its flags.
type Material struct {
	ID          int64     `db:"id" json:"id"`
	UnitID      int64     `db:"unit_id" json:"unit_id"`
	UnitCode    string    `db:"unit_code" json:"unit_code"`
	UnitName    string    `db:"unit_name" json:"unit_name"`
	Name        string    `db:"name" json:"name"`
	Spec        string    `db:"spec" json:"spec"`
	UOM         string    `db:"uom" json:"uom"`
	Quantity    int       `db:"quantity" json:"quantity"`
	Lent        int       `db:"lent" json:"lent"`
	MinStock    int       `db:"min_stock" json:"min_stock"`
	Location    string    `db:"location" json:"location"`
	InspectedOn *string   `db:"inspected_on" json:"inspected_on,omitempty"`
	ExpiresOn   *string   `db:"expires_on" json:"expires_on,omitempty"`
	Version     int       `db:"version" json:"version"`
	Low         bool      `db:"low" json:"low"`
	Expired     bool      `db:"expired" json:"expired"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// Today is the date in the county's zone, as the stock checks compare expiry dates.
func Today(at time.Time) string { return at.In(domain.DefaultZone).Format(time.DateOnly) }

const materialSelect = `SELECT m.id, m.unit_id, u.code AS unit_code, u.name AS unit_name, m.name, m.spec, m.uom, m.quantity, m.lent,
  m.min_stock, m.location, to_char(m.inspected_on, 'YYYY-MM-DD') AS inspected_on, to_char(m.expires_on, 'YYYY-MM-DD') AS expires_on,
  m.version, m.quantity < m.min_stock AS low, COALESCE(m.expires_on <= $1::date, false) AS expired, m.created_at, m.updated_at
FROM material_items m JOIN units u ON u.id = m.unit_id`

func dateOrNil(s *string) any {
	if s == nil || *s == "" {
		return nil
	}
	return *s
}

// InsertMaterial writes a new item and its opening ledger row; an item of the
// same name and specification in the unit is a conflict.
func InsertMaterial(ctx context.Context, tx sqlx.ExtContext, unitID, by int64, actor, key string, in domain.MaterialInput, at time.Time) (int64, error) {
	var k any
	if key != "" {
		k = key
	}
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `
INSERT INTO material_items (unit_id, name, spec, uom, quantity, min_stock, location, inspected_on, expires_on, created_by, idempotency_key, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, $9::date, $10, $11, $12, $12) RETURNING id`,
		unitID, in.Name, in.Spec, in.UOM, *in.Quantity, in.MinStock, in.Location, dateOrNil(in.InspectedOn), dateOrNil(in.ExpiresOn), by, k, at)
	if err != nil {
		return 0, fmt.Errorf("material: %w", mapError(err))
	}
	_, err = InsertMovement(ctx, tx, Movement{Key: fmt.Sprintf("material:%d:stock", id), ItemID: id, Kind: "stock", QuantityDelta: *in.Quantity,
		QuantityAfter: *in.Quantity, Actor: actor, At: at})
	return id, err
}

// ErrStaleMaterial refuses an update of an item someone changed since the writer read it.
var ErrStaleMaterial = fmt.Errorf("%w: 该物资已被他人修改，请刷新后再改", domain.ErrConflict)

// UpdateMaterial replaces an item's fields (the version the caller read must
// still be current when version > 0); a changed quantity writes an adjust row.
// It answers the item before and after.
func UpdateMaterial(ctx context.Context, tx sqlx.ExtContext, id int64, version int, actor string, in domain.MaterialInput, at time.Time) (Material, Material, error) {
	today := Today(at)
	var before Material
	if err := sqlx.GetContext(ctx, tx, &before, materialSelect+` WHERE m.id = $2 FOR UPDATE OF m`, today, id); err != nil {
		return before, before, fmt.Errorf("material %d: %w", id, mapError(err))
	}
	if version > 0 && version != before.Version {
		return before, before, fmt.Errorf("%w（当前版本 %d）", ErrStaleMaterial, before.Version)
	}
	_, err := tx.ExecContext(ctx, `UPDATE material_items SET name = $2, spec = $3, uom = $4, quantity = $5, min_stock = $6, location = $7,
  inspected_on = $8::date, expires_on = $9::date, version = version + 1, updated_at = $10 WHERE id = $1`,
		id, in.Name, in.Spec, in.UOM, *in.Quantity, in.MinStock, in.Location, dateOrNil(in.InspectedOn), dateOrNil(in.ExpiresOn), at)
	if err != nil {
		return before, before, fmt.Errorf("material %d: %w", id, mapError(err))
	}
	if d := *in.Quantity - before.Quantity; d != 0 {
		if _, err := InsertMovement(ctx, tx, Movement{Key: fmt.Sprintf("material:%d:adjust:%d", id, before.Version+1), ItemID: id, Kind: "adjust",
			QuantityDelta: d, QuantityAfter: *in.Quantity, Actor: actor, At: at}); err != nil {
			return before, before, err
		}
	}
	after, err := MaterialByID(ctx, tx, id, at)
	return before, after, err
}

// MaterialByID loads an item, its flags as of at.
func MaterialByID(ctx context.Context, db sqlx.ExtContext, id int64, at time.Time) (Material, error) {
	var m Material
	if err := sqlx.GetContext(ctx, db, &m, materialSelect+` WHERE m.id = $2`, Today(at), id); err != nil {
		return m, fmt.Errorf("material %d: %w", id, mapError(err))
	}
	return m, nil
}

// MaterialByKey finds the item a person created with an idempotency key.
func MaterialByKey(ctx context.Context, db sqlx.ExtContext, by int64, key string, at time.Time) (Material, error) {
	var m Material
	if err := sqlx.GetContext(ctx, db, &m, materialSelect+` WHERE m.created_by = $2 AND m.idempotency_key = $3`, Today(at), by, key); err != nil {
		return m, fmt.Errorf("material by key: %w", mapError(err))
	}
	return m, nil
}

// MaterialQuery selects items: of a unit (0: every unit), whose name or
// specification contains Q, only flagged ones (low or expired) when Flagged.
type MaterialQuery struct {
	UnitID  int64
	Q       string
	Flagged bool
	Limit   int
}

// Materials answers the items, by unit and name.
func Materials(ctx context.Context, db sqlx.ExtContext, q MaterialQuery, at time.Time) ([]Material, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 500
	}
	pattern := ""
	if q.Q != "" {
		pattern = "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q.Q) + "%"
	}
	out := []Material{}
	err := sqlx.SelectContext(ctx, db, &out, materialSelect+`
WHERE ($2 = 0 OR m.unit_id = $2) AND ($3 = '' OR m.name ILIKE $3 OR m.spec ILIKE $3)
  AND (NOT $4 OR m.quantity < m.min_stock OR m.expires_on <= $1::date)
ORDER BY u.code, m.name, m.spec LIMIT $5`, Today(at), q.UnitID, pattern, q.Flagged, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("materials: %w", err)
	}
	return out, nil
}

// Movement is one ledger row of an item's stock.
type Movement struct {
	ID            int64     `db:"id" json:"id"`
	Key           string    `db:"key" json:"key"`
	ItemID        int64     `db:"item_id" json:"item_id"`
	LoanID        *int64    `db:"loan_id" json:"loan_id,omitempty"`
	Kind          string    `db:"kind" json:"kind"`
	QuantityDelta int       `db:"quantity_delta" json:"quantity_delta"`
	LentDelta     int       `db:"lent_delta" json:"lent_delta"`
	QuantityAfter int       `db:"quantity_after" json:"quantity_after"`
	Actor         string    `db:"actor" json:"actor"`
	At            time.Time `db:"at" json:"at"`
}

// InsertMovement writes a ledger row once by its key; false when it was written before.
func InsertMovement(ctx context.Context, tx sqlx.ExtContext, m Movement) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO material_movements (key, item_id, loan_id, kind, quantity_delta, lent_delta, quantity_after, actor, at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING`, m.Key, m.ItemID, m.LoanID, m.Kind, m.QuantityDelta, m.LentDelta, m.QuantityAfter, m.Actor, m.At)
	if err != nil {
		return false, fmt.Errorf("material movement %s: %w", m.Key, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Movements answers an item's ledger, newest first.
func Movements(ctx context.Context, db sqlx.ExtContext, itemID int64) ([]Movement, error) {
	out := []Movement{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT id, key, item_id, loan_id, kind, quantity_delta, lent_delta, quantity_after, actor, at
FROM material_movements WHERE item_id = $1 ORDER BY id DESC LIMIT 200`, itemID)
	if err != nil {
		return nil, fmt.Errorf("material %d movements: %w", itemID, err)
	}
	return out, nil
}

// OpenAlerts opens an alert for each of the items (none: every item) that is
// below its minimum stock or expired by at, unless one is open for the same
// item and condition; it answers the alerts it opened. Deterministic and
// idempotent: a second call opens nothing more.
func OpenAlerts(ctx context.Context, tx sqlx.ExtContext, itemIDs []int64, bureauUnitID int64, at time.Time) ([]domain.AlertSpec, error) {
	var rows []struct {
		ID        int64     `db:"id"`
		ItemID    int64     `db:"item_id"`
		Condition string    `db:"condition"`
		UnitID    int64     `db:"unit_id"`
		UnitCode  string    `db:"unit_code"`
		Name      string    `db:"name"`
		Detail    string    `db:"detail"`
		OpenedAt  time.Time `db:"opened_at"`
	}
	all := len(itemIDs) == 0
	err := sqlx.SelectContext(ctx, tx, &rows, `
WITH due AS (
  SELECT m.id AS item_id, 'low' AS condition FROM material_items m
   WHERE ($1 OR m.id = ANY($2)) AND m.quantity < m.min_stock
  UNION ALL
  SELECT m.id, 'expired' FROM material_items m
   WHERE ($1 OR m.id = ANY($2)) AND m.expires_on <= $3::date
), opened AS (
  INSERT INTO material_alerts (item_id, condition, opened_at)
  SELECT item_id, condition, $4 FROM due ORDER BY item_id, condition
  ON CONFLICT (item_id, condition) WHERE closed_at IS NULL DO NOTHING
  RETURNING id, item_id, condition, opened_at
)
SELECT o.id, o.item_id, o.condition, m.unit_id, u.code AS unit_code, m.name || CASE WHEN m.spec <> '' THEN '（' || m.spec || '）' ELSE '' END AS name,
  CASE o.condition WHEN 'low' THEN '现有' || m.quantity || m.uom || '，最低库存' || m.min_stock || m.uom
    ELSE '有效期至' || to_char(m.expires_on, 'YYYY-MM-DD') END AS detail, o.opened_at
FROM opened o JOIN material_items m ON m.id = o.item_id JOIN units u ON u.id = m.unit_id ORDER BY o.id`,
		all, pq.Array(itemIDs), Today(at), at)
	if err != nil {
		return nil, fmt.Errorf("open material alerts: %w", mapError(err))
	}
	out := make([]domain.AlertSpec, len(rows))
	for i, r := range rows {
		out[i] = domain.AlertSpec{ID: r.ID, ItemID: r.ItemID, Condition: r.Condition, UnitID: r.UnitID, UnitCode: r.UnitCode, ItemName: r.Name,
			Detail: r.Detail, BureauUnitID: bureauUnitID, OpenedAt: r.OpenedAt}
	}
	return out, nil
}

// Alert is an open or closed stock alert.
type Alert struct {
	ID        int64      `db:"id" json:"id"`
	ItemID    int64      `db:"item_id" json:"item_id"`
	Condition string     `db:"condition" json:"condition"`
	OpenedAt  time.Time  `db:"opened_at" json:"opened_at"`
	ClosedAt  *time.Time `db:"closed_at" json:"closed_at,omitempty"`
}

// CheckAlert says whether an alert exists and is open, and whether its condition holds at at.
func CheckAlert(ctx context.Context, db sqlx.ExtContext, id int64, at time.Time) (exists, holds bool, detail string, err error) {
	var r struct {
		Open   bool   `db:"open"`
		Holds  bool   `db:"holds"`
		Detail string `db:"detail"`
	}
	err = sqlx.GetContext(ctx, db, &r, `
SELECT a.closed_at IS NULL AS open,
  CASE a.condition WHEN 'low' THEN m.quantity < m.min_stock ELSE COALESCE(m.expires_on <= $2::date, false) END AS holds,
  CASE a.condition WHEN 'low' THEN '现有' || m.quantity || m.uom || '，最低库存' || m.min_stock || m.uom
    ELSE '有效期至' || COALESCE(to_char(m.expires_on, 'YYYY-MM-DD'), '（未填）') END AS detail
FROM material_alerts a JOIN material_items m ON m.id = a.item_id WHERE a.id = $1`, id, Today(at))
	if err != nil {
		if err = mapError(err); errors.Is(err, domain.ErrNotFound) {
			return false, false, "", nil
		}
		return false, false, "", fmt.Errorf("material alert %d: %w", id, err)
	}
	return r.Open, r.Holds, r.Detail, nil
}

// CloseAlert closes an alert once; false when it was closed before.
func CloseAlert(ctx context.Context, tx sqlx.ExtContext, id int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE material_alerts SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL`, id, at)
	if err != nil {
		return false, fmt.Errorf("close material alert %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// OpenAlertsOf answers the open alerts of the items of a unit (0: all).
func OpenAlertsOf(ctx context.Context, db sqlx.ExtContext, unitID int64) ([]Alert, error) {
	out := []Alert{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT a.id, a.item_id, a.condition, a.opened_at, a.closed_at FROM material_alerts a
JOIN material_items m ON m.id = a.item_id WHERE a.closed_at IS NULL AND ($1 = 0 OR m.unit_id = $1) ORDER BY a.id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("material alerts: %w", err)
	}
	return out, nil
}

// Loan is a loan of materials with its parties.
type Loan struct {
	ID              int64         `db:"id" json:"id"`
	RequesterUnitID int64         `db:"requester_unit_id" json:"requester_unit_id"`
	RequesterCode   string        `db:"requester_code" json:"requester_code"`
	RequesterName   string        `db:"requester_name" json:"requester_name"`
	OwnerUnitID     int64         `db:"owner_unit_id" json:"owner_unit_id"`
	OwnerCode       string        `db:"owner_code" json:"owner_code"`
	OwnerName       string        `db:"owner_name" json:"owner_name"`
	Purpose         string        `db:"purpose" json:"purpose"`
	Reason          string        `db:"reason" json:"reason"`
	ReturnDays      int           `db:"return_days" json:"return_days"`
	Status          domain.Status `db:"status" json:"status"`
	ReturnHow       *string       `db:"return_how" json:"return_how,omitempty"`
	CampaignID      *string       `db:"campaign_id" json:"campaign_id,omitempty"`
	RequestedBy     string        `db:"requested_by" json:"requested_by"`
	CreatedAt       time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time     `db:"updated_at" json:"updated_at"`
	ApprovedAt      *time.Time    `db:"approved_at" json:"approved_at,omitempty"`
	HandedOverAt    *time.Time    `db:"handed_over_at" json:"handed_over_at,omitempty"`
	ReturnedAt      *time.Time    `db:"returned_at" json:"returned_at,omitempty"`
}

// LoanItem is an item of a loan.
type LoanItem struct {
	ItemID   int64  `db:"item_id" json:"item_id"`
	Name     string `db:"name" json:"name"`
	Spec     string `db:"spec" json:"spec"`
	UOM      string `db:"uom" json:"uom"`
	Quantity int    `db:"quantity" json:"quantity"`
}

// NextLoanID reserves a loan's id, so its workflow id is known before anything is written.
func NextLoanID(ctx context.Context, db sqlx.ExtContext) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `SELECT nextval('material_loans_id_seq')`); err != nil {
		return 0, fmt.Errorf("loan id: %w", err)
	}
	return id, nil
}

// InsertLoan writes a loan and its items; a second write of the same id changes nothing and answers false.
func InsertLoan(ctx context.Context, tx sqlx.ExtContext, s domain.LoanSpec) (bool, error) {
	var campaign, key any
	if s.CampaignID != "" {
		campaign = s.CampaignID
	}
	if s.IdempotencyKey != "" {
		key = s.IdempotencyKey
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO material_loans (id, requester_unit_id, owner_unit_id, purpose, reason, return_days, campaign_id,
  requested_by, idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING`,
		s.ID, s.RequesterUnitID, s.OwnerUnitID, s.Purpose, s.Reason, s.ReturnDays, campaign, s.RequesterID, key, s.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("loan %d: %w", s.ID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	for i, it := range s.Items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO material_loan_items (loan_id, position, item_id, quantity) VALUES ($1, $2, $3, $4)`,
			s.ID, i, it.ItemID, it.Quantity); err != nil {
			return false, fmt.Errorf("loan %d items: %w", s.ID, mapError(err))
		}
	}
	return true, nil
}

const loanSelect = `SELECT l.id, l.requester_unit_id, ru.code AS requester_code, ru.name AS requester_name, l.owner_unit_id, ou.code AS owner_code,
  ou.name AS owner_name, l.purpose, l.reason, l.return_days, l.status, l.return_how, l.campaign_id, p.key AS requested_by, l.created_at, l.updated_at,
  l.approved_at, l.handed_over_at, l.returned_at
FROM material_loans l JOIN units ru ON ru.id = l.requester_unit_id JOIN units ou ON ou.id = l.owner_unit_id JOIN people p ON p.id = l.requested_by`

// LoanByID loads a loan.
func LoanByID(ctx context.Context, db sqlx.ExtContext, id int64) (Loan, error) {
	var l Loan
	if err := sqlx.GetContext(ctx, db, &l, loanSelect+` WHERE l.id = $1`, id); err != nil {
		return l, fmt.Errorf("loan %d: %w", id, mapError(err))
	}
	return l, nil
}

// LoanByKey finds the loan a person requested with an idempotency key.
func LoanByKey(ctx context.Context, db sqlx.ExtContext, by int64, key string) (Loan, error) {
	var l Loan
	if err := sqlx.GetContext(ctx, db, &l, loanSelect+` WHERE l.requested_by = $1 AND l.idempotency_key = $2`, by, key); err != nil {
		return l, fmt.Errorf("loan by key: %w", mapError(err))
	}
	return l, nil
}

// Loans answers the loans a unit lends or borrows (0: every loan), newest first.
func Loans(ctx context.Context, db sqlx.ExtContext, unitID int64, limit int) ([]Loan, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	out := []Loan{}
	err := sqlx.SelectContext(ctx, db, &out, loanSelect+` WHERE ($1 = 0 OR l.owner_unit_id = $1 OR l.requester_unit_id = $1) ORDER BY l.id DESC LIMIT $2`, unitID, limit)
	if err != nil {
		return nil, fmt.Errorf("loans: %w", err)
	}
	return out, nil
}

// LoanItems answers a loan's items, in order.
func LoanItems(ctx context.Context, db sqlx.ExtContext, id int64) ([]LoanItem, error) {
	out := []LoanItem{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT li.item_id, m.name, m.spec, m.uom, li.quantity FROM material_loan_items li
JOIN material_items m ON m.id = li.item_id WHERE li.loan_id = $1 ORDER BY li.position`, id)
	if err != nil {
		return nil, fmt.Errorf("loan %d items: %w", id, err)
	}
	return out, nil
}

// BorrowedItem is an item a unit holds on loan from another.
type BorrowedItem struct {
	LoanID    int64  `db:"loan_id" json:"loan_id"`
	OwnerCode string `db:"owner_code" json:"owner_code"`
	OwnerName string `db:"owner_name" json:"owner_name"`
	LoanItem
}

// Borrowed answers what a unit holds on loan (handed over, not yet returned).
func Borrowed(ctx context.Context, db sqlx.ExtContext, unitID int64) ([]BorrowedItem, error) {
	out := []BorrowedItem{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT l.id AS loan_id, ou.code AS owner_code, ou.name AS owner_name, li.item_id, m.name, m.spec, m.uom, li.quantity
FROM material_loans l JOIN material_loan_items li ON li.loan_id = l.id JOIN material_items m ON m.id = li.item_id JOIN units ou ON ou.id = l.owner_unit_id
WHERE l.requester_unit_id = $1 AND l.status = 'handed_over' ORDER BY l.id, li.position`, unitID)
	if err != nil {
		return nil, fmt.Errorf("borrowed: %w", err)
	}
	return out, nil
}

// SetLoanStatus moves a loan from one of the statuses from to to, once;
// false when it was not in one of them (a retry of a step already written).
func SetLoanStatus(ctx context.Context, tx sqlx.ExtContext, id int64, to domain.Status, at time.Time, from ...domain.Status) (bool, error) {
	names := make([]string, len(from))
	for i, f := range from {
		names[i] = f.String()
	}
	col := map[domain.Status]string{domain.LoanApproved: "approved_at", domain.LoanHandedOver: "handed_over_at", domain.LoanReturned: "returned_at"}[to]
	set := ""
	if col != "" {
		set = ", " + col + " = $2"
	}
	res, err := tx.ExecContext(ctx, `UPDATE material_loans SET status = $3, updated_at = $2`+set+` WHERE id = $1 AND status = ANY($4)`,
		id, at, to.String(), pq.Array(names))
	if err != nil {
		return false, fmt.Errorf("loan %d status: %w", id, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetLoanReturnHow records how a loan came back.
func SetLoanReturnHow(ctx context.Context, tx sqlx.ExtContext, id int64, how string) error {
	_, err := tx.ExecContext(ctx, `UPDATE material_loans SET return_how = $2 WHERE id = $1`, id, how)
	if err != nil {
		return fmt.Errorf("loan %d return: %w", id, mapError(err))
	}
	return nil
}

// Shortage is an item of a hand-over the owner does not hold enough of.
type Shortage struct {
	Position int
	Name     string
	Have     int
	Want     int
}

// MoveLoanItems moves every item of a loan: a hand-over takes each quantity
// out of the owner's stock into lent (refusing, with nothing moved, when an
// item has less in stock than the loan asks: the conditional UPDATE is the
// lock, so two hand-overs of the last item cannot both succeed); a return
// puts them back. Each item's movement is a ledger row keyed by the loan, the
// step and the item, so a retry moves nothing twice; false when this step
// was moved before.
func MoveLoanItems(ctx context.Context, tx sqlx.ExtContext, loanID int64, step, actor string, at time.Time) (bool, []Shortage, []int64, error) {
	items, err := LoanItems(ctx, tx, loanID)
	if err != nil {
		return false, nil, nil, err
	}
	var short []Shortage
	ids := make([]int64, 0, len(items))
	for i, it := range items {
		key := fmt.Sprintf("loan:%d:%s:%d", loanID, step, it.ItemID)
		var seen bool
		if err := sqlx.GetContext(ctx, tx, &seen, `SELECT EXISTS (SELECT 1 FROM material_movements WHERE key = $1)`, key); err != nil {
			return false, nil, nil, fmt.Errorf("loan %d movement: %w", loanID, err)
		}
		if seen {
			return false, nil, nil, nil
		}
		var after []int
		if step == "handover" {
			err = sqlx.SelectContext(ctx, tx, &after, `UPDATE material_items SET quantity = quantity - $2, lent = lent + $2, updated_at = $3
WHERE id = $1 AND quantity >= $2 RETURNING quantity`, it.ItemID, it.Quantity, at)
		} else {
			err = sqlx.SelectContext(ctx, tx, &after, `UPDATE material_items SET quantity = quantity + $2, lent = GREATEST(lent - $2, 0), updated_at = $3
WHERE id = $1 RETURNING quantity`, it.ItemID, it.Quantity, at)
		}
		if err != nil {
			return false, nil, nil, fmt.Errorf("loan %d %s item %d: %w", loanID, step, it.ItemID, mapError(err))
		}
		if len(after) == 0 {
			var have int
			if err := sqlx.GetContext(ctx, tx, &have, `SELECT quantity FROM material_items WHERE id = $1`, it.ItemID); err != nil {
				return false, nil, nil, fmt.Errorf("loan %d item %d: %w", loanID, it.ItemID, err)
			}
			short = append(short, Shortage{Position: i, Name: it.Name, Have: have, Want: it.Quantity})
			continue
		}
		delta, lent := it.Quantity, -it.Quantity
		if step == "handover" {
			delta, lent = -it.Quantity, it.Quantity
		}
		lid := loanID
		if _, err := InsertMovement(ctx, tx, Movement{Key: key, ItemID: it.ItemID, LoanID: &lid, Kind: step, QuantityDelta: delta, LentDelta: lent,
			QuantityAfter: after[0], Actor: actor, At: at}); err != nil {
			return false, nil, nil, err
		}
		ids = append(ids, it.ItemID)
	}
	return len(short) == 0, short, ids, nil
}

// TasksOfWorkflow answers a process's tasks, in the order they were opened (a loan's steps).
func TasksOfWorkflow(ctx context.Context, db sqlx.ExtContext, workflowID string) ([]Task, error) {
	out := []Task{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+taskColumns+` FROM tasks t JOIN units u ON u.id = t.unit_id
WHERE t.workflow_id = $1 ORDER BY t.created_at, t.id`, workflowID)
	if err != nil {
		return nil, fmt.Errorf("tasks of %s: %w", workflowID, err)
	}
	return out, nil
}
