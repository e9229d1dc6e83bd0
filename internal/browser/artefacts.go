package browser

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// maxShotHeight caps the height of a full-page screenshot, in CSS pixels.
const maxShotHeight = 16384

// ArtefactsRoot returns the folder for test artefacts: $ZEREN_ARTEFACTS when
// set, else artefacts/ at the root of the repository (the folder with
// go.mod, found from the working directory up), which .gitignore leaves out.
func ArtefactsRoot() string {
	if d := os.Getenv("ZEREN_ARTEFACTS"); d != "" {
		if abs, err := filepath.Abs(d); err == nil {
			return abs
		}
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return "artefacts"
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "artefacts")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join(wd, "artefacts")
		}
		dir = parent
	}
}

// ArtefactsDir returns the folder of the test t's browser artefacts,
// ArtefactsRoot()/browser/<TestName> (a subtest is a subfolder), without
// making it.
func ArtefactsDir(t testing.TB) string {
	return filepath.Join(ArtefactsRoot(), "browser", sanitize(t.Name()))
}

// cleaned remembers the folders whose old screenshots this process removed.
var cleaned sync.Map

// Screenshot saves a PNG of the whole page (not only the viewport; at most
// 16384 CSS px high) as <name>.png in the test's artefacts folder
// ([ArtefactsDir]), and returns its path. The first screenshot of a test in
// a run removes the test's PNGs of an earlier run (not its subtests').
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	png, err := chromedp.Run(b.ctx, fullPage())
	if err != nil {
		t.Fatalf("browser: screenshot %q: %v", name, b.explain(err))
	}
	p, err := save(t, name, png)
	if err != nil {
		t.Fatalf("browser: screenshot %q: %v", name, err)
	}
	return p
}

func save(t testing.TB, name string, png []byte) (string, error) {
	dir := ArtefactsDir(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if _, done := cleaned.LoadOrStore(dir, true); !done {
		old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for _, f := range old {
			os.Remove(f)
		}
	}
	base := unsafeChars.ReplaceAllString(strings.TrimSuffix(name, ".png"), "_")
	if base == "" || strings.Trim(base, ".") == "" {
		return "", fmt.Errorf("bad name %q", name)
	}
	p := filepath.Join(dir, base+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		return "", err
	}
	return p, nil
}

// fullPage captures the page's whole content as a PNG.
func fullPage() chromedp.Action[[]byte] {
	return func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		params := page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			FromSurface:           new(true),
			CaptureBeyondViewport: new(true),
		}
		if c := m.CSSContentSize; c != nil && c.Width > 0 && c.Height > 0 {
			params.Clip = &page.Viewport{
				Width:  math.Ceil(c.Width),
				Height: math.Min(math.Ceil(c.Height), maxShotHeight),
				Scale:  1,
			}
		}
		r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, params)
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}

// saveFailure saves failed.png when the test failed; a problem here is only
// logged.
func (b *Browser) saveFailure() {
	ctx, cancel := context.WithTimeout(b.tab, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, fullPage())
	if err != nil {
		b.t.Logf("browser: no screenshot of the failed test: %v", err)
		return
	}
	if p, err := save(b.t, "failed", png); err != nil {
		b.t.Logf("browser: no screenshot of the failed test: %v", err)
	} else {
		b.t.Logf("browser: the test failed; its page is in %s", p)
	}
}
