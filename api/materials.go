package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Rescue materials (救援物资): each mine writes its own inventory; the mines,
// the emergency bureau (where the safety office sits) and the county's
// readers read every inventory — the county's materials database is what
// makes sharing possible; others are refused. A write that leaves an item low
// or expired opens its alert's process in the same transaction. Any mine or
// the bureau asks another mine for materials: the loan, its items, its audit
// row and the start of its process are one transaction.

// MaterialList is a list of inventory items; Borrowed, for a unit's list,
// what it holds on loan from other mines.
type MaterialList struct {
	Materials []store.Material     `json:"materials"`
	Borrowed  []store.BorrowedItem `json:"borrowed"`
}

// MaterialView is an item with its ledger and open alerts.
type MaterialView struct {
	store.Material
	Movements []store.Movement `json:"movements"`
	Alerts    []store.Alert    `json:"alerts"`
}

// LoanList is a list of loans.
type LoanList struct {
	Loans []store.Loan `json:"loans"`
}

// LoanView is a loan with its items and its steps' tasks.
type LoanView struct {
	store.Loan
	Items []store.LoanItem `json:"items"`
	Steps []store.Task     `json:"steps"`
}

// materialsAccess says whether p reads every inventory, and the bureau's unit.
func (s *Server) materialsAccess(ctx context.Context, p domain.Person) (readAll bool, bureau int64, err error) {
	bureau, err = store.SafetyOfficeUnit(ctx, s.Store.DB)
	if err != nil {
		return false, 0, err
	}
	if p.CountyWide() || inUnit(p, bureau) {
		return true, bureau, nil
	}
	for _, g := range p.Grants {
		u, err := store.UnitByID(ctx, s.Store.DB, g.UnitID)
		if err != nil {
			return false, 0, err
		}
		if u.Kind == domain.KindEnterprise {
			return true, bureau, nil
		}
	}
	return false, bureau, nil
}

// readsMaterials answers 403 for a person who may not read the inventories.
func (s *Server) readsMaterials(c *gin.Context) (int64, bool) {
	ok, bureau, err := s.materialsAccess(c.Request.Context(), caller(c))
	if err != nil {
		fail(c, err)
		return 0, false
	}
	if !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "救援物资数据库供煤矿、应急管理局和县领导查阅")
		return 0, false
	}
	return bureau, true
}

// listMaterials searches the inventories: ?unit= one mine's (with what it
// has borrowed), ?q= by name or specification, ?flagged=true only low or expired items.
func (s *Server) listMaterials(c *gin.Context) {
	if _, ok := s.readsMaterials(c); !ok {
		return
	}
	unitID, ok := s.unitParam(c)
	if !ok {
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 100 || domain.TextProblem(q) != "" {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "q", Detail: domain.MsgAtMost(100)}}})
		return
	}
	flagged := c.Query("flagged")
	if flagged != "" && flagged != "true" && flagged != "false" {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "flagged", Detail: domain.MsgBool}}})
		return
	}
	ctx := c.Request.Context()
	list, err := store.Materials(ctx, s.Store.DB, store.MaterialQuery{UnitID: unitID, Q: q, Flagged: flagged == "true"}, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	out := MaterialList{Materials: list, Borrowed: []store.BorrowedItem{}}
	if unitID != 0 {
		if out.Borrowed, err = store.Borrowed(ctx, s.Store.DB, unitID); err != nil {
			fail(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, out)
}

// getMaterial answers an item with its ledger and open alerts.
func (s *Server) getMaterial(c *gin.Context) {
	if _, ok := s.readsMaterials(c); !ok {
		return
	}
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	m, err := store.MaterialByID(ctx, s.Store.DB, id, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	v, err := s.materialView(ctx, m)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) materialView(ctx context.Context, m store.Material) (MaterialView, error) {
	v := MaterialView{Material: m}
	var err error
	if v.Movements, err = store.Movements(ctx, s.Store.DB, m.ID); err != nil {
		return v, err
	}
	alerts, err := store.OpenAlertsOf(ctx, s.Store.DB, m.UnitID)
	if err != nil {
		return v, err
	}
	v.Alerts = []store.Alert{}
	for _, a := range alerts {
		if a.ItemID == m.ID {
			v.Alerts = append(v.Alerts, a)
		}
	}
	return v, nil
}

// materialUnit resolves the unit an item is written for: the one named, or
// the caller's own; the caller must belong to it (403 otherwise).
func (s *Server) materialUnit(c *gin.Context, code string) (domain.Unit, bool) {
	p := caller(c)
	ctx := c.Request.Context()
	if code == "" {
		if len(p.Grants) == 0 {
			problem(c, http.StatusForbidden, TypeForbidden, "只有本单位人员可以登记本单位的救援物资")
			return domain.Unit{}, false
		}
		code = p.Grants[0].UnitCode
		for _, g := range p.Grants {
			if u, err := store.UnitByID(ctx, s.Store.DB, g.UnitID); err == nil && u.Kind == domain.KindEnterprise {
				code = u.Code
				break
			}
		}
	}
	u, err := s.unitByCode(ctx, code)
	if errors.Is(err, domain.ErrNotFound) {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "unit", Detail: domain.MsgNoUnit(code)}}})
		return u, false
	} else if err != nil {
		fail(c, err)
		return u, false
	}
	if !inUnit(p, u.ID) {
		problem(c, http.StatusForbidden, TypeForbidden, "只有本单位人员可以登记、修改本单位的救援物资")
		return u, false
	}
	return u, true
}

