package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
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
	return t, visible(c, t)
}

// visible says whether the caller may see a task, answering 404 when not.
func visible(c *gin.Context, t store.Task) bool {
	if !canSee(caller(c), t) {
		fail(c, domain.ErrNotFound)
		return false
	}
	return true
}

// actionable loads a task the caller may act on: 403 when they may only read it.
func (s *Server) actionable(c *gin.Context) (store.Task, bool) {
	t, ok := s.loadTask(c)
	if !ok {
		return t, false
	}
	if !canAct(caller(c), t) {
		detail := "这项待办交给的单位和角色不是您担任的"
		if holds(caller(c), t) {
			detail = "这项待办已由他人认领"
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
		problem(c, http.StatusBadRequest, TypeValidation, "Idempotency-Key：1 到 100 个 A-Z a-z 0-9 . _ : - 字符",
			domain.FieldError{Field: "Idempotency-Key", Detail: "1 到 100 个 A-Z a-z 0-9 . _ : - 字符"})
		return "", false
	}
	return k, true
}

type CompletionResponse struct {
	Task    store.Task        `json:"task"`
	Outcome domain.Completion `json:"outcome"`
}

// recordKey is a record's idempotency key made of the caller's request key
// (a key is the caller's own: another person's same key is another record);
// nil without one.
func recordKey(p domain.Person, key string) *string {
	if key == "" {
		return nil
	}
	k := fmt.Sprintf("p%d:%s", p.ID, key)
	return &k
}

// completeTask sends the complete-task Update and answers once the workflow has
// recorded the outcome. With an Idempotency-Key (it becomes the Update id) a
// retried request returns the first answer. One completion per task is in
// flight at a time: the request claims the task row first, and any other
// answers 409 at once, whatever the load.
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
	body, err := readJSON(c, true)
	if err != nil {
		fail(c, err)
		return
	}
	if t.Status != domain.TaskOpen {
		s.answerClosed(c, t, updateID, body)
		return
	}
	ctx := c.Request.Context()
	submitted := s.taskNow(ctx, t) // read once: the check and the Update measure against the same time
	if err := s.checkCompletion(ctx, t, body, submitted); err != nil {
		fail(c, err)
		return
	}
	if updateID == "" {
		updateID = "r:" + requestID(c)
	}
	now := time.Now()
	claimed, err := store.BeginCompleting(ctx, s.Store.DB, t.ID, updateID, now, now.Add(s.UpdateTimeout+5*time.Second))
	if err != nil {
		fail(c, err)
		return
	}
	if !claimed {
		cur, err := store.TaskByID(ctx, s.Store.DB, t.ID)
		if err != nil {
			fail(c, err)
			return
		}
		if cur.Status != domain.TaskOpen {
			s.answerClosed(c, cur, updateID, body)
			return
		}
		problem(c, http.StatusConflict, TypeConflict, "这项待办正在由另一个请求办理")
		return
	}
	uctx, cancel := context.WithTimeout(ctx, s.UpdateTimeout)
	defer cancel()
	busy, done := s.completionUnderLoad()
	defer done()
	h, err := s.Temporal.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		WorkflowID: t.WorkflowID, UpdateID: updateID, UpdateName: contract.UpdateCompleteTask,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{contract.CompleteTaskRequest{TaskID: t.ID, Kind: t.Kind, PersonID: p.ID, PersonKey: p.Key, Payload: body,
			SubmittedAt: submitted, WithNextSteps: busy}},
	})
	var res contract.CompleteTaskResult
	if err == nil {
		err = h.Get(uctx, &res)
	}
	if err != nil {
		if contract.Refused(err) {
			// The workflow said no: the task is free for the next request at once.
			if rerr := store.EndCompleting(context.WithoutCancel(ctx), s.Store.DB, t.ID, updateID); rerr != nil {
				logError(c, rerr)
			}
		}
		updateFailed(c, err)
		return
	}
	// The Update's result is the answer: the task as the workflow recorded it.
	outcome, err := json.Marshal(res.Outcome)
	if err != nil {
		fail(c, err)
		return
	}
	t.Status, t.CompletedAt, t.CompletedBy, t.Outcome, t.UpdateID = res.Status, &res.CompletedAt, &p.ID, outcome, &updateID
	c.JSON(http.StatusOK, CompletionResponse{Task: t, Outcome: res.Outcome})
}

