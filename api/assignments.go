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

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

type reviewerBody struct {
	Unit string `json:"unit"`
	Role string `json:"role"`
}

type assignmentBody struct {
	Title        string         `json:"title"`
	Content      string         `json:"content"`
	DueAt        *time.Time     `json:"due_at"`
	AssigneeUnit string         `json:"assignee_unit"`
	Ladder       *domain.Ladder `json:"ladder"`
	Reviewer     *reviewerBody  `json:"reviewer"`
}

// createAssignment lets a leader or the safety office assign a matter (交办) to a
// unit. The row and the workflow start together: if Temporal refuses the start,
// the row is rolled back.
func (s *Server) createAssignment(c *gin.Context) {
	p := caller(c)
	grant, ok := assigningGrant(p)
	if !ok {
		problem(c, http.StatusForbidden, TypeForbidden, "只有领导和安委办可以交办事项")
		return
	}
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if key != "" {
		if a, err := store.AssignmentByKey(ctx, s.Store.DB, p.ID, key); err == nil {
			c.JSON(http.StatusOK, a)
			return
		} else if !errors.Is(err, domain.ErrNotFound) {
			fail(c, err)
			return
		}
	}
	var b assignmentBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	in, err := s.assignmentInput(ctx, p, grant, b, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	if key != "" {
		in.IdempotencyKey = key
	}
	record := store.Assignment{
		Title: in.Title, Content: in.Content, DueAt: in.DueAt, IssuerUnitID: in.IssuerUnitID, AssignerID: in.AssignerID,
		AssigneeUnitID: in.AssigneeUnitID, ReviewerUnitID: in.ReviewerUnitID, ReviewerRole: in.ReviewerRole.String(),
		CreatedAt: in.CreatedAt,
	}
	ladderJSON, err := json.Marshal(in.Ladder)
	if err != nil {
		fail(c, err)
		return
	}
	record.Ladder = ladderJSON
	if key != "" {
		record.IdempotencyKey = &key
	}
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		id, err := store.NextAssignmentID(ctx, tx)
		if err != nil {
			return err
		}
		in.ID, record.ID = id, id
		if _, err := store.UpsertAssignment(ctx, tx, record); err != nil {
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("assignment.created:%d", id), At: in.CreatedAt, Actor: p.Key,
			Action: "assignment.created", SubjectType: "assignment", SubjectID: fmt.Sprint(id), UnitID: in.AssigneeUnitID,
			After: map[string]any{"title": in.Title, "due_at": in.DueAt, "assignee_unit_id": in.AssigneeUnitID}}); err != nil {
			return err
		}
		return s.startInTx(ctx, contract.AssignmentID(id), contract.AssignmentWorkflow, in)
	})
	if err != nil {
		failStart(c, err)
		return
	}
	a, err := store.AssignmentByID(ctx, s.Store.DB, in.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/assignments/%d", a.ID))
	c.JSON(http.StatusCreated, a)
}

