package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Policy documents (制度): a leader or the safety office issues a document (or
// a new version of one) to the units that must acknowledge it; the row, its
// units, its audit row and the start of its process are one transaction.
// Every signed-in person may read them: they are the county's rules.

// PolicyDocumentView is one version with each unit's acknowledgement and the
// versions of its series.
type PolicyDocumentView struct {
	store.PolicyDocument
	Acknowledgements []DocumentAckView       `json:"acknowledgements"`
	Versions         []store.DocumentVersion `json:"versions"`
}

// DocumentAckView is a unit's acknowledgement; Overdue: pending past the deadline.
type DocumentAckView struct {
	store.DocumentAck
	Overdue bool `json:"overdue"`
}

// PolicyDocumentPage is a page of policy documents.
type PolicyDocumentPage struct {
	Documents  []store.PolicyDocument `json:"documents"`
	NextCursor string                 `json:"next_cursor"`
}

// createPolicyDocument issues the first version of a policy document.
func (s *Server) createPolicyDocument(c *gin.Context) {
	s.issuePolicyDocument(c, nil)
}

// newDocumentVersion issues a new version of a document: what the body leaves
// out (title, number, issuing unit, units, campaign, ladder) is the version
// before's; the version before is superseded and stops asking.
func (s *Server) newDocumentVersion(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, domain.ErrNotFound)
		return
	}
	prev, err := store.PolicyDocumentByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	s.issuePolicyDocument(c, &prev)
}

func (s *Server) issuePolicyDocument(c *gin.Context, prev *store.PolicyDocument) {
	p := caller(c)
	grant, ok := assigningGrant(p)
	if !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "只有领导和安委办可以发布制度文件")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if key != "" {
		if d, err := store.PolicyDocumentByKey(ctx, s.Store.DB, p.ID, key); err == nil {
			s.answerPolicyDocument(c, http.StatusOK, d)
			return
		} else if !errors.Is(err, domain.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	if prev != nil && prev.Status == domain.DocumentSuperseded {
		fail(c, fmt.Errorf("%w: 该文件已有新版本，请在最新版本上修订", domain.ErrConflict))
		return
	}
	var b domain.PolicyDocumentInput
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	spec, err := s.policyDocumentSpec(ctx, p, grant, b, prev)
	if err != nil {
		fail(c, err)
		return
	}
	spec.IdempotencyKey = key
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		id, err := store.NextPolicyDocumentID(ctx, tx)
		if err != nil {
			return err
		}
		spec.ID = id
		if spec.SeriesID == 0 {
			spec.SeriesID = id
		}
		taskIDs := make([]string, len(spec.Units))
		for i, u := range spec.Units {
			taskIDs[i] = contract.DocumentAckTaskID(id, u.UnitID)
		}
		if _, err := store.InsertPolicyDocument(ctx, tx, spec, taskIDs); err != nil {
			return err
		}
		if err := activities.AppendDocumentIssued(ctx, tx, spec); err != nil {
			return err
		}
		if spec.Supersedes != 0 {
			ok, err := store.SupersedeDocument(ctx, tx, spec.Supersedes, id, spec.CreatedAt)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: 该文件已有新版本，请在最新版本上修订", domain.ErrConflict)
			}
		}
		return s.startInTx(ctx, contract.PolicyDocumentID(id), contract.PolicyDocumentWorkflow, spec)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	d, err := store.PolicyDocumentByID(ctx, s.Store.DB, spec.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/policy-documents/%d", d.ID))
	s.answerPolicyDocument(c, http.StatusCreated, d)
}

// policyDocumentSpec validates the body (completed from the version before,
// if any) and resolves its units and campaign; every invalid field is named.
func (s *Server) policyDocumentSpec(ctx context.Context, p domain.Person, grant domain.Grant, b domain.PolicyDocumentInput, prev *store.PolicyDocument) (domain.PolicyDocumentSpec, error) {
	spec := domain.PolicyDocumentSpec{Version: 1, IssuerUnitID: grant.UnitID, IssuedBy: p.Key, IssuerID: p.ID}
	if prev != nil {
		if err := s.inherit(ctx, &b, prev); err != nil {
			return spec, err
		}
		versions, err := store.DocumentVersions(ctx, s.Store.DB, prev.SeriesID)
		if err != nil {
			return spec, err
		}
		spec.SeriesID, spec.Version, spec.Supersedes = prev.SeriesID, versions[0].Version+1, prev.ID
	}
	v := &domain.ValidationError{}
	now := time.Now()
	b.Campaign = strings.TrimSpace(b.Campaign)
	if b.Campaign != "" {
		if len(b.Campaign) > 63 || domain.TextProblem(b.Campaign) != "" {
			v.Add("campaign", "没有这项专项行动")
		} else if camp, err := store.CampaignByID(ctx, s.Store.DB, b.Campaign); errors.Is(err, domain.ErrNotFound) {
			v.Add("campaign", "没有这项专项行动")
		} else if err != nil {
			return spec, err
		} else {
			spec.CampaignID, spec.Clock, now = camp.ID, camp.Clock(), camp.Now(now)
		}
	}
	b.Validate(now, v)
	if b.IssuerUnit != "" {
		if u, err := s.unitByCode(ctx, b.IssuerUnit); errors.Is(err, domain.ErrNotFound) {
			v.Add("issuer_unit", domain.MsgNoUnit(b.IssuerUnit))
		} else if err != nil {
			return spec, err
		} else {
			spec.IssuerUnitID, spec.IssuerCode = u.ID, u.Code
		}
	}
	if spec.IssuerCode == "" && spec.IssuerUnitID == grant.UnitID {
		if u, err := store.UnitByID(ctx, s.Store.DB, grant.UnitID); err == nil {
			spec.IssuerCode = u.Code
		}
	}
	if len(b.Units) <= domain.MaxDocumentUnits {
		for i, code := range b.Units {
			u, err := s.unitByCode(ctx, code)
			if errors.Is(err, domain.ErrNotFound) {
				v.Add(fmt.Sprintf("units[%d]", i), domain.MsgNoUnit(code))
				continue
			} else if err != nil {
				return spec, err
			}
			spec.Units = append(spec.Units, domain.DocumentUnit{UnitID: u.ID, Code: u.Code})
		}
	}
	spec.Ladder = domain.DefaultDocumentLadder()
	if b.Ladder != nil {
		spec.Ladder = *b.Ladder
	}
	v.Sort()
	if err := v.Err(); err != nil {
		return spec, err
	}
	spec.Title, spec.Number, spec.Body, spec.IssuedOn = b.Title, b.Number, b.Body, b.IssuedOn
	spec.DueAt = b.DueAt.UTC()
	spec.CreatedAt = domain.Stored(now.UTC())
	return spec, nil
}

// inherit fills what a new version's body leaves out from the version before.
func (s *Server) inherit(ctx context.Context, b *domain.PolicyDocumentInput, prev *store.PolicyDocument) error {
	if strings.TrimSpace(b.Title) == "" {
		b.Title = prev.Title
	}
	if b.Number == "" {
		b.Number = prev.Number
	}
	if b.IssuerUnit == "" {
		u, err := store.UnitByID(ctx, s.Store.DB, prev.IssuerUnitID)
		if err != nil {
			return err
		}
		b.IssuerUnit = u.Code
	}
	if b.Units == nil {
		units, err := store.DocumentUnits(ctx, s.Store.DB, prev.ID)
		if err != nil {
			return err
		}
		for _, u := range units {
			b.Units = append(b.Units, u.Code)
		}
	}
	if b.Campaign == "" && prev.CampaignID != nil {
		b.Campaign = *prev.CampaignID
	}
	if b.Ladder == nil {
		var l domain.Ladder
		if err := json.Unmarshal(prev.Ladder, &l); err == nil {
			b.Ladder = &l
		}
	}
	return nil
}

// getPolicyDocument answers a version with each unit's acknowledgement.
func (s *Server) getPolicyDocument(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, domain.ErrNotFound)
		return
	}
	d, err := store.PolicyDocumentByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	s.answerPolicyDocument(c, http.StatusOK, d)
}

