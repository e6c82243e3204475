// The dashboard's charts (Apache ECharts from our own static files). The page works without this file: every
// figure is also in a table. Data comes from the server in <script id="dash-data" type="application/json">.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  var charts = [];
  function make(el) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    charts.push(chart);
    return chart;
  }
  function sparklines(data) {
    document.querySelectorAll("[data-spark]").forEach(function (el) {
      var values = data.cards[el.getAttribute("data-spark")] || [];
      if (values.filter(function (v) { return v !== null; }).length < 2) { el.classList.add("spark-empty"); return; }
      make(el).setOption({
        animation: false,
        grid: { left: 2, right: 2, top: 4, bottom: 2 },
        xAxis: { type: "category", show: false, data: data.months },
        yAxis: { type: "value", show: false, scale: true },
        tooltip: { trigger: "axis", confine: true },
        series: [{ type: "line", data: values, symbol: "none", smooth: true, lineStyle: { width: 2, color: "#1a4f9c" },
                   areaStyle: { color: "rgba(26,79,156,.12)" } }]
      });
    });
  }
  function map(data) {
    var el = document.getElementById("dash-map");
    if (!el) return;
    fetch(el.getAttribute("data-map-url")).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (geo) {
      echarts.registerMap("jiangsu", geo);
      var max = 0, mark = data.map.highlight, marked = false;
      // A city's (or county's) dashboard shows its own city filled and outlined, by the data item's own style
      // (the series' `regions` option used before showed nothing in ECharts 5: every city stayed grey).
      var values = data.map.values.map(function (v) {
        if (v.value > max) max = v.value;
        if (!mark || v.name !== mark) return v;
        marked = true;
        return { name: v.name, value: v.value, itemStyle: { areaColor: "#7ea7e0", borderColor: "#c0392b", borderWidth: 2 } };
      });
      if (mark && !marked) values.push({ name: mark, itemStyle: { areaColor: "#7ea7e0", borderColor: "#c0392b", borderWidth: 2 } });
      make(el).setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          return p.name + (p.value === p.value && p.value !== undefined ? "：" + p.value.toLocaleString() : ""); } },
        visualMap: values.length > 1 ? { min: 0, max: max || 1, left: 0, bottom: 0, calculable: true,
          text: [data.labels.hte, ""], inRange: { color: ["#e8f0fb", "#7ea7e0", "#1a4f9c"] } } : undefined,
        series: [{ type: "map", map: "jiangsu", roam: false, data: values, label: { show: true, fontSize: 10 },
                   itemStyle: { areaColor: "#eef1f5", borderColor: "#fff" },
                   emphasis: { label: { show: true } } }]
      });
    }).catch(function () { el.textContent = el.getAttribute("data-error") || ""; });
  }
  function funnel(data) {
    var el = document.getElementById("dash-funnel");
    if (!el || !data.funnel.regions.length) return;
    var colors = ["#7ea7e0", "#3d7dd8", "#e0a800", "#1e7b4f"];
    make(el).setOption({
      color: colors,
      tooltip: { trigger: "axis", confine: true, valueFormatter: function (v) {
        return v === null || v === undefined ? data.labels.no_data : v.toLocaleString(); } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.funnel.regions, axisLabel: { interval: 0, rotate: data.funnel.regions.length > 8 ? 40 : 0 } },
      yAxis: { type: "value" },
      series: data.funnel.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    });
  }
  ready(function () {
    var node = document.getElementById("dash-data");
    if (!node || typeof echarts === "undefined") return;
    var data = JSON.parse(node.textContent);
    sparklines(data);
    map(data);
    funnel(data);
    // Resize once the window has settled (a resize in the middle of ECharts' own first render threw, seen when a
    // full-page screenshot grew the window); one chart's failure does not stop the others.
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        charts.forEach(function (c) {
          try { c.resize(); } catch (e) { if (window.console) console.warn("chart resize:", c.getDom().id || c.getDom().getAttribute("data-spark"), e); }
        });
      }, 150);
    });
  });
})();
