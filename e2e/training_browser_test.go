package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zeren-county/zeren/internal/browser"
	"github.com/zeren-county/zeren/internal/domain"
)

// TestTrainingInARealBrowser: a coal mine's staff member records a training
// session of front-line workers from the 安全培训 page, sees it in the list
// with its people, and finds them in the statistics of that day for the coal
// mines (培训人次, and under 一线员工), whose charts are drawn. No page logs an
// error or violates the Content-Security-Policy.
func TestTrainingInARealBrowser(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	accounts(t, s, map[string]string{"cmm-staff": "cmm.staff"})
	b := browser.New(t)
	base := sys.http.URL
	u := person{t: t, b: b, base: base}
	day := time.Now().In(domain.DefaultZone).AddDate(0, 0, -1).Format(time.DateOnly)

	u.signIn("cmm.staff")
	b.Do(chromedp.Click(chromedp.CSS(`nav a[href="/trainings"]`)))
	u.waitFor("the trainings page", `!!document.querySelector("#training-form")`)
	b.Do(chromedp.SetValue(chromedp.CSS("#t-held"), day),
		chromedp.SendKeys(chromedp.CSS("#t-topic"), "煤矿一线员工安全生产知识培训"),
		chromedp.SetValue(chromedp.CSS("#t-audience"), "frontline"),
		chromedp.SendKeys(chromedp.CSS("#t-trained"), "186"),
		chromedp.SendKeys(chromedp.CSS("#t-hours"), "4"),
		chromedp.SendKeys(chromedp.CSS("#t-location"), "崔木煤矿职工培训中心"))
	u.shot("training-form")
	b.Do(chromedp.Click(chromedp.CSS(`#training-form button[type=submit]`)))
	u.waitFor("the session in the list", `location.pathname === "/trainings" && document.readyState === "complete" && document.querySelectorAll("#trainings tbody tr").length === 1`)
	if got := browser.Eval[string](b, `document.querySelector("#trainings td.training-topic").textContent`); got != "煤矿一线员工安全生产知识培训" {
		t.Errorf("the listed topic %q", got)
	}
	if got := browser.Eval[string](b, `document.querySelector("#trainings td.training-trained").textContent`); got != "186" {
		t.Errorf("the listed people trained %q, want 186", got)
	}
	if got := browser.Eval[string](b, `document.querySelector("#training-total").textContent`); !strings.Contains(got, "186") {
		t.Errorf("the list's total %q", got)
	}
	u.shot("training-list")

	// The statistics of that day at the coal mines.
	b.Navigate(base + "/statistics?from=" + day + "&to=" + day + "&sector=coal_mine")
	u.waitFor("the statistics charts", `["chart-sources","chart-sectors","chart-kinds"].every(id => document.getElementById(id) && document.getElementById(id).dataset.drawn === "true")`)
	if got := browser.Eval[string](b, `document.querySelector("#n-training-people").textContent`); got != "186" {
		t.Errorf("people trained in the statistics: %s, want 186", got)
	}
	if got := browser.Eval[string](b, `document.querySelector("#n-training-sessions").textContent`); got != "1" {
		t.Errorf("training sessions in the statistics: %s, want 1", got)
	}
	if got := browser.Eval[string](b, `[...document.querySelectorAll("#stats-training tbody tr")].find(r => r.querySelector("th").textContent === "一线员工").querySelector("td.people").textContent`); got != "186" {
		t.Errorf("front-line workers trained: %s, want 186", got)
	}
	u.shot("training-statistics")
}
