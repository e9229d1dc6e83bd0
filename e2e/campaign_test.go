package e2e

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/testdb"
)

var cst = time.FixedZone("CST", 8*3600)

// TestFastCampaignOverHTTP runs a campaign at clock speed 50,000 (a campaign
// day in 1.7 s) on the embedded server with real timers, from 1 April to
// 20 May 2020 in campaign time, with the demo bot acting as the county's
// people through the API: 公安局 a day late, 崔木镇 twelve, everyone else on
// time. April's reports, the year's pledges, and the ladders' deductions,
// notices and the interview they imply really happen, at their campaign times;
// every run of the campaign's history stays under 4,096 events. Each month's
// reports and the year's pledges take the province's way: started from an
// activity, tallied daily.
func TestFastCampaignOverHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute and a half of real timers")
	}
	s, tokens := seeded(t)
	// More than ten units make a province here: each month's reports and the year's
	// pledges start from an activity through the client and are tallied from the database.
	sys := start(t, "", s, tokens, func(a *activities.Activities) { a.MaxChildren = 10 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var people []demo.Person
	if err := s.DB.Select(&people, `SELECT p.key AS key, g.role AS role, u.code AS unitcode FROM people p
JOIN role_grants g ON g.person_id = p.id JOIN units u ON u.id = g.unit_id ORDER BY p.id, g.role`); err != nil {
		t.Fatal(err)
	}
	for i := range people {
		people[i].Token = tokens[people[i].Key]
	}
	bot := &demo.Bot{BaseURL: sys.http.URL, People: people, Poll: 100 * time.Millisecond,
		Model: demo.Model{LateUnits: map[string]int{"gaj": 1, "cm": 12}, Think: 24 * time.Hour}}
	spec := demo.CampaignSpec{ID: "fast", Name: "快速时钟测试行动", StartsOn: "2020-04-01", EndsOn: "2020-12-31", ClockSpeed: 50000}
	if err := bot.Start(ctx, spec, "yjj-office", "linyou-deputy"); err != nil {
		t.Fatal(err)
	}
	stop := time.Date(2020, 5, 20, 0, 0, 0, 0, cst)
	var last demo.CampaignStatus
	if err := bot.Run(ctx, spec.ID, "yjj-office", func(st demo.CampaignStatus) bool { last = st; return !st.Now.Before(stop) }); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("campaign time reached only %v", last.Now)
	}
	if last.Phase != "动员部署" {
		t.Errorf("phase on %v: %q, want 动员部署", last.Now, last.Phase)
	}
	sys.send(t, "POST", "/api/v1/campaigns/fast/end", "linyou-deputy", nil).want(t, 200)
	// Ending it cancels every open process of it: no task stays open, no rung fires after the end.
	sys.send(t, "POST", "/api/v1/campaigns/fast/end", "linyou-deputy", nil).want(t, 409)
	for wait := time.Now().Add(120 * time.Second); testdb.Count(t, s.DB, `SELECT count(*) FROM tasks WHERE campaign_id = 'fast' AND status = 'open'`) > 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatalf("%d tasks of the ended campaign still open a minute after its end",
				testdb.Count(t, s.DB, `SELECT count(*) FROM tasks WHERE campaign_id = 'fast' AND status = 'open'`))
		}
	}
	time.Sleep(2 * time.Second) // a campaign day: any rung still to fire would have by now
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM audit_log a, campaigns c WHERE c.id = 'fast' AND a.action = 'rung.fired'
AND (a.after->>'rung_at')::timestamptz > c.ended_at`); n != 0 {
		t.Errorf("%d rungs fired for times after the campaign ended", n)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM score_ledger l, campaigns c WHERE c.id = 'fast' AND l.campaign_id = 'fast' AND l.created_at > c.ended_at`); n != 0 {
		t.Errorf("%d deductions after the campaign ended", n)
	}
	// Steering a campaign that is not running is a conflict, not "unavailable".
	sys.send(t, "POST", "/api/v1/campaigns", "yjj-office", map[string]any{"id": "idle", "name": "未启动的行动", "starts_on": "2021-01-01"}).want(t, 201)
	for _, action := range []string{"pause", "resume", "end"} {
		if r := sys.send(t, "POST", "/api/v1/campaigns/idle/"+action, "linyou-deputy", nil); r.code != 409 {
			t.Errorf("%s of a campaign never run: %d %s; want 409", action, r.code, r.body)
		}
	}

	count := func(q string, args ...any) int { return testdb.Count(t, s.DB, q, args...) }
	// What the bot's model makes happen, whatever the machine's load.
	exact := map[string]int{
		"April reports accepted":  count(`SELECT count(*) FROM reports WHERE campaign_id = 'fast' AND period = '2020-04' AND status = 'accepted'`),
		"late reports of gaj, cm": count(`SELECT count(*) FROM reports r JOIN units u ON u.id = r.unit_id WHERE r.campaign_id = 'fast' AND r.late_seconds > 0 AND u.code IN ('gaj', 'cm')`),
		"pledges in force":        count(`SELECT count(*) FROM pledges WHERE campaign_id = 'fast' AND status = 'in_force'`),
		// A penalty is deserved: none fired for a task done before the rung's time.
		"undeserved penalties": count(`SELECT count(*) FROM audit_log a JOIN tasks k ON k.id = a.task_id WHERE a.action = 'rung.fired'
AND k.campaign_id = 'fast' AND a.after->>'action' <> 'remind' AND k.completed_at <= (a.after->>'rung_at')::timestamptz`),
	}
	for k, w := range map[string]int{"April reports accepted": 25, "late reports of gaj, cm": 2, "pledges in force": 25, "undeserved penalties": 0} {
		if exact[k] != w {
			t.Errorf("%s: %d, want %d", k, exact[k], w)
		}
	}
	// The penalties the model's late units earn. A saturated machine can only
	// make the bot later (a campaign day is 1.7 s of wall time), so these are
	// the least; when the bot kept up (no on-time unit's task done late) they are exact.
	got := map[string]int{
		"gaj points lost":    -count(`SELECT coalesce(sum(l.points), 0)::int FROM score_ledger l JOIN units u ON u.id = l.unit_id WHERE l.campaign_id = 'fast' AND u.code = 'gaj'`),
		"cm points lost":     -count(`SELECT coalesce(sum(l.points), 0)::int FROM score_ledger l JOIN units u ON u.id = l.unit_id WHERE l.campaign_id = 'fast' AND u.code = 'cm'`),
		"others' deductions": count(`SELECT count(*) FROM score_ledger l JOIN units u ON u.id = l.unit_id WHERE l.campaign_id = 'fast' AND u.code NOT IN ('gaj', 'cm')`),
		"cm notices":         count(`SELECT count(*) FROM notices n JOIN units u ON u.id = ANY (n.unit_ids) WHERE u.code = 'cm'`),
		"notices":            count(`SELECT count(*) FROM notices`),
		"cm interviews":      count(`SELECT count(*) FROM interviews i JOIN units u ON u.id = i.unit_id WHERE i.campaign_id = 'fast' AND u.code = 'cm'`),
	}
	want := map[string]int{
		"gaj points lost":    1, // April's report: −1 a second past the deadline; the pledge a day late costs nothing
		"cm points lost":     4, // April's report: −1, then −3 at ten days; the pledge twelve days late: a notice only
		"others' deductions": 0,
		"cm notices":         2, // the report at +3 days, the pledge at +7 days
		"notices":            2,
		"cm interviews":      1, // the report at +10 days (15 May)
	}
	if fired := count(`SELECT count(*) FROM audit_log a JOIN tasks k ON k.id = a.task_id WHERE a.action = 'rung.fired'
AND k.campaign_id = 'fast' AND a.after->>'action' IN ('notice', 'deduct')`); fired < got["notices"] {
		t.Errorf("%d notices and deductions found by their tasks, fewer than the %d notices", fired, got["notices"])
	}
	lagged := count(`SELECT count(*) FROM tasks k JOIN units u ON u.id = k.unit_id WHERE k.campaign_id = 'fast'
AND u.code NOT IN ('gaj', 'cm') AND k.status = 'completed' AND k.completed_at > k.due_at`)
	for k, w := range want {
		if got[k] < w || (lagged == 0 && got[k] != w) {
			t.Errorf("%s: %d, want %d (%d tasks of on-time units done late)", k, got[k], w, lagged)
		}
	}
	if lagged > 0 {
		t.Logf("the bot fell behind the fast clock: %d tasks of on-time units done late; penalties %v", lagged, got)
	}
	if t.Failed() {
		var notices []string
		_ = s.DB.Select(&notices, `SELECT key || ' ' || reason || ' ' || created_at::text FROM notices ORDER BY id`)
		t.Logf("notices: %q", notices)
	}

	// The rungs fired at their campaign times (a timer's second of latency is 14 campaign hours).
	var deductAt time.Time
	if err := s.DB.Get(&deductAt, `SELECT min(a.at) FROM audit_log a JOIN units u ON u.id = a.unit_id
WHERE a.action = 'rung.fired' AND a.after->>'action' = 'deduct' AND u.code = 'gaj'`); err != nil {
		t.Fatal(err)
	}
	due := time.Date(2020, 5, 5, 18, 0, 1, 0, cst)
	if d := deductAt.Sub(due); d < 0 || d > 72*time.Hour { // up to 5 s of timer latency on a saturated machine
		t.Errorf("gaj's deduction at %v campaign time, want just after %v", deductAt.In(cst), due)
	}

	// Each run of the campaign's history stays small: it continues as new after each month.
	runs, most := campaignRuns(t, sys.client, contract.CampaignID("fast"))
	if runs < 2 || most >= 4096 {
		t.Fatalf("%d runs, the largest %d events; want at least 2 runs, each under 4,096 events", runs, most)
	}
	t.Logf("campaign time %v; %d runs of the campaign, the largest %d events; bot acted %v", last.Now.In(cst), runs, most, bot.Acted)
	time.Sleep(300 * time.Millisecond)
	checkHistory(t, sys.client, contract.CampaignID("fast"), "campaign-fast")
	checkHistory(t, sys.client, contract.ReportMonthID("fast", "2020-04"), "report-month-province")
	checkHistory(t, sys.client, contract.PledgeYearID("fast", 2020), "pledge-year")
	checkHistory(t, sys.client, contract.ReportID("fast", "cm", "2020-04"), "report-late-fast-clock")
}

// campaignRuns walks a workflow's runs back from the latest through
// continue-as-new, answering how many there are and the most events in one.
func campaignRuns(t *testing.T, c client.Client, id string) (runs, most int) {
	t.Helper()
	runID := ""
	for {
		it := c.GetWorkflowHistory(context.Background(), id, runID, false, 0)
		n, prev := 0, ""
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				prev = e.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
			}
			n++
		}
		runs++
		most = max(most, n)
		if prev == "" {
			return runs, most
		}
		runID = prev
	}
}
