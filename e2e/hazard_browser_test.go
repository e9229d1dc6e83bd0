package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/browser"
	"github.com/zeren-county/zeren/internal/domain"
)

// TestInspectionInARealBrowser: an inspector records an enforcement
// inspection of 崔木煤矿 from its page (逢查必考 results included), records two
// hazards found on it through the hazard form, and closes the inspection; the
// mine's head rectifies one from the inbox and the inspector verifies it, so
// that hazard is 销号 while the other is still open — in the ledger, on the
// hazard's page and in the statistics, whose charts are drawn. No page logs
// an error or violates the Content-Security-Policy.
func TestInspectionInARealBrowser(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	accounts(t, s, map[string]string{"yjj-inspector-1": "inspector.one", "cmm-head": "cmm.head"})
	b := browser.New(t)
	base := sys.http.URL
	u := person{t: t, b: b, base: base}
	shot, waitFor, signIn, signOut := u.shot, u.waitFor, u.signIn, u.signOut
	today := time.Now().In(domain.DefaultZone).Format(time.DateOnly)
	deadline := time.Now().In(domain.DefaultZone).Add(10 * 24 * time.Hour).Format("2006-01-02T15:04")

	// The inspector records the inspection.
	signIn("inspector.one")
	b.Do(chromedp.Click(chromedp.CSS(`nav a[href="/inspections"]`)))
	waitFor("the inspections page", `!!document.querySelector("#inspection-form")`)
	b.Do(chromedp.SetValue(chromedp.CSS("#kind"), "enforcement"),
		chromedp.SendKeys(chromedp.CSS("#title"), "崔木煤矿安全执法检查"),
		chromedp.SetValue(chromedp.CSS("#starts_on"), today), chromedp.SetValue(chromedp.CSS("#ends_on"), today),
		chromedp.SetValue(chromedp.CSS(`select[name="visits[0].unit"]`), "cmm"),
		chromedp.SetValue(chromedp.CSS(`input[name="visits[0].visited_on"]`), today),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="visits[0].findings"]`), "回风巷风量不足；掘进工作面支护不到位"),
		chromedp.SendKeys(chromedp.CSS(`input[name="visits[0].examined"]`), "10"),
		chromedp.SendKeys(chromedp.CSS(`input[name="visits[0].passed"]`), "8"))
	shot("inspection-form")
	b.Do(chromedp.Click(chromedp.CSS(`#inspection-form button[type=submit]`)))
	waitFor("the inspection's page", `/^\/inspections\/\d+$/.test(location.pathname) && !!document.querySelector("#hazard-form")`)
	inspectionPath := browser.Eval[string](b, "location.pathname")

	// Two hazards found on it.
	for i, h := range []struct{ description, category string }{{"回风巷风量不足", "设备设施"}, {"掘进工作面支护不到位", "作业环境"}} {
		b.Do(chromedp.SetValue(chromedp.CSS("#h-unit"), "cmm"), chromedp.SetValue(chromedp.CSS("#h-source"), "daily"),
			chromedp.SetValue(chromedp.CSS("#h-level"), "general"), chromedp.SetValue(chromedp.CSS("#h-category"), h.category),
			chromedp.SendKeys(chromedp.CSS("#h-description"), h.description),
			chromedp.SetValue(chromedp.CSS("#h-deadline"), deadline),
			chromedp.Click(chromedp.CSS(`#hazard-form button[type=submit]`)))
		want := i + 1
		waitFor(fmt.Sprintf("hazard %d in the table", want), fmt.Sprintf(`document.readyState === "complete" && document.querySelectorAll("table.hazards tbody tr").length === %d`, want))
	}
	shot("inspection-two-hazards")
	ids := regexp.MustCompile(`/hazards/(\d+)"`).FindAllStringSubmatch(browser.Eval[string](b, `document.querySelector("table.hazards").outerHTML`), -1)
	if len(ids) < 2 {
		t.Fatalf("hazard links: %v", ids)
	}
	var hazardIDs []int64
	for _, m := range ids {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		if len(hazardIDs) == 0 || hazardIDs[len(hazardIDs)-1] != id {
			hazardIDs = append(hazardIDs, id)
		}
	}
	// The table lists the newest first: the first hazard recorded is the last.
	first := hazardIDs[len(hazardIDs)-1]
	// The team leader closes the inspection.
	b.Do(chromedp.Click(chromedp.CSS("#close-inspection")))
	waitFor("the closed inspection", `document.readyState === "complete" && document.querySelector("#inspection-status").textContent.includes("已结束")`)
	if browser.Eval[bool](b, `!!document.querySelector("#hazard-form")`) {
		t.Error("a closed inspection still offers the hazard form")
	}
	signOut()

	// The mine's head rectifies the first hazard from the inbox.
	rectify := contract.TaskID(contract.HazardID(first), "rectify", 1)
	sys.awaitTask(t, "cmm-head", rectify)
	signIn("cmm.head")
	if !browser.Eval[bool](b, fmt.Sprintf(`!!document.querySelector('#tasks a[href="/tasks/%s"]')`, rectify)) {
		t.Fatal("the rectification is not in the mine head's inbox")
	}
	b.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/tasks/%s"]`, rectify))))
	waitFor("the rectification form", `!!document.querySelector("#result")`)
	shot("hazard-rectify")
	b.Do(chromedp.SendKeys(chromedp.CSS("#result"), "已增设局部通风机，回风巷风量复测达标。"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after rectification", `location.pathname === "/inbox" && document.readyState === "complete"`)
	signOut()

	// The inspector verifies it: 销号.
	verify := contract.TaskID(contract.HazardID(first), "verify", 1)
	sys.awaitTask(t, "yjj-inspector-1", verify)
	signIn("inspector.one")
	b.Navigate(base + "/tasks/" + verify)
	waitFor("the verification form", `!!document.querySelector("input[name=decision][value=approve]")`)
	b.Do(chromedp.Click(chromedp.CSS(`input[name=decision][value=approve]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after verification", `location.pathname === "/inbox" && document.readyState === "complete"`)
	statusOf := func(id int64) string {
		var st string
		if err := s.DB.Get(&st, `SELECT status FROM hazards WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return st
	}
	for end := time.Now().Add(90 * time.Second); statusOf(first) != "closed" && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	b.Navigate(base + fmt.Sprintf("/hazards/%d", first))
	waitFor("the hazard's page", `!!document.querySelector("#hazard-status")`)
	if got := browser.Eval[string](b, `document.querySelector("#hazard-status").textContent`); !regexp.MustCompile("已销号").MatchString(got) {
		t.Errorf("the rectified hazard shows %q", got)
	}
	shot("hazard-closed")
	b.Navigate(base + inspectionPath)
	statuses := browser.Eval[[]string](b, `[...document.querySelectorAll("table.hazards td.hazard-status")].map(td => td.textContent.trim())`)
	if len(statuses) != 2 || !(statuses[0] == "待整改" && statuses[1] == "已销号") {
		t.Errorf("the inspection's hazards are %v, want one 待整改 and one 已销号", statuses)
	}
	b.Navigate(base + "/hazards?status=open")
	if n := browser.Eval[int](b, `document.querySelectorAll("table.hazards tbody tr").length`); n != 1 {
		t.Errorf("the ledger lists %d open hazards, want 1", n)
	}
	shot("ledger-open")

	// The statistics of today: one unit, two hazards, one closed; the charts drawn.
	b.Navigate(base + "/statistics?from=" + today + "&to=" + today)
	waitFor("the statistics charts", `["chart-sources","chart-sectors","chart-kinds"].every(id => document.getElementById(id) && document.getElementById(id).dataset.drawn === "true")`)
	if got := browser.Eval[string](b, `document.querySelector("#n-hazards").textContent`); got != "2" {
		t.Errorf("hazards found today: %s, want 2", got)
	}
	if got := browser.Eval[string](b, `document.querySelector("#n-units").textContent`); got != "1" {
		t.Errorf("units inspected today: %s, want 1", got)
	}
	shot("statistics")
}
