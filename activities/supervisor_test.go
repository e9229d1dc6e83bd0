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
