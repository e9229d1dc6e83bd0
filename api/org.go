package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

func (s *Server) me(c *gin.Context) {
	c.JSON(http.StatusOK, caller(c))
}

type unitHead struct {
	PersonID int64  `json:"person_id"`
	Name     string `json:"name"`
	Title    string `json:"title"`
}

type UnitNode struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Stop is the unit's stop now (停产整顿): unit (the whole unit), faces, or empty.
	Stop       string      `json:"stop,omitempty"`
	Head       *unitHead   `json:"head,omitempty"`
	Supervises []string    `json:"supervises,omitempty"`
	Members    []string    `json:"members,omitempty"`
	Children   []*UnitNode `json:"children"`
}

// units answers the organisation as a tree; every authenticated person may read it.
func (s *Server) units(c *gin.Context) {
	ctx := c.Request.Context()
	units, err := store.Units(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	heads, err := store.UnitHeads(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	supervision, err := store.Supervision(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	members, err := store.CommitteeMembers(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	stops, err := store.StopStates(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, UnitList{Units: unitTree(units, heads, supervision, members, stops)})
}

func unitTree(units []domain.Unit, heads []store.UnitHead, supervision, members map[int64][]int64, stops map[int64]string) []*UnitNode {
	byID := make(map[int64]*UnitNode, len(units))
	for _, u := range units {
		byID[u.ID] = &UnitNode{ID: u.ID, Code: u.Code, Name: u.Name, Kind: u.Kind.String(), Stop: stops[u.ID], Children: []*UnitNode{}}
	}
	for _, h := range heads {
		if n := byID[h.UnitID]; n != nil && n.Head == nil {
			n.Head = &unitHead{PersonID: h.PersonID, Name: h.Name, Title: h.Title}
		}
	}
	codes := func(ids []int64) []string {
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			out = append(out, byID[id].Code)
		}
		return out
	}
	var roots []*UnitNode
	for _, u := range units { // ordered by id, so children keep creation order
		n := byID[u.ID]
		if ids := supervision[u.ID]; len(ids) > 0 {
			n.Supervises = codes(ids)
		}
		if ids := members[u.ID]; len(ids) > 0 {
			n.Members = codes(ids)
		}
		if u.ParentID != nil && byID[*u.ParentID] != nil {
			p := byID[*u.ParentID]
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	if roots == nil {
		roots = []*UnitNode{}
	}
	return roots
}

// systemCheck runs the SystemCheck workflow and answers with its result (admins only).
func (s *Server) systemCheck(c *gin.Context) {
	p := caller(c)
	if !p.HasAny(domain.RoleAdmin) {
		fail(c, domain.ErrForbidden)
		return
	}
	ctx, cancel := contextWithTimeout(c, 30*time.Second)
	defer cancel()
	id := contract.SystemCheckID(requestID(c))
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                s.TaskQueue,
		WorkflowExecutionTimeout: time.Minute,
		TypedSearchAttributes:    contract.SearchAttributesOf(contract.SystemCheckWorkflow, nil),
	}, contract.SystemCheckWorkflow, contract.SystemCheckInput{RequestedBy: p.Key})
	if err != nil {
		unavailable(c, fmt.Errorf("start system check: %w", err))
		return
	}
	var res contract.SystemCheckResult
	if err := run.Get(ctx, &res); err != nil {
		unavailable(c, fmt.Errorf("system check %s: %w", id, err))
		return
	}
	c.JSON(http.StatusOK, systemCheck{Units: res.Units, People: res.People, SchemaVersion: res.SchemaVersion,
		CheckedAt: res.CheckedAt, RequestedBy: res.RequestedBy, WorkflowID: id})
}

// unavailable answers 503 with Retry-After when Temporal or the worker does
// not answer in time; the cause is logged.
func unavailable(c *gin.Context, err error) {
	var unavail *serviceerror.Unavailable
	detail := "流程引擎或工作进程没有及时响应，请稍后重试"
	if errors.As(err, &unavail) {
		detail = "流程引擎暂时无法访问，请稍后重试"
	}
	c.Error(err) //nolint:errcheck // attaches for the log
	if c.Request.Context().Err() == nil {
		logError(c, err)
	}
	retryLater(c, detail)
}
