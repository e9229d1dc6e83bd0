package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/browser"
)

// TestMaterialLoanInARealBrowser: 园子沟 asks 郭家河 for 5 self-rescuers in an
// emergency; 郭家河's head approves the request from the inbox, then hands
// them over from the inbox; 郭家河's inventory page shows 3 in store and 5
// lent, 园子沟's shows them borrowed, and the loan's page its steps. No page
// logs an error or violates the Content-Security-Policy.
func TestMaterialLoanInARealBrowser(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	accounts(t, s, map[string]string{"gjh-head": "gjh.head", "yzg-head": "yzg.head"})
	var item api.MaterialView
	sys.send(t, "POST", "/api/v1/materials", "gjh-head", map[string]any{"name": "自救器", "spec": "ZYX45 压缩氧", "uom": "台", "quantity": 8,
		"min_stock": 2, "location": "井口救护器材库"}).want(t, 201).decode(t, &item)
	var loan api.LoanView
	sys.send(t, "POST", "/api/v1/material-loans", "yzg-head", map[string]any{"owner": "gjh", "purpose": "emergency",
		"reason": "园子沟煤矿2号回风巷火情，急需自救器", "items": []map[string]any{{"item_id": item.ID, "quantity": 5}}}).want(t, 201).decode(t, &loan)
	id := contract.LoanID(loan.ID)
	approve, handover := contract.TaskID(id, "approve", 1), contract.TaskID(id, "handover", 1)

	b := browser.New(t)
	base := sys.http.URL
	u := person{t: t, b: b, base: base}
	shot, waitFor, signIn, signOut := u.shot, u.waitFor, u.signIn, u.signOut
	sys.awaitTask(t, "gjh-head", approve)
	signIn("gjh.head")
	if !browser.Eval[bool](b, fmt.Sprintf(`!!document.querySelector('#tasks a[href="/tasks/%s"]')`, approve)) {
		t.Fatal("the approval is not in the mine head's inbox")
	}
	b.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/tasks/%s"]`, approve))))
	waitFor("the approval form", `!!document.querySelector('input[name=decision][value=approve]') && !!document.querySelector('a[href^="/loans/"]')`)
	shot("loan-approve")
	b.Do(chromedp.Click(chromedp.CSS(`input[name=decision][value=approve]`)),
		chromedp.SendKeys(chromedp.CSS("#comment"), "同意，即刻交付"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after approving", `location.pathname === "/inbox" && document.readyState === "complete"`)

	sys.awaitTask(t, "gjh-head", handover)
	b.Navigate(base + "/inbox")
	waitFor("the hand-over in the inbox", fmt.Sprintf(`!!document.querySelector('#tasks a[href="/tasks/%s"]')`, handover))
	b.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/tasks/%s"]`, handover))))
	waitFor("the hand-over form", `!!document.querySelector("#note")`)
	b.Do(chromedp.SendKeys(chromedp.CSS("#note"), "已交园子沟救护队"),
		chromedp.Click(chromedp.CSS(`form[action$="/complete"] button[type=submit]`)))
	waitFor("the inbox after handing over", `location.pathname === "/inbox" && document.readyState === "complete"`)

	b.Navigate(base + "/materials?unit=gjh")
	waitFor("郭家河's inventory", `!!document.querySelector("#materials")`)
	row := fmt.Sprintf(`document.querySelector('#materials tr[data-item="%d"]')`, item.ID)
	if got := browser.Eval[string](b, row+`.querySelector(".m-quantity").textContent`); strings.TrimSpace(got) != "3 台" {
		t.Errorf("in store after the hand-over: %q, want 3 台", got)
	}
	if got := browser.Eval[string](b, row+`.querySelector(".m-lent").textContent`); strings.TrimSpace(got) != "5" {
		t.Errorf("lent after the hand-over: %q, want 5", got)
	}
	shot("loan-inventory-owner")
	b.Navigate(fmt.Sprintf("%s/loans/%d", base, loan.ID))
	waitFor("the loan's page", `!!document.querySelector("#loan-steps")`)
	if got := browser.Eval[string](b, `document.querySelector("#loan-status").textContent`); !strings.Contains(got, "已交付") {
		t.Errorf("loan status %q", got)
	}
	if got := browser.Eval[string](b, `document.querySelector("#loan-steps").textContent`); !strings.Contains(got, "审批物资借用") || !strings.Contains(got, "交付借用物资") {
		t.Errorf("steps %q", got)
	}
	shot("loan-page")
	signOut()

	signIn("yzg.head")
	b.Navigate(base + "/materials?unit=yzg")
	waitFor("园子沟's inventory", `!!document.querySelector("#borrowed")`)
	if got := browser.Eval[string](b, `document.querySelector("#borrowed").textContent`); !strings.Contains(got, "郭家河煤矿") || !strings.Contains(got, "5 台") {
		t.Errorf("borrowed %q", got)
	}
	shot("loan-inventory-borrower")
}