// createMaterial adds an item to a mine's inventory (its own people), idempotently by Idempotency-Key.
func (s *Server) createMaterial(c *gin.Context) {
	p := caller(c)
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	now := domain.Stored(time.Now())
	if key != "" {
		if m, err := store.MaterialByKey(ctx, s.Store.DB, p.ID, key, now); err == nil {
			s.answerMaterial(c, http.StatusOK, m)
			return
		} else if !errors.Is(err, domain.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	var b domain.MaterialInput
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	b.Validate(v)
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	u, ok := s.materialUnit(c, b.Unit)
	if !ok {
		return
	}
	var id int64
	err := s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if id, err = store.InsertMaterial(ctx, tx, u.ID, p.ID, p.Key, key, b, now); err != nil {
			if errors.Is(err, domain.ErrConflict) {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "name", Detail: "本单位已登记同名同规格的物资，请修改该条记录"}}}
			}
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("material.created:%d", id), At: now, Actor: p.Key, Action: "material.created",
			SubjectType: "material", SubjectID: fmt.Sprint(id), UnitID: u.ID, After: b}); err != nil {
			return err
		}
		return s.openAlerts(ctx, tx, id, now)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	m, err := store.MaterialByID(ctx, s.Store.DB, id, now)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/materials/%d", id))
	s.answerMaterial(c, http.StatusCreated, m)
}

// openAlerts opens the item's alerts (low stock, expired) and starts their
// processes, in the caller's transaction.
func (s *Server) openAlerts(ctx context.Context, tx *sqlx.Tx, itemID int64, now time.Time) error {
	bureau, err := store.SafetyOfficeUnit(ctx, tx)
	if err != nil {
		return err
	}
	alerts, err := store.OpenAlerts(ctx, tx, []int64{itemID}, bureau, now)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		if err := s.startInTx(ctx, contract.MaterialAlertID(a.ID), contract.MaterialAlertWorkflow, a); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) answerMaterial(c *gin.Context, status int, m store.Material) {
	v, err := s.materialView(c.Request.Context(), m)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, v)
}

// updateMaterial replaces an item's fields (its own unit's people); a
// version in the body must be the current one.
func (s *Server) updateMaterial(c *gin.Context) {
	p := caller(c)
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	now := domain.Stored(time.Now())
	m, err := store.MaterialByID(ctx, s.Store.DB, id, now)
	if err != nil {
		fail(c, err)
		return
	}
	if !inUnit(p, m.UnitID) {
		problem(c, http.StatusForbidden, TypeForbidden, "只有本单位人员可以修改本单位的救援物资")
		return
	}
	var b domain.MaterialInput
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	b.Validate(v)
	if b.Unit != "" && b.Unit != m.UnitCode {
		v.Add("unit", "物资所属单位不能修改")
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		before, after, err := store.UpdateMaterial(ctx, tx, id, b.Version, p.Key, b, now)
		if err != nil {
			if errors.Is(err, domain.ErrConflict) && !errors.Is(err, store.ErrStaleMaterial) {
				return &domain.ValidationError{Fields: []domain.FieldError{{Field: "name", Detail: "本单位已登记同名同规格的物资"}}}
			}
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("material.updated:%d:%d", id, after.Version), At: now, Actor: p.Key,
			Action: "material.updated", SubjectType: "material", SubjectID: fmt.Sprint(id), UnitID: m.UnitID, Before: before, After: b}); err != nil {
			return err
		}
		return s.openAlerts(ctx, tx, id, now)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	m, err = store.MaterialByID(ctx, s.Store.DB, id, now)
	if err != nil {
		fail(c, err)
		return
	}
	s.answerMaterial(c, http.StatusOK, m)
}

