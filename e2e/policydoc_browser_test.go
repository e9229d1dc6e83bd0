package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/browser"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// TestPolicyDocumentInARealBrowser: the safety office issues the 联防联治 rule
// to two towns from the 制度文件 page; 九成宫镇's head acknowledges it from the
// inbox with a comment; the document's page then lists 九成宫镇 as
// acknowledged (when, by whom, the comment) and 崔木镇 as not yet. No page
// logs an error or violates the Content-Security-Policy.
func TestPolicyDocumentInARealBrowser(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	accounts(t, s, map[string]string{"yjj-office": "office.director", "jcg-head": "jcg.head"})
	b := browser.New(t)
	base := sys.http.URL
	u := person{t: t, b: b, base: base}
	shot, waitFor, signIn, signOut := u.shot, u.waitFor, u.signIn, u.signOut
	due := time.Now().In(domain.DefaultZone).Add(7 * 24 * time.Hour).Format("2006-01-02T15:04")

	signIn("office.director")
	b.Do(chromedp.Click(chromedp.CSS(`nav a[href="/policies"]`)))
	waitFor("the policies page", `!!document.querySelector("#policy-form")`)
	b.Do(chromedp.SendKeys(chromedp.CSS("#title"), "麟北矿区煤矿安全生产联防联治制度"),
		chromedp.SendKeys(chromedp.CSS("#number"), "麟安委办发〔2020〕9号"),
		chromedp.SendKeys(chromedp.CSS("#body"), "依托县安全生产信息监控中心，定期召开技术交流会，搭建矿区技术共享平台。"),
		chromedp.Click(chromedp.CSS(`input[name=units][value=jcg]`)), chromedp.Click(chromedp.CSS(`input[name=units][value=cm]`)),
		chromedp.SetValue(chromedp.CSS("#due_at"), due))
	shot("policy-form")
	b.Do(chromedp.Click(chromedp.CSS(`#policy-form button[type=submit]`)))
	waitFor("the document's page", `/^\/policies\/\d+$/.test(location.pathname) && !!document.querySelector("#ack-count")`)
	id, err := strconv.ParseInt(strings.TrimPrefix(browser.Eval[string](b, "location.pathname"), "/policies/"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := browser.Eval[string](b, `document.querySelector("#pending").textContent`); !strings.Contains(got, "九成宫镇") || !strings.Contains(got, "崔木镇") {
		t.Fatalf("not yet acknowledged: %q", got)
	}
	shot("policy-issued")
	signOut()

	jcg, err := store.UnitByCode(t.Context(), s.DB, "jcg")
	if err != nil {
		t.Fatal(err)
	}
	task := contract.DocumentAckTaskID(id, jcg.ID)
	sys.awaitTask(t, "jcg-head", task)
	signIn("jcg.head")
	if !browser.Eval[bool](b, fmt.Sprintf(`!!document.querySelector('#tasks a[href="/tasks/%s"]')`, task)) {
		t.Fatal("the acknowledgement is not in the town head's inbox")
	}
	b.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/tasks/%s"]`, task))))
	waitFor("the acknowledgement form", `!!document.querySelector("#comment") && !!document.querySelector('a[href^="/policies/"]')`)
	shot("policy-acknowledge")
	b.Do(chromedp.SendKeys(chromedp.CSS("#comment"), "已组织镇村干部学习传达"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after acknowledging", `location.pathname === "/inbox" && document.readyState === "complete"`)

	b.Navigate(fmt.Sprintf("%s/policies/%d", base, id))
	waitFor("the acknowledged unit on the document's page", `!!document.querySelector("#acknowledged")`)
	done := browser.Eval[string](b, `document.querySelector("#acknowledged").textContent`)
	for _, want := range []string{"九成宫镇", "已组织镇村干部学习传达", "九成宫镇主要负责人"} {
		if !strings.Contains(done, want) {
			t.Errorf("acknowledged table lacks %q: %q", want, done)
		}
	}
	if got := browser.Eval[string](b, `document.querySelector("#pending").textContent`); !strings.Contains(got, "崔木镇") || strings.Contains(got, "九成宫镇") {
		t.Errorf("not yet acknowledged: %q", got)
	}
	if got := browser.Eval[string](b, `document.querySelector("#ack-count").textContent`); !strings.Contains(got, "1 / 2") {
		t.Errorf("count %q", got)
	}
	shot("policy-acknowledged")
}
