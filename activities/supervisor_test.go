package activities_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A penalty on a major hazard listed for county supervision (挂牌督办) is told
// to the county leader named as its supervisor, once per rung; a reminder is
// not, nor is a penalty on a hazard no leader supervises.
func TestListedHazardEscalatesToItsSupervisor(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	a := &activities.Activities{Store: c.Store}
	cmm, yjj := c.Units["cmm"], c.Units["yjj"]
	leader := c.IDs["linyou-secretary"]
	var leaderUnit int64
	if err := c.DB.Get(&leaderUnit, `SELECT unit_id FROM people WHERE id = $1`, leader); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2021, 5, 1, 10, 0, 0, 0, time.UTC)
	hazard := func(supervisor any) int64 {
		var id int64
		if err := c.DB.Get(&id, `INSERT INTO hazards (unit_id, source, level, category, description, found_by, finder_unit_id, found_on, deadline,
    status, supervisor_id, created_by) VALUES ($1, 'rock_burst', 'major', '有冲击地压危险未采取有效措施', '卸压不到位', 'report', $2, '2021-04-20', $3, 'listed', $4, $5)
RETURNING id`, cmm, yjj, at, supervisor, c.IDs["linyou-admin"]); err != nil {
			t.Fatal(err)
		}
		return id
	}
	fire := func(id int64, index int, action domain.Action) {
		t.Helper()
		spec := domain.TaskSpec{ID: fmt.Sprintf("hazard.%d.rectify.1", id), WorkflowID: contract.HazardID(id), Kind: domain.KindHazardRectify, Title: "整改隐患：卸压不到位",
			SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(id), UnitID: cmm, Role: domain.RoleUnitHead, IssuerUnitID: c.Units["linyou"], DueAt: at, CreatedAt: at}
		if err := a.CreateTask(ctx, spec); err != nil {
			t.Fatal(err)
		}
		in := contract.FireRungInput{Key: contract.HazardID(id), Index: index, Rung: domain.Rung{Action: action}, WorkflowID: contract.HazardID(id), TaskID: spec.ID,
			Title: spec.Title, SubjectType: domain.SubjectHazard, SubjectID: fmt.Sprint(id), UnitID: cmm, IssuerUnitID: c.Units["linyou"], DueAt: at, At: at.Add(24 * time.Hour)}
		for range 2 {
			if _, err := a.FireRung(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	told := func(unit int64) int {
		t.Helper()
		return testdb.Count(t, c.DB, `SELECT count(*) FROM outbox WHERE unit_id = $1 AND title LIKE '【挂牌督办】%'`, unit)
	}
	listed := hazard(leader)
	fire(listed, 0, domain.ActionRemind)
	if n := told(leaderUnit); n != 0 {
		t.Fatalf("a reminder told the supervisor %d times", n)
	}
	fire(listed, 1, domain.ActionLetter)
	fire(listed, 2, domain.ActionNotice)
	if n := told(leaderUnit); n != 2 {
		t.Fatalf("the supervisor was told %d times of a letter and a notice, want 2", n)
	}
	unsupervised := hazard(nil)
	fire(unsupervised, 1, domain.ActionLetter)
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM outbox WHERE title LIKE '【挂牌督办】%'`); n != 2 {
		t.Fatalf("%d supervisor notifications, want still 2", n)
	}
}

// A penalty on an overdue meeting decision (议定事项) is told to the meeting's
// chair as well, once per rung; a reminder is not, nor is a penalty on an
// assigned matter of no meeting.
func TestOverdueDecisionEscalatesToTheChair(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	a := &activities.Activities{Store: c.Store}
	jcg, yjj := c.Units["jcg"], c.Units["yjj"]
	chair := c.IDs["linyou-magistrate"]
	var chairUnit int64
	if err := c.DB.Get(&chairUnit, `SELECT unit_id FROM people WHERE id = $1`, chair); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2021, 5, 1, 10, 0, 0, 0, time.UTC)
	var meeting int64
	if err := c.DB.Get(&meeting, `INSERT INTO meetings (kind, title, held_on, organiser_unit_id, chair_id, created_by)
VALUES ('executive_meeting', '县政府第12次常务会议', '2021-04-20', $1, $2, $2) RETURNING id`, yjj, chair); err != nil {
		t.Fatal(err)
	}
	matter := func(id int64, decided bool) {
		t.Helper()
		if _, err := c.DB.Exec(`INSERT INTO assignments (id, title, content, due_at, issuer_unit_id, assigner_id, assignee_unit_id, reviewer_unit_id,
    reviewer_role, ladder) VALUES ($1, '议定事项', '排查自建房', $2, $3, $4, $5, $3, 'safety_office', '[]')`, id, at, yjj, c.IDs["yjj-office"], jcg); err != nil {
			t.Fatal(err)
		}
		if decided {
			if _, err := c.DB.Exec(`INSERT INTO meeting_decisions (meeting_id, seq, content, unit_id, due_at, assignment_id) VALUES ($1, 0, '排查自建房', $2, $3, $4)`,
				meeting, jcg, at, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	fire := func(id int64, index int, action domain.Action) {
		t.Helper()
		spec := domain.TaskSpec{ID: contract.TaskID(contract.AssignmentID(id), "complete", 1), WorkflowID: contract.AssignmentID(id), Kind: domain.KindAssignmentComplete,
			Title: "议定事项", SubjectType: domain.SubjectAssignment, SubjectID: fmt.Sprint(id), UnitID: jcg, Role: domain.RoleUnitHead, IssuerUnitID: yjj, DueAt: at, CreatedAt: at}
		if err := a.CreateTask(ctx, spec); err != nil {
			t.Fatal(err)
		}
		in := contract.FireRungInput{Key: contract.AssignmentID(id), Index: index, Rung: domain.Rung{Action: action}, WorkflowID: contract.AssignmentID(id), TaskID: spec.ID,
			Title: spec.Title, SubjectType: domain.SubjectAssignment, SubjectID: fmt.Sprint(id), UnitID: jcg, IssuerUnitID: yjj, DueAt: at, At: at.Add(24 * time.Hour)}
		for range 2 {
			if _, err := a.FireRung(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	told := func() int {
		t.Helper()
		return testdb.Count(t, c.DB, `SELECT count(*) FROM outbox WHERE unit_id = $1 AND title LIKE '【议定事项督办】%' AND body LIKE '%县政府第12次常务会议%'`, chairUnit)
	}
	matter(9001, true)
	fire(9001, 0, domain.ActionRemind)
	if n := told(); n != 0 {
		t.Fatalf("a reminder told the chair %d times", n)
	}
	fire(9001, 1, domain.ActionLetter)
	fire(9001, 2, domain.ActionNotice)
	if n := told(); n != 2 {
		t.Fatalf("the chair was told %d times of a letter and a notice, want 2", n)
	}
	matter(9002, false)
	fire(9002, 1, domain.ActionLetter)
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM outbox WHERE title LIKE '【议定事项督办】%'`); n != 2 {
		t.Fatalf("%d chair notifications, want still 2", n)
	}
}