// createLoan requests materials from another mine (a mine's people or the
// bureau's), idempotently by Idempotency-Key. What is not in the owner's
// stock now cannot be asked for (422 naming the item); the hand-over checks
// again, under the row's lock.
func (s *Server) createLoan(c *gin.Context) {
	p := caller(c)
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if key != "" {
		if l, err := store.LoanByKey(ctx, s.Store.DB, p.ID, key); err == nil {
			s.answerLoan(c, http.StatusOK, l)
			return
		} else if !errors.Is(err, domain.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	readAll, bureau, err := s.materialsAccess(ctx, p)
	if err != nil {
		fail(c, err)
		return
	}
	if !readAll {
		problem(c, http.StatusForbidden, TypeForbidden, "只有煤矿和应急管理局可以申请借用救援物资")
		return
	}
	var b domain.LoanInput
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	spec, err := s.loanSpec(ctx, p, bureau, b)
	if err != nil {
		fail(c, err)
		return
	}
	spec.IdempotencyKey = key
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		id, err := store.NextLoanID(ctx, tx)
		if err != nil {
			return err
		}
		spec.ID = id
		if _, err := store.InsertLoan(ctx, tx, spec); err != nil {
			return err
		}
		if err := activities.AppendLoanRequested(ctx, tx, spec); err != nil {
			return err
		}
		return s.startInTx(ctx, contract.LoanID(id), contract.MaterialLoanWorkflow, spec)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	l, err := store.LoanByID(ctx, s.Store.DB, spec.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/material-loans/%d", l.ID))
	s.answerLoan(c, http.StatusCreated, l)
}

// loanSpec validates a request and resolves its units, items and campaign; every invalid field is named.
func (s *Server) loanSpec(ctx context.Context, p domain.Person, bureau int64, b domain.LoanInput) (domain.LoanSpec, error) {
	now := domain.Stored(time.Now())
	spec := domain.LoanSpec{BureauUnitID: bureau, RequestedBy: p.Key, RequesterID: p.ID}
	v := &domain.ValidationError{}
	b.Validate(v)
	b.Campaign = strings.TrimSpace(b.Campaign)
	if b.Campaign != "" {
		if len(b.Campaign) > 63 || domain.TextProblem(b.Campaign) != "" {
			v.Add("campaign", "没有这项专项行动")
		} else if camp, err := store.CampaignByID(ctx, s.Store.DB, b.Campaign); errors.Is(err, domain.ErrNotFound) {
			v.Add("campaign", "没有这项专项行动")
		} else if err != nil {
			return spec, err
		} else {
			spec.CampaignID, spec.Clock, now = camp.ID, camp.Clock(), domain.Stored(camp.Now(time.Now()))
		}
	}
	var requester domain.Unit
	if b.Requester == "" {
		for _, g := range p.Grants {
			u, err := store.UnitByID(ctx, s.Store.DB, g.UnitID)
			if err != nil {
				return spec, err
			}
			if u.Kind == domain.KindEnterprise || u.ID == bureau {
				requester = u
				break
			}
		}
		if requester.ID == 0 {
			v.Add("requester", domain.MsgRequired)
		}
	} else if u, err := s.unitByCode(ctx, b.Requester); errors.Is(err, domain.ErrNotFound) {
		v.Add("requester", domain.MsgNoUnit(b.Requester))
	} else if err != nil {
		return spec, err
	} else {
		requester = u
	}
	if requester.ID != 0 {
		if !inUnit(p, requester.ID) {
			return spec, fmt.Errorf("%w: 只能以本单位名义申请借用", domain.ErrForbidden)
		}
		if requester.Kind != domain.KindEnterprise && requester.ID != bureau {
			v.Add("requester", "申请单位应为煤矿或应急管理局")
		}
	}
	var owner domain.Unit
	if b.Owner != "" {
		u, err := s.unitByCode(ctx, b.Owner)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			v.Add("owner", domain.MsgNoUnit(b.Owner))
		case err != nil:
			return spec, err
		case u.Kind != domain.KindEnterprise:
			v.Add("owner", "出借单位应为煤矿")
		case u.ID == requester.ID:
			v.Add("owner", "不能向本单位借用")
		default:
			owner = u
		}
	}
	if owner.ID != 0 && len(b.Items) <= domain.MaxLoanItems {
		for i, it := range b.Items {
			if it.ItemID <= 0 {
				continue
			}
			m, err := store.MaterialByID(ctx, s.Store.DB, it.ItemID, now)
			switch {
			case errors.Is(err, domain.ErrNotFound) || (err == nil && m.UnitID != owner.ID):
				v.Add(fmt.Sprintf("items[%d].item_id", i), "出借单位没有这项物资")
				continue
			case err != nil:
				return spec, err
			case it.Quantity > m.Quantity:
				v.Add(fmt.Sprintf("items[%d].quantity", i), fmt.Sprintf("库存不足：%s现有%d%s", m.Name, m.Quantity, m.UOM))
			}
			spec.Items = append(spec.Items, domain.LoanItem{ItemID: m.ID, Name: m.Name, Spec: m.Spec, UOM: m.UOM, Quantity: it.Quantity})
		}
	}
	v.Sort()
	if err := v.Err(); err != nil {
		return spec, err
	}
	spec.RequesterUnitID, spec.RequesterCode, spec.RequesterName = requester.ID, requester.Code, requester.Name
	spec.OwnerUnitID, spec.OwnerCode, spec.OwnerName = owner.ID, owner.Code, owner.Name
	spec.Purpose, spec.Reason, spec.ReturnDays, spec.CreatedAt = b.Purpose, b.Reason, b.ReturnDays, now
	return spec, nil
}

// listLoans answers the loans: every one for the bureau and the county's
// readers, a unit's own (lent or borrowed) for a mine's people.
func (s *Server) listLoans(c *gin.Context) {
	p := caller(c)
	ctx := c.Request.Context()
	bureau, err := store.SafetyOfficeUnit(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	unitID, ok := s.unitParam(c)
	if !ok {
		return
	}
	all := p.CountyWide() || inUnit(p, bureau)
	if !all && unitID != 0 && !inUnit(p, unitID) {
		problem(c, http.StatusForbidden, TypeForbidden, "只能查看本单位的借用记录")
		return
	}
	list, err := store.Loans(ctx, s.Store.DB, unitID, 0)
	if err != nil {
		fail(c, err)
		return
	}
	out := LoanList{Loans: []store.Loan{}}
	for _, l := range list {
		if all || inUnit(p, l.OwnerUnitID) || inUnit(p, l.RequesterUnitID) {
			out.Loans = append(out.Loans, l)
		}
	}
	c.JSON(http.StatusOK, out)
}

// getLoan answers a loan with its items and steps (its parties, the bureau and the county's readers).
func (s *Server) getLoan(c *gin.Context) {
	id, ok := pathID(c, "id")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	l, err := store.LoanByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	p := caller(c)
	bureau, err := store.SafetyOfficeUnit(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	if !p.CountyWide() && !inUnit(p, bureau) && !inUnit(p, l.OwnerUnitID) && !inUnit(p, l.RequesterUnitID) {
		fail(c, domain.ErrNotFound)
		return
	}
	s.answerLoan(c, http.StatusOK, l)
}

func (s *Server) answerLoan(c *gin.Context, status int, l store.Loan) {
	ctx := c.Request.Context()
	v := LoanView{Loan: l}
	var err error
	if v.Items, err = store.LoanItems(ctx, s.Store.DB, l.ID); err != nil {
		fail(c, err)
		return
	}
	if v.Steps, err = store.TasksOfWorkflow(ctx, s.Store.DB, contract.LoanID(l.ID)); err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, v)
}
