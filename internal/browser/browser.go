// Package browser is a harness for tests that drive a real headless Chromium
// (Debian's /usr/bin/chromium) with chromedp.
//
//	b := browser.New(t)            // a fresh browser and tab for this test
//	b.Navigate(srv.URL + "/")
//	b.SetViewport(375, 800)        // a phone
//	if b.ScrollsHorizontally() { t.Error("the page scrolls sideways on a phone") }
//	b.Screenshot(t, "home")        // artefacts/browser/<TestName>/home.png
//	b.NoErrors(t)                  // no console error, exception or CSP violation
//
// New starts one Chromium for the test, with a new empty profile, and closes
// it when the test ends. From the start, the Browser records every problem
// that the page shows: console.error calls, uncaught exceptions and
// unhandled rejections, error entries of the browser log (a failed
// resource load, among others, but not of the /favicon.ico that Chromium
// asks for by itself), and every Content-Security-Policy violation
// (from the browser log and from a securitypolicyviolation listener that the
// harness puts in every document, out of the page's CSP's reach). NoErrors
// fails the test when there is any.
//
// Chromium runs with the flags this machine needs (its network is closed):
// --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
// --disable-background-networking --disable-component-update --disable-sync,
// and a new temporary --user-data-dir.
//
// Environment:
//   - ZEREN_REQUIRE_BROWSER: when set (to anything but "" or "0"), a missing
//     Chromium fails the test; when not, it skips it.
//   - ZEREN_ARTEFACTS: the folder for artefacts, in place of the repository's
//     artefacts/ (screenshots go to $ZEREN_ARTEFACTS/browser/<TestName>/).
//   - ZEREN_BROWSER_TIMEOUT: the time a test's browser work may take, as a Go
//     duration; 3m when unset.
//   - ZEREN_CHROMIUM: the browser's path, in place of /usr/bin/chromium.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where Debian's chromium package puts the browser
// (`make deps` installs it).
const ChromiumPath = "/usr/bin/chromium"

// DefaultTimeout bounds the browser work of one test: starting Chromium and
// every action. It is generous, for a machine whose cores are all busy.
const DefaultTimeout = 3 * time.Minute

// startTimeout bounds the start of Chromium.
const startTimeout = 90 * time.Second

// Kinds of [Problem].
const (
	KindConsole   = "console"   // console.error (or console.assert failing)
	KindException = "exception" // an uncaught exception or unhandled rejection
	KindLog       = "log"       // an error entry of the browser log, such as a failed load
	KindCSP       = "csp"       // a Content-Security-Policy violation
)

// Problem is an error that the page showed.
type Problem struct {
	Kind string // one of the Kind constants
	Text string
	URL  string // where it came from, when known
	Line int64  // 1-based, 0 when unknown
}

func (p Problem) String() string {
	s := p.Kind + ": " + p.Text
	if p.URL != "" {
		s += " (" + p.URL
		if p.Line > 0 {
			s += fmt.Sprintf(":%d", p.Line)
		}
		s += ")"
	}
	return s
}

// Browser is one headless Chromium with one tab, for one test. Its methods
// that take no testing.TB report failures to the test given to [New] (or to
// [Browser.For]), and must run on that test's goroutine.
type Browser struct {
	t testing.TB
	*session
}

// session is what the Browsers of one New share.
type session struct {
	tab     context.Context // the tab, without a deadline
	ctx     context.Context // the tab, with the test's deadline
	timeout time.Duration

	mu       sync.Mutex
	problems []Problem
}

// For returns the Browser for the test t, a subtest of the test given to
// New: the same tab and the same problems, but failures go to t.
func (b *Browser) For(t testing.TB) *Browser { return &Browser{t: t, session: b.session} }

// bindingName is the function through which the securitypolicyviolation
// listener reports to the harness.
const bindingName = "__zerenBrowserReport"

