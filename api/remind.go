package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Reminded answers a reminder sent by hand (催办).
type Reminded struct {
	AssignmentID int64  `json:"assignment_id"`
	TaskID       string `json:"task_id"`
	// Sent is false when a retried request (same Idempotency-Key) found its reminder already sent.
	Sent bool `json:"sent"`
}

// canSupervise says whether p may press the issuing unit's matter: its
// leaders and safety office, and the county's leaders.
func canSupervise(p domain.Person, issuerUnitID int64) bool {
	for _, g := range p.Grants {
		if (g.Role == domain.RoleLeader || g.Role == domain.RoleSafetyOffice) && g.UnitID == issuerUnitID {
			return true
		}
	}
	return p.CountyWide() && p.HasAny(domain.RoleLeader)
}

// remindAssignment sends the assignee of an open matter a reminder now (催办),
// with an audit row; a retry with the same Idempotency-Key sends nothing more.
func (s *Server) remindAssignment(c *gin.Context) {
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		fail(c, domain.ErrNotFound)
		return
	}
	ctx := c.Request.Context()
	a, err := store.AssignmentByID(ctx, s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	p := caller(c)
	if !canSupervise(p, a.IssuerUnitID) {
		if inUnit(p, a.AssigneeUnitID) || p.CountyWide() {
			problem(c, http.StatusForbidden, TypeForbidden, "只有交办单位的领导和安委办可以催办")
			return
		}
		fail(c, domain.ErrNotFound)
		return
	}
	task, err := store.OpenTaskOf(ctx, s.Store.DB, "assignment", strconv.FormatInt(id, 10), domain.KindAssignmentComplete)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			problem(c, http.StatusConflict, TypeConflict, "这项交办事项不在办理中，无需催办")
			return
		}
		fail(c, err)
		return
	}
	if key == "" {
		key = "r:" + requestID(c)
	}
	issuer, err := store.UnitName(ctx, s.Store.DB, a.IssuerUnitID)
	if err != nil {
		fail(c, err)
		return
	}
	now := time.Now()
	n := store.Notification{Key: fmt.Sprintf("remind-now:%d:p%d:%s", id, p.ID, key), UnitID: task.UnitID, TaskID: &task.ID, Kind: string(domain.ActionRemind),
		Title: "【催办】" + a.Title, Body: domain.ReminderByHand(issuer, p.Name, a.Title, task.DueAt.In(domain.DefaultZone), now.After(task.DueAt))}
	sent := false
	err = s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		if sent, err = store.Enqueue(ctx, tx, n); err != nil || !sent {
			return err
		}
		_, err := store.Append(ctx, tx, store.Event{Key: n.Key, Actor: p.Key, Action: "assignment.reminded", SubjectType: "assignment",
			SubjectID: strconv.FormatInt(id, 10), TaskID: task.ID, UnitID: task.UnitID, After: map[string]any{"by": p.Name}})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, Reminded{AssignmentID: id, TaskID: task.ID, Sent: sent})
}
