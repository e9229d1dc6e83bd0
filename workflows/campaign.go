package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// campaign is the state of a running campaign.
type campaign struct {
	In contract.CampaignInput
	// holding is true while a pause is being sent to the campaign's processes.
	holding bool
}

// Campaign runs a campaign's calendar: it starts each event's process when its
// time comes (abandoned, so they outlive each run), continues as new after each
// month's reports (and whenever Temporal suggests it), can be paused — every
// later event moves by the pause — resumed and ended early, and, when
// cancelled, cancels the processes it started.
func Campaign(ctx workflow.Context, in contract.CampaignInput) (contract.CampaignProgress, error) {
	s := &campaign{In: in}
	return s.run(ctx)
}

// now is campaign time.
func (s *campaign) now(ctx workflow.Context) time.Time { return s.In.Clock.Now(workflow.Now(ctx)) }

// pauseKey names the current pause, so each process shifts its deadlines for it once.
func (s *campaign) pauseKey() string {
	return fmt.Sprintf("pause:%s:%d", s.In.ID, s.In.PausedAt.UnixNano())
}

// steerProcesses tells every process of the campaign with an open task that
// the campaign paused (hold the ladders) or resumed (move the deadlines).
func (s *campaign) steerProcesses(ctx workflow.Context, req contract.CampaignPauseRequest) error {
	in := contract.SteerInput{CampaignID: s.In.ID, Paused: req.Paused, ShiftBy: req.ShiftBy, Key: req.Key}
	return workflow.ExecuteActivity(fanOut(ctx), contract.ActSteerCampaignProcesses, in).Get(ctx, nil)
}

// fanOut are the options of an activity that reaches every process of a
// campaign: long, heartbeating, retried.
func fanOut(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute, HeartbeatTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
}

// end records the campaign's end and cancels every process of it that is
// still open — the calendar's and any with an open task — so no rung fires
// after it; each cancelled process closes its open tasks.
func (s *campaign) end(ctx workflow.Context) error {
	s.In.Ended = true
	if err := workflow.ExecuteActivity(ctx, contract.ActEndCampaign, contract.EndCampaignInput{CampaignID: s.In.ID, At: s.now(ctx)}).Get(ctx, nil); err != nil {
		return err
	}
	if err := setState(ctx, contract.CampaignEnded); err != nil {
		return err
	}
	started := make([]string, 0, s.In.Next)
	for _, e := range s.In.Calendar[:s.In.Next] {
		id, _, _ := s.process(e)
		started = append(started, id)
	}
	in := contract.CancelProcessesInput{CampaignID: s.In.ID, Also: started, Reason: "专项行动已结束"}
	return workflow.ExecuteActivity(fanOut(ctx), contract.ActCancelCampaignProcesses, in).Get(ctx, nil)
}

func (s *campaign) progress() contract.CampaignProgress {
	p := contract.CampaignProgress{Next: s.In.Next, Total: len(s.In.Calendar), Paused: s.In.Paused, Ended: s.In.Ended, PausedFor: s.In.PausedFor}
	if s.In.Next < len(s.In.Calendar) {
		e := s.In.Calendar[s.In.Next]
		e.At = e.At.Add(s.In.PausedFor)
		p.NextEvent = &e
	}
	if s.In.Next > 0 {
		e := s.In.Calendar[s.In.Next-1]
		p.Last = &e
	}
	return p
}

func (s *campaign) install(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, contract.QueryProgress, func() (contract.CampaignProgress, error) { return s.progress(), nil }); err != nil {
		return err
	}
	steer := func(name string, ok func() error, apply func(ctx workflow.Context) error) error {
		return workflow.SetUpdateHandlerWithOptions(ctx, name, func(ctx workflow.Context) (contract.CampaignProgress, error) {
			if err := apply(withActivityOptions(ctx)); err != nil {
				return contract.CampaignProgress{}, err
			}
			return s.progress(), nil
		}, workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context) error { return ok() }})
	}
	notEnded := func() error {
		if s.In.Ended {
			return temporal.NewApplicationError("专项行动已结束", contract.ErrTaskClosed)
		}
		return nil
	}
	if err := steer(contract.UpdatePause, func() error {
		if err := notEnded(); err != nil {
			return err
		}
		if s.In.Paused {
			return temporal.NewApplicationError("专项行动已暂停", contract.ErrTaskClosed)
		}
		return nil
	}, func(ctx workflow.Context) error {
		s.In.Paused, s.In.PausedAt = true, s.now(ctx)
		s.holding = true
		defer func() { s.holding = false }()
		if err := setState(ctx, contract.CampaignPaused); err != nil {
			return err
		}
		return s.steerProcesses(ctx, contract.CampaignPauseRequest{Paused: true, Key: s.pauseKey()})
	}); err != nil {
		return err
	}
	if err := steer(contract.UpdateResume, func() error {
		if err := notEnded(); err != nil {
			return err
		}
		if !s.In.Paused {
			return temporal.NewApplicationError("专项行动未暂停", contract.ErrTaskClosed)
		}
		return nil
	}, func(ctx workflow.Context) error {
		// A resume right after a pause waits until every process has heard of the pause,
		// or a process could hear the resume first and stay held.
		if err := workflow.Await(ctx, func() bool { return !s.holding }); err != nil {
			return err
		}
		shift, key := s.now(ctx).Sub(s.In.PausedAt), s.pauseKey()
		s.In.PausedFor += shift
		s.In.Paused = false
		if err := setState(ctx, contract.CampaignRunning); err != nil {
			return err
		}
		return s.steerProcesses(ctx, contract.CampaignPauseRequest{ShiftBy: shift, Key: key})
	}); err != nil {
		return err
	}
	return steer(contract.UpdateEnd, notEnded, s.end)
}

