package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/workflows"
)

var validIdempotencyKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// loadTask finds a task the caller may see: 404 for a task that does not exist
// and for one the caller may not see, so existence does not leak.
func (s *Server) loadTask(c *gin.Context) (store.Task, bool) {
	t, err := store.TaskByID(c.Request.Context(), s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return t, false
	}
	if !canSee(caller(c), t) {
		fail(c, domain.ErrNotFound)
		return t, false
	}
	return t, true
}

// actionable loads a task the caller may act on: 403 when they may only read it.
func (s *Server) actionable(c *gin.Context) (store.Task, bool) {
	t, ok := s.loadTask(c)
	if !ok {
		return t, false
	}
	if !canAct(caller(c), t) {
		detail := "this task is addressed to a unit and role you do not hold"
		if holds(caller(c), t) {
			detail = "another person has claimed this task"
		}
		problem(c, http.StatusForbidden, TypeForbidden, detail)
		return t, false
	}
	return t, true
}

func idempotencyKey(c *gin.Context) (string, bool) {
	k := c.GetHeader("Idempotency-Key")
	if k == "" {
		return "", true
	}
	if !validIdempotencyKey.MatchString(k) {
		problem(c, http.StatusBadRequest, TypeValidation, "Idempotency-Key: 1-100 characters of A-Z a-z 0-9 . _ : -",
			domain.FieldError{Field: "Idempotency-Key", Detail: "1-100 characters of A-Z a-z 0-9 . _ : -"})
		return "", false
	}
	return k, true
}

type completionResponse struct {
	Task    store.Task        `json:"task"`
	Outcome domain.Completion `json:"outcome"`
}

// completeTask sends the complete-task Update and answers once the workflow has
// recorded the outcome. With an Idempotency-Key (it becomes the Update id) a
// retried request returns the first answer.
func (s *Server) completeTask(c *gin.Context) {
	key, ok := idempotencyKey(c)
	if !ok {
		return
	}
	t, ok := s.actionable(c)
	if !ok {
		return
	}
	p := caller(c)
	updateID := ""
	if key != "" {
		updateID = fmt.Sprintf("p%d:%s", p.ID, key)
	}
	if t.Status != domain.TaskOpen {
		if updateID != "" && t.UpdateID != nil && *t.UpdateID == updateID {
			s.answerCompletion(c, t.ID)
			return
		}
		problem(c, http.StatusConflict, TypeConflict, "the task is "+t.Status)
		return
	}
	body, err := readJSON(c, true)
	if err != nil {
		fail(c, err)
		return
	}
	if _, err := domain.DecodeCompletion(domain.TaskKind(t.Kind), body); err != nil {
		fail(c, err)
		return
	}
	if updateID == "" {
		updateID = "r:" + requestID(c)
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.UpdateTimeout)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: t.WorkflowID, UpdateID: updateID, UpdateName: workflows.UpdateCompleteTask,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{workflows.CompleteTaskRequest{TaskID: t.ID, Kind: t.Kind, PersonID: p.ID, PersonKey: p.Key, Payload: body}},
	})
	if err == nil {
		var res workflows.CompleteTaskResult
		err = h.Get(ctx, &res)
	}
	if err != nil {
		s.updateFailed(c, err)
		return
	}
	s.answerCompletion(c, t.ID)
}

func (s *Server) answerCompletion(c *gin.Context, id string) {
	t, err := store.TaskByID(c.Request.Context(), s.Store.DB, id)
	if err != nil {
		fail(c, err)
		return
	}
	var out domain.Completion
	_ = json.Unmarshal(t.Outcome, &out)
	c.JSON(http.StatusOK, completionResponse{Task: t, Outcome: out})
}

// updateFailed maps a workflow's refusal to a status; anything else is 503.
func (s *Server) updateFailed(c *gin.Context, err error) {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		switch app.Type() {
		case workflows.ErrTaskClosed, workflows.ErrExtensionPending:
			problem(c, http.StatusConflict, TypeConflict, app.Message())
			return
		case workflows.ErrNoSuchTask:
			problem(c, http.StatusNotFound, TypeNotFound, app.Message())
			return
		case workflows.ErrInvalidPayload, workflows.ErrWrongKind, workflows.ErrBadDeadline, workflows.ErrNotExtendable:
			field, detail, found := strings.Cut(strings.TrimPrefix(app.Message(), "invalid "), ": ")
			if !found {
				field, detail = "body", app.Message()
			}
			problem(c, http.StatusUnprocessableEntity, TypeValidation, app.Message(), domain.FieldError{Field: field, Detail: detail})
			return
		}
	}
	unavailable(c, err)
}

type extensionBody struct {
	DueAt  *time.Time `json:"due_at"`
	Reason string     `json:"reason"`
}