// cspListener runs in every document before the page's own scripts. A script
// that the DevTools protocol adds is not subject to the page's CSP.
const cspListener = `(() => {
  const report = (e) => {
    const send = window[` + "`" + bindingName + "`" + `];
    if (typeof send !== "function") return;
    try {
      send(JSON.stringify({
        directive: e.effectiveDirective || e.violatedDirective || "",
        blocked: e.blockedURI || "",
        source: e.sourceFile || "",
        line: e.lineNumber || 0,
        sample: e.sample || "",
        disposition: e.disposition || "",
      }));
    } catch (_) {}
  };
  window.addEventListener("securitypolicyviolation", report, true);
})();`

// New starts a headless Chromium with a new profile and opens a tab, for the
// test t; both are closed when t ends. It skips t when there is no Chromium,
// unless the environment variable ZEREN_REQUIRE_BROWSER is set, which makes
// it fail t instead. When t fails, the harness saves a screenshot of the tab,
// "failed.png", beside the test's other screenshots.
func New(t testing.TB) *Browser {
	t.Helper()
	exe := ChromiumPath
	if p := os.Getenv("ZEREN_CHROMIUM"); p != "" {
		exe = p
	}
	if _, err := os.Stat(exe); err != nil {
		if required() {
			t.Fatalf("browser: %s is missing and ZEREN_REQUIRE_BROWSER is set; install it with `make deps` (Debian package chromium): %v", exe, err)
		}
		t.Skipf("browser: skipped, %s is missing (install Debian's chromium with `make deps`; set ZEREN_REQUIRE_BROWSER=1 to fail instead of skipping)", exe)
	}

	timeout := DefaultTimeout
	if s := os.Getenv("ZEREN_BROWSER_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("browser: ZEREN_BROWSER_TIMEOUT=%q: want a positive Go duration such as 5m", s)
		}
		timeout = d
	}
	if dl, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		// Leave the test binary time to report, and the cleanup to run.
		if d, ok := dl.Deadline(); ok {
			if left := time.Until(d) - 30*time.Second; left < timeout {
				timeout = max(left, 10*time.Second)
			}
		}
	}

	profile, err := os.MkdirTemp("", "zeren-chromium-")
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	out := &tailBuffer{max: 16 << 10}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(out),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &Browser{t: t, session: &session{timeout: timeout}}
	tab, tabCancel := chromedp.NewContext(allocCtx, chromedp.WithListener(b.onEvent))
	b.tab = tab
	ctx, cancel := context.WithTimeout(tab, timeout)
	b.ctx = ctx

	t.Cleanup(func() {
		if t.Failed() && tab.Err() == nil {
			b.saveFailure()
		}
		cancel()
		// Close the browser gracefully, within a bound; then make sure that
		// its process is gone (allocCancel kills it and waits for it).
		cctx, ccancel := context.WithTimeout(tab, 30*time.Second)
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("browser: closing Chromium: %v", err)
		}
		ccancel()
		tabCancel()
		allocCancel()
		removeAll(t, profile)
	})

	// The first action starts Chromium, binds it to tab (which has no
	// deadline: a deadline there would end the browser), and sets up the
	// CSP listener. A watchdog bounds it.
	started := make(chan error, 1)
	go func() {
		started <- chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, runtime.AddBinding, runtime.AddBindingParams{Name: bindingName}); err != nil {
				return fmt.Errorf("adding the report binding: %w", err)
			}
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
			if err != nil {
				return fmt.Errorf("adding the CSP listener: %w", err)
			}
			return nil
		}))
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("browser: starting %s: %v\nits output:\n%s", exe, err, out)
		}
	case <-time.After(min(startTimeout, timeout)):
		allocCancel() // kills the process; the goroutine returns
		t.Fatalf("browser: %s did not start within %v\nits output:\n%s", exe, min(startTimeout, timeout), out)
	}
	return b
}

func required() bool {
	v := os.Getenv("ZEREN_REQUIRE_BROWSER")
	return v != "" && v != "0"
}

