package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// benchEvents plays each process's common path on the embedded server,
// through the API as people would, and counts the history events of the
// finished process (what `temporal workflow describe` shows).
func benchEvents(ctx context.Context, args []string) error {
	verbose := len(args) > 0 && args[0] == "-v"
	e, err := startBenchEngine(ctx)
	if err != nil {
		return err
	}
	defer e.close()
	complete := func(task, person string, payload any) error {
		if err := e.awaitTask(ctx, task); err != nil {
			return err
		}
		code, body, err := e.post("/api/v1/tasks/"+task+"/complete", person, payload)
		if err != nil || code != 200 {
			return fmt.Errorf("complete %s: %d %s %v", task, code, body, err)
		}
		return nil
	}
	events := func(id string) (int, error) {
		if err := e.c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
			return 0, fmt.Errorf("%s: %w", id, err)
		}
		n := 0
		var types []string
		for it := e.c.GetWorkflowHistory(ctx, id, "", false, 0); it.HasNext(); n++ {
			ev, err := it.Next()
			if err != nil {
				return 0, err
			}
			types = append(types, strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_"))
		}
		if verbose {
			fmt.Printf("%s: %s\n", id, strings.Join(types, " "))
		}
		return n, nil
	}
	// A campaign under way now, for the processes that belong to one.
	const camp = "bench-now"
	now := time.Now()
	if err := e.s.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.UpsertCampaign(ctx, tx, store.Campaign{ID: camp, Name: "基准专项行动", TimeZone: "Asia/Shanghai",
			StartsOn: now.AddDate(-1, 0, 0), EndsOn: now.AddDate(2, 0, 0), Policy: []byte(`{}`)}); err != nil {
			return err
		}
		units, err := store.AllReportingUnits(ctx, tx)
		if err != nil {
			return err
		}
		ids := make([]int64, len(units))
		for i, u := range units {
			ids[i] = u.ID
		}
		return store.SetParticipants(ctx, tx, camp, ids)
	}); err != nil {
		return err
	}
	type row struct {
		path   string
		events int
	}
	var rows []row

	// An assigned matter completed on time and approved.
	code, body, err := e.post("/api/v1/assignments", "yjj-office", map[string]any{"title": "排查燃气管网", "content": "全面排查。",
		"due_at": time.Now().Add(30 * 24 * time.Hour), "assignee_unit": "jcg"})
	if err != nil || code != 201 {
		return fmt.Errorf("assignment: %d %s %v", code, body, err)
	}
	var a store.Assignment
	_ = json.Unmarshal(body, &a)
	wid := contract.AssignmentID(a.ID)
	if err := complete(contract.TaskID(wid, "complete", 1), "jcg-head", map[string]any{"result": "已完成"}); err != nil {
		return err
	}
	if err := complete(contract.TaskID(wid, "review", 1), "yjj-office", map[string]any{"decision": "approve"}); err != nil {
		return err
	}
	n, err := events(wid)
	if err != nil {
		return err
	}
	rows = append(rows, row{"assignment: completed on time, approved", n})

	// Monthly reports: on time and accepted; late by a month, every rung of its ladder fired, then accepted.
	jcg, err := store.UnitByCode(ctx, e.s.DB, "jcg")
	if err != nil {
		return err
	}
	yjj, err := store.UnitByCode(ctx, e.s.DB, "yjj")
	if err != nil {
		return err
	}
	figures := map[string]any{"figures": map[string]any{"inspections": 2, "units_inspected": 2}, "problems": "无", "next_steps": "继续排查"}
	for _, r := range []struct {
		name, period string
		due          time.Time
	}{
		{"report: submitted on time, accepted", "2026-10", time.Now().Add(7 * 24 * time.Hour)},
		{"report: a month late, its whole ladder fired, then accepted", "2026-09", time.Now().Add(-40 * 24 * time.Hour)},
	} {
		id := contract.ReportID(camp, "jcg", r.period)
		spec := domain.ReportSpec{ID: id, CampaignID: camp, Period: r.period, UnitID: jcg.ID, UnitCode: "jcg", UnitName: jcg.Name,
			OfficeUnitID: yjj.ID, DueAt: r.due, Ladder: domain.DefaultReportPolicy().Ladder, ReviewDays: 5}
		if _, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "bench"}, contract.MonthlyReportWorkflow, spec); err != nil {
			return err
		}
		if r.due.Before(time.Now()) {
			// Let every rung whose time has come fire before the unit submits.
			penalties := 0 // a reminder long past is not sent; every penalty is
			for _, r := range spec.Ladder {
				if r.Action.Punishes() {
					penalties++
				}
			}
			if err := e.awaitRungs(ctx, id, penalties); err != nil {
				return err
			}
		}
		if err := complete(contract.TaskID(id, "submit", 1), "jcg-head", figures); err != nil {
			return err
		}
		if err := complete(contract.TaskID(id, "review", 1), "yjj-office", map[string]any{"decision": "accept"}); err != nil {
			return err
		}
		if n, err = events(id); err != nil {
			return err
		}
		rows = append(rows, row{r.name, n})
	}

	// A pledge signed and countersigned (a department: nothing below it to cascade to).
	gaj, err := store.UnitByCode(ctx, e.s.DB, "gaj")
	if err != nil {
		return err
	}
	county, err := store.CountyUnit(ctx, e.s.DB)
	if err != nil {
		return err
	}
	pid := contract.PledgeID(camp, 2026, "gaj")
	pledge := domain.PledgeSpec{ID: pid, CampaignID: camp, Year: 2026, Level: 1, IssuerUnitID: county.ID, IssuerName: county.Name,
		SignerUnitID: gaj.ID, SignerCode: "gaj", SignerName: gaj.Name, Targets: []domain.Target{{Text: "不发生较大事故", Indicator: "事故起数", TargetValue: "0", Weight: 100}},
		DueAt: time.Now().Add(14 * 24 * time.Hour), CountersignDays: 5, Ladder: domain.DefaultPledgePolicy().Ladder}
	if _, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: pid, TaskQueue: "bench"}, contract.PledgeWorkflow, pledge); err != nil {
		return err
	}
	if err := complete(contract.TaskID(pid, "sign", 1), "gaj-head", map[string]any{"decision": "sign"}); err != nil {
		return err
	}
	if err := complete(contract.TaskID(pid, "countersign", 1), "linyou-magistrate", map[string]any{"decision": "approve"}); err != nil {
		return err
	}
	if n, err = events(pid); err != nil {
		return err
	}
	rows = append(rows, row{"pledge: signed on time, countersigned", n})

	// One campaign month: every participant's report submitted on time and
	// accepted; the month's own history (its reports are its children) and
	// the whole month's.
	period := now.Format("2006-01")
	mid := contract.ReportMonthID(camp, period)
	units, err := store.ReportingUnits(ctx, e.s.DB, camp)
	if err != nil {
		return err
	}
	if _, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: mid, TaskQueue: "bench"}, contract.ReportMonthWorkflow,
		contract.ReportMonthInput{CampaignID: camp, Period: period}); err != nil {
		return err
	}
	for _, u := range units {
		var head string
		if err := e.s.DB.GetContext(ctx, &head, `SELECT p.key FROM role_grants g JOIN people p ON p.id = g.person_id
WHERE g.unit_id = $1 AND g.role = 'unit_head' ORDER BY p.id LIMIT 1`, u.ID); err != nil {
			return fmt.Errorf("the head of %s: %w", u.Code, err)
		}
		if err := complete(contract.TaskID(contract.ReportID(camp, u.Code, period), "submit", 1), head, figures); err != nil {
			return err
		}
	}
	month := 0
	for _, u := range units {
		id := contract.ReportID(camp, u.Code, period)
		if err := complete(contract.TaskID(id, "review", 1), "yjj-office", map[string]any{"decision": "accept"}); err != nil {
			return err
		}
		if n, err = events(id); err != nil {
			return err
		}
		month += n
	}
	if n, err = events(mid); err != nil {
		return err
	}
	rows = append(rows, row{fmt.Sprintf("campaign month: its %d reports on time, accepted — the month's own", len(units)), n},
		row{"campaign month: the month's and its reports' together", n + month})

	fmt.Printf("%-64s %s\n", "process, path", "history events")
	for _, r := range rows {
		fmt.Printf("%-64s %d\n", r.path, r.events)
	}
	return nil
}
