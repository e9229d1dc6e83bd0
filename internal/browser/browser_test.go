package browser

import (
	"bytes"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const strictCSP = "default-src 'self'; script-src 'self'"

// server serves the given pages on loopback; a page's key is its path.
// Every response carries the strict CSP.
func server(t *testing.T, pages map[string]string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for path, body := range pages {
		ctype := "text/html; charset=utf-8"
		if strings.HasSuffix(path, ".js") {
			ctype = "text/javascript; charset=utf-8"
		} else if strings.HasSuffix(path, ".css") {
			ctype = "text/css; charset=utf-8"
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Content-Security-Policy", strictCSP)
			w.Write([]byte(body))
		})
	}
	// No favicon: a 404 for it must not count as the page's problem.
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("the test server is not on loopback: %s", srv.URL)
	}
	return srv
}

const cleanPage = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>clean</title><script src="/ok.js"></script></head>
<body><h1 id="h">安全生产责任</h1><p>nothing wrong here</p></body></html>`

const okJS = `document.addEventListener("DOMContentLoaded", () => { document.body.dataset.ready = "yes"; console.log("fine"); console.warn("only a warning"); });`

func hasKind(ps []Problem, kind, text string) bool {
	for _, p := range ps {
		if p.Kind == kind && strings.Contains(p.Text, text) {
			return true
		}
	}
	return false
}

func TestCleanPageHasNoProblems(t *testing.T) {
	srv := server(t, map[string]string{"/": cleanPage, "/ok.js": okJS})
	b := New(t)
	b.Navigate(srv.URL + "/")
	if got := Eval[string](b, `document.body.dataset.ready`); got != "yes" {
		t.Fatalf("the page's own script did not run: ready=%q", got)
	}
	b.NoErrors(t)
	if ps := b.Problems(); len(ps) != 0 {
		t.Errorf("problems on a clean page: %v", ps)
	}
}

func TestConsoleErrorIsCaught(t *testing.T) {
	srv := server(t, map[string]string{
		"/":       `<!doctype html><title>e</title><script src="/err.js"></script><p>x</p>`,
		"/err.js": `console.error("boom", 42, {a: 1});`,
	})
	b := New(t)
	b.Navigate(srv.URL + "/")
	b.Flush()
	ps := b.Problems()
	if !hasKind(ps, KindConsole, "boom 42") {
		t.Fatalf("console.error not caught; problems: %v", ps)
	}
	for _, p := range ps {
		if p.Kind == KindConsole && !strings.HasSuffix(p.URL, "/err.js") {
			t.Errorf("console error's URL %q, want the script's", p.URL)
		}
	}
	// NoErrors reports it: run it against a stand-in for t.
	ft := &fakeT{TB: t}
	b.NoErrors(ft)
	if !ft.failed || !strings.Contains(ft.msg, "boom") {
		t.Errorf("NoErrors did not fail on the console error: %q", ft.msg)
	}
	b.ClearProblems()
	b.NoErrors(t)
}

func TestExceptionIsCaught(t *testing.T) {
	srv := server(t, map[string]string{
		"/":         `<!doctype html><title>x</title><script src="/throw.js"></script>`,
		"/throw.js": `setTimeout(() => { throw new TypeError("kaput") }, 0); Promise.reject(new Error("rejected"));`,
	})
	b := New(t)
	b.Navigate(srv.URL + "/")
	b.WaitForProblem(func(p Problem) bool { return p.Kind == KindException && strings.Contains(p.Text, "kaput") })
	b.WaitForProblem(func(p Problem) bool { return p.Kind == KindException && strings.Contains(p.Text, "rejected") })
}

func TestFailedLoadIsCaught(t *testing.T) {
	srv := server(t, map[string]string{
		"/": `<!doctype html><title>x</title><script src="/missing.js"></script>`,
	})
	b := New(t)
	b.Navigate(srv.URL + "/")
	b.Flush()
	if ps := b.Problems(); !hasKind(ps, KindLog, "404") {
		t.Errorf("the failed load of /missing.js was not caught: %v", ps)
	}
}

func TestCSPViolationIsCaught(t *testing.T) {
	srv := server(t, map[string]string{
		"/": `<!doctype html><title>csp</title>
