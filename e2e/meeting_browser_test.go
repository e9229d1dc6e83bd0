package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/browser"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
)

// TestMeetingInARealBrowser: the safety office records the safety
// committee's meeting chaired by the county magistrate from its page, with a
// decision for 九成宫镇; the meeting's page shows the decision 办理中; the
// town's head reports it done from the inbox and the office approves it, and
// the meeting's page shows it 已办结. Then yjj's head opens the minutes task
// of the quarter's technical exchange meeting, follows it to the meeting form
// (its kind and title filled in), records the meeting, and the task is done;
// the statistics page counts both meetings by kind. No page logs an error or
// violates the Content-Security-Policy.
func TestMeetingInARealBrowser(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	accounts(t, s, map[string]string{"yjj-office": "yjj.office", "jcg-head": "jcg.head", "yjj-head": "yjj.head"})
	b := browser.New(t)
	base := sys.http.URL
	u := person{t: t, b: b, base: base}
	shot, waitFor, signIn, signOut := u.shot, u.waitFor, u.signIn, u.signOut
	today := time.Now().In(domain.DefaultZone).Format(time.DateOnly)
	due := time.Now().In(domain.DefaultZone).Add(10 * 24 * time.Hour).Format("2006-01-02T15:04")

	// The safety office records the meeting and its decision.
	signIn("yjj.office")
	b.Do(chromedp.Click(chromedp.CSS(`nav a[href="/meetings"]`)))
	waitFor("the meetings page", `!!document.querySelector("#meeting-form")`)
	b.Do(chromedp.SetValue(chromedp.CSS("#kind"), "safety_committee"),
		chromedp.SendKeys(chromedp.CSS("#title"), "县安委会全体会议"),
		chromedp.SetValue(chromedp.CSS("#held_on"), today),
		chromedp.SetValue(chromedp.CSS("#organiser"), "yjj"),
		chromedp.SetValue(chromedp.CSS("#chair"), "linyou-magistrate"),
		chromedp.SendKeys(chromedp.CSS("#attendees"), "县长\n分管安全生产副县长\n安委会成员单位负责人"),
		chromedp.SendKeys(chromedp.CSS("#topics"), "部署自建房安全隐患排查"),
		chromedp.SendKeys(chromedp.CSS("#minutes"), "会议研究部署自建房安全隐患排查整治。"),
		chromedp.SetValue(chromedp.CSS(`select[name="decisions[0].unit"]`), "jcg"),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="decisions[0].content"]`), "开展辖区自建房安全隐患排查"),
		chromedp.SetValue(chromedp.CSS(`input[name="decisions[0].due_at"]`), due))
	shot("meeting-form")
	b.Do(chromedp.Click(chromedp.CSS(`#meeting-form button[type=submit]`)))
	waitFor("the meeting's page", `/^\/meetings\/\d+$/.test(location.pathname) && !!document.querySelector("#decisions")`)
	meetingPath := browser.Eval[string](b, "location.pathname")
	if got := browser.Eval[string](b, `document.querySelector("td.decision-state").textContent`); got != "办理中" {
		t.Fatalf("the decision shows %q, want 办理中", got)
	}
	shot("meeting-page")
	var assignment int64
	if err := s.DB.Get(&assignment, `SELECT assignment_id FROM meeting_decisions`); err != nil {
		t.Fatal(err)
	}
	signOut()

	// The town's head reports it done; the office approves it.
	wid := contract.AssignmentID(assignment)
	done := contract.TaskID(wid, "complete", 1)
	sys.awaitTask(t, "jcg-head", done)
	signIn("jcg.head")
	b.Navigate(base + "/tasks/" + done)
	waitFor("the decision's form", `!!document.querySelector("#result")`)
	b.Do(chromedp.SendKeys(chromedp.CSS("#result"), "已排查自建房312户，整改隐患9处。"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after reporting", `location.pathname === "/inbox" && document.readyState === "complete"`)
	signOut()
	review := contract.TaskID(wid, "review", 1)
	sys.awaitTask(t, "yjj-office", review)
	signIn("yjj.office")
	b.Navigate(base + "/tasks/" + review)
	waitFor("the review form", `!!document.querySelector("input[name=decision][value=approve]")`)
	b.Do(chromedp.Click(chromedp.CSS(`input[name=decision][value=approve]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after approval", `location.pathname === "/inbox" && document.readyState === "complete"`)
	for end := time.Now().Add(90 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		var status string
		if err := s.DB.Get(&status, `SELECT status FROM assignments WHERE id = $1`, assignment); err != nil {
			t.Fatal(err)
		}
		if status == "approved" {
			break
		}
	}
	b.Navigate(base + meetingPath)
	waitFor("the meeting's page", `!!document.querySelector("#decisions")`)
	if got := browser.Eval[string](b, `document.querySelector("td.decision-state").textContent`); got != "已办结" {
		t.Errorf("the approved decision shows %q, want 已办结", got)
	}
	signOut()

	// The quarter's technical exchange meeting: its minutes task, answered from the meeting form.
	ctx := context.Background()
	id := contract.MeetingMinutesID(seed.DemoCampaignID, 0, "2021-Q1")
	in := contract.MeetingMinutesInput{CampaignID: seed.DemoCampaignID, Rule: 0, Period: "2021-Q1", At: time.Now().UTC().Truncate(time.Second)}
	if _, err := sys.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue,
		TypedSearchAttributes: contract.SearchAttributesOf(contract.MeetingMinutesWorkflow, in)}, contract.MeetingMinutesWorkflow, in); err != nil {
		t.Fatal(err)
	}
	minutes := contract.TaskID(id, "minutes", 1)
	sys.awaitTask(t, "yjj-head", minutes)
	signIn("yjj.head")
	b.Navigate(base + "/tasks/" + minutes)
	waitFor("the minutes task", `!!document.querySelector("#record-meeting")`)
	shot("minutes-task")
	b.Do(chromedp.Click(chromedp.CSS("#record-meeting")))
	waitFor("the prefilled meeting form", `!!document.querySelector("#meeting-form input[name=minutes_task]")`)
	if kind, title := browser.Eval[string](b, `document.querySelector("#kind").value`), browser.Eval[string](b, `document.querySelector("#title").value`); kind != "technical_exchange" ||
		title != "麟北矿区煤矿安全生产技术交流会" {
		t.Errorf("the form starts with %q %q", kind, title)
	}
	if browser.Eval[bool](b, `!!document.querySelector('select[name="decisions[0].unit"]')`) {
		t.Error("a unit head is offered decisions to assign")
	}
	b.Do(chromedp.SetValue(chromedp.CSS("#held_on"), today), chromedp.SetValue(chromedp.CSS("#chair"), "yjj-head"),
		chromedp.SendKeys(chromedp.CSS("#attendees"), "郭家河煤矿\n园子沟煤矿\n招贤煤矿\n崔木煤矿"),
		chromedp.SendKeys(chromedp.CSS("#minutes"), "各矿交流了冲击地压防治经验。"),
		chromedp.Click(chromedp.CSS(`#meeting-form button[type=submit]`)))
	waitFor("the technical exchange meeting's page", `/^\/meetings\/\d+$/.test(location.pathname) && document.readyState === "complete"`)
	if flash := browser.Eval[string](b, `document.body.textContent`); !strings.Contains(flash, "定期会议待办已办结") {
		t.Errorf("no word that the task is done on %s", browser.Eval[string](b, "location.href"))
	}
	shot("technical-exchange")
	var status string
	if err := s.DB.Get(&status, `SELECT status FROM tasks WHERE id = $1`, minutes); err != nil || status != "completed" {
		t.Fatalf("minutes task %q (%v)", status, err)
	}

	// The statistics count the two meetings by kind.
	b.Navigate(base + "/statistics?from=" + today + "&to=" + today)
	waitFor("the meetings table", `!!document.querySelector("#stats-meetings")`)
	counts := browser.Eval[string](b, `[...document.querySelectorAll("#stats-meetings tbody tr")].map(r => r.textContent.replace(/\s+/g, "")).join(";")`)
	for _, want := range []string{"安委会全体会议11", "技术交流会11", fmt.Sprintf("共%d项，未办结%d项", 1, 0)} { // this year 1, in all 1
		if !strings.Contains(counts, want) {
			t.Errorf("the statistics' meetings %q lack %q", counts, want)
		}
	}
	shot("statistics-meetings")
}