// assignmentInput validates the body and resolves units; every invalid field
// is named. now is the matter's time: the deadline must come after it.
func (s *Server) assignmentInput(ctx context.Context, p domain.Person, grant domain.Grant, b assignmentBody, now time.Time) (contract.AssignmentInput, error) {
	v := &domain.ValidationError{}
	in := contract.AssignmentInput{AssignmentRecord: contract.AssignmentRecord{
		Title: strings.TrimSpace(b.Title), Content: strings.TrimSpace(b.Content), IssuerUnitID: grant.UnitID,
		AssignerID: p.ID, AssignerKey: p.Key, CreatedAt: domain.Stored(now.UTC()),
		ReviewerUnitID: grant.UnitID, ReviewerRole: grant.Role,
	}, ReviewerID: p.ID}
	v.Text("title", &in.Title, true, 200)
	v.Text("content", &in.Content, true, 20000)
	switch {
	case b.DueAt == nil:
		v.Add("due_at", domain.MsgRequired)
	case !b.DueAt.After(now):
		v.Add("due_at", domain.MsgFuture)
	default:
		in.DueAt = b.DueAt.UTC()
	}
	if b.AssigneeUnit == "" {
		v.Add("assignee_unit", domain.MsgRequired+"（单位代码）")
	} else if u, err := s.unitByCode(ctx, b.AssigneeUnit); errors.Is(err, domain.ErrNotFound) {
		v.Add("assignee_unit", domain.MsgNoUnit(b.AssigneeUnit))
	} else if err != nil {
		return in, err
	} else {
		in.AssigneeUnitID, in.AssigneeCode = u.ID, u.Code
	}
	in.Ladder = domain.DefaultLadder()
	if b.Ladder != nil {
		in.Ladder = *b.Ladder
	}
	in.Ladder.Validate("ladder", v)
	if b.Reviewer != nil {
		in.ReviewerID = 0
		role, err := domain.ParseRole(b.Reviewer.Role)
		if err != nil {
			v.Add("reviewer.role", domain.MsgOneOf("leader", "safety_office", "unit_head", "staff", "inspector", "admin"))
		}
		in.ReviewerRole = role
		if u, err := s.unitByCode(ctx, b.Reviewer.Unit); errors.Is(err, domain.ErrNotFound) {
			v.Add("reviewer.unit", domain.MsgNoUnit(b.Reviewer.Unit))
		} else if err != nil {
			return in, err
		} else {
			in.ReviewerUnitID = u.ID
		}
	}
	if in.AssigneeUnitID != 0 && in.ReviewerUnitID == in.AssigneeUnitID {
		// The unit that does the work does not approve it.
		field := "assignee_unit"
		if b.Reviewer != nil {
			field = "reviewer.unit"
		}
		v.Add(field, "审核单位不能是承办单位本身，请另行指定审核单位（reviewer）")
	}
	v.Sort()
	return in, v.Err()
}

// getAssignment answers an assignment to those who may see it: the assigner's
// side, the assignee unit's people, and the county-wide readers.
func (s *Server) getAssignment(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, domain.ErrNotFound)
		return
	}
	a, err := store.AssignmentByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	p := caller(c)
	if !p.CountyWide() && !inUnit(p, a.AssigneeUnitID) && !inUnit(p, a.IssuerUnitID) && p.ID != a.AssignerID {
		fail(c, domain.ErrNotFound)
		return
	}
	c.JSON(http.StatusOK, a)
}

func inUnit(p domain.Person, unitID int64) bool {
	for _, g := range p.Grants {
		if g.UnitID == unitID {
			return true
		}
	}
	return false
}

// AssignmentPage is a page of assigned matters.
type AssignmentPage struct {
	Assignments []store.Assignment `json:"assignments"`
	// NextCursor pages on (empty at the end).
	NextCursor string `json:"next_cursor"`
}

// listAssignments lists the assigned matters the caller may read, newest
// first: ?side=issued those issued by the caller's units, ?side=assigned those
// assigned to them (default both; county-wide readers read every one), with a
// status filter and keyset paging (limit, cursor ← next_cursor).
func (s *Server) listAssignments(c *gin.Context) {
	p := caller(c)
	units, _ := slots(p)
	q := store.AssignmentQuery{Limit: 50}
	v := &domain.ValidationError{}
	switch side := c.Query("side"); side {
	case "":
		q.All, q.Issued, q.Assigned = p.CountyWide(), units, units
	case "issued":
		q.Issued = units
	case "assigned":
		q.Assigned = units
	default:
		v.Add("side", domain.MsgOneOf("issued", "assigned"))
	}
	status, ok := statusParam(c, domain.StatusOpen, domain.StatusSubmitted, domain.StatusReturned, domain.StatusApproved)
	if !ok {
		return
	}
	q.Status = status
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
	list, next, err := store.Assignments(c.Request.Context(), s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	page := AssignmentPage{Assignments: emptyIfNil(list)}
	if next != 0 {
		page.NextCursor = strconv.FormatInt(next, 10)
	}
	c.JSON(http.StatusOK, page)
}