// Context returns the tab's context, bounded by the test's timeout, for
// chromedp.Run and chromedp.Do.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs chromedp actions in the tab, and fails the test on an error.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", b.explain(err))
	}
}

// Run runs one chromedp action in the tab and returns its value; it fails
// the test on an error.
func Run[T any](b *Browser, action chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, action)
	if err != nil {
		b.t.Fatalf("browser: %v", b.explain(err))
	}
	return v
}

// Eval evaluates a JavaScript expression in the page and returns its value
// as T (a promise is awaited); it fails the test on an error or exception.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	return Run(b, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

func (s *session) explain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (the test's browser timeout is %v; ZEREN_BROWSER_TIMEOUT changes it)", err, s.timeout)
	}
	return err
}

// Navigate loads url in the tab and waits for its load event.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(url))
}

// SetViewport sets the size of the viewport in CSS pixels, at a device
// scale factor of 1 and without mobile emulation: SetViewport(375, 800) lays
// the page out for a phone's 375 CSS px.
func (b *Browser) SetViewport(width, height int) {
	b.t.Helper()
	b.Do(chromedp.EmulateViewport(int64(width), int64(height)))
}

// PageWidths returns the document's scroll width and client width
// (document.documentElement's scrollWidth and clientWidth), in CSS pixels.
func (b *Browser) PageWidths() (scrollWidth, clientWidth int) {
	b.t.Helper()
	w := Eval[[2]int](b, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`)
	return w[0], w[1]
}

// ScrollsHorizontally reports whether the page is wider than the viewport,
// so that it scrolls sideways: document.documentElement.scrollWidth >
// clientWidth.
func (b *Browser) ScrollsHorizontally() bool {
	b.t.Helper()
	s, c := b.PageWidths()
	return s > c
}

// onEvent records the problems among the tab's events. It runs in the tab's
// message loop, in the order of the events: an event that the browser sent
// before the reply to a command is recorded before that command returns.
func (s *session) onEvent(ev any) {
	var p Problem
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		p = Problem{Kind: KindConsole, Text: argsText(ev.Args)}
		if ev.StackTrace != nil && len(ev.StackTrace.CallFrames) > 0 {
			f := ev.StackTrace.CallFrames[0]
			p.URL, p.Line = f.URL, f.LineNumber+1
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		} else if d.Exception != nil && len(d.Exception.Value) > 0 {
			text += " " + valueText(d.Exception.Value)
		}
		p = Problem{Kind: KindException, Text: text, URL: d.URL, Line: d.LineNumber + 1}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e == nil {
			return
		}
		csp := isCSPText(e.Text)
		if e.Level != log.EntryLevelError && !csp {
			return
		}
		if isFavicon(e.URL) {
			return // the browser's own request, not the page's
		}
		p = Problem{Kind: KindLog, Text: e.Text, URL: e.URL}
		if e.LineNumber > 0 {
			p.Line = e.LineNumber + 1
		}
	case *runtime.EventBindingCalled:
		if ev.Name != bindingName {
			return
		}
		var r struct {
			Directive, Blocked, Source, Sample, Disposition string
			Line                                            int64
		}
		if err := json.Unmarshal([]byte(ev.Payload), &r); err != nil {
			r.Directive = ev.Payload
		}
		text := "securitypolicyviolation: " + r.Directive + " blocked " + r.Blocked
		if r.Sample != "" {
			text += " (" + r.Sample + ")"
		}
		if r.Disposition == "report" {
			text += " [report-only]"
		}
		p = Problem{Kind: KindCSP, Text: text, URL: r.Source, Line: r.Line}
	default:
		return
	}
	if p.Kind != KindCSP && isCSPText(p.Text) {
		p.Kind = KindCSP
	}
	s.mu.Lock()
	s.problems = append(s.problems, p)
	s.mu.Unlock()
}

// isFavicon reports whether url is the /favicon.ico that Chromium asks for by
// itself when a page names no icon.
func isFavicon(url string) bool {
	u, err := neturl.Parse(url)
	return err == nil && u.Path == "/favicon.ico"
}

var cspText = regexp.MustCompile(`(?i)content[ -]security[ -]policy`)

func isCSPText(s string) bool { return cspText.MatchString(s) }

// argsText joins console arguments as the DevTools console shows them,
// roughly: strings as they are, other values by their JSON or description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case len(a.Value) > 0:
			parts = append(parts, valueText(a.Value))
		case a.UnserializableValue != "":
			parts = append(parts, string(a.UnserializableValue))
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func valueText(v []byte) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// Problems returns the problems recorded so far, in order. Take them after
// [Browser.Flush] to be sure that the page's pending reports are in.
func (b *Browser) Problems() []Problem {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Problem(nil), b.problems...)
}

// CSPViolations returns the recorded problems of kind [KindCSP].
func (b *Browser) CSPViolations() []Problem {
	var out []Problem
	for _, p := range b.Problems() {
		if p.Kind == KindCSP {
			out = append(out, p)
		}
	}
	return out
}

// ClearProblems forgets the problems recorded so far, for a test that
// expects some and goes on.
func (b *Browser) ClearProblems() {
	b.mu.Lock()
	b.problems = nil
	b.mu.Unlock()
}

// Flush waits until the page has run the tasks that it queued so far (a
// securitypolicyviolation event is dispatched in a task of its own), and
// until the harness has recorded the events that the browser sent before.
func (b *Browser) Flush() {
	b.t.Helper()
	// Two turns of the event loop, in the page's main world; the reply comes
	// after every event sent before it, and the tab's loop records those
	// before the command returns.
	b.Do(chromedp.Evaluate[chromedp.Void](
		`new Promise(r => setTimeout(() => setTimeout(r, 0), 0))`, chromedp.EvalAwaitPromise))
}

// WaitForProblem waits until a recorded problem satisfies match and returns
// it; it fails the test when none has by the test's browser timeout. Use it
// for a problem that comes later than the action that causes it.
func (b *Browser) WaitForProblem(match func(Problem) bool) Problem {
	b.t.Helper()
	for {
		for _, p := range b.Problems() {
			if match(p) {
				return p
			}
		}
		// Wait for the page's next turn, not for a time.
		if err := chromedp.Do(b.ctx, chromedp.Evaluate[chromedp.Void](
			`new Promise(r => setTimeout(r, 20))`, chromedp.EvalAwaitPromise)); err != nil {
			b.t.Fatalf("browser: waiting for a problem: %v; recorded: %v", b.explain(err), b.Problems())
		}
	}
}

// NoErrors fails t when the page showed any problem: a console error, an
// uncaught exception, an error of the browser log, or a CSP violation. It
// flushes first.
func (b *Browser) NoErrors(t testing.TB) {
	t.Helper()
	b.Flush()
	if ps := b.Problems(); len(ps) > 0 {
		var sb strings.Builder
		for _, p := range ps {
			sb.WriteString("\n\t" + p.String())
		}
		t.Errorf("browser: the page showed %d problem(s):%s", len(ps), sb.String())
	}
}

// tailBuffer keeps the last max bytes written to it, for Chromium's output.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if over := w.buf.Len() - w.max; over > 0 {
		w.buf.Next(over)
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// removeAll removes Chromium's profile. A helper process can still be
// writing in it for a moment after the browser exits, so it tries again.
func removeAll(t testing.TB, dir string) {
	var err error
	for i := 0; i < 20; i++ {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("browser: removing the profile %s: %v", dir, err)
}

// sanitize makes a test name into a relative path: subtests become
// subfolders, and characters other than letters, digits, '.', '_' and '-'
// become '_'.
func sanitize(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		p = unsafeChars.ReplaceAllString(p, "_")
		if p == "" || p == "." || p == ".." {
			p = "_" + p
		}
		parts[i] = p
	}
	return filepath.Join(parts...)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)
