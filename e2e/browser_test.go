package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zeren-county/zeren/internal/browser"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// TestWebInARealBrowser uses the pages as the county's people would, in
// Debian's Chromium against the real server (embedded Temporal, real
// PostgreSQL): 九成宫镇's head finds an assigned matter in the inbox, submits a
// result with a field error and then a valid one, and sees it leave the
// inbox; the safety office returns it with a comment; a leader opens the
// campaign's dashboard, whose charts are drawn and whose report matrix has
// the 25 reporting units. On a 375 px phone the inbox does not scroll
// sideways. No page logs an error or violates the Content-Security-Policy;
// every page visited is kept as a screenshot (artefacts/browser/).
func TestWebInARealBrowser(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	accounts(t, s, map[string]string{"jcg-head": "jcg.head", "yjj-office": "yjj.office", "linyou-secretary": "linyou.secretary"})
	var a store.Assignment
	sys.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{"title": "排查九成宫镇液化气站隐患", "content": "全面排查，形成问题清单并整改。",
		"due_at": time.Now().Add(72 * time.Hour).UTC(), "assignee_unit": "jcg"}).want(t, 201).decode(t, &a)
	work := fmt.Sprintf("assignment.%d.complete.1", a.ID)
	sys.awaitTask(t, "jcg-head", work)

	b := browser.New(t)
	base := sys.http.URL
	u := person{t: t, b: b, base: base}
	shot, waitFor, signIn, signOut := u.shot, u.waitFor, u.signIn, u.signOut

	// 九成宫镇's head: the matter is in the inbox; a result with an attachment
	// named but not numbered is refused beside that field; a valid one completes it.
	signIn("jcg.head")
	shot("login-inbox-jcg")
	if !browser.Eval[bool](b, fmt.Sprintf(`!!document.querySelector('#tasks a[href="/tasks/%s"]')`, work)) {
		t.Fatal("the assigned matter is not in the inbox")
	}
	b.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/tasks/%s"]`, work))))
	waitFor("the task page", `!!document.querySelector("#result")`)
	shot("task-jcg")
	// The task page and its form fit a phone too.
	b.SetViewport(375, 800)
	if b.ScrollsHorizontally() {
		sw, cw := b.PageWidths()
		t.Errorf("the task page scrolls sideways at 375 px (%d > %d)", sw, cw)
	}
	shot("task-jcg-375")
	b.SetViewport(1280, 900)
	b.Do(chromedp.SendKeys(chromedp.CSS("#result"), "排查液化气站3家，整改隐患5处。"),
		chromedp.SendKeys(chromedp.CSS("#att-0-name"), "问题清单.pdf"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the field error", `!!document.querySelector(".field-error") && document.querySelector(".field-error").textContent.length > 0`)
	shot("task-jcg-field-error")
	errText := browser.Eval[string](b, `document.querySelector(".field-error").textContent`)
	if !strings.Contains(errText, "必须") && !strings.Contains(errText, "不能为空") && !strings.Contains(errText, "必填") {
		t.Errorf("the field error says %q", errText)
	}
	if got := browser.Eval[string](b, `document.querySelector("#result").value`); got != "排查液化气站3家，整改隐患5处。" {
		t.Errorf("the refused form lost what was typed: %q", got)
	}
	b.Do(chromedp.SendKeys(chromedp.CSS("#att-0-ref"), "doc://jcg/2021/17"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after completion", `location.pathname === "/inbox" && document.readyState === "complete"`)
	if browser.Eval[bool](b, fmt.Sprintf(`!!document.querySelector('#tasks a[href="/tasks/%s"]')`, work)) {
		t.Error("the completed matter is still in the inbox")
	}
	if !browser.Eval[bool](b, `(document.querySelector(".flash")||{}).textContent === "已办理，事项已离开待办。"`) {
		t.Error("no word that it was done")
	}
	shot("inbox-jcg-after")
	// On a phone the inbox does not scroll sideways.
	b.SetViewport(375, 800)
	b.Navigate(base + "/inbox")
	if b.ScrollsHorizontally() {
		sw, cw := b.PageWidths()
		t.Errorf("the inbox scrolls sideways at 375 px (%d > %d)", sw, cw)
	}
	shot("inbox-jcg-375")
	b.SetViewport(1280, 900)
	signOut()

	// The safety office returns it with a comment.
	review := fmt.Sprintf("assignment.%d.review.1", a.ID)
	sys.awaitTask(t, "yjj-office", review)
	signIn("yjj.office")
	b.Navigate(base + "/tasks/" + review)
	shot("task-review")
	b.Do(chromedp.Click(chromedp.CSS(`input[name=decision][value=return]`)),
		chromedp.SendKeys(chromedp.CSS("#comment"), "请补充整改时限。"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after the return", `location.pathname === "/inbox" && document.readyState === "complete"`)
	shot("inbox-office-after")
	b.Navigate(base + "/issue")
	shot("issue-office")
	signOut()
	sys.awaitTask(t, "jcg-head", fmt.Sprintf("assignment.%d.complete.2", a.ID))

	// A leader's dashboard: charts drawn on canvas, the report matrix of 25 units.
	signIn("linyou.secretary")
	b.Navigate(base + "/campaigns/" + seed.DemoCampaignID + "?year=2021")
	waitFor("the charts", `["chart-reports","chart-deductions","chart-ranks"].every(id => document.getElementById(id) && document.getElementById(id).dataset.drawn === "true")`)
	drawn := browser.Eval[bool](b, `(() => { const c = document.querySelector("#chart-ranks canvas"); if (!c) return false;
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false; })()`)
	if !drawn {
		t.Error("the ranking chart's canvas is empty")
	}
	if rows := browser.Eval[int](b, `document.querySelectorAll("#report-matrix tbody tr").length`); rows != 25 {
		t.Errorf("the report matrix has %d rows, want 25", rows)
	}
	shot("dashboard-leader")
	b.Navigate(base + "/campaigns")
	shot("campaigns-leader")
}