// requestExtension asks the issuing unit for a later deadline (申请延期).
func (s *Server) requestExtension(c *gin.Context) {
	t, ok := s.actionable(c)
	if !ok {
		return
	}
	var b extensionBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	v.Text("reason", &b.Reason, true, 2000)
	if b.DueAt == nil {
		v.Add("due_at", "required")
	} else if !b.DueAt.After(t.DueAt) {
		v.Add("due_at", "must be after the current deadline "+t.DueAt.Format(time.RFC3339))
	}
	if !domain.TaskKind(t.Kind).Extendable() {
		v.Add("task", "this kind of task cannot be extended")
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	if t.Status != domain.TaskOpen {
		problem(c, http.StatusConflict, TypeConflict, "the task is "+t.Status)
		return
	}
	p := caller(c)
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.UpdateTimeout)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: t.WorkflowID, UpdateID: "x:" + requestID(c), UpdateName: workflows.UpdateRequestExtension,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{workflows.ExtensionRequest{TaskID: t.ID, PersonID: p.ID, PersonKey: p.Key, Reason: b.Reason, DueAt: *b.DueAt}},
	})
	var res workflows.ExtensionResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		s.updateFailed(c, err)
		return
	}
	c.JSON(http.StatusAccepted, gin.H{"task_id": t.ID, "decision_task_id": res.DecisionTaskID, "requested_due_at": b.DueAt})
}

// claim and release mark who in a unit is working on a role-addressed task.
func (s *Server) claim(c *gin.Context)   { s.setClaim(c, true) }
func (s *Server) release(c *gin.Context) { s.setClaim(c, false) }

