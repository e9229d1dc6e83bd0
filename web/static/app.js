// zeren's pages: small enhancements only; every form works without this file.
"use strict";
(function () {
  var body = document.body;

  // htmx requests carry the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (e) {
    if (body && body.dataset.csrf) e.detail.headers["X-CSRF-Token"] = body.dataset.csrf;
  });

  // Client-side checks of a form's fields, with the page's own words beside
  // each field; the server checks again and has the last word.
  function fieldError(input, text) {
    var id = input.id + "-client-error";
    var p = document.getElementById(id);
    if (!text) { if (p) p.remove(); return; }
    if (!p) {
      p = document.createElement("p");
      p.className = "field-error";
      p.id = id;
      p.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", p);
    }
    p.textContent = text;
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset || !form.dataset.check) return;
    var first = null;
    form.querySelectorAll("input[required], textarea[required], input[type=number]").forEach(function (input) {
      var v = input.validity, text = "";
      if (v.valueMissing) text = form.dataset.msgRequired;
      else if (v.rangeUnderflow || v.rangeOverflow || v.stepMismatch || v.badInput)
        text = form.dataset.msgRange.replace("%s", input.min).replace("%s", input.max);
      fieldError(input, text);
      if (text && !first) first = input;
    });
    if (first) { e.preventDefault(); e.stopImmediatePropagation(); first.focus(); }
  }, true);

  // Formal documents: print.
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });

  // The campaign's phases, sized by their days.
  document.querySelectorAll(".phase[data-width]").forEach(function (li) {
    li.style.flexGrow = li.dataset.width;
  });

  // Charts (ECharts is loaded only on pages that have them).
  var holder = document.getElementById("charts");
  if (!holder || !window.echarts) return;
  var data = JSON.parse(holder.dataset.charts || "{}");
  var base = { animation: false, tooltip: { trigger: "axis", renderMode: "richText" }, grid: { left: 48, right: 16, top: 32, bottom: 64, containLabel: true } };
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({}, base, option));
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.drawn = "true";
  }
  if (holder.dataset.stats) {
    // The inspection statistics: 清零 progress by source, hazards by sector, inspections by kind.
    var st = JSON.parse(holder.dataset.stats), l = st.labels || {};
    draw("chart-sources", {
      legend: { data: [l.found, l.closed] }, xAxis: { type: "category", data: st.sources || [] }, yAxis: { type: "value", minInterval: 1 },
      series: [{ name: l.found, type: "bar", data: st.found || [], itemStyle: { color: "#9e1b1b" } },
        { name: l.closed, type: "bar", data: st.closed || [], itemStyle: { color: "#1a6b34" } }]
    });
    draw("chart-sectors", {
      legend: { data: [l.found, l.closed] }, xAxis: { type: "category", data: st.sectors || [], axisLabel: { rotate: 30 } }, yAxis: { type: "value", minInterval: 1 },
      series: [{ name: l.found, type: "bar", data: st.sector_found || [], itemStyle: { color: "#9e1b1b" } },
        { name: l.closed, type: "bar", data: st.sector_closed || [], itemStyle: { color: "#1a6b34" } }]
    });
    draw("chart-kinds", {
      legend: { data: [l.inspections, l.visits] }, xAxis: { type: "category", data: st.kinds || [] }, yAxis: { type: "value", minInterval: 1 },
      series: [{ name: l.inspections, type: "bar", data: st.inspections || [] }, { name: l.visits, type: "bar", data: st.visits || [] }]
    });
    return;
  }
  var labels = JSON.parse(holder.dataset.labels || "{}");
  draw("chart-reports", {
    legend: { data: [labels.onTime, labels.late, labels.missing] },
    xAxis: { type: "category", data: data.months || [] }, yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: labels.onTime, type: "bar", stack: "r", data: data.on_time || [], itemStyle: { color: "#1a6b34" } },
      { name: labels.late, type: "bar", stack: "r", data: data.late || [], itemStyle: { color: "#d97a00" } },
      { name: labels.missing, type: "bar", stack: "r", data: data.missing || [], itemStyle: { color: "#b3261e" } }
    ]
  });
  draw("chart-deductions", {
    xAxis: { type: "category", data: data.units || [], axisLabel: { rotate: 45 } }, yAxis: { type: "value" },
    series: [{ name: labels.deducted, type: "bar", data: data.deducted || [], itemStyle: { color: "#9e1b1b" } }]
  });
  var kinds = data.kinds || [];
  draw("chart-ranks", {
    legend: { data: kinds.map(function (k) { return k.kind; }) },
    xAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); } },
    yAxis: { type: "category", data: [].concat.apply([], kinds.map(function (k) { return k.units; })), inverse: true },
    series: kinds.map(function (k, i) {
      var offset = kinds.slice(0, i).reduce(function (n, p) { return n + p.units.length; }, 0);
      var total = kinds.reduce(function (n, p) { return n + p.units.length; }, 0);
      var values = new Array(total).fill(null);
      k.scores.forEach(function (s, j) { values[offset + j] = s; });
      return { name: k.kind, type: "bar", stack: "k", data: values };
    })
  });
})();
