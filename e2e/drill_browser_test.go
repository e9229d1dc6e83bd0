package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/browser"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// TestJointDrillInARealBrowser: the safety office plans a joint drill of
// 郭家河 and 园子沟 from the 联合演练 page; 郭家河's head reports the
// preparation from the inbox (园子沟's through the API); when the drill's
// time comes the office records it from the inbox — a problem without its
// description is refused beside the field, then two problems are recorded;
// the drill's page shows every step and each problem's hazard, one rectified
// and closed, one still to rectify. No page logs an error or violates the CSP.
func TestJointDrillInARealBrowser(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	accounts(t, s, map[string]string{"yjj-office": "office.director", "gjh-head": "gjh.head"})
	b := browser.New(t)
	base := sys.http.URL
	u := person{t: t, b: b, base: base}
	shot, waitFor, signIn, signOut := u.shot, u.waitFor, u.signIn, u.signOut
	// The form takes minutes: the drill is two minutes from now, at the latest.
	at := time.Now().In(domain.DefaultZone).Truncate(time.Minute).Add(2 * time.Minute)

	signIn("office.director")
	b.Do(chromedp.Click(chromedp.CSS(`nav a[href="/drills"]`)))
	waitFor("the drills page", `!!document.querySelector("#drill-form")`)
	b.Do(chromedp.SetValue(chromedp.CSS("#year"), strconv.Itoa(at.Year())),
		chromedp.SendKeys(chromedp.CSS("#title"), "矿井火灾事故救援联合演练"),
		chromedp.SendKeys(chromedp.CSS("#scenario"), "1302采煤工作面外因火灾，两矿救护队协同侦察、灭火、搜救"),
		chromedp.SendKeys(chromedp.CSS("#location"), "郭家河煤矿"),
		chromedp.Click(chromedp.CSS(`input[name=units][value=gjh]`)), chromedp.Click(chromedp.CSS(`input[name=units][value=yzg]`)),
		chromedp.SetValue(chromedp.CSS("#lead"), "gjh"),
		chromedp.SetValue(chromedp.CSS("#drill_at"), at.Format("2006-01-02T15:04")))
	shot("drill-form")
	b.Do(chromedp.Click(chromedp.CSS(`#drill-form button[type=submit]`)))
	waitFor("the drill's page", `/^\/drills\/\d+$/.test(location.pathname) && !!document.querySelector("#drill-steps")`)
	id, err := strconv.ParseInt(strings.TrimPrefix(browser.Eval[string](b, "location.pathname"), "/drills/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := browser.Eval[string](b, `document.querySelector("#participants").textContent`); !strings.Contains(got, "郭家河煤矿") || !strings.Contains(got, "园子沟煤矿") {
		t.Fatalf("participants: %q", got)
	}
	shot("drill-planned")
	signOut()

	gjh, yzg := unitID(t, s, "gjh"), unitID(t, s, "yzg")
	prepare := contract.DrillPrepareTaskID(id, gjh)
	sys.awaitTask(t, "gjh-head", prepare)
	signIn("gjh.head")
	b.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/tasks/%s"]`, prepare))))
	waitFor("the preparation form", `!!document.querySelector("#result") && !!document.querySelector('a[href^="/drills/"]')`)
	shot("drill-prepare")
	b.Do(chromedp.SendKeys(chromedp.CSS("#result"), "救护小队9人、正压氧气呼吸器12台已就位"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after reporting", `location.pathname === "/inbox" && document.readyState === "complete"`)
	signOut()
	other := contract.DrillPrepareTaskID(id, yzg)
	sys.awaitTask(t, "yzg-head", other)
	sys.send(t, "POST", "/api/v1/tasks/"+other+"/complete", "yzg-head", map[string]any{"result": "救护队已完成演练方案学习"}).want(t, 200)

	// The drill's time comes: the office records it.
	eval := contract.DrillEvaluateTaskID(id)
	for wait := time.Now().Add(5 * time.Minute); testdb.Count(t, s.DB, `SELECT count(*) FROM tasks WHERE id = $1`, eval) == 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatal("the drill's record task never opened")
		}
	}
	signIn("office.director")
	b.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/tasks/%s"]`, eval))))
	waitFor("the record form", `!!document.querySelector("#evaluation") && !!document.querySelector("#problem-0-unit")`)
	if !browser.Eval[bool](b, `document.querySelector('input[name=present][value=gjh]').checked && document.querySelector('input[name=present][value=yzg]').checked`) {
		t.Error("the participants are not ticked present")
	}
	if got := browser.Eval[string](b, `document.querySelector("#held_on").value`); got != at.Format(time.DateOnly) {
		t.Errorf("held on %q, want %s", got, at.Format(time.DateOnly))
	}
	deadline := time.Now().In(domain.DefaultZone).Add(10 * 24 * time.Hour).Format("2006-01-02T15:04")
	b.Do(chromedp.SendKeys(chromedp.CSS("#evaluation"), "两队响应迅速、协同有序；通信联络和器材管理存在不足"),
		chromedp.SetValue(chromedp.CSS("#problem-0-unit"), "gjh"), chromedp.SetValue(chromedp.CSS("#problem-0-deadline"), deadline),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the refusal beside the problem", `[...document.querySelectorAll(".field-error")].some(e => e.textContent.length > 0) && !!document.querySelector("#problem-0-description")`)
	if v := browser.Eval[string](b, `document.querySelector("#evaluation").value`); !strings.Contains(v, "协同有序") {
		t.Errorf("the evaluation typed was lost: %q", v)
	}
	shot("drill-record-refused")
	b.Do(chromedp.SendKeys(chromedp.CSS("#problem-0-description"), "井下救灾通信中断后未启用备用联络方式"),
		chromedp.SetValue(chromedp.CSS("#problem-1-unit"), "yzg"), chromedp.SendKeys(chromedp.CSS("#problem-1-description"), "氧气呼吸器备用气瓶压力不足"),
		chromedp.SetValue(chromedp.CSS("#problem-1-deadline"), deadline),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after recording", `location.pathname === "/inbox" && document.readyState === "complete"`)

	// 郭家河 rectifies its problem and the bureau's inspector verifies it.
	d := sys.awaitDrill(t, id, "yjj-office", func(d api.DrillView) bool { return len(d.ProblemHazards) == 2 })
	h := d.ProblemHazards[0].HazardID
	rectify, verify := contract.TaskID(contract.HazardID(h), "rectify", 1), contract.TaskID(contract.HazardID(h), "verify", 1)
	sys.awaitTask(t, "gjh-head", rectify)
	sys.send(t, "POST", "/api/v1/tasks/"+rectify+"/complete", "gjh-head", map[string]any{"result": "已配备备用联络设备并组织演练"}).want(t, 200)
	sys.awaitTask(t, "yjj-inspector-1", verify)
	sys.send(t, "POST", "/api/v1/tasks/"+verify+"/complete", "yjj-inspector-1", map[string]any{"decision": "approve"}).want(t, 200)
	sys.awaitDrill(t, id, "yjj-office", func(d api.DrillView) bool { return d.Rectified == 1 })

	b.Navigate(fmt.Sprintf("%s/drills/%d", base, id))
	waitFor("the problems on the drill's page", `!!document.querySelector("#problem-hazards")`)
	problems := browser.Eval[string](b, `document.querySelector("#problem-hazards").textContent`)
	for _, want := range []string{"郭家河煤矿", "井下救灾通信中断", "已销号", "园子沟煤矿", "氧气呼吸器备用气瓶压力不足", "待整改"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q: %q", want, problems)
		}
	}
	steps := browser.Eval[string](b, `document.querySelector("#drill-steps").textContent`)
	for _, want := range []string{"2 / 2 个参演单位已报送准备情况", at.Format(time.DateOnly) + " 举行", "发现问题 2 个", "已销号 1 / 2"} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps lack %q: %q", want, steps)
		}
	}
	if got := browser.Eval[string](b, `document.querySelector("#evaluation").textContent`); !strings.Contains(got, "协同有序") {
		t.Errorf("evaluation %q", got)
	}
	shot("drill-page")
}

// unitID is a unit's id by its code.
func unitID(t *testing.T, s *store.Store, code string) int64 {
	t.Helper()
	u, err := store.UnitByCode(t.Context(), s.DB, code)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
