package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The drills' pages: the list with the planning form for the safety office
// (a refusal names the field and keeps what was typed), a drill's page with
// its steps, each mine's preparation and each problem's hazard; a mine's
// head reads them without the form.
func TestDrillPages(t *testing.T) {
	s := newSite(t, true)
	ctx := context.Background()
	db, units := s.county.DB, s.county.Units
	id, err := store.NextDrillID(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-48 * time.Hour)
	spec := domain.DrillSpec{ID: id, Year: at.In(domain.DefaultZone).Year(), Title: "矿井火灾事故救援联合演练", Scenario: "采煤工作面外因火灾",
		OrganiserUnitID: units["yjj"], OrganiserRole: domain.RoleSafetyOffice, LeadUnitID: units["gjh"],
		Units:   []domain.DrillUnit{{UnitID: units["gjh"], Code: "gjh"}, {UnitID: units["yzg"], Code: "yzg"}},
		DrillAt: at, PrepareDue: at.Add(-72 * time.Hour), Ladder: domain.DefaultDrillLadder(), PlannedBy: "yjj-office", PlannerID: s.county.IDs["yjj-office"],
		CreatedAt: time.Now().Add(-240 * time.Hour)}
	deadline := time.Now().Add(240 * time.Hour)
	if err := s.county.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := store.InsertDrill(ctx, tx, spec, []string{contract.DrillPrepareTaskID(id, units["gjh"]), contract.DrillPrepareTaskID(id, units["yzg"])},
			contract.DrillEvaluateTaskID(id)); err != nil {
			return err
		}
		if _, err := store.RecordDrillEvaluation(ctx, tx, id, domain.DrillRecord{HeldOn: at.In(domain.DefaultZone).Format(time.DateOnly), Evaluation: "协同有序，通信不足"},
			[]int64{units["gjh"], units["yzg"]}, "yjj-office", time.Now()); err != nil {
			return err
		}
		key := "drill-test"
		hid, _, err := store.InsertHazard(ctx, tx, store.Hazard{UnitID: units["yzg"], Source: "other", Level: domain.HazardGeneral, Category: domain.DrillProblemCategory,
			Description: "氧气呼吸器备用气瓶压力不足", FoundBy: domain.HazardFoundByDrill, FinderUnitID: units["yjj"], FoundOn: store.Date{Time: at}, Deadline: deadline,
			Key: &key, CreatedBy: s.county.IDs["yjj-office"], CreatedAt: time.Now()})
		if err != nil {
			return err
		}
		return store.InsertDrillProblem(ctx, tx, id, 1, units["yzg"], "氧气呼吸器备用气瓶压力不足", deadline, hid)
	}); err != nil {
		t.Fatal(err)
	}
	office := s.devSignIn(t, "yjj-office")
	p := s.get(t, office, "/drills")
	for _, want := range []string{"矿井火灾事故救援联合演练", "郭家河煤矿", "计划联合演练", `name="units"`, "演练准备（提醒、督办函、通报）", "已销号 0 / 1", "问题整改中"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	res := s.post(t, office, "/drills", url.Values{"_csrf": {csrf(t, p)}, "year": {"2030"}, "title": {"顶板事故救援演练"}, "scenario": {"冒顶"},
		"units": {"gjh"}, "lead": {"gjh"}, "drill_at": {"2030-06-01T09:00"}, "ladder": {"drill"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "联合演练至少两个参演单位") || !strings.Contains(res.body, "顶板事故救援演练") {
		t.Fatalf("one unit: %d %.300s", res.code, res.body)
	}
	if n := testdbCount(t, db, `SELECT count(*) FROM drills`); n != 1 {
		t.Fatalf("%d drills after a refusal, want 1", n)
	}
	d := s.get(t, office, "/drills/"+itoa(id))
	for _, want := range []string{"演练流程", "准备：0 / 2 个参演单位已报送准备情况", "评估：已记录，发现问题 1 个", "园子沟煤矿", "氧气呼吸器备用气瓶压力不足",
		"待整改", "/hazards/", "逾期未报送", "协同有序，通信不足", "牵头"} {
		if !strings.Contains(d.body, want) {
			t.Errorf("drill page lacks %q", want)
		}
	}
	head := s.devSignIn(t, "gjh-head")
	if p := s.get(t, head, "/drills"); p.code != 200 || strings.Contains(p.body, `id="drill-form"`) || !strings.Contains(p.body, "矿井火灾") {
		t.Errorf("mine head's list: %d, form shown %v", p.code, strings.Contains(p.body, `id="drill-form"`))
	}
	if p := s.get(t, head, "/drills/"+itoa(id)); p.code != 200 {
		t.Errorf("mine head's drill page: %d", p.code)
	}
}

func testdbCount(t *testing.T, db *sqlx.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, q); err != nil {
		t.Fatal(err)
	}
	return n
}