// completionUnderLoad counts a completion under way until done is called,
// and says whether others were under way beside it. A completion alone — a
// person on a quiet system — is answered as soon as its own row is written
// and its process takes its next steps just after (workflows.answerFirst);
// beside others it asks to be answered with them, in one workflow task:
// three history writes fewer per completion where the Temporal server's
// writes are the bound, for a few milliseconds more on each answer.
func (s *Server) completionUnderLoad() (busy bool, done func()) {
	busy = s.completing.Add(1) > 1
	return busy, func() { s.completing.Add(-1) }
}

// answerClosed answers a completion of a task that is no longer open: the
// first answer again for a retry of the request that completed it, else 409.
//
// A retry sends the Update again under its id before answering. The handler
// writes the row in the workflow task that accepts the Update; a worker killed
// right after that commit loses the task and with it the Update, so the row
// says completed while the process still waits. Sent again, the Update finds
// the task open, its step is a no-op for the same update id, and the process
// moves on; had it been applied, Temporal answers its first outcome.
func (s *Server) answerClosed(c *gin.Context, t store.Task, updateID string, body []byte) {
	if updateID != "" && t.UpdateID != nil && *t.UpdateID == updateID {
		if err := s.resend(c, t, updateID, body); err != nil {
			updateFailed(c, err)
			return
		}
		var out domain.Completion
		if err := json.Unmarshal(t.Outcome, &out); err != nil {
			fail(c, fmt.Errorf("task %s outcome: %w", t.ID, err))
			return
		}
		c.JSON(http.StatusOK, CompletionResponse{Task: t, Outcome: out})
		return
	}
	problem(c, http.StatusConflict, TypeConflict, "这项待办已"+statusWords[t.Status])
}

// resend sends a completed task's Update again under the same id (see
// answerClosed). A refusal (the process has the task closed) or a process
// that is no longer running is no error: the row is the answer.
func (s *Server) resend(c *gin.Context, t store.Task, updateID string, body []byte) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.UpdateTimeout)
	defer cancel()
	p := caller(c)
	req := contract.CompleteTaskRequest{TaskID: t.ID, Kind: t.Kind, PersonID: p.ID, PersonKey: p.Key, Payload: body}
	if t.CompletedAt != nil {
		req.SubmittedAt = *t.CompletedAt
	}
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: t.WorkflowID, UpdateID: updateID,
		UpdateName: contract.UpdateCompleteTask, WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{req}})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var notFound *serviceerror.NotFound
	var precondition *serviceerror.FailedPrecondition
	if err == nil || contract.Refused(err) || errors.As(err, &notFound) || errors.As(err, &precondition) {
		return nil
	}
	return err
}

// statusWords are task statuses as officials read them.
var statusWords = map[domain.Status]string{domain.TaskOpen: "在办", domain.TaskCompleted: "办结", domain.TaskCancelled: "取消"}