func (s *campaign) run(ctx workflow.Context) (contract.CampaignProgress, error) {
	if err := s.install(ctx); err != nil {
		return contract.CampaignProgress{}, err
	}
	started := 0
	for s.In.Next < len(s.In.Calendar) && !s.In.Ended {
		e := s.In.Calendar[s.In.Next]
		// Wait for the event's time, moved by pauses; while paused, wait for the resume.
		for !s.In.Ended {
			if s.In.Paused {
				if err := workflow.Await(ctx, func() bool { return !s.In.Paused || s.In.Ended }); err != nil {
					return s.cancelled(ctx, err)
				}
				continue
			}
			wait := e.At.Add(s.In.PausedFor).Sub(s.now(ctx))
			if wait <= 0 {
				break
			}
			if _, err := workflow.AwaitWithTimeout(ctx, s.In.Clock.Wall(wait), func() bool { return s.In.Paused || s.In.Ended }); err != nil {
				return s.cancelled(ctx, err)
			}
		}
		if s.In.Ended {
			break
		}
		if err := s.start(ctx, e); err != nil {
			return contract.CampaignProgress{}, err
		}
		s.In.Next++
		started++
		// Continue as new after each month's reports, or when Temporal suggests it.
		if s.In.Next < len(s.In.Calendar) && (e.Kind == domain.EventReports || workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return contract.CampaignProgress{}, err
			}
			return contract.CampaignProgress{}, workflow.NewContinueAsNewError(ctx, contract.CampaignWorkflow, s.In)
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return contract.CampaignProgress{}, err
	}
	if !s.In.Ended {
		if err := setState(ctx, contract.CampaignCompleted); err != nil {
			return contract.CampaignProgress{}, err
		}
	}
	return s.progress(), nil
}

// process names an event's workflow id, type and input.
func (s *campaign) process(e domain.CalendarEvent) (id, workflowType string, input any) {
	c := s.In.ID
	switch e.Kind {
	case domain.EventPledges:
		return contract.PledgeYearID(c, e.Year), contract.PledgeYearWorkflow, contract.PledgeYearInput{CampaignID: c, Year: e.Year, IssuerUnitID: s.In.LeaderUnitID}
	case domain.EventReports:
		return contract.ReportMonthID(c, e.Period), contract.ReportMonthWorkflow, contract.ReportMonthInput{CampaignID: c, Period: e.Period}
	case domain.EventMeeting:
		return contract.MeetingMinutesID(c, e.Rule, e.Period), contract.MeetingMinutesWorkflow,
			contract.MeetingMinutesInput{CampaignID: c, Rule: e.Rule, Period: e.Period, At: e.At, Clock: s.In.Clock}
	default:
		return contract.AssessmentID(c, e.Year), contract.AssessmentWorkflow,
			contract.AssessmentInput{CampaignID: c, Year: e.Year, LeaderUnitID: s.In.LeaderUnitID, Clock: s.In.Clock}
	}
}

// start starts an event's process and waits only until it has started.
func (s *campaign) start(ctx workflow.Context, e domain.CalendarEvent) error {
	id, workflowType, input := s.process(e)
	return startDetached(ctx, id, workflowType, input)
}

// cancelled asks every process the campaign started to cancel (they were
// abandoned, so Temporal does not), then reports the cancellation.
func (s *campaign) cancelled(ctx workflow.Context, cause error) (contract.CampaignProgress, error) {
	ids := make([]string, 0, s.In.Next)
	for _, e := range s.In.Calendar[:s.In.Next] {
		id, _, _ := s.process(e)
		ids = append(ids, id)
	}
	cancelAll(ctx, ids)
	return contract.CampaignProgress{}, cause
}

// DecodeCampaignInput reads the input a campaign continued as new with (tests and tools).
func DecodeCampaignInput(can *workflow.ContinueAsNewError, in *contract.CampaignInput) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, in)
}