func (s *Server) answerPolicyDocument(c *gin.Context, code int, d store.PolicyDocument) {
	ctx := c.Request.Context()
	acks, err := store.DocumentAcks(ctx, s.Store.DB, d.ID)
	if err != nil {
		fail(c, err)
		return
	}
	versions, err := store.DocumentVersions(ctx, s.Store.DB, d.SeriesID)
	if err != nil {
		fail(c, err)
		return
	}
	campaign := ""
	if d.CampaignID != nil {
		campaign = *d.CampaignID
	}
	now := s.campaignNow(ctx, campaign)
	view := PolicyDocumentView{PolicyDocument: d, Acknowledgements: make([]DocumentAckView, len(acks)), Versions: emptyIfNil(versions)}
	for i, a := range acks {
		view.Acknowledgements[i] = DocumentAckView{DocumentAck: a, Overdue: a.State == "pending" && now.After(d.DueAt)}
	}
	c.JSON(code, view)
}

// listPolicyDocuments lists the current versions, newest first (?status=
// superseded the old ones), ?unit= those a unit must acknowledge, with keyset
// paging (limit, cursor ← next_cursor).
func (s *Server) listPolicyDocuments(c *gin.Context) {
	status, ok := statusParam(c, domain.DocumentIssued, domain.DocumentAcknowledged, domain.DocumentSuperseded)
	if !ok {
		return
	}
	unit, ok := s.unitParam(c)
	if !ok {
		return
	}
	q := store.PolicyDocumentQuery{Status: status, UnitID: unit, Limit: 50}
	v := &domain.ValidationError{}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Add("limit", domain.MsgRange(1, 200))
		}
		q.Limit = n
	}
	if cur := c.Query("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || n < 1 {
			v.Add("cursor", "不是本服务给出的分页游标")
		}
		q.Before = n
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	list, next, err := store.PolicyDocuments(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	page := PolicyDocumentPage{Documents: emptyIfNil(list)}
	if next != 0 {
		page.NextCursor = strconv.FormatInt(next, 10)
	}
	c.JSON(http.StatusOK, page)
}