func (s *Server) setClaim(c *gin.Context, claim bool) {
	t, ok := s.loadTask(c)
	if !ok {
		return
	}
	p := caller(c)
	if !holds(p, t) {
		problem(c, http.StatusForbidden, TypeForbidden, "this task is addressed to a unit and role you do not hold")
		return
	}
	if t.PersonID != nil {
		problem(c, http.StatusConflict, TypeConflict, "this task is addressed to one person; there is nothing to claim")
		return
	}
	if t.Status != domain.TaskOpen {
		problem(c, http.StatusConflict, TypeConflict, "the task is "+t.Status)
		return
	}
	ctx := c.Request.Context()
	err := s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var changed bool
		var err error
		if claim {
			changed, err = store.ClaimTask(ctx, tx, t.ID, p.ID)
		} else {
			changed, err = store.ReleaseTask(ctx, tx, t.ID, p.ID)
		}
		if err != nil {
			return err
		}
		if !changed {
			cur, err := store.TaskByID(ctx, tx, t.ID)
			if err != nil {
				return err
			}
			switch {
			case claim && cur.ClaimedBy != nil && *cur.ClaimedBy == p.ID, !claim && cur.ClaimedBy == nil:
				return nil // already so
			case claim:
				return fmt.Errorf("%w: another person has claimed this task", domain.ErrConflict)
			default:
				return fmt.Errorf("%w: another person holds the claim", domain.ErrConflict)
			}
		}
		action, claimedBy := "task.released", any(nil)
		if claim {
			action, claimedBy = "task.claimed", p.ID
		}
		_, err = store.Append(ctx, tx, store.Event{At: s.taskNow(ctx, t), Actor: p.Key, Action: action, SubjectType: t.SubjectType,
			SubjectID: t.SubjectID, TaskID: t.ID, UnitID: t.UnitID, Before: map[string]any{"claimed_by": t.ClaimedBy},
			After: map[string]any{"claimed_by": claimedBy}})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	t, err = store.TaskByID(ctx, s.Store.DB, t.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

type commentBody struct {
	Body string `json:"body"`
}

// comment adds a note to a task's timeline.
func (s *Server) comment(c *gin.Context) {
	t, ok := s.actionable(c)
	if !ok {
		return
	}
	var b commentBody
	if err := decodeJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	v := &domain.ValidationError{}
	v.Text("body", &b.Body, true, 5000)
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	p := caller(c)
	ctx := c.Request.Context()
	var out store.Comment
	err := s.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if out, err = store.AddComment(ctx, tx, t.ID, p.ID, b.Body, s.taskNow(ctx, t)); err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{At: out.CreatedAt, Actor: p.Key, Action: "task.commented", SubjectType: t.SubjectType,
			SubjectID: t.SubjectID, TaskID: t.ID, UnitID: t.UnitID, After: map[string]any{"comment_id": out.ID, "body": out.Body}})
		return err
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

type timelineEntry struct {
	At     time.Time  `json:"at"`
	Actor  string     `json:"actor"`
	Action string     `json:"action"`
	TaskID *string    `json:"task_id,omitempty"`
	Detail store.JSON `json:"detail,omitempty"`
}

// getTask answers the task, its subject and its timeline from the audit log.
func (s *Server) getTask(c *gin.Context) {
	t, ok := s.loadTask(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	audit, err := store.AuditFor(ctx, s.Store.DB, t.ID, t.SubjectType, t.SubjectID)
	if err != nil {
		fail(c, err)
		return
	}
	timeline := make([]timelineEntry, 0, len(audit))
	for _, a := range audit {
		timeline = append(timeline, timelineEntry{At: a.At, Actor: a.Actor, Action: a.Action, TaskID: a.TaskID, Detail: a.After})
	}
	comments, err := store.Comments(ctx, s.Store.DB, t.ID)
	if err != nil {
		fail(c, err)
		return
	}
	notes, err := store.NotificationsFor(ctx, s.Store.DB, nil, t.ID, 100)
	if err != nil {
		fail(c, err)
		return
	}
	var subject any
	if t.SubjectType == "assignment" {
		if id, err := strconv.ParseInt(t.SubjectID, 10, 64); err == nil {
			if a, err := store.AssignmentByID(ctx, s.Store.DB, id); err == nil {
				subject = a
			}
		}
	}
	p := caller(c)
	c.JSON(http.StatusOK, gin.H{
		"task": t, "overdue": t.Overdue(s.taskNow(ctx, t)), "can_act": canAct(p, t) && t.Status == domain.TaskOpen,
		"subject": subject, "timeline": timeline, "comments": emptyIfNil(comments), "notifications": emptyIfNil(notes),
	})
}

func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// inbox answers the caller's tasks with filters, keyset paging and badge counts.
func (s *Server) inbox(c *gin.Context) {
	p := caller(c)
	units, roles := slots(p)
	q := store.InboxQuery{PersonID: p.ID, UnitIDs: units, Roles: roles, Now: time.Now(), Cursor: c.Query("cursor")}
	v := &domain.ValidationError{}
	if k := c.Query("kind"); k != "" {
		if _, err := domain.ParseTaskKind(k); err != nil {
			v.Add("kind", err.Error())
		}
		q.Kind = k
	}
	switch st := c.Query("status"); st {
	case "", domain.TaskOpen, domain.TaskCompleted, domain.TaskCancelled:
		q.Status = st
	default:
		v.Add("status", "one of open, completed, cancelled")
	}
	if o := c.Query("overdue"); o != "" {
		b, err := strconv.ParseBool(o)
		if err != nil {
			v.Add("overdue", "true or false")
		}
		q.Overdue = &b
	}
	for name, dst := range map[string]**time.Time{"due_before": &q.DueBefore, "due_after": &q.DueAfter} {
		if raw := c.Query(name); raw != "" {
			t, err := time.Parse(time.RFC3339, raw)
			if err != nil {
				v.Add(name, "an RFC 3339 time, e.g. 2021-03-01T00:00:00+08:00")
			}
			*dst = &t
		}
	}
	q.CampaignID = c.Query("campaign")
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Add("limit", "a number from 1 to 200")
		}
		q.Limit = n
	}
	if q.Cursor != "" {
		if _, err := store.DecodeCursor(q.Cursor); err != nil {
			v.Add("cursor", "not a cursor this server gave")
		}
	}
	if err := v.Err(); err != nil {
		v.Sort()
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	clocks, err := store.FastClocks(ctx, s.Store.DB)
	if err != nil {
		fail(c, err)
		return
	}
	q.Clocks = clocks
	tasks, next, err := store.Inbox(ctx, s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	counts, err := store.InboxCounts(ctx, s.Store.DB, q)
	if err != nil {
		fail(c, err)
		return
	}
	total, overdue := 0, 0
	for _, k := range counts {
		total += k.Open
		overdue += k.Overdue
	}
	notes, err := store.NotificationsFor(ctx, s.Store.DB, units, "", 20)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"tasks": emptyIfNil(tasks), "next_cursor": next,
		"counts":        gin.H{"total": total, "overdue": overdue, "by_kind": emptyIfNil(counts)},
		"notifications": emptyIfNil(notes),
		"campaign_time": campaignTimes(q.Clocks, q.Now),
	})
}

// campaignTimes answers the time of each campaign that runs faster than real time.
func campaignTimes(clocks store.Clocks, wall time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for id := range clocks {
		out[id] = clocks.Now(id, wall)
	}
	return out
}

// taskNow is the time a task's deadline is measured against: its campaign's time.
func (s *Server) taskNow(ctx context.Context, t store.Task) time.Time {
	if t.CampaignID == nil {
		return time.Now()
	}
	return s.campaignNow(ctx, *t.CampaignID)
}

// campaignNow is a campaign's time now (the wall clock if it cannot be read).
func (s *Server) campaignNow(ctx context.Context, campaignID string) time.Time {
	if campaignID == "" {
		return time.Now()
	}
	camp, err := store.CampaignByID(ctx, s.Store.DB, campaignID)
	if err != nil {
		return time.Now()
	}
	return camp.Now(time.Now())
}
