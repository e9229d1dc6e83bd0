package browser

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zeren-county/zeren/web/static"
)

// The vendored libraries, served by web/static under their hashed names with
// integrity attributes, run under a strict CSP (no 'unsafe-inline' for
// scripts or styles): htmx loads, an ECharts chart draws on a canvas with its
// tooltip shown, and nothing is refused. Two settings are needed, and the
// pages of the site need them too:
//   - htmx adds a <style> for its indicators unless told not to:
//     <meta name="htmx-config" content='{"includeIndicatorStyles": false}'>
//     (style-src-elem violation without it);
//   - ECharts' HTML tooltips are markup with style attributes, refused by
//     style-src-attr: use tooltip.renderMode "richText" (drawn on the canvas).
func TestVendoredLibrariesUnderStrictCSP(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(static.Prefix, static.Handler())
	mux.HandleFunc("/chart.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write([]byte(`document.addEventListener("DOMContentLoaded", () => {
  const chart = echarts.init(document.getElementById("c"), null, {renderer: "canvas"});
  chart.setOption({
    animation: false,
    tooltip: {trigger: "axis", renderMode: "richText"}, // HTML tooltips carry style attributes
    xAxis: {type: "category", data: ["一月", "二月", "三月"]},
    yAxis: {type: "value"},
    series: [{type: "bar", data: [3, 5, 2]}],
  });
  chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: 1});
  document.body.dataset.htmx = typeof htmx === "object" ? htmx.version : "missing";
  document.body.dataset.chart = chart.getDom().querySelector("canvas") ? "drawn" : "none";
});`))
	})
	mux.HandleFunc("/chart.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write([]byte(`body { margin: 0 } #c { width: 360px; height: 240px }`))
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; img-src 'self' data:")
		w.Write([]byte(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>图表</title>
<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>
<link rel="stylesheet" href="/chart.css">
<script src="` + static.Path("vendor/htmx/htmx.min.js") + `" integrity="` + static.Integrity("vendor/htmx/htmx.min.js") + `"></script>
<script src="` + static.Path("vendor/echarts/echarts.min.js") + `" integrity="` + static.Integrity("vendor/echarts/echarts.min.js") + `"></script>
<script src="/chart.js"></script></head><body><div id="c"></div></body></html>`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := New(t)
	b.SetViewport(375, 800)
	b.Navigate(srv.URL + "/")
	if v := Eval[string](b, `document.body.dataset.htmx || ""`); v == "" || v == "missing" {
		t.Errorf("htmx did not load: %q", v)
	}
	if v := Eval[string](b, `document.body.dataset.chart || ""`); v != "drawn" {
		t.Errorf("ECharts did not draw: %q", v)
	}
	b.Screenshot(t, "chart")
	b.NoErrors(t)
}