// checkCompletion applies the rules the workflow's validator applies, so a
// bad payload is a complete 422 before anything is sent: the payload for the
// task's kind, its times against the campaign's time now, an interview's items.
func (s *Server) checkCompletion(ctx context.Context, t store.Task, body []byte, now time.Time) error {
	kind := domain.TaskKind(t.Kind)
	out, err := domain.DecodeCompletion(kind, body)
	if err != nil {
		return err
	}
	if err := out.CheckTimes(now); err != nil {
		return err
	}
	if kind == domain.KindMeetingMinutes {
		// The minutes are the meeting recorded for this task (POST /meetings with minutes_task).
		m, err := store.MeetingByID(ctx, s.Store.DB, out.MeetingID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if err != nil || m.MinutesTask == nil || *m.MinutesTask != t.ID {
			return &domain.ValidationError{Fields: []domain.FieldError{{Field: "meeting_id", Detail: "应为为这项待办记录的会议（先记录会议，minutes_task 填这项待办）"}}}
		}
		return nil
	}
	if kind == domain.KindInterviewCommitments {
		var tc domain.TaskContext
		if err := json.Unmarshal(t.Context, &tc); err != nil {
			return fmt.Errorf("task %s context: %w", t.ID, err)
		}
		return out.CheckItems(tc.Items)
	}
	return nil
}

// updateFailed maps what became of an Update: a workflow's refusal to 409,
// 404 or 422 naming the fields; a process that is not running (not found,
// already closed) to 409; a time-out or Temporal out of reach to 503 with
// Retry-After; anything else is logged as 500.
func updateFailed(c *gin.Context, err error) {
	var app *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	var precondition *serviceerror.FailedPrecondition
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	var unavail *serviceerror.Unavailable
	var exhausted *serviceerror.ResourceExhausted
	var deadline *serviceerror.DeadlineExceeded
	var canceled *serviceerror.Canceled
	var updTimeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	switch {
	case errors.As(err, &app):
		switch app.Type() {
		case contract.ErrTaskClosed, contract.ErrExtensionPending:
			problem(c, http.StatusConflict, TypeConflict, app.Message())
		case contract.ErrNoSuchTask:
			problem(c, http.StatusNotFound, TypeNotFound, app.Message())
		case contract.ErrInvalidPayload, contract.ErrWrongKind, contract.ErrBadDeadline, contract.ErrNotExtendable:
			var fields []domain.FieldError
			if app.HasDetails() && app.Details(&fields) == nil && len(fields) > 0 {
				fail(c, &domain.ValidationError{Fields: fields})
				return
			}
			problem(c, http.StatusUnprocessableEntity, TypeValidation, app.Message(), domain.FieldError{Field: "body", Detail: app.Message()})
		case contract.ErrInsufficientStock:
			var fields []domain.FieldError
			if app.HasDetails() && app.Details(&fields) == nil && len(fields) > 0 {
				problem(c, http.StatusConflict, TypeConflict, app.Message(), fields...)
				return
			}
			problem(c, http.StatusConflict, TypeConflict, app.Message())
		case contract.ErrDataRejected:
			problem(c, http.StatusUnprocessableEntity, TypeValidation, app.Message(), domain.FieldError{Field: "body", Detail: "含有数据库不能接受的内容"})
		default:
			logError(c, err)
			problem(c, http.StatusInternalServerError, TypeInternal, "流程未能办理这项请求，已记录")
		}
	case errors.As(err, &notFound), errors.As(err, &precondition), errors.As(err, &started):
		problem(c, http.StatusConflict, TypeConflict, "流程不在运行（未启动或已结束），无法办理")
	case errors.As(err, &updTimeout), errors.As(err, &deadline), errors.As(err, &canceled), errors.As(err, &unavail), errors.As(err, &exhausted),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		unavailable(c, err)
	default:
		logError(c, err)
		problem(c, http.StatusInternalServerError, TypeInternal, "服务器未能完成请求，已记录")
	}
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
	if !domain.TaskKind(t.Kind).Extendable() {
		fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "task", Detail: "这类待办不能申请延期"}}})
		return
	}
	var due time.Time
	if b.DueAt != nil {
		due = *b.DueAt
	}
	if err := domain.CheckExtension(b.Reason, due, t.DueAt); err != nil {
		fail(c, err)
		return
	}
	b.Reason = domain.CleanText(b.Reason)
	if t.Status != domain.TaskOpen {
		problem(c, http.StatusConflict, TypeConflict, "这项待办已"+statusWords[t.Status])
		return
	}
	p := caller(c)
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.UpdateTimeout)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: t.WorkflowID, UpdateID: "x:" + requestID(c), UpdateName: contract.UpdateRequestExtension,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{contract.ExtensionRequest{TaskID: t.ID, PersonID: p.ID, PersonKey: p.Key, Reason: b.Reason, DueAt: *b.DueAt}},
	})
	var res contract.ExtensionResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		updateFailed(c, err)
		return
	}
	c.JSON(http.StatusAccepted, ExtensionRequested{TaskID: t.ID, DecisionTaskID: res.DecisionTaskID, RequestedDueAt: *b.DueAt})
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
		problem(c, http.StatusForbidden, TypeForbidden, "这项待办交给的单位和角色不是您担任的")
		return
	}
	if t.PersonID != nil {
		problem(c, http.StatusConflict, TypeConflict, "这项待办只交给一个人，无需认领")
		return
	}
	if t.Status != domain.TaskOpen {
		problem(c, http.StatusConflict, TypeConflict, "这项待办已"+statusWords[t.Status])
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
				return fmt.Errorf("%w: 这项待办已由他人认领", domain.ErrConflict)
			default:
				return fmt.Errorf("%w: 认领人是他人", domain.ErrConflict)
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
	if t.Status != domain.TaskOpen {
		problem(c, http.StatusConflict, TypeConflict, "这项待办已"+statusWords[t.Status]+"，不能再留言")
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

type TimelineEntry struct {
	At     time.Time  `json:"at"`
	Actor  string     `json:"actor"`
	Action string     `json:"action"`
	TaskID *string    `json:"task_id,omitempty"`
	Detail store.JSON `json:"detail,omitempty"`
}

// getTask answers the task, its subject and its timeline from the audit log:
// the task, its history and an assigned matter in one query, then (for a
// report) the report.
func (s *Server) getTask(c *gin.Context) {
	ctx := c.Request.Context()
	page, err := store.TaskPageOf(ctx, s.Store.DB, c.Param("id"), 100)
	if err != nil {
		fail(c, err)
		return
	}
	t, h, p := page.Task, page.History, caller(c)
	if !visible(c, t) {
		return
	}
	out := TaskDetail{Task: t, Overdue: t.Overdue(s.taskNow(ctx, t)), CanAct: canAct(p, t) && t.Status == domain.TaskOpen,
		Timeline: timelineOf(h.Audit), Comments: emptyIfNil(h.Comments), Notifications: emptyIfNil(h.Notifications), Subject: page.Assignment}
	if t.SubjectType == domain.SubjectReport {
		r, err := store.ReportByID(ctx, s.Store.DB, t.SubjectID)
		switch {
		case err == nil:
			v, err := s.reportView(ctx, r)
			if err != nil {
				fail(c, err)
				return
			}
			out.Report = &v
		case !errors.Is(err, domain.ErrNotFound):
			fail(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, out)
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
			v.Add("kind", "不认识的待办类型")
		}
		q.Kind = k
	}
	if st := c.Query("status"); st != "" {
		switch status, err := domain.ParseStatus(st); {
		case err == nil && (status == domain.TaskOpen || status == domain.TaskCompleted || status == domain.TaskCancelled):
			q.Status = status
		default:
			v.Add("status", domain.MsgOneOf("open", "completed", "cancelled"))
		}
	}
	if o := c.Query("overdue"); o != "" {
		b, err := strconv.ParseBool(o)
		if err != nil {
			v.Add("overdue", domain.MsgBool)
		}
		q.Overdue = &b
	}
	for name, dst := range map[string]**time.Time{"due_before": &q.DueBefore, "due_after": &q.DueAfter} {
		if raw := c.Query(name); raw != "" {
			t, err := time.Parse(time.RFC3339, raw)
			if err != nil {
				v.Add(name, domain.MsgTime)
			}
			*dst = &t
		}
	}
	q.CampaignID = c.Query("campaign")
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Add("limit", domain.MsgRange(1, 200))
		}
		q.Limit = n
	}
	if q.Cursor != "" {
		if _, err := store.DecodeCursor(q.Cursor); err != nil {
			v.Add("cursor", "不是本服务给出的分页游标")
		}
	}
	if err := v.Err(); err != nil {
		v.Sort()
		fail(c, err)
		return
	}
	ctx := c.Request.Context()
	clocks, err := s.Store.CachedFastClocks(ctx)
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
	c.JSON(http.StatusOK, Inbox{
		Tasks: emptyIfNil(tasks), NextCursor: next,
		Counts:        InboxCounts{Total: total, Overdue: overdue, ByKind: emptyIfNil(counts)},
		Notifications: emptyIfNil(notes),
		CampaignTime:  campaignTimes(q.Clocks, q.Now),
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
	wall := time.Now()
	now, err := s.Store.CampaignNow(ctx, campaignID, wall)
	if err != nil {
		return wall
	}
	return now
}
