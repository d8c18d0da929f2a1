// The Recommendations page: every chart from /api/recommendations/report, every datum written with .text().
(function () {
  "use strict";
  const base = document.documentElement.dataset.base || "";
  const COLORS = { popularity: "#64748b", baseline: "#f97316", personalize: "#38bdf8" };
  const RECIPES = ["popularity", "baseline", "personalize"];
  const pct = d3.format(".1%"), num = d3.format(",.4f"), int = d3.format(",");

  function width(svg) { return Math.max(280, svg.node().getBoundingClientRect().width || 600); }

  function metricBars(offline) {
    const svg = d3.select("#metrics"), w = width(svg), h = 260, m = { t: 10, r: 10, b: 30, l: 44 };
    svg.attr("viewBox", `0 0 ${w} ${h}`).attr("height", h).selectAll("*").remove();
    const metrics = ["ndcg@5", "ndcg@10", "ndcg@25", "precision@10", "mrr@25", "recall@20"];
    const acc = offline.accuracy || {};
    const rows = [];
    metrics.forEach((k) => RECIPES.forEach((r) => { if (acc[r] && acc[r][k]) rows.push({ k, r, ...acc[r][k] }); }));
    const x0 = d3.scaleBand().domain(metrics).range([m.l, w - m.r]).padding(0.2);
    const x1 = d3.scaleBand().domain(RECIPES).range([0, x0.bandwidth()]).padding(0.08);
    const y = d3.scaleLinear().domain([0, d3.max(rows, (d) => d.high) || 1]).nice().range([h - m.b, m.t]);
    svg.append("g").attr("class", "axis").attr("transform", `translate(0,${h - m.b})`).call(d3.axisBottom(x0));
    svg.append("g").attr("class", "axis").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(5));
    const g = svg.append("g").selectAll("g").data(rows).join("g").attr("transform", (d) => `translate(${x0(d.k) + x1(d.r)},0)`);
    g.append("rect").attr("class", "bar").attr("y", (d) => y(d.value)).attr("height", (d) => y(0) - y(d.value))
      .attr("width", x1.bandwidth()).attr("fill", (d) => COLORS[d.r])
      .append("title").text((d) => `${d.r} ${d.k}: ${num(d.value)} [${num(d.low)}, ${num(d.high)}]`);
    g.append("line").attr("class", "ci").attr("x1", x1.bandwidth() / 2).attr("x2", x1.bandwidth() / 2)
      .attr("y1", (d) => y(d.low)).attr("y2", (d) => y(d.high)).attr("stroke", "#e2e8f0").attr("stroke-width", 1.5);
    const legend = d3.select("#metrics-legend").selectAll("span").data(RECIPES).join("span");
    legend.append("i").attr("class", "swatch").style("background", (r) => COLORS[r]);
    legend.append("b").text((r) => {
      const v = acc[r] && acc[r].vs_popularity;
      return v ? `${r} (NDCG@10 ${v["ndcg@10"].value.toFixed(2)}× popularity, recall@20 ${v["recall@20"].value.toFixed(2)}×)` : r;
    });
    d3.select("#split").text(`${offline.split || ""}; ${int(offline.users_evaluated || 0)} users evaluated`);
  }

  function rboChart(lists) {
    const svg = d3.select("#rbo"), w = width(svg), h = 200, m = { t: 10, r: 10, b: 30, l: 40 };
    svg.attr("viewBox", `0 0 ${w} ${h}`).attr("height", h).selectAll("*").remove();
    if (!lists || !lists.rbo_histogram) return;
    const edges = lists.rbo_histogram.edges, counts = lists.rbo_histogram.counts;
    const bins = counts.map((c, i) => ({ x0: edges[i], x1: edges[i + 1], c }));
    const x = d3.scaleLinear().domain([0, 1]).range([m.l, w - m.r]);
    const y = d3.scaleLinear().domain([0, d3.max(bins, (b) => b.c) || 1]).nice().range([h - m.b, m.t]);
    svg.append("g").attr("class", "axis").attr("transform", `translate(0,${h - m.b})`).call(d3.axisBottom(x).ticks(5));
    svg.append("g").attr("class", "axis").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(4));
    svg.append("g").selectAll("rect").data(bins).join("rect").attr("class", "bar")
      .attr("x", (b) => x(b.x0) + 1).attr("width", (b) => Math.max(0, x(b.x1) - x(b.x0) - 2))
      .attr("y", (b) => y(b.c)).attr("height", (b) => y(0) - y(b.c)).attr("fill", "#a78bfa")
      .append("title").text((b) => `RBO ${b.x0}–${b.x1}: ${int(b.c)} users`);
    const f = (v) => (v ? `${v.value.toFixed(3)} [${v.low.toFixed(3)}, ${v.high.toFixed(3)}]` : "n/a");
    d3.select("#overlap-stats").text(`overlap@${lists.k}: ${f(lists.overlap_at_k)} · Jaccard ${f(lists.jaccard)} · RBO ${f(lists.rbo)} · Kendall tau on shared items ${f(lists.kendall_tau)}`);
  }

  function shiftChart(lists) {
    const svg = d3.select("#shift"), w = width(svg), h = 240, m = { t: 10, r: 10, b: 34, l: 40 };
    svg.attr("viewBox", `0 0 ${w} ${h}`).attr("height", h).selectAll("*").remove();
    const pts = (lists && lists.rank_shifts) || [];
    const k = (lists && lists.k) || 25;
    const x = d3.scaleLinear().domain([0.5, k + 0.5]).range([m.l, w - m.r]);
    const y = d3.scaleLinear().domain([0.5, k + 0.5]).range([h - m.b, m.t]);
    svg.append("g").attr("class", "axis").attr("transform", `translate(0,${h - m.b})`).call(d3.axisBottom(x).ticks(5));
    svg.append("g").attr("class", "axis").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(5));
    svg.append("line").attr("x1", x(1)).attr("y1", y(1)).attr("x2", x(k)).attr("y2", y(k)).attr("stroke", "#475569").attr("stroke-dasharray", "4 3");
    svg.append("g").selectAll("circle").data(pts).join("circle").attr("class", "dot")
      .attr("cx", (d) => x(d.baseline_rank + (Math.random() - 0.5) * 0.5)).attr("cy", (d) => y(d.personalize_rank + (Math.random() - 0.5) * 0.5))
      .attr("r", 2.2).attr("fill", "#38bdf8").attr("opacity", 0.35);
    svg.append("text").attr("x", w - m.r).attr("y", h - 4).attr("text-anchor", "end").text("rank in baseline");
    svg.append("text").attr("x", m.l + 4).attr("y", m.t + 10).text("rank in Personalize");
  }

  function coverage(offline) {
    const ex = offline.exposure || {};
    const rows = [["coverage", (v) => pct(v.coverage)], ["distinct items", (v) => int(v.distinct_items)], ["novelty (bits)", (v) => v.novelty.toFixed(2)], ["Gini of exposure", (v) => v.gini.toFixed(3)], ["items newer than " + (ex.new_days || 30) + " days", (v) => pct(v.new_item_share)]];
    const t = d3.select("#coverage"); t.selectAll("*").remove();
    const head = t.append("tr"); head.append("th").text("");
    RECIPES.forEach((r) => head.append("th").text(r).style("color", COLORS[r]));
    rows.forEach(([label, f]) => {
      const tr = t.append("tr"); tr.append("td").text(label);
      RECIPES.forEach((r) => tr.append("td").text(ex[r] ? f(ex[r]) : "–"));
    });
    const only = ex.only_personalize;
    d3.select("#discovery").text(only ? `${int(only.items)} catalogue items are recommended only by Personalize (${int(only.new_items)} of them new) — out of ${int(ex.catalog_items)} items.` : "");
  }

  function ab(data) {
    const box = d3.select("#ab-summary"); box.selectAll("*").remove();
    const svg = d3.select("#ab-time"), w = width(svg), h = 180, m = { t: 10, r: 10, b: 28, l: 44 };
    svg.attr("viewBox", `0 0 ${w} ${h}`).attr("height", h).selectAll("*").remove();
    if (!data) { box.append("p").attr("class", "meta").text("No A/B yet: `make demo` serves lists to simulated users."); return; }
    ["baseline", "personalize"].forEach((v) => {
      const a = data[v]; if (!a) return;
      const cell = box.append("div").attr("class", `ab-cell ${v}`);
      cell.append("div").attr("class", "meta").text(`${v} · ${int(a.served)} lists · ${int(a.users)} users`);
      cell.append("div").attr("class", "big").text(pct(a.ctr));
      cell.append("div").attr("class", "meta").text(`CI ${pct(a.ctr_ci[0])}–${pct(a.ctr_ci[1])} · watch ${Math.round(a.watch_time)} s/list · completion ${pct(a.completion)}`);
    });
    if (data.tests) box.append("div").attr("class", "ab-verdict").text(`Personalize − baseline: ${(data.tests.ctr_difference * 100).toFixed(1)} points (p = ${data.tests.ctr_p_value.toPrecision(2)}); intervals ${data.tests.ctr_intervals_overlap ? "overlap" : "do not overlap"}.`);
    const series = data.over_time || [];
    const x = d3.scaleLinear().domain([0, Math.max(1, series.length - 1)]).range([m.l, w - m.r]);
    const y = d3.scaleLinear().domain([0, 1]).range([h - m.b, m.t]);
    svg.append("g").attr("class", "axis").attr("transform", `translate(0,${h - m.b})`).call(d3.axisBottom(x).ticks(series.length).tickFormat((i) => `#${i + 1}`));
    svg.append("g").attr("class", "axis").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(4).tickFormat(d3.format(".0%")));
    ["baseline", "personalize"].forEach((v) => {
      const pts = series.map((p, i) => ({ i, ctr: p[v] && p[v].ctr })).filter((p) => p.ctr !== null && p.ctr !== undefined);
      svg.append("path").datum(pts).attr("class", `line ${v}`).attr("fill", "none").attr("stroke", COLORS[v]).attr("stroke-width", 2)
        .attr("d", d3.line().x((p) => x(p.i)).y((p) => y(p.ctr)));
      svg.append("g").selectAll("circle").data(pts).join("circle").attr("cx", (p) => x(p.i)).attr("cy", (p) => y(p.ctr)).attr("r", 3).attr("fill", COLORS[v]);
    });
  }

  function sideBySide(users) {
    const sel = d3.select("#user");
    sel.selectAll("option").data(users).join("option").attr("value", (_, i) => i).text((u) => u.user_id);
    function show(i) {
      const u = users[i]; if (!u) return;
      const ids = (l) => new Set(l.map((x) => x.item_id));
      const b = ids(u.baseline), p = ids(u.personalize);
      const fill = (id, items, other) => {
        const li = d3.select(id).selectAll("li").data(items).join("li").attr("class", (x) => (other && other.has(x.item_id) ? "shared" : null));
        li.text((x) => x.title); li.append("span").attr("class", "g").text((x) => [x.type, (x.genres || []).join(", ")].filter(Boolean).join(" · "));
      };
      fill("#history", u.history, null); fill("#list-baseline", u.baseline, p); fill("#list-personalize", u.personalize, b);
    }
    sel.on("change", (e) => show(+e.target.value));
    show(0);
  }

  fetch(`${base}/api/recommendations/report`, { credentials: "same-origin" })
    .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
    .then(({ ok, body }) => {
      if (!ok) { d3.select("#empty").attr("hidden", null).text(body.message || "no report"); d3.select("#run").text(""); return; }
      d3.select("#run").text(body.run_id ? `run ${body.run_id} · ${int(body.interactions)} interactions · ${int(body.users)} users (${int(body.cold_start_users)} cold start)` : "no offline report yet: the live A/B only");
      metricBars(body.offline); rboChart(body.offline.lists); shiftChart(body.offline.lists); coverage(body.offline); ab(body.ab); sideBySide(body.side_by_side || []);
      document.body.dataset.ready = "1";
    })
    .catch((e) => { d3.select("#empty").attr("hidden", null).text(`could not load the report: ${e}`); });
})();
