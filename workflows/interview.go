package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// interview is the state of one summons interview.
type interview struct {
	In     contract.InterviewInput
	ID     string
	Board  board
	Ladder ladder
	// Items are the summonses the interview answers, as last read.
	Items []domain.InterviewItem
}

// Interview runs a summons interview of a unit's head: the safety office
// schedules it (time, place, the leader who holds it); the interviewee
// acknowledges; once held, the safety office records the minutes; the
// interviewee submits written rectification commitments with a deadline,
// then reports them fulfilled by it (the ladder presses the interviewee, not
// the office); the safety office confirms or returns the fulfilment.
func Interview(ctx workflow.Context, in contract.InterviewInput) (contract.InterviewResult, error) {
	id := contract.InterviewID(in.ID)
	s := &interview{In: in, ID: id, Board: board{Clock: in.Clock}, Ladder: newLadder(id+"#commitments", in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

// items reads what summoned the interview (a summons joins it until it is
// held), for the tasks that must answer each.
func (s *interview) items(ctx workflow.Context) error {
	return workflow.ExecuteActivity(ctx, contract.ActInterviewItems, s.In.ID).Get(ctx, &s.Items)
}

// spec is a task of the interview for unit (the office or the interviewee).
func (s *interview) spec(kind domain.TaskKind, step string, round int, unit int64, due time.Time, title string) domain.TaskSpec {
	issuer, role := s.In.OfficeUnitID, domain.RoleUnitHead
	if unit == s.In.OfficeUnitID {
		issuer, role = s.In.UnitID, domain.RoleSafetyOffice
	}
	return domain.TaskSpec{ID: contract.TaskID(s.ID, step, round), WorkflowID: s.ID, Kind: kind, Title: title,
		SubjectType: domain.SubjectInterview, SubjectID: fmt.Sprint(s.In.ID), CampaignID: s.In.CampaignID,
		UnitID: unit, Role: role, IssuerUnitID: issuer, DueAt: due, Context: domain.TaskContext{Content: s.In.Reason, Round: round, Items: s.Items}}
}

// once opens one step's task, waits for it and records the interview's new status.
func (s *interview) once(ctx workflow.Context, spec domain.TaskSpec, status domain.Status) (*humanTask, error) {
	t, err := s.Board.step(ctx, spec, approver{}, nil, rungTarget{})
	if err != nil {
		return nil, err
	}
	return t, s.Board.record(ctx, domain.SubjectInterview, fmt.Sprint(s.In.ID), status, 1, t)
}

func (s *interview) run(ctx workflow.Context) (contract.InterviewResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	// The process writes its own row first, so a crash between its start and
	// its summons' commit converges; a duplicate joins the other and ends.
	var rec contract.RecordInterviewResult
	if err := dbStep(ctx, localStep, contract.ActRecordInterview, in, &rec); err != nil {
		return contract.InterviewResult{}, err
	}
	if rec.MergedInto != 0 {
		return contract.InterviewResult{Status: domain.InterviewMerged, MergedInto: rec.MergedInto}, setState(ctx, domain.InterviewMerged.String())
	}
	days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	name := in.UnitName + "主要负责人"
	office, unit := in.OfficeUnitID, in.UnitID
	sched, err := s.once(ctx, s.spec(domain.KindInterviewSchedule, "schedule", 1, office, s.Board.now(ctx).Add(days(domain.InterviewScheduleDays)), "安排约谈："+name), domain.InterviewScheduled)
	if err != nil {
		return contract.InterviewResult{}, err
	}
	at := *sched.Outcome.ScheduledAt
	if err := s.items(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	notice := fmt.Sprintf("约谈通知：请于%s到%s接受约谈%s", at.In(domain.DefaultZone).Format("2006年1月2日15:04"), sched.Outcome.Place, itemCount(s.Items))
	if _, err := s.once(ctx, s.spec(domain.KindInterviewAcknowledge, "acknowledge", 1, unit, at, notice), domain.InterviewAcknowledged); err != nil {
		return contract.InterviewResult{}, err
	}
	if err := s.items(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	if _, err := s.once(ctx, s.spec(domain.KindInterviewMinutes, "minutes", 1, office, at.Add(days(domain.InterviewMinutesDays)), "记录约谈纪要："+name), domain.InterviewHeld); err != nil {
		return contract.InterviewResult{}, err
	}
	// Held: no summons joins any more, so the items are final.
	if err := s.items(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	commit, err := s.once(ctx, s.spec(domain.KindInterviewCommitments, "commitments", 1, unit, s.Board.now(ctx).Add(days(domain.InterviewCommitmentsDays)), "提交约谈整改承诺"), domain.InterviewCommitted)
	if err != nil {
		return contract.InterviewResult{}, err
	}
	subject := fmt.Sprint(in.ID)
	_, _, round, err := s.Board.reviewed(ctx, &reviewLoop{
		Subject: domain.SubjectInterview, ID: subject, Due: *commit.Outcome.CommitmentsDue,
		Submit: func(round int, returned string, due time.Time) domain.TaskSpec {
			t := s.spec(domain.KindInterviewFulfil, "fulfil", round, unit, due, "报告约谈整改承诺落实情况")
			t.Context.ReturnComment = returned
			return t
		},
		Approver: approver{UnitID: office, Role: domain.RoleSafetyOffice},
		Ladder:   &s.Ladder,
		Target: rungTarget{Title: "落实约谈整改承诺", SubjectType: domain.SubjectInterview, SubjectID: subject, CampaignID: in.CampaignID,
			UnitID: unit, IssuerUnitID: office},
		Review: func(round int, _ *humanTask) domain.TaskSpec {
			return s.spec(domain.KindInterviewConfirm, "confirm", round, office, s.Board.now(ctx).Add(days(domain.InterviewConfirmDays)), "确认约谈整改承诺落实："+in.UnitName)
		},
		Positive: domain.DecisionConfirm, Submitted: domain.InterviewFulfilled, Done: domain.InterviewClosed,
	})
	if err != nil {
		return contract.InterviewResult{}, err
	}
	if err := finish(ctx); err != nil {
		return contract.InterviewResult{}, err
	}
	return contract.InterviewResult{Status: domain.InterviewClosed, Rounds: round}, nil
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
