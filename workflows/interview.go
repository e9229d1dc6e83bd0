package workflows

import (
	"fmt"
	"github.com/zeren-county/zeren/contract"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/internal/domain"
)

// interview is the state of one summons interview.
type interview struct {
	In     contract.InterviewInput
	ID     string
	Board  board
	Ladder ladder
	Step   int
	// Items are the summonses the interview answers, as last read.
	Items []domain.InterviewItem
}

// Interview runs a summons interview of a unit's head: the safety office
// schedules it (time, place, the leader who holds it); the interviewee
// acknowledges; once held, the safety office records the minutes; the
// interviewee submits written rectification commitments with a deadline; the
// safety office confirms they are done or returns them, with a ladder on the
// interviewee if the commitments run late.
func Interview(ctx workflow.Context, in contract.InterviewInput) (contract.InterviewResult, error) {
	id := contract.InterviewID(in.ID)
	s := &interview{In: in, ID: id, Board: board{Clock: in.Clock}, Ladder: newLadder(id+"#commitments", in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

// items reads what summoned the interview (a summons joins it until it is
// held), for the tasks that must answer each.
func (s *interview) items(ctx workflow.Context) error {
	// Version 1: the acknowledgement, minutes and commitments list every item.
	if workflow.GetVersion(ctx, "interview-items", workflow.DefaultVersion, 1) < 1 {
		return nil
	}
	return workflow.ExecuteActivity(ctx, contract.ActInterviewItems, s.In.ID).Get(ctx, &s.Items)
}

func (s *interview) task(ctx workflow.Context, kind domain.TaskKind, step string, round int, unit int64, role domain.Role, due time.Time, title string) (*humanTask, error) {
	t, err := s.Board.openTask(ctx, s.spec(kind, step, round, unit, role, due, title), approver{})
	if err != nil {
		return nil, err
	}
	return t, s.Board.wait(ctx, t)
}

func (s *interview) spec(kind domain.TaskKind, step string, round int, unit int64, role domain.Role, due time.Time, title string) domain.TaskSpec {
	issuer := s.In.OfficeUnitID
	if unit == s.In.OfficeUnitID {
		issuer = s.In.UnitID
	}
	return domain.TaskSpec{ID: contract.TaskID(s.ID, step, round), WorkflowID: s.ID, Kind: kind, Title: title,
		SubjectType: "interview", SubjectID: fmt.Sprint(s.In.ID), CampaignID: s.In.CampaignID,
		UnitID: unit, Role: role, IssuerUnitID: issuer, DueAt: due, Context: domain.TaskContext{Content: s.In.Reason, Round: round, Items: s.Items}}
}

func (s *interview) record(ctx workflow.Context, status string, t *humanTask, round int) error {
	in := contract.InterviewStateInput{Key: fmt.Sprintf("interview.%s:%d:%d", status, s.In.ID, round), ID: s.In.ID, Status: status,
		Step: t.Outcome.InterviewCompletion, By: t.CompletedBy, At: s.Board.now(ctx)}
	return workflow.ExecuteActivity(ctx, contract.ActSetInterviewState, in).Get(ctx, nil)
}

func (s *interview) run(ctx workflow.Context) (contract.InterviewResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	// Version 1: the process writes its own row first, so a crash between its
	// start and its summons' commit converges; a duplicate joins the other.
	if workflow.GetVersion(ctx, "interview-records-itself", workflow.DefaultVersion, 1) >= 1 {
		var rec contract.RecordInterviewResult
		if err := workflow.ExecuteActivity(ctx, contract.ActRecordInterview, in).Get(ctx, &rec); err != nil {
			return contract.InterviewResult{}, err
		}
		if rec.MergedInto != 0 {
			return contract.InterviewResult{Status: "merged", MergedInto: rec.MergedInto}, nil
		}
	}
	day := 24 * time.Hour
	name := in.UnitName + "主要负责人"
	sched, err := s.task(ctx, domain.KindInterviewSchedule, "schedule", 1, in.OfficeUnitID, domain.RoleSafetyOffice, s.Board.now(ctx).Add(3*day), "安排约谈："+name)
	if err != nil {
		return contract.InterviewResult{}, err
	}
	if err := s.record(ctx, domain.InterviewScheduled, sched, 1); err != nil {
		return contract.InterviewResult{}, err
	}
	at := *sched.Outcome.ScheduledAt
	if err := s.items(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	ack, err := s.task(ctx, domain.KindInterviewAcknowledge, "acknowledge", 1, in.UnitID, domain.RoleUnitHead, at,
		fmt.Sprintf("约谈通知：请于%s到%s接受约谈%s", at.In(domain.DefaultZone).Format("2006年1月2日15:04"), sched.Outcome.Place, itemCount(s.Items)))
	if err != nil {
		return contract.InterviewResult{}, err
	}
	if err := s.record(ctx, domain.InterviewAcknowledged, ack, 1); err != nil {
		return contract.InterviewResult{}, err
	}
	if err := s.items(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	mins, err := s.task(ctx, domain.KindInterviewMinutes, "minutes", 1, in.OfficeUnitID, domain.RoleSafetyOffice, at.Add(day), "记录约谈纪要："+name)
	if err != nil {
		return contract.InterviewResult{}, err
	}
	if err := s.record(ctx, domain.InterviewHeld, mins, 1); err != nil {
		return contract.InterviewResult{}, err
	}
	target := rungTarget{Title: "落实约谈整改承诺", SubjectType: "interview", SubjectID: fmt.Sprint(in.ID), CampaignID: in.CampaignID,
		UnitID: in.UnitID, IssuerUnitID: in.OfficeUnitID}
	if err := s.items(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	for round := 1; ; round++ {
		commit, err := s.task(ctx, domain.KindInterviewCommitments, "commitments", round, in.UnitID, domain.RoleUnitHead,
			s.Board.now(ctx).Add(7*day), "提交约谈整改承诺")
		if err != nil {
			return contract.InterviewResult{}, err
		}
		if err := s.record(ctx, domain.InterviewCommitted, commit, round); err != nil {
			return contract.InterviewResult{}, err
		}
		// The office confirms; the ladder presses the interviewee while the commitments run late.
		confirm, err := s.Board.escalated(ctx, s.spec(domain.KindInterviewConfirm, "confirm", round, in.OfficeUnitID, domain.RoleSafetyOffice,
			*commit.Outcome.CommitmentsDue, "确认约谈整改承诺落实："+in.UnitName), approver{}, &s.Ladder, target)
		if err != nil {
			return contract.InterviewResult{}, err
		}
		if confirm.Outcome.Decision == domain.DecisionConfirm {
			if err := s.record(ctx, domain.InterviewClosed, confirm, round); err != nil {
				return contract.InterviewResult{}, err
			}
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return contract.InterviewResult{}, err
			}
			return contract.InterviewResult{Status: domain.InterviewClosed, Rounds: round}, nil
		}
	}
}

// startInterview starts a new interview's process, abandoned on close so it
// outlives whatever summoned it; one already running is left as it is.
func startInterview(ctx workflow.Context, spec domain.InterviewSpec) error {
	return startDetached(ctx, contract.InterviewID(spec.ID), contract.InterviewWorkflow, spec)
}

// itemCount says how many items an interview answers, when more than one.
func itemCount(items []domain.InterviewItem) string {
	if len(items) < 2 {
		return ""
	}
	return fmt.Sprintf("（共%d项约谈事项）", len(items))
}
