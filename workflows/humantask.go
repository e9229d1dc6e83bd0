package workflows

import (
	"errors"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// The human-task primitive. A process keeps a board of its tasks in its state;
// an activity writes each task's inbox row; the complete-task Update, checked by
// its validator before anything is written, records the outcome through an
// activity and only then answers. Assignees may ask for more time; the issuing
// unit decides in an approval task of its own.

// board holds a process's human tasks, in the order they were opened.
type board struct {
	Tasks []*humanTask
	// Clock is the campaign's clock the process runs on (nil: real time).
	Clock *domain.Clock
	// Held is true while the campaign is paused: no rung fires; HeldSince is
	// when the process heard of the pause.
	Held      bool
	HeldSince time.Time
	// Shifts are the keys of the deadline shifts applied, so a repeated one is not applied twice;
	// Shifting counts those under way.
	Shifts   []string
	Shifting int
	// CancelReason is why settle closes the open tasks of a cancelled process (empty: its campaign ended).
	CancelReason string
	// beforeComplete, when set, runs in the complete-task handler before the
	// task's row is completed: a step the completion must carry out or refuse
	// (a loan's hand-over moves the stock, or refuses for want of it). A
	// refusal leaves the task open. It is set by the process at its start.
	beforeComplete func(ctx workflow.Context, t *humanTask, outcome domain.Completion, by string, at time.Time) error
}

// now is the process's time: campaign time on the campaign's clock.
func (b *board) now(ctx workflow.Context) time.Time { return b.Clock.Now(workflow.Now(ctx)) }

// humanTask is one task as the workflow holds it.
type humanTask struct {
	Spec        domain.TaskSpec
	Status      domain.Status
	Completing  bool
	Outcome     domain.Completion
	CompletedBy string
	CompletedAt time.Time
	// WithNextSteps: the completion asked to be answered with the process's
	// next steps rather than before them (see answerFirst).
	WithNextSteps bool
	// DueVersion changes whenever the deadline moves, so a ladder re-times.
	DueVersion int
	// Approver decides extension requests; zero means the task cannot be extended.
	Approver approver
	// Pending is the open extension decision task, if any.
	Pending string
	// ExtensionOf and RequestedDue: for an extension decision, the task and the new deadline.
	ExtensionOf  string
	RequestedDue time.Time
}

// approver is who decides a task's extension requests.
type approver struct {
	UnitID   int64
	Role     domain.Role
	PersonID int64
}

func (t *humanTask) open() bool { return t.Status == domain.TaskOpen }

func (b *board) find(id string) *humanTask {
	for _, t := range b.Tasks {
		if t.Spec.ID == id {
			return t
		}
	}
	return nil
}

// activityOptions are the defaults for zeren's activities: retried with backoff
// until they succeed (every one is idempotent), each try within 30 seconds.
func withActivityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Minute,
			NonRetryableErrorTypes: []string{contract.ErrTaskClosed},
		},
	})
}

// localOptions are the options of a database step run as a local activity:
// retried from 100 ms, backing off to maxBackoff, for at most total (the SDK
// waits out long backoffs on a workflow timer).
func localOptions(total, maxBackoff time.Duration) workflow.LocalActivityOptions {
	return workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: total,
		StartToCloseTimeout:    30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        100 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        maxBackoff,
			NonRetryableErrorTypes: []string{contract.ErrTaskClosed},
		},
	}
}

var (
	// localStep: a process's own steps are retried like the activities they
	// replace — without end in practice, backing off to five minutes.
	localStep = localOptions(365*24*time.Hour, 5*time.Minute)
	// handlerStep: an Update handler's caller waits for the answer, so a
	// database down for more than two minutes fails the Update (the API
	// answers 503 and the person tries again) rather than hold it.
	handlerStep = localOptions(2*time.Minute, 10*time.Second)
)

