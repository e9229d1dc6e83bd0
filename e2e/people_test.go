package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/zeren-county/zeren/internal/browser"
	"github.com/zeren-county/zeren/internal/store"
)

// accounts opens a sign-in account for each person (person key → account
// name); each password is the account name with "-pw-2021".
func accounts(t *testing.T, s *store.Store, names map[string]string) {
	t.Helper()
	ctx := context.Background()
	for key, username := range names {
		h, err := bcrypt.GenerateFromPassword([]byte(username+"-pw-2021"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		p, err := store.PersonByKey(ctx, s.DB, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.UpsertAccount(ctx, s.DB, p.ID, username, string(h)); err != nil {
			t.Fatal(err)
		}
	}
}

// person is the browser in the hands of the people of accounts, at base.
type person struct {
	t    *testing.T
	b    *browser.Browser
	base string
}

// shot keeps the page as a screenshot and checks it logged no error.
func (p person) shot(name string) {
	p.t.Helper()
	p.b.Screenshot(p.t, name)
	p.b.NoErrors(p.t)
}

// waitFor polls a condition in the page until it holds in a page that has
// finished loading (a minute at most): a form found while its page still
// loads can be replaced by the page's script before the test fills it in
// ("No node with given id found", seen beside a CPU hog).
func (p person) waitFor(what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	loaded := `document.readyState === "complete" && !!(` + cond + `)`
	for !browser.Eval[bool](p.b, loaded) {
		if time.Now().After(deadline) {
			p.b.Screenshot(p.t, "timeout")
			p.t.Fatalf("waited a minute for %s (%s); page at %s", what, cond, browser.Eval[string](p.b, "location.href"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signIn signs in with an account's name and password and lands in the inbox.
func (p person) signIn(username string) {
	p.t.Helper()
	p.b.Navigate(p.base + "/login")
	p.b.Do(chromedp.SendKeys(chromedp.CSS("#username"), username), chromedp.SendKeys(chromedp.CSS("#password"), username+"-pw-2021"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	p.waitFor("the inbox", `location.pathname === "/inbox" && document.readyState === "complete"`)
}

func (p person) signOut() {
	p.t.Helper()
	p.b.Do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)))
	p.waitFor("the sign-in page", `location.pathname === "/login" && document.readyState === "complete"`)
}
