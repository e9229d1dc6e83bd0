package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/workflows"
)

type startedAt struct {
	kind string
	at   time.Time
}

// runCampaign runs the calendar workflow run after run (the test environment
// hands back each continue-as-new), with stand-ins for the processes it starts
// that only note when they started; steer is called on each run's environment.
func runCampaign(t *testing.T, in contract.CampaignInput, steer func(env *testsuite.TestWorkflowEnvironment, run int)) ([]startedAt, contract.CampaignProgress, int) {
	t.Helper()
	var got []startedAt
	now := in.Calendar[0].At.Add(-time.Hour)
	if in.Clock != nil {
		now = in.Clock.Anchor
	}
	for run := 1; ; run++ {
		env := newEnv()
		env.SetStartTime(now)
		env.SetDetachedChildWait(false)
		for _, name := range []string{contract.PledgeYearWorkflow, contract.ReportMonthWorkflow, contract.AssessmentWorkflow} {
			env.RegisterWorkflowWithOptions(func(ctx workflow.Context, _ any) error {
				got = append(got, startedAt{name, workflow.Now(ctx)})
				return nil
			}, workflow.RegisterOptions{Name: name})
		}
		env.RegisterWorkflowWithOptions(workflows.Campaign, workflow.RegisterOptions{Name: contract.CampaignWorkflow})
		if steer != nil {
			steer(env, run)
		}
		env.ExecuteWorkflow(contract.CampaignWorkflow, in)
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			if err := workflows.DecodeCampaignInput(can, &in); err != nil {
				t.Fatal(err)
			}
			now = env.Now()
			if run > 100 {
				t.Fatal("the campaign does not end")
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var p contract.CampaignProgress
		if err := env.GetWorkflowResult(&p); err != nil {
			t.Fatal(err)
		}
		return got, p, run
	}
}

func TestCampaignCalendar(t *testing.T) {
	start, end := time.Date(2021, 11, 15, 0, 0, 0, 0, cst), time.Date(2022, 2, 28, 0, 0, 0, 0, cst)
	cal := domain.BuildCalendar(start, end, cst, domain.AssessmentPolicy{})
	got, p, runs := runCampaign(t, contract.CampaignInput{ID: "c", LeaderUnitID: 1, Calendar: cal}, nil)
	want := []startedAt{
		{contract.PledgeYearWorkflow, start},
		{contract.ReportMonthWorkflow, start.Add(time.Minute)},
		{contract.ReportMonthWorkflow, time.Date(2021, 12, 1, 0, 1, 0, 0, cst)},
		{contract.PledgeYearWorkflow, time.Date(2022, 1, 1, 0, 0, 0, 0, cst)},
		{contract.ReportMonthWorkflow, time.Date(2022, 1, 1, 0, 1, 0, 0, cst)},
		{contract.AssessmentWorkflow, time.Date(2022, 1, 16, 9, 0, 0, 0, cst)},
		{contract.ReportMonthWorkflow, time.Date(2022, 2, 1, 0, 1, 0, 0, cst)},
		{contract.AssessmentWorkflow, time.Date(2023, 1, 16, 9, 0, 0, 0, cst)},
	}
	if len(got) != len(want) {
		t.Fatalf("started %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i].kind != want[i].kind || !got[i].at.Equal(want[i].at) {
			t.Errorf("event %d: %s at %v, want %s at %v", i, got[i].kind, got[i].at.In(cst), want[i].kind, want[i].at)
		}
	}
	if p.Next != len(cal) || p.Ended {
		t.Fatalf("progress %+v", p)
	}
	if runs != 5 { // one run per month of reports, then the last
		t.Fatalf("%d runs, want 5 (continue-as-new after each month's reports)", runs)
	}
}

// A ten-day pause moves every later event by ten days; ending stops the calendar.
func TestCampaignPauseResumeEnd(t *testing.T) {
	start, end := time.Date(2021, 11, 15, 0, 0, 0, 0, cst), time.Date(2022, 2, 28, 0, 0, 0, 0, cst)
	cal := domain.BuildCalendar(start, end, cst, domain.AssessmentPolicy{})
	update := func(env *testsuite.TestWorkflowEnvironment, name string) {
		env.UpdateWorkflow(name, name, updateCallback(func(err error) { t.Errorf("%s: %v", name, err) }))
	}
	var steered []contract.SteerInput
	var ended []contract.EndCampaignInput
	var cancelled []contract.CancelProcessesInput
	got, p, _ := runCampaign(t, contract.CampaignInput{ID: "c", LeaderUnitID: 1, Calendar: cal}, func(env *testsuite.TestWorkflowEnvironment, run int) {
		// The processes the campaign started hear of the pause and the resume,
		// and are cancelled when it ends.
		env.RegisterActivityWithOptions(func(_ context.Context, in contract.SteerInput) error {
			steered = append(steered, in)
			return nil
		}, activity.RegisterOptions{Name: contract.ActSteerCampaignProcesses})
		env.RegisterActivityWithOptions(func(_ context.Context, in contract.EndCampaignInput) error {
			ended = append(ended, in)
			return nil
		}, activity.RegisterOptions{Name: contract.ActEndCampaign})
		env.RegisterActivityWithOptions(func(_ context.Context, in contract.CancelProcessesInput) error {
			cancelled = append(cancelled, in)
			return nil
		}, activity.RegisterOptions{Name: contract.ActCancelCampaignProcesses})
		switch run {
		case 2: // after November's reports: pause on 20 November for ten days
			env.RegisterDelayedCallback(func() { update(env, contract.UpdatePause) }, 5*24*time.Hour)
			env.RegisterDelayedCallback(func() { update(env, contract.UpdateResume) }, 15*24*time.Hour)
		case 4: // after January's reports: end the campaign
			env.RegisterDelayedCallback(func() { update(env, contract.UpdateEnd) }, 24*time.Hour)
		}
	})
	shifted := time.Date(2021, 12, 11, 0, 1, 0, 0, cst) // 1 December + 10 days
	if len(got) != 5 || !got[2].at.Equal(shifted) || !got[3].at.Equal(time.Date(2022, 1, 11, 0, 0, 0, 0, cst)) {
		t.Fatalf("started %v; want December's reports at %v and 5 events before the end", got, shifted)
	}
	if !p.Ended || p.PausedFor != 10*24*time.Hour {
		t.Fatalf("progress %+v", p)
	}
	if len(steered) != 2 || !steered[0].Paused || steered[1].Paused || steered[1].ShiftBy != 10*24*time.Hour || steered[0].Key != steered[1].Key {
		t.Fatalf("processes steered %+v; want a hold, then a resume moving deadlines by ten days under the same key", steered)
	}
	if len(ended) != 1 || ended[0].CampaignID != "c" || len(cancelled) != 1 || len(cancelled[0].Also) != 5 {
		t.Fatalf("ended %+v, cancelled %+v; want the campaign ended once and its 5 started processes cancelled", ended, cancelled)
	}
}

// At clock speed 1,000 a campaign day passes in 86.4 seconds of workflow time:
// each event starts when campaign time reaches it.
func TestCampaignFastClock(t *testing.T) {
	start, end := time.Date(2021, 11, 15, 0, 0, 0, 0, cst), time.Date(2022, 1, 31, 0, 0, 0, 0, cst)
	cal := domain.BuildCalendar(start, end, cst, domain.AssessmentPolicy{})
	anchor := time.Date(2026, 11, 28, 9, 0, 0, 0, cst)
	clock := &domain.Clock{Anchor: anchor, Start: start, Speed: 1000}
	got, _, _ := runCampaign(t, contract.CampaignInput{ID: "c", LeaderUnitID: 1, Calendar: cal, Clock: clock}, nil)
	if len(got) != len(cal) {
		t.Fatalf("started %d events, want %d", len(got), len(cal))
	}
	for i, e := range cal {
		wall := anchor.Add(clock.Wall(e.At.Sub(start)))
		if got[i].kind != workflowOf[e.Kind] || got[i].at.Before(wall) || got[i].at.After(wall.Add(time.Second)) {
			t.Errorf("event %d (%s %v): started at %v, want %v", i, e.Kind, e.At, got[i].at, wall)
		}
		if campaignAt := clock.Now(got[i].at); campaignAt.Sub(e.At) > 1000*time.Second {
			t.Errorf("event %d started at campaign time %v, want %v", i, campaignAt, e.At)
		}
	}
}

// workflowOf is the process type the campaign starts for each kind of event.
var workflowOf = map[domain.EventKind]string{
	domain.EventPledges: contract.PledgeYearWorkflow, domain.EventReports: contract.ReportMonthWorkflow, domain.EventAssessment: contract.AssessmentWorkflow,
}