// dbStep runs one of a process's short database steps (its row, a task's
// row, a review step, a completion) and decodes its result into out. Since
// contract.LocalStepsVersion it is a local activity: written by the
// workflow's own worker inside the workflow task, recorded as one marker,
// with no trip through the history service's task queue (a completion's
// Update: 3 history events instead of 8). Histories from before run it as an
// activity; GetVersion keeps a running workflow on whichever it began with.
func dbStep(ctx workflow.Context, opts workflow.LocalActivityOptions, activity string, in, out any) error {
	if localSteps(ctx) == workflow.DefaultVersion {
		return workflow.ExecuteActivity(withActivityOptions(ctx), activity, in).Get(ctx, out)
	}
	return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, opts), activity, in).Get(ctx, out)
}

// localSteps is the process's version of contract.LocalStepsVersion.
func localSteps(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, contract.LocalStepsVersion, workflow.DefaultVersion, contract.LocalStepsAsAsked)
}

// answerFirst ends the workflow task in which a task was closed before the
// process goes on. The completion's Update is answered when that workflow
// task completes, which waits for every local activity started in it: without
// this the person completing a task would also wait for the next steps (the
// review step, the reviewer's task). A timer of a millisecond is the cheapest
// way to end a workflow task (two events and the next task's three); the
// steps follow a few milliseconds later. Histories from before
// contract.LocalStepsAnswerFirst take the steps in the same workflow task, and
// so, since contract.LocalStepsAsAsked, does a completion that asked for it
// (contract.CompleteTaskRequest.WithNextSteps: the API under load, where the
// timer's three more history writes per completion cost more than they save).
func answerFirst(ctx workflow.Context, t *humanTask) error {
	v := localSteps(ctx)
	if v < contract.LocalStepsAnswerFirst || (v >= contract.LocalStepsAsAsked && t.WithNextSteps) {
		return nil
	}
	return workflow.Sleep(ctx, time.Millisecond)
}