<script>document.title = "inline ran";</script>
<p>an inline script is refused here</p>`,
	})
	b := New(t)
	b.Navigate(srv.URL + "/")
	if got := Eval[string](b, `document.title`); got != "csp" {
		t.Fatalf("the inline script ran despite the CSP: title %q", got)
	}
	// Both the browser's log entry and the page's securitypolicyviolation
	// event are recorded.
	b.WaitForProblem(func(p Problem) bool {
		return p.Kind == KindCSP && strings.HasPrefix(p.Text, "securitypolicyviolation: script-src")
	})
	b.Flush()
	vs := b.CSPViolations()
	var fromLog bool
	for _, v := range vs {
		if strings.Contains(v.Text, "Content Security Policy") {
			fromLog = true
		}
	}
	if !fromLog {
		t.Errorf("no CSP violation from the browser's log or console: %v", vs)
	}
	ft := &fakeT{TB: t}
	b.NoErrors(ft)
	if !ft.failed || !strings.Contains(ft.msg, "csp: ") {
		t.Errorf("NoErrors did not fail on the CSP violation: %q", ft.msg)
	}
}

func TestCSPViolationOfEvalIsCaught(t *testing.T) {
	srv := server(t, map[string]string{
		"/":        `<!doctype html><title>eval</title><script src="/eval.js"></script>`,
		"/eval.js": `try { new Function("return 1")(); } catch (e) { /* swallowed: only the CSP report shows it */ }`,
	})
	b := New(t)
	b.Navigate(srv.URL + "/")
	b.WaitForProblem(func(p Problem) bool { return p.Kind == KindCSP && strings.Contains(p.Text, "eval") })
}

func TestScreenshot(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ZEREN_ARTEFACTS", dir)
	srv := server(t, map[string]string{
		"/": `<!doctype html><title>tall</title><link rel="stylesheet" href="/tall.css">
<body><div class="tall">tall</div></body>`,
		"/tall.css": `body { margin: 0 } .tall { height: 3000px; background: linear-gradient(#c00, #00c) }`,
	})
	b := New(t)
	b.SetViewport(400, 600)
	b.Navigate(srv.URL + "/")
	p := b.Screenshot(t, "tall page")
	if want := filepath.Join(dir, "browser", "TestScreenshot", "tall_page.png"); p != want {
		t.Errorf("screenshot at %s, want %s", p, want)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X != 400 || sz.Y < 3000 {
		t.Errorf("screenshot is %v, want the whole page, 400 × 3000 or more", sz)
	}
	b.NoErrors(t)
}

func TestArtefactsDir(t *testing.T) {
	t.Setenv("ZEREN_ARTEFACTS", "")
	root := ArtefactsRoot()
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "go.mod")); err != nil || filepath.Base(root) != "artefacts" {
		t.Errorf("ArtefactsRoot() = %s, want artefacts/ beside go.mod", root)
	}
	t.Run("sub test/x:y", func(t *testing.T) {
		want := filepath.Join(root, "browser", "TestArtefactsDir", "sub_test", "x_y")
		if got := ArtefactsDir(t); got != want {
			t.Errorf("ArtefactsDir = %s, want %s", got, want)
		}
	})
	t.Setenv("ZEREN_ARTEFACTS", "/tmp/elsewhere")
	if got := ArtefactsDir(t); got != "/tmp/elsewhere/browser/TestArtefactsDir" {
		t.Errorf("with ZEREN_ARTEFACTS: %s", got)
	}
}

