// Sagitta console: charts (Apache ECharts when bundled), the rule builder's
// live count, and small conveniences. Everything works without it.
(function () {
  "use strict";
  var csrf = document.body.getAttribute("data-csrf") || "";
  var lang = document.body.getAttribute("data-lang") || "en";

  var labelsEl = document.getElementById("labels");
  var labels = labelsEl ? JSON.parse(labelsEl.textContent) : {};
  function label(key, fallback) { return labels[key] || fallback; }
  function fmt(n) { return Number(n).toLocaleString(lang === "zh" ? "zh-CN" : "en-US"); }
  function sprintf(s) {
    var args = Array.prototype.slice.call(arguments, 1), i = 0;
    return s.replace(/%[sd]/g, function () { return String(args[i++]); });
  }

  // ---- charts
  var dataEl = document.getElementById("chart-data");
  var charts = document.querySelectorAll("[data-chart]");
  if (dataEl && charts.length) {
    var data = JSON.parse(dataEl.textContent);
    var missing = document.getElementById("charts-missing");
    charts.forEach(function (el) {
      if (!window.echarts) {
        var note = document.createElement("div");
        note.className = "chart-note";
        note.textContent = missing ? missing.textContent : "charts not bundled";
        el.appendChild(note);
        return;
      }
      var opt = chartOption(el.getAttribute("data-chart"), data);
      if (opt) {
        var c = window.echarts.init(el, null, { renderer: "canvas" });
        c.setOption(opt);
        window.addEventListener("resize", function () { c.resize(); });
      } else {
        el.hidden = true; // nothing to draw (the table beside it says why)
      }
    });
  }

  function chartOption(kind, d) {
    var palette = ["#1f4e79", "#2e7d32", "#c77d0a", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#455a64"];
    switch (kind) {
      case "rfm":
        var max = 1;
        d.rfm.forEach(function (c) { max = Math.max(max, c[2]); });
        return {
          tooltip: { formatter: function (p) { return "R " + (p.value[1] + 1) + " · F " + (p.value[0] + 1) + ": " + fmt(p.value[2]); } },
          grid: { left: 40, right: 90, top: 10, bottom: 40 },
          xAxis: { type: "category", data: ["1", "2", "3", "4", "5"], name: "F", nameLocation: "middle", nameGap: 24 },
          yAxis: { type: "category", data: ["1", "2", "3", "4", "5"], name: "R", nameLocation: "middle", nameGap: 24 },
          visualMap: { min: 0, max: max, calculable: true, orient: "vertical", right: 0, top: "middle", itemHeight: 160,
            inRange: { color: ["#f0f4f8", "#9ec5e8", "#1f4e79"] } },
          series: [{ type: "heatmap", data: d.rfm, label: { show: true, formatter: function (p) { return fmt(p.value[2]); } } }]
        };
      case "lifecycle":
        var stages = d.lifecycle.map(function (s) { return label("stage." + s.stage, s.stage); });
        return {
          tooltip: {}, grid: { left: 90, right: 50, top: 10, bottom: 20 },
          xAxis: { type: "value" }, yAxis: { type: "category", data: stages, inverse: true },
          series: [{ type: "bar", data: d.lifecycle.map(function (s) { return s.customers; }), itemStyle: { color: "#1f4e79" },
            label: { show: true, position: "right", formatter: function (p) { return fmt(p.value); } } }]
        };
      case "sizes":
        return {
          color: palette, tooltip: { trigger: "axis" }, legend: { type: "scroll", bottom: 0 },
          grid: { left: 60, right: 20, top: 10, bottom: 50 },
          xAxis: { type: "time", axisLabel: { hideOverlap: true } }, yAxis: { type: "value" },
          series: d.sizes.map(function (s) {
            var pts = s.points.length ? s.points : [[new Date().toISOString(), s.last]];
            return { name: s.segment, type: "line", showSymbol: pts.length < 30, data: pts };
          })
        };
      case "flows": // the lifecycle sankey: node names differ per side ("from:active" → "to:active")
        var names = {}, stageOrder = ["prospect", "new", "active", "won_back", "high_churn_risk", "silent", "churned"];
        d.flows.nodes.forEach(function (n) { names[n.name] = n.label; });
        return {
          tooltip: { formatter: function (p) {
            return p.dataType === "edge" ? names[p.data.source] + " → " + names[p.data.target] + ": " + fmt(p.data.value)
              : names[p.name] + ": " + fmt(p.value);
          } },
          animation: false, // drawn at once: a half-animated sankey reads as missing stages
          series: [{ type: "sankey", left: 10, right: 110, top: 10, bottom: 10, layoutIterations: 0, nodeGap: 10,
            emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.35 },
            label: { formatter: function (p) { return names[p.name]; } },
            data: d.flows.nodes.map(function (n) { // one colour per stage on both sides
              var stage = n.name.slice(n.name.indexOf(":") + 1);
              var i = stageOrder.indexOf(stage); // as in the stages-over-time chart
              return { name: n.name, itemStyle: { color: palette[(i < 0 ? stageOrder.length : i) % palette.length] } };
            }), links: d.flows.links }]
        };
      case "stage_history":
        return {
          color: palette, tooltip: { trigger: "axis" }, legend: { type: "scroll", bottom: 0 },
          grid: { left: 60, right: 20, top: 10, bottom: 50 },
          xAxis: { type: "time", axisLabel: { hideOverlap: true } }, yAxis: { type: "value" },
          series: d.stage_history.series.map(function (s) {
            var pts = s.counts.map(function (n, i) { return [d.stage_history.times[i], n]; });
            return { name: s.label, type: "line", stack: "stages", areaStyle: {}, showSymbol: pts.length < 30, data: pts };
          })
        };
      case "churn_hist":
      case "clv_hist":
        var h = kind === "churn_hist" ? d.churn : d.clv, pctAxis = kind === "churn_hist";
        if (!h) { return null; }
        var cats = h.counts.map(function (_, i) {
          return pctAxis ? Math.round(h.edges[i] * 100) + "%" : fmt(Math.round(h.edges[i]));
        });
        var vals = h.counts.slice();
        if (h.over > 0) { cats.push("> " + fmt(Math.round(h.edges[h.edges.length - 1]))); vals.push(h.over); }
        return {
          tooltip: { trigger: "axis" }, grid: { left: 55, right: 15, top: 10, bottom: 40 },
          xAxis: { type: "category", data: cats, axisLabel: { hideOverlap: true } }, yAxis: { type: "value" },
          series: [{ name: label("overview.customers", "customers"), type: "bar", barCategoryGap: "8%", data: vals,
            itemStyle: { color: kind === "churn_hist" ? "#ad1457" : "#2e7d32" } }]
        };
      case "uplift":
        var u = d.uplift;
        if (!u) { return null; }
        var pp = function (v) { return (v * 100).toFixed(1) + " pp"; };
        return {
          tooltip: { formatter: function () { return pp(u.value) + " [" + pp(u.low) + ", " + pp(u.high) + "]"; } },
          grid: { left: 20, right: 30, top: 10, bottom: 30, containLabel: true },
          xAxis: { type: "value", axisLabel: { formatter: pp } },
          yAxis: { type: "category", data: [label("campaigns.uplift_axis", "uplift")] },
          series: [{
            type: "custom", data: [[u.low, u.high, 0]], encode: { x: [0, 1], y: 2 },
            renderItem: function (params, api) { // the 95% interval as a whisker
              var lo = api.coord([api.value(0), 0]), hi = api.coord([api.value(1), 0]), h = api.size([0, 1])[1] * 0.25;
              var st = { stroke: "#1f4e79", lineWidth: 3 };
              return { type: "group", children: [
                { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: st },
                { type: "line", shape: { x1: lo[0], y1: lo[1] - h, x2: lo[0], y2: lo[1] + h }, style: st },
                { type: "line", shape: { x1: hi[0], y1: hi[1] - h, x2: hi[0], y2: hi[1] + h }, style: st }] };
            }
          }, {
            type: "scatter", data: [[u.value, 0]], symbolSize: 14, itemStyle: { color: "#c77d0a" },
            markLine: { symbol: "none", silent: true, label: { show: false }, lineStyle: { color: "#888", type: "dashed" }, data: [{ xAxis: 0 }] }
          }]
        };
      case "deliveries":
      case "calls":
        var m = kind === "calls" ? d.calls : d.deliveries, prefix = kind === "calls" ? "contact." : "delivery.";
        var keys = Object.keys(m || {}).sort();
        if (!keys.length) { return null; }
        return {
          tooltip: {}, grid: { left: 110, right: 50, top: 10, bottom: 20 },
          xAxis: { type: "value", minInterval: 1 },
          yAxis: { type: "category", inverse: true, data: keys.map(function (k) { return k ? label(prefix + k, k) : label("calls.pending", "open"); }) },
          series: [{ type: "bar", data: keys.map(function (k) { return m[k]; }), itemStyle: { color: kind === "calls" ? "#2e7d32" : "#1f4e79" },
            label: { show: true, position: "right", formatter: function (p) { return fmt(p.value); } } }]
        };
      case "clv":
        return {
          color: ["#1f4e79", "#c77d0a"], tooltip: { trigger: "axis" }, legend: { bottom: 0 },
          grid: { left: 50, right: 20, top: 10, bottom: 60 },
          xAxis: { type: "category", data: d.clv.map(function (b) { return b.x; }), name: label("models.x", "x"), nameLocation: "middle", nameGap: 26 },
          yAxis: { type: "value" },
          series: [
            { name: label("models.actual", "actual"), type: "bar", data: d.clv.map(function (b) { return round3(b.actual_mean); }) },
            { name: label("models.predicted", "predicted"), type: "line", data: d.clv.map(function (b) { return round3(b.predicted_mean); }) }
          ]
        };
      case "roc":
        var diag = { name: "random", type: "line", data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: "dashed", color: "#999" }, silent: true };
        return {
          color: palette, tooltip: { trigger: "axis" }, legend: { bottom: 0, data: Object.keys(d.roc).sort() },
          grid: { left: 50, right: 20, top: 10, bottom: 60 },
          xAxis: { type: "value", min: 0, max: 1, name: "FPR", nameLocation: "middle", nameGap: 24 },
          yAxis: { type: "value", min: 0, max: 1, name: "TPR" },
          series: Object.keys(d.roc).sort().map(function (k) {
            return { name: k, type: "line", showSymbol: false, data: d.roc[k] };
          }).concat([diag])
        };
      case "lift":
        var depths = ["10%", "20%", "30%", "40%", "50%", "60%", "70%", "80%", "90%", "100%"];
        return {
          color: palette, tooltip: { trigger: "axis" }, legend: { bottom: 0, data: Object.keys(d.lift).sort() },
          grid: { left: 50, right: 20, top: 10, bottom: 60 },
          xAxis: { type: "category", data: depths, boundaryGap: false }, yAxis: { type: "value", min: 0 },
          series: Object.keys(d.lift).sort().map(function (k) {
            return { name: k, type: "line", data: d.lift[k].map(round3) };
          }).concat([{ name: "random", type: "line", data: depths.map(function () { return 1; }), showSymbol: false,
            lineStyle: { type: "dashed", color: "#999" }, silent: true }])
        };
      case "rec": // the held-out evaluation: the model beside popularity, metric by metric
        if (!d.rec) { return null; }
        var r = d.rec, at = "@" + r.k;
        return {
          color: ["#1f4e79", "#c77d0a"], tooltip: { trigger: "axis" }, legend: { bottom: 0 },
          grid: { left: 50, right: 20, top: 10, bottom: 60 },
          xAxis: { type: "category", data: ["NDCG" + at, "HR" + at, label("models.recall", "recall") + at,
            label("models.precision", "precision") + at, "MAP" + at, label("models.coverage", "coverage")] },
          yAxis: { type: "value" },
          series: [
            { name: r.algorithm, type: "bar", data: r.model.map(round4) },
            { name: label("models.popularity", "popularity"), type: "bar", data: r.popularity.map(round4) }
          ]
        };
      case "calibration":
        if (!d.calibration) { return null; }
        return {
          color: palette, tooltip: {}, grid: { left: 50, right: 20, top: 10, bottom: 40 },
          xAxis: { type: "value", min: 0, max: 1, name: label("models.predicted", "predicted"), nameLocation: "middle", nameGap: 24 },
          yAxis: { type: "value", min: 0, max: 1, name: label("models.observed", "observed") },
          series: [
            { type: "line", data: d.calibration.map(function (b) { return [round3(b.mean_predicted), round3(b.observed_rate)]; }) },
            { type: "line", data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: "dashed", color: "#999" }, silent: true }
          ]
        };
    }
    return null;
  }
  function round3(x) { return Math.round(x * 1000) / 1000; }
  function round4(x) { return Math.round(x * 10000) / 10000; }

  // ---- rule builder: live count and sample
  var rule = document.querySelector("[data-live-count]");
  if (rule) {
    var status = document.getElementById("rule-status");
    var errBox = document.getElementById("rule-error");
    var echoBox = document.getElementById("rule-echo-box");
    var sample = document.getElementById("rule-sample");
    var timer = null, seq = 0;
    var run = function () {
      var src = rule.value;
      var mine = ++seq;
      if (!src.trim()) { return; }
      status.textContent = status.getAttribute("data-counting");
      fetch("/rule/count", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ rule: src })
      }).then(function (res) {
        return res.json().then(function (body) { return { ok: res.ok, body: body }; });
      }).then(function (r) {
        if (mine !== seq) { return; }
        if (r.ok) { showCount(r.body); } else { showError(src, r.body.error); }
      }).catch(function (e) { if (mine === seq) { showError(src, { message: String(e) }); } });
    };
    var showCount = function (b) {
      rule.removeAttribute("aria-invalid");
      errBox.hidden = true; errBox.textContent = ""; echoBox.textContent = "";
      status.textContent = "";
      var strong = document.createElement("strong");
      strong.id = "live-count";
      strong.textContent = sprintf(status.getAttribute("data-count"), fmt(b.count), fmt(b.total));
      status.appendChild(strong);
      var tb = sample.querySelector("tbody");
      tb.textContent = "";
      b.sample.forEach(function (c) {
        var tr = document.createElement("tr");
        var a = document.createElement("a");
        a.href = "/customers/" + encodeURIComponent(c.id); a.textContent = c.id;
        var cells = [a, c.class, label("stage." + c.stage, c.stage), fmt(c.frequency), fmt(Math.round(c.monetary * 100) / 100)];
        cells.forEach(function (v, i) {
          var td = document.createElement("td");
          if (i >= 3) { td.className = "num"; }
          if (v instanceof Node) { td.appendChild(v); } else { td.textContent = v; }
          tr.appendChild(td);
        });
        tb.appendChild(tr);
      });
      sample.hidden = b.sample.length === 0;
    };
    var showError = function (src, e) {
      status.textContent = "";
      sample.hidden = true;
      rule.setAttribute("aria-invalid", "true");
      errBox.hidden = false;
      errBox.textContent = e.message + (e.line ? " (" + sprintf(status.getAttribute("data-position"), e.line, e.column) + ")" : "");
      echoBox.textContent = "";
      if (e.line) {
        var off = offsetOf(src, e.line, e.column);
        var chars = Array.from(src);
        var pre = document.createElement("pre");
        pre.className = "rule-echo";
        var m = document.createElement("mark");
        m.textContent = off < chars.length ? chars[off] : " ";
        pre.appendChild(document.createTextNode(chars.slice(0, off).join("")));
        pre.appendChild(m);
        pre.appendChild(document.createTextNode(chars.slice(off + 1).join("")));
        echoBox.appendChild(pre);
      }
    };
    // offsetOf turns a 1-based line and column (in characters) into a character offset.
    var offsetOf = function (src, line, col) {
      var chars = Array.from(src), l = 1, i = 0;
      for (; i < chars.length && l < line; i++) { if (chars[i] === "\n") { l++; } }
      return Math.min(i + col - 1, chars.length);
    };
    rule.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 300); });
    if (rule.value.trim()) { run(); }
    document.querySelectorAll("button.insert").forEach(function (b) {
      b.addEventListener("click", function () {
        var w = b.getAttribute("data-insert"), s = rule.selectionStart, e = rule.selectionEnd, v = rule.value;
        var pad = s > 0 && !/\s$/.test(v.slice(0, s)) ? " " : "";
        rule.value = v.slice(0, s) + pad + w + v.slice(e);
        rule.focus(); rule.selectionStart = rule.selectionEnd = s + pad.length + w.length;
        clearTimeout(timer); timer = setTimeout(run, 100);
      });
    });
  }

  // ---- browser-side checks before a form is sent (the server checks again):
  // the browser's own message next to each field that fails
  document.querySelectorAll("form[novalidate]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      var bad = null;
      f.querySelectorAll("input[required], textarea[required], input[pattern], input[type=number], input[type=date], input[type=datetime-local]").forEach(function (el) {
        var ok = el.checkValidity() && (!el.required || el.value.trim() !== "");
        var note = el.nextElementSibling && el.nextElementSibling.classList.contains("js-error") ? el.nextElementSibling : null;
        if (ok) {
          if (note) { note.remove(); }
          if (el.id !== "rule") { el.removeAttribute("aria-invalid"); }
          return;
        }
        el.setAttribute("aria-invalid", "true");
        if (!note) {
          note = document.createElement("p");
          note.className = "field-error js-error";
          note.setAttribute("role", "alert");
          el.insertAdjacentElement("afterend", note);
        }
        note.textContent = el.validationMessage || label("form.required", "Required.");
        bad = bad || el;
      });
      if (bad) { ev.preventDefault(); bad.focus(); }
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) { if (!window.confirm(f.getAttribute("data-confirm"))) { ev.preventDefault(); } });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
})();