// openTask writes the task's inbox row and puts it on the board.
//
// The task is on the board before the activity runs: its row becomes visible in
// the inbox when the activity commits, which can be before the workflow hears the
// activity finished, and a completion arriving in that gap must find the task.
func (b *board) openTask(ctx workflow.Context, spec domain.TaskSpec, ap approver) (*humanTask, error) {
	spec.CreatedAt = b.now(ctx)
	t := &humanTask{Spec: spec, Status: domain.TaskOpen, Approver: ap}
	b.Tasks = append(b.Tasks, t)
	if err := dbStep(ctx, localStep, contract.ActCreateTask, spec, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// wait blocks until the task is no longer open, and answers its completion
// before the process goes on.
func (b *board) wait(ctx workflow.Context, t *humanTask) error {
	if err := workflow.Await(ctx, func() bool { return !t.open() }); err != nil {
		return err
	}
	return answerFirst(ctx, t)
}

// settle closes the open tasks of a process that was cancelled (its campaign
// ended, say), so no inbox keeps a task nothing waits for; it answers err.
func (b *board) settle(ctx workflow.Context, err error) error {
	if err == nil || (ctx.Err() == nil && !temporal.IsCanceledError(err)) {
		return err
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = withActivityOptions(dctx)
	reason := b.CancelReason
	if reason == "" {
		reason = "流程已取消（如专项行动已结束）"
	}
	for _, t := range b.Tasks {
		if !t.open() {
			continue
		}
		t.Status = domain.TaskCancelled
		in := contract.CancelTaskInput{TaskID: t.Spec.ID, Reason: reason, At: b.now(dctx)}
		if cerr := workflow.ExecuteActivity(dctx, contract.ActCancelTask, in).Get(dctx, nil); cerr != nil {
			return errors.Join(err, cerr)
		}
	}
	return err
}

// cancelPending closes an extension decision that a completion made moot.
func (b *board) cancelPending(ctx workflow.Context, t *humanTask) error {
	if t.Pending == "" {
		return nil
	}
	d := b.find(t.Pending)
	t.Pending = ""
	if d == nil || !d.open() {
		return nil
	}
	d.Status = domain.TaskCancelled
	return dbStep(ctx, handlerStep, contract.ActCancelTask, contract.CancelTaskInput{TaskID: d.Spec.ID, Reason: "任务已办结，延期申请不再需要决定", At: b.now(ctx)}, nil)
}

// recordedOrDecoded is a completion's outcome: as its row holds it when the
// engine re-sends it, else decoded from the payload.
func recordedOrDecoded(kind domain.TaskKind, req contract.CompleteTaskRequest) (domain.Completion, error) {
	if req.Recorded != nil {
		return *req.Recorded, nil
	}
	return domain.DecodeCompletion(kind, req.Payload)
}

func appError(typ, msg string) error { return temporal.NewApplicationError(msg, typ) }

// invalid refuses a payload: the field errors travel as the error's details,
// so the API names every invalid field.
func invalid(typ string, err error) error {
	var v *domain.ValidationError
	if errors.As(err, &v) {
		return temporal.NewApplicationErrorWithOptions(v.Error(), typ, temporal.ApplicationErrorOptions{Details: []any{v.Fields}})
	}
	return appError(typ, err.Error())
}

// invalidField refuses one field.
func invalidField(typ, field, detail string) error {
	return invalid(typ, &domain.ValidationError{Fields: []domain.FieldError{{Field: field, Detail: detail}}})
}

// install registers the complete-task and request-extension Updates and the tasks query.
func (b *board) install(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryTasks, b.view); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateCompleteTask, b.complete, workflow.UpdateHandlerOptions{
		Validator: b.validateComplete,
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateRequestExtension, b.requestExtension, workflow.UpdateHandlerOptions{
		Validator: b.validateExtension,
	}); err != nil {
		return err
	}
	return workflow.SetUpdateHandler(ctx, contract.UpdateCampaignPause, b.campaignPause)
}

// campaignPause holds the ladders while the campaign is paused and, on resume,
// moves every open task's deadline by the pause (once per shift key).
func (b *board) campaignPause(ctx workflow.Context, req contract.CampaignPauseRequest) (int, error) {
	ctx = withActivityOptions(ctx)
	if req.Paused {
		if !b.Held {
			b.HeldSince = b.now(ctx)
		}
		b.Held = true
		return 0, nil
	}
	moved := 0
	if req.ShiftBy > 0 && !slices.Contains(b.Shifts, req.Key) {
		b.Shifts = append(b.Shifts, req.Key)
		b.Shifting++
		var err error
		moved, err = b.shift(ctx, req)
		b.Shifting--
		if err != nil {
			return moved, err
		}
	}
	// Release the ladders only once every deadline has moved (a repeated resume
	// waits for the shift under way), or a held rung would fire on the old one.
	if err := workflow.Await(ctx, func() bool { return b.Shifting == 0 }); err != nil {
		return moved, err
	}
	b.Held = false
	return moved, nil
}

// shift moves every open task's deadline by the pause, row and state.
func (b *board) shift(ctx workflow.Context, req contract.CampaignPauseRequest) (int, error) {
	moved := 0
	for _, t := range b.Tasks {
		if !t.open() {
			continue
		}
		due := t.Spec.DueAt.Add(req.ShiftBy)
		in := contract.MoveDueInput{TaskID: t.Spec.ID, DueAt: due, DecisionTaskID: req.Key + ":" + t.Spec.ID, PersonKey: domain.ActorEngine, At: b.now(ctx)}
		if err := dbStep(ctx, handlerStep, contract.ActMoveTaskDue, in, nil); err != nil {
			return moved, err
		}
		t.Spec.DueAt = due
		t.DueVersion++
		moved++
	}
	return moved, nil
}

func (b *board) view() (contract.TasksView, error) {
	v := contract.TasksView{Tasks: []contract.TaskView{}}
	for _, t := range b.Tasks {
		v.Tasks = append(v.Tasks, contract.TaskView{ID: t.Spec.ID, Kind: string(t.Spec.Kind), Status: t.Status, DueAt: t.Spec.DueAt})
	}
	return v, nil
}

func (b *board) validateComplete(ctx workflow.Context, req contract.CompleteTaskRequest) error {
	t := b.find(req.TaskID)
	switch {
	case t == nil:
		return appError(contract.ErrNoSuchTask, "流程中没有这项待办")
	case !t.open() || t.Completing:
		return appError(contract.ErrTaskClosed, "这项待办已办结或正在办理")
	case req.Kind != string(t.Spec.Kind):
		return invalidField(contract.ErrWrongKind, "kind", "这项待办的类型是 "+string(t.Spec.Kind))
	}
	if req.Recorded != nil {
		return nil // checked when it was first sent; its row holds it
	}
	c, err := domain.DecodeCompletion(t.Spec.Kind, req.Payload)
	if err != nil {
		return invalid(contract.ErrInvalidPayload, err)
	}
	if err := c.CheckTimes(b.now(ctx)); err != nil {
		return invalid(contract.ErrInvalidPayload, err)
	}
	if t.Spec.Kind == domain.KindDrillEvaluate && t.Spec.Context.DrillAt != nil {
		if err := c.CheckDrill(t.Spec.Context.Units, *t.Spec.Context.DrillAt, b.now(ctx)); err != nil {
			return invalid(contract.ErrInvalidPayload, err)
		}
	}
	if t.Spec.Kind == domain.KindInterviewCommitments {
		if err := c.CheckItems(t.Spec.Context.Items); err != nil {
			return invalid(contract.ErrInvalidPayload, err)
		}
	}
	return nil
}

// complete records the outcome, then answers. Two accepted Updates racing for one
// task: the first marks it Completing, the second fails as closed.
func (b *board) complete(ctx workflow.Context, req contract.CompleteTaskRequest) (contract.CompleteTaskResult, error) {
	ctx = withActivityOptions(ctx) // a handler's context does not inherit the run's options
	t := b.find(req.TaskID)
	if t == nil || !t.open() || t.Completing {
		return contract.CompleteTaskResult{}, appError(contract.ErrTaskClosed, "这项待办已办结或正在办理")
	}
	outcome, err := recordedOrDecoded(t.Spec.Kind, req)
	if err != nil {
		return contract.CompleteTaskResult{}, invalid(contract.ErrInvalidPayload, err)
	}
	t.Completing = true
	defer func() { t.Completing = false }()
	now := b.now(ctx)
	if at := req.SubmittedAt; !at.IsZero() && at.Before(now) && !at.Before(t.Spec.CreatedAt) {
		now = at
	}
	now = domain.Stored(now)
	if b.beforeComplete != nil {
		if err := b.beforeComplete(ctx, t, outcome, req.PersonKey, now); err != nil {
			return contract.CompleteTaskResult{}, err
		}
	}
	updateID := ""
	if info := workflow.GetCurrentUpdateInfo(ctx); info != nil {
		updateID = info.ID
	}
	in := contract.CompleteTaskInput{TaskID: t.Spec.ID, PersonID: req.PersonID, PersonKey: req.PersonKey, Outcome: outcome, UpdateID: updateID, At: now}
	if err := dbStep(ctx, handlerStep, contract.ActCompleteTask, in, nil); err != nil {
		return contract.CompleteTaskResult{}, err
	}
	if t.Spec.Kind == domain.KindExtensionDecide {
		if err := b.decideExtension(ctx, t, outcome, req.PersonKey); err != nil {
			return contract.CompleteTaskResult{}, err
		}
	}
	t.Status, t.Outcome, t.CompletedBy, t.CompletedAt, t.WithNextSteps = domain.TaskCompleted, outcome, req.PersonKey, now, req.WithNextSteps
	if err := b.cancelPending(ctx, t); err != nil {
		return contract.CompleteTaskResult{}, err
	}
	return contract.CompleteTaskResult{TaskID: t.Spec.ID, Kind: string(t.Spec.Kind), Status: t.Status, Outcome: outcome, CompletedAt: now, CompletedBy: req.PersonKey}, nil
}

// decideExtension applies an extension decision to the task it extends.
func (b *board) decideExtension(ctx workflow.Context, d *humanTask, outcome domain.Completion, by string) error {
	target := b.find(d.ExtensionOf)
	if target == nil {
		return nil
	}
	target.Pending = ""
	if outcome.Decision != domain.DecisionApprove || !target.open() {
		return nil
	}
	in := contract.MoveDueInput{TaskID: target.Spec.ID, DueAt: d.RequestedDue, DecisionTaskID: d.Spec.ID, PersonKey: by, At: b.now(ctx)}
	if err := dbStep(ctx, handlerStep, contract.ActMoveTaskDue, in, nil); err != nil {
		return err
	}
	target.Spec.DueAt = d.RequestedDue
	target.DueVersion++
	return nil
}

func (b *board) validateExtension(ctx workflow.Context, req contract.ExtensionRequest) error {
	t := b.find(req.TaskID)
	switch {
	case t == nil:
		return appError(contract.ErrNoSuchTask, "流程中没有这项待办")
	case !t.open() || t.Completing:
		return appError(contract.ErrTaskClosed, "这项待办已办结或正在办理")
	case !t.Spec.Kind.Extendable() || t.Approver.UnitID == 0:
		return invalidField(contract.ErrNotExtendable, "task", "这类待办不能申请延期")
	case t.Pending != "":
		return appError(contract.ErrExtensionPending, "已有一项延期申请在等待决定")
	}
	if err := domain.CheckExtension(req.Reason, req.DueAt, t.Spec.DueAt); err != nil {
		return invalid(contract.ErrInvalidPayload, err)
	}
	return nil
}

// requestExtension opens the issuing unit's decision task and answers its id.
func (b *board) requestExtension(ctx workflow.Context, req contract.ExtensionRequest) (contract.ExtensionResult, error) {
	ctx = withActivityOptions(ctx)
	t := b.find(req.TaskID)
	if err := b.validateExtension(ctx, req); err != nil {
		return contract.ExtensionResult{}, err
	}
	n := 1
	for _, x := range b.Tasks {
		if x.ExtensionOf == t.Spec.ID {
			n++
		}
	}
	due := req.DueAt
	spec := domain.TaskSpec{
		ID:          contract.TaskID(t.Spec.WorkflowID, "extension-"+lastPart(t.Spec.ID), n),
		WorkflowID:  t.Spec.WorkflowID,
		Kind:        domain.KindExtensionDecide,
		Title:       "延期申请：" + t.Spec.Title,
		SubjectType: t.Spec.SubjectType, SubjectID: t.Spec.SubjectID, CampaignID: t.Spec.CampaignID,
		UnitID: t.Approver.UnitID, Role: t.Approver.Role, PersonID: t.Approver.PersonID,
		IssuerUnitID: t.Spec.UnitID,
		DueAt:        b.now(ctx).Add(3 * 24 * time.Hour),
		Context:      domain.TaskContext{ExtensionOf: t.Spec.ID, Reason: domain.CleanText(req.Reason), RequestedDue: &due},
	}
	t.Pending = spec.ID // reserve before the activity yields, so a racing request is refused
	d, err := b.openTask(ctx, spec, approver{})
	if err != nil {
		t.Pending = ""
		return contract.ExtensionResult{}, err
	}
	d.ExtensionOf, d.RequestedDue = t.Spec.ID, req.DueAt
	return contract.ExtensionResult{DecisionTaskID: spec.ID}, nil
}

// lastPart turns "assignment.4.complete.2" into "complete-2".
func lastPart(taskID string) string {
	parts := strings.Split(taskID, ".")
	if len(parts) < 2 {
		return taskID
	}
	return parts[len(parts)-2] + "-" + parts[len(parts)-1]
}
