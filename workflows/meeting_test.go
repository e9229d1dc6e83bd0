package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A periodic meeting of the demo campaign's policy (the 麟北矿区 technical
// exchange meeting, organised by yjj, minutes due three days after it): the
// organiser's task opens on the meeting's day, the reminders of the rule's
// ladder come a day before and on the deadline, and the meeting recorded two
// days late answers the task before the letter's rung (+3 days): the process
// ends with the meeting's id and no letter is sent.
func TestPeriodicMeetingMinutes(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	camp, err := store.CampaignByID(ctx, s.DB, seed.DemoCampaignID)
	if err != nil {
		t.Fatal(err)
	}
	rules := camp.FullPolicy().Meetings
	if len(rules) != 2 || rules[0].Organiser != "yjj" || rules[0].Kind != domain.MeetingTechnicalExchange {
		t.Fatalf("demo policy's meetings %+v", rules)
	}
	yjj, _ := store.UnitByCode(ctx, s.DB, "yjj")
	id := contract.MeetingMinutesID(seed.DemoCampaignID, 0, "2021-Q1")
	task := contract.TaskID(id, "minutes", 1)
	due := t0.Add(3 * day)

	env := newEnv()
	env.SetTestTimeout(time.Minute) // real database activities: a saturated machine can hold one up past the default 3 s
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id})
	var meetingID int64
	var doneErr error
	env.RegisterDelayedCallback(func() {
		// The organiser records the meeting for the task (as POST /meetings does), then answers it.
		err := s.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			m := store.Meeting{Kind: domain.MeetingTechnicalExchange, Title: "麟北矿区煤矿安全生产技术交流会", OrganiserUnitID: yjj.ID,
				ChairID: ids["yjj-head"], Minutes: "交流冲击地压防治经验", CreatedBy: ids["yjj-head"], MinutesTask: &task}
			m.HeldOn.Time = t0
			meetingID, _, err = store.InsertMeeting(ctx, tx, m)
			return err
		})
		if err != nil {
			doneErr = err
			return
		}
		env.UpdateWorkflow(contract.UpdateCompleteTask, task, updateCallback(func(err error) { doneErr = err }),
			completeRequest(ids, task, string(domain.KindMeetingMinutes), "yjj-head", map[string]any{"meeting_id": meetingID}))
	}, 5*day)
	env.ExecuteWorkflow(contract.MeetingMinutesWorkflow, contract.MeetingMinutesInput{CampaignID: seed.DemoCampaignID, Rule: 0, Period: "2021-Q1", At: t0})
	if err := env.GetWorkflowError(); err != nil || doneErr != nil {
		t.Fatalf("workflow %v, done %v", err, doneErr)
	}
	var got int64
	if err := env.GetWorkflowResult(&got); err != nil || got != meetingID || got == 0 {
		t.Fatalf("result %d (%v), want meeting %d", got, err, meetingID)
	}
	row, err := store.TaskByID(ctx, s.DB, task)
	if err != nil || row.Status != domain.TaskCompleted || row.UnitID != yjj.ID || !row.DueAt.Equal(due) {
		t.Fatalf("minutes task %+v (%v)", row, err)
	}
	var fired []struct {
		At     time.Time `db:"at"`
		Action string    `db:"action"`
	}
	if err := s.DB.Select(&fired, `SELECT at, after->>'action' AS action FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(fired) != 2 || !fired[0].At.Equal(due.Add(-day)) || !fired[1].At.Equal(due) || fired[0].Action != "remind" || fired[1].Action != "remind" {
		t.Fatalf("rungs fired %+v, want reminders at %v and %v and no letter", fired, due.Add(-day), due)
	}
}
