package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// listed answers the ids of the workflows a visibility query finds — what
// `temporal workflow list --query` and the Web UI ask — sorted, each once (a
// campaign continued as new has several runs).
func (s *system) listed(t *testing.T, query string) []string {
	t.Helper()
	var ids []string
	var token []byte
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		page, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		cancel()
		if err != nil {
			t.Fatalf("list %s: %v", query, err)
		}
		for _, e := range page.Executions {
			ids = append(ids, e.Execution.WorkflowId)
		}
		if token = page.NextPageToken; len(token) == 0 {
			break
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// awaitListed polls the query until it finds exactly the workflows want
// (visibility follows the histories a moment later).
func (s *system) awaitListed(t *testing.T, query string, want ...string) {
	t.Helper()
	slices.Sort(want)
	var got []string
	for deadline := time.Now().Add(120 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = s.listed(t, query); slices.Equal(got, want) {
			return
		}
	}
	t.Fatalf("%s\nlists %v\nwant  %v", query, got, want)
}

// TestOperatorsFindProcessesBySearchAttributes: every process started over
// HTTP — a campaign and the pledges and reports its calendar starts, assigned
// matters, a major hazard and the stop order it issues — carries zeren's
// search attributes (campaign, unit code, kind, period, year) and its state
// as it changes, so Temporal's visibility lists a unit's or a campaign's
// processes exactly.
func TestOperatorsFindProcessesBySearchAttributes(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	ctx := t.Context()
	const campaign = "e2e-search"
	today := time.Now().In(domain.DefaultZone).Format(time.DateOnly)

	// A campaign from today: its calendar starts this year's pledges and this
	// month's reports at once, each due later, so no rung starts anything else.
	sys.send(t, "POST", "/api/v1/campaigns", "yjj-office", map[string]any{"id": campaign, "name": "检索测试行动", "starts_on": today}).want(t, 201)
	sys.send(t, "POST", "/api/v1/campaigns/"+campaign+"/run", "yjj-office", nil).want(t, 202)
	jcg, err := store.UnitByCode(ctx, s.DB, "jcg")
	if err != nil {
		t.Fatal(err)
	}
	var year int
	var period string
	for wait := time.Now().Add(120 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_ = s.DB.Get(&year, `SELECT year FROM pledges WHERE campaign_id = $1 AND signer_unit_id = $2`, campaign, jcg.ID)
		_ = s.DB.Get(&period, `SELECT period FROM reports WHERE campaign_id = $1 AND unit_id = $2`, campaign, jcg.ID)
		if year != 0 && period != "" {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("the calendar started no pledge (%d) or report (%q) of 九成宫镇", year, period)
		}
	}
	pledge, report := contract.PledgeID(campaign, year, "jcg"), contract.ReportID(campaign, "jcg", period)
	sys.awaitListed(t, `ZerenUnit = "jcg" AND ZerenCampaign = "`+campaign+`"`, pledge, report)
	sys.awaitListed(t, fmt.Sprintf(`ZerenUnit = "jcg" AND ZerenPeriod = "%s" AND ZerenYear = %s`, period, period[:4]), report)
	sys.awaitListed(t, fmt.Sprintf(`ZerenCampaign = "%s" AND ZerenKind = "pledge-year" AND ZerenYear = %d`, campaign, year), contract.PledgeYearID(campaign, year))
	// The month's 25 reports (every reporting unit's), once each has written its row.
	var reports []string
	for wait := time.Now().Add(120 * time.Second); len(reports) < 25; time.Sleep(100 * time.Millisecond) {
		reports = nil
		if err := s.DB.Select(&reports, `SELECT 'report/' || r.campaign_id || '/' || u.code || '/' || r.period FROM reports r JOIN units u ON u.id = r.unit_id WHERE r.campaign_id = $1`, campaign); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(wait) {
			t.Fatalf("%d reports of the month recorded, want 25", len(reports))
		}
	}
	sys.awaitListed(t, `ZerenCampaign = "`+campaign+`" AND ZerenKind = "report" AND ZerenState = "due"`, reports...)

	// The campaign's state follows its pause and resume.
	running := `ZerenKind = "campaign" AND ExecutionStatus = "Running" AND ZerenCampaign = "` + campaign + `" AND ZerenState = `
	sys.awaitListed(t, running+`"running"`, contract.CampaignID(campaign))
	sys.send(t, "POST", "/api/v1/campaigns/"+campaign+"/pause", "yjj-office", nil).want(t, 200)
	sys.awaitListed(t, running+`"paused"`, contract.CampaignID(campaign))
	sys.send(t, "POST", "/api/v1/campaigns/"+campaign+"/resume", "yjj-office", nil).want(t, 200)
	sys.awaitListed(t, running+`"running"`, contract.CampaignID(campaign))

	// Assigned matters: two to 九成宫镇, one to 崔木镇; 九成宫镇 does one, the office approves it.
	due := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	assign := func(unit string) string {
		var a store.Assignment
		sys.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{"title": "排查" + unit + "液化气站隐患", "content": "全面排查。",
			"due_at": due, "assignee_unit": unit}).want(t, 201).decode(t, &a)
		return contract.AssignmentID(a.ID)
	}
	done, open, other := assign("jcg"), assign("jcg"), assign("cm")
	sys.awaitListed(t, `ZerenKind = "assignment" AND ZerenUnit = "jcg"`, done, open)
	sys.awaitListed(t, `ZerenKind = "assignment" AND ZerenState = "open"`, done, open, other)
	work := contract.TaskID(done, "complete", 1)
	sys.awaitTask(t, "jcg-head", work)
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", map[string]any{"result": "已排查3家，整改隐患5处。"}).want(t, 200)
	sys.awaitListed(t, `ZerenKind = "assignment" AND ZerenState = "submitted"`, done)
	sys.awaitListed(t, `ZerenKind = "assignment" AND ZerenState = "open"`, open, other)
	review := contract.TaskID(done, "review", 1)
	sys.awaitTask(t, "yjj-office", review)
	sys.send(t, "POST", "/api/v1/tasks/"+review+"/complete", "yjj-office", map[string]any{"decision": "approve"}).want(t, 200)
	sys.awaitListed(t, `ZerenKind = "assignment" AND ZerenState = "approved" AND ExecutionStatus = "Completed"`, done)
	checkHistory(t, sys.client, done, "assignment-search-state")

	// A major hazard at a mine's heading face, and the stop order it issues: both 崔木煤矿's.
	var major store.Hazard
	sys.send(t, "POST", "/api/v1/hazards", "yjj-inspector-1", map[string]any{"unit": "cmm", "face": "4202j", "source": "rock_burst", "level": "major",
		"category": "有冲击地压危险未采取有效措施", "description": "4202j掘进面冲击地压防治措施不落实", "found_by": "report",
		"found_on": today, "deadline": time.Now().Add(10 * 24 * time.Hour), "stop_faces": []string{"4202j"}}).want(t, 201).decode(t, &major)
	var stop int64
	if err := s.DB.Get(&stop, `SELECT id FROM stop_orders WHERE $1 = ANY(hazard_ids)`, major.ID); err != nil {
		t.Fatalf("the major hazard's stop order: %v", err)
	}
	// Every process of the mine: the two, and its report of the month.
	sys.awaitListed(t, `ZerenUnit = "cmm"`, contract.HazardID(major.ID), contract.StopOrderID(stop), contract.ReportID(campaign, "cmm", period))
	sys.awaitListed(t, `ZerenUnit = "cmm" AND ZerenKind IN ("hazard", "stop-order")`, contract.HazardID(major.ID), contract.StopOrderID(stop))
	sys.awaitListed(t, `ZerenKind = "stop-order" AND ZerenState = "standing"`, contract.StopOrderID(stop))
}