func TestPhoneOverflow(t *testing.T) {
	srv := server(t, map[string]string{
		"/wide": `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><title>w</title>
<link rel="stylesheet" href="/phone.css">
<body><div class="wide">a block too wide for a phone</div></body>`,
		"/fits": `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><title>f</title>
<link rel="stylesheet" href="/phone.css">
<body><p>a paragraph that wraps on a phone, as a paragraph does; 一段在手机上换行的文字。</p></body>`,
		"/phone.css": `body { margin: 0 } .wide { width: 600px }`,
	})
	b := New(t)
	b.SetViewport(375, 800)
	b.Navigate(srv.URL + "/wide")
	s, c := b.PageWidths()
	if c != 375 {
		t.Errorf("client width %d at a 375 px viewport", c)
	}
	if !b.ScrollsHorizontally() || s < 600 {
		t.Errorf("a 600 px block at 375 px: scrollWidth %d, clientWidth %d, want it to scroll", s, c)
	}
	b.Navigate(srv.URL + "/fits")
	if b.ScrollsHorizontally() {
		s, c := b.PageWidths()
		t.Errorf("a page that fits scrolls: scrollWidth %d, clientWidth %d", s, c)
	}
	b.Screenshot(t, "fits-375")
	b.NoErrors(t)
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"TestA":           "TestA",
		"TestA/sub":       filepath.Join("TestA", "sub"),
		"TestA/a b#1":     filepath.Join("TestA", "a_b_1"),
		"TestA/../x":      filepath.Join("TestA", "_..", "x"),
		"TestA/中文":        filepath.Join("TestA", "__"),
		"TestA//trailing": filepath.Join("TestA", "_", "trailing"),
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// fakeT records Errorf without failing the real test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = true
	f.msg += strings.TrimSpace(strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " "))
}

func (f *fakeT) Helper() {}

// stop ends a fakeT's Fatalf or Skipf, as runtime.Goexit ends a real test's.
type stop struct{ skipped bool }

func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
	panic(stop{})
}

func (f *fakeT) Skipf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(stop{skipped: true})
}

// newWith calls New against a fakeT and reports whether it skipped.
func newWith(t *testing.T) (ft *fakeT, skipped bool) {
	ft = &fakeT{TB: t}
	defer func() {
		if r := recover(); r != nil {
			s, ok := r.(stop)
			if !ok {
				panic(r)
			}
			skipped = s.skipped
		}
	}()
	New(ft)
	t.Fatal("New returned without Chromium")
	return ft, false
}

func TestMissingChromium(t *testing.T) {
	t.Setenv("ZEREN_CHROMIUM", filepath.Join(t.TempDir(), "no-chromium"))

	t.Setenv("ZEREN_REQUIRE_BROWSER", "")
	ft, skipped := newWith(t)
	if !skipped || ft.failed || !strings.Contains(ft.msg, "no-chromium is missing") {
		t.Errorf("without ZEREN_REQUIRE_BROWSER: skipped %v, failed %v, %q; want a skip that says why", skipped, ft.failed, ft.msg)
	}

	t.Setenv("ZEREN_REQUIRE_BROWSER", "1")
	ft, skipped = newWith(t)
	if skipped || !ft.failed || !strings.Contains(ft.msg, "ZEREN_REQUIRE_BROWSER") {
		t.Errorf("with ZEREN_REQUIRE_BROWSER=1: skipped %v, failed %v, %q; want a failure", skipped, ft.failed, ft.msg)
	}
}

// One browser for several subtests: For gives each its own failures.
func TestSubtestsShareABrowser(t *testing.T) {
	srv := server(t, map[string]string{"/": cleanPage, "/ok.js": okJS})
	b := New(t)
	for _, w := range []int{375, 1280} {
		t.Run(fmt.Sprintf("width %d", w), func(t *testing.T) {
			b := b.For(t)
			b.SetViewport(w, 800)
			b.Navigate(srv.URL + "/")
			if _, c := b.PageWidths(); c != w {
				t.Errorf("client width %d, want %d", c, w)
			}
			if b.ScrollsHorizontally() {
				t.Error("the clean page scrolls sideways")
			}
			b.NoErrors(t)
		})
	}
}
