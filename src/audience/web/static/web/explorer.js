// The Explorer page: D3 over the JSON API. Every piece of data is written with .text() (never
// .html()), so a hostile segment name or user id is shown, not run.
(function () {
  "use strict";
  const C = window.AudienceCharts;
  const state = { method: null, overview: null, selected: null, compared: null, lastLookalike: null };
  const fmt = C.fmt.number;
  const pct = C.fmt.pct;
  const num = (v) => (v == null ? "–" : Math.abs(v) >= 1000 ? C.fmt.number(Math.round(v)) : new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 }).format(v));
  const color = d3.scaleOrdinal(["#38bdf8", "#f97316", "#a78bfa", "#34d399", "#f472b6", "#facc15", "#60a5fa", "#fb7185", "#2dd4bf", "#c084fc", "#fbbf24", "#4ade80"]);

  async function api(path, options) {
    const response = await window.audienceAuth.fetch(path, options);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const err = new Error(body.message || body.error || response.statusText);
      err.status = response.status;
      throw err;
    }
    return body;
  }

  function label(row) {
    const name = row.attribute.replace(/_/g, " ");
    return row.level ? name + " = " + row.level.replace(/_/g, " ") : name;
  }

  function value(row, v) {
    return row.kind === "share" ? pct(v) : num(v);
  }

  async function load() {
    const query = state.method ? "?method=" + encodeURIComponent(state.method) : "";
    let overview;
    try {
      overview = await api("/api/explorer/segments" + query);
    } catch (err) {
      if (err.status === 503) {
        // A new AUDIENCE_HOME: no segmentation yet. Say what to run, hide the empty panels.
        d3.select("#explorer-body").attr("hidden", true);
        d3.select("#run").text("No segmentation run yet");
        const box = C.empty(d3.select("#explorer-empty").attr("hidden", null).node(), "No segments to explore yet",
          "Run `make demo` (it builds the lake, the features and the segmentation), then reload this page.");
        box.attr("data-empty", "explorer");
      } else {
        d3.select("#run").text(err.message);
      }
      document.body.dataset.loaded = "error";
      return;
    }
    d3.select("#explorer-body").attr("hidden", null);
    d3.select("#explorer-empty").attr("hidden", true);
    state.overview = overview;
    state.method = overview.method;
    const ari = overview.adjusted_rand_index == null ? "" : " · adjusted Rand vs planted " + overview.adjusted_rand_index.toFixed(3);
    d3.select("#run").text(
      fmt(overview.users) + " users · " + overview.segments.filter((s) => !s.is_noise).length + " segments · " +
      overview.model_version + ari
    );
    // Every panel follows the method: results computed with the previous one are cleared.
    state.compared = null;
    state.lastLookalike = null;
    d3.select("#compare-table").attr("hidden", true);
    d3.select("#compare-error").text("");
    d3.select("#look-result").selectAll("*").remove();
    d3.select("#look-error").text("");
    d3.select("#export-lookalike").property("disabled", true);
    d3.select("#method").selectAll("option").data(overview.methods).join("option")
      .attr("value", (d) => d).property("selected", (d) => d === overview.method).text((d) => d);
    color.domain(overview.segments.map((s) => s.segment_id));
    drawMap();
    drawHeatmap();
    fillCompare();
    const first = overview.segments.find((s) => s.segment_id === state.selected) || overview.segments.find((s) => !s.is_noise) || overview.segments[0];
    if (first) await select(first.segment_id);
    if (overview.segments.filter((s) => !s.is_noise).length > 1) await runCompare();
    document.body.dataset.loaded = "true";
    document.body.dataset.method = overview.method;
  }

  function drawMap() {
    const svg = d3.select("#map");
    const width = svg.node().clientWidth || 640, height = width < 520 ? 400 : 500, pad = width < 520 ? 56 : 80;
    svg.attr("height", height);
    svg.attr("viewBox", [0, 0, width, height]);
    const segs = state.overview.segments;
    const x = d3.scaleLinear().domain(d3.extent(segs, (d) => d.x)).nice().range([pad, width - pad]);
    const y = d3.scaleLinear().domain(d3.extent(segs, (d) => d.y)).nice().range([height - pad, pad]);
    if (x.domain()[0] === x.domain()[1]) x.domain([x.domain()[0] - 1, x.domain()[0] + 1]);
    if (y.domain()[0] === y.domain()[1]) y.domain([y.domain()[0] - 1, y.domain()[0] + 1]);
    const r = d3.scaleSqrt().domain([0, d3.max(segs, (d) => d.size)]).range([0, Math.min(width, height) / 7]);
    const nodes = segs.map((d) => ({ ...d, tx: x(d.x), ty: y(d.y), r: r(d.size) }));
    // Keep bubbles apart (a few ticks of a collision force), starting from their PCA positions.
    const sim = d3.forceSimulation(nodes).force("x", d3.forceX((d) => d.tx).strength(0.3))
      .force("y", d3.forceY((d) => d.ty).strength(0.3)).force("collide", d3.forceCollide((d) => d.r + 4)).stop();
    nodes.forEach((d) => { d.x0 = d.tx; d.y0 = d.ty; d.x = d.tx; d.y = d.ty; });
    for (let i = 0; i < 120; i++) sim.tick();
    const g = svg.selectAll("g.node").data(nodes, (d) => d.segment_id).join((enter) => {
      const n = enter.append("g").attr("class", "node");
      n.append("circle").attr("class", "bubble");
      n.append("text").attr("class", "bubble-label");
      n.append("text").attr("class", "bubble-size");
      return n;
    });
    g.attr("transform", (d) => "translate(" + d.x + "," + d.y + ")")
      .attr("data-segment", (d) => d.segment_id).attr("tabindex", 0).attr("role", "button")
      .attr("aria-label", (d) => d.name + ", " + fmt(d.size) + " users")
      .on("click", (event, d) => (event.shiftKey ? compareWith(d.segment_id) : select(d.segment_id)))
      .on("keydown", (event, d) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); (event.shiftKey ? compareWith(d.segment_id) : select(d.segment_id)); }
      });
    g.select("circle").attr("r", (d) => d.r).attr("fill", (d) => (d.is_noise ? "#475569" : color(d.segment_id)))
      .attr("fill-opacity", 0.85);
    g.select("circle").selectAll("title").data((d) => [d]).join("title").text((d) => d.name + " (" + fmt(d.size) + ")");
    g.select(".bubble-label").attr("dy", "-0.2em").text((d) => shorten(d.name, d.r));
    g.select(".bubble-size").attr("dy", "1.1em").text((d) => fmt(d.size) + " · " + pct(d.share));
    highlight();
  }

  function shorten(name, r) {
    const first = name.split(" · ")[0];
    const room = Math.max(6, Math.floor((r * 2.6) / 6.5));
    return first.length > room ? first.slice(0, room - 1) + "…" : first;
  }

  function highlight() {
    d3.selectAll("#map g.node circle")
      .classed("selected", (d) => d.segment_id === state.selected)
      .classed("compared", (d) => d.segment_id === state.compared);
    d3.selectAll("#heatmap .row-label").classed("selected", (d) => d.key === state.selected);
  }

  async function select(id) {
    state.selected = id;
    highlight();
    let detail;
    try {
      detail = await api("/api/explorer/segments/" + encodeURIComponent(id) + "?method=" + encodeURIComponent(state.method));
    } catch (err) {
      d3.select("#run").text(err.message);
      return;
    }
    const s = detail.segment;
    d3.select("#detail").attr("hidden", null).attr("data-segment", s.segment_id);
    d3.select("#seg-name").text(s.name);
    d3.select("#seg-meta").text(s.segment_id + " · " + fmt(s.size) + " users · " + pct(s.share) + " of the audience");
    const models = [
      ["Churn risk", s.churn_risk ? pct(s.churn_risk.mean_probability) + " mean · " + pct(s.churn_risk.high_risk_share) + " high" : null],
      ["Predicted engagement", s.predicted_engagement ? num(s.predicted_engagement.mean) : null],
    ];
    d3.select("#seg-models").selectAll("span").data(models).join("span")
      .attr("class", (d) => "pill" + (d[1] ? "" : " na")).text((d) => d[0] + ": " + (d[1] || "not available"));
    const maxLog = d3.max(detail.defining, (d) => Math.abs(Math.log(d.lift || 1))) || 1;
    const rows = d3.select("#defining tbody").selectAll("tr").data(detail.defining).join("tr");
    rows.selectAll("td").data((d) => [
      { t: label(d) }, { t: value(d, d.segment_value), n: 1 }, { t: value(d, d.population_value), n: 1 },
      { t: d.lift == null ? "–" : "×" + d3.format(".2f")(d.lift), n: 1 }, { bar: d },
    ]).join("td").attr("class", (c) => (c.n ? "num" : c.bar ? "liftcell" : null)).each(function (c) {
      const cell = d3.select(this);
      cell.selectAll("*").remove();
      if (c.bar) {
        const l = Math.log(c.bar.lift || 1);
        cell.append("div").attr("class", "lift").style("width", Math.max(4, (Math.abs(l) / maxLog) * 100) + "%")
          .style("background", l >= 0 ? "var(--hot)" : "var(--cold)");
      } else cell.text(c.t);
    });
    d3.select("#cmp-a").property("value", id);
  }

  function drawHeatmap() {
    const o = state.overview;
    const cell = new Map(o.affinity.map((a) => [a.segment_id + "|" + a.channel, a]));
    const scale = d3.scaleDiverging(d3.interpolateRdBu).domain([200, 100, 0]).clamp(true);
    C.heatmap("#heatmap", {
      rows: o.segments.filter((s) => !s.is_noise).map((s) => ({ key: s.segment_id, label: s.name })),
      cols: o.channels.map((c) => ({ key: c, label: c.replace("platform:", "").replace(/_/g, " ") })),
      selected: state.selected,
      color: scale,
      onRow: (id) => select(id),
      emptyTitle: "No affinity scores in this run",
      cell: (seg, ch) => {
        const a = cell.get(seg + "|" + ch);
        if (!a || a.score == null) return { value: null, text: "–", title: ch + ": no engaged users" };
        return {
          value: a.score, muted: a.low_confidence, text: a.score.toFixed(0) + (a.low_confidence ? "◌" : ""),
          title: ch.replace("platform:", "") + ": " + a.score.toFixed(0) + " (" + (a.band || "") + ", " + fmt(a.engaged_users) + " engaged users" + (a.low_confidence ? ", low confidence" : "") + ")",
        };
      },
    });
    highlight();
  }

  function fillCompare() {
    const segs = state.overview.segments.filter((s) => !s.is_noise);
    for (const id of ["#cmp-a", "#cmp-b"]) {
      d3.select(id).selectAll("option").data(segs, (d) => d.segment_id).join("option")
        .attr("value", (d) => d.segment_id).text((d) => d.name);
    }
    if (segs.length > 1) d3.select("#cmp-b").property("value", segs[1].segment_id);
  }

  function compareWith(id) {
    state.compared = id;
    d3.select("#cmp-b").property("value", id);
    if (state.selected) d3.select("#cmp-a").property("value", state.selected);
    highlight();
    runCompare();
  }

  async function runCompare() {
    const a = d3.select("#cmp-a").property("value"), b = d3.select("#cmp-b").property("value");
    d3.select("#compare-error").text("");
    let result;
    try {
      result = await api("/api/explorer/compare?method=" + encodeURIComponent(state.method) + "&a=" + encodeURIComponent(a) + "&b=" + encodeURIComponent(b));
    } catch (err) {
      d3.select("#compare-error").text(err.message);
      d3.select("#compare-table").attr("hidden", true);
      return;
    }
    d3.select("#cmp-a-head").text(result.a.name.split(" · ")[0]);
    d3.select("#cmp-b-head").text(result.b.name.split(" · ")[0]);
    d3.select("#compare-table").attr("hidden", null).attr("data-method", result.method || state.method);
    d3.select("#compare-table tbody").selectAll("tr").data(result.attributes.slice(0, 10)).join("tr")
      .selectAll("td").data((d) => [
        [label(d)], [value(d, d.a_value), 1], [value(d, d.b_value), 1], [value(d, d.population_value), 1],
      ]).join("td").attr("class", (c) => (c[1] ? "num" : null)).text((c) => c[0]);
  }

  function lookalikeBody() {
    const size = Number(d3.select("#look-size").property("value"));
    const kind = d3.select("#look-seed-kind").property("value");
    const seed = kind === "segment" ? { segment_id: state.selected }
      : { user_ids: d3.select("#look-ids").property("value").split(/[\s,;]+/).filter(Boolean) };
    return { method: state.method, seed, size };
  }

  async function runLookalike() {
    d3.select("#look-error").text("");
    d3.select("#export-lookalike").property("disabled", true);
    const body = lookalikeBody();
    let result;
    try {
      result = await api("/api/explorer/lookalikes", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (err) {
      d3.select("#look-error").text(err.message);
      d3.select("#look-result").selectAll("*").remove();
      return;
    }
    state.lastLookalike = body;
    const q = result.quality;
    const box = d3.select("#look-result").attr("data-method", result.method);
    box.selectAll("*").remove();
    box.append("p").attr("class", "muted").text(fmt(result.size) + " lookalikes from a seed of " + fmt(result.seed.known_users) +
      " users (" + result.method + "). Check: " + fmt(q.holdout_users) + " seed members were hidden among " + fmt(q.pool) +
      " users and the model, fitted on the rest, ranked everyone; " + fmt(q.found) + " of them landed in its top " + fmt(result.size) + ".");
    const tiles = box.append("div").attr("class", "quality");
    const lift = (a, b) => (b ? "the model does ×" + new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(a / b) : "");
    [
      ["Recall on held-out members", pct(q.recall_at_size), "random picking: " + pct(q.random_recall) + " · " + lift(q.recall_at_size, q.random_recall), "recall"],
      ["Precision on held-out members", pct(q.precision_at_size), "random picking: " + pct(q.random_precision) + " · " + lift(q.precision_at_size, q.random_precision), "precision"],
    ].forEach(([label, value, sub, key]) => {
      const t = tiles.append("div").attr("class", "kpi").attr("data-key", key);
      t.append("div").attr("class", "label").text(label);
      t.append("div").attr("class", "value").text(value);
      t.append("div").attr("class", "delta").text(sub);
    });
    if (result.seed.unknown_count) box.append("div").attr("class", "error").text(result.seed.unknown_count + " unknown user ids ignored: " + result.seed.unknown_user_ids.slice(0, 5).join(", "));
    box.append("div").attr("class", "preview").text("Top: " + result.preview.map((r) => r.user_id).join(", "));
    d3.select("#export-lookalike").property("disabled", false);
  }

  async function exportAudience(body) {
    const manifest = await api("/api/explorer/exports", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    // Fetched (with the sign-in token, if any) and saved from a blob: a plain link would carry no token.
    const response = await window.audienceAuth.fetch(manifest.download);
    if (!response.ok) throw new Error("download failed: " + response.status);
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = manifest.files.csv;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return manifest;
  }

  d3.select("#method").on("change", function () { state.method = this.value; state.selected = null; load(); });
  d3.select("#compare").on("click", runCompare);
  d3.select("#lookalike").on("click", runLookalike);
  d3.select("#look-seed-kind").on("change", function () { d3.select("#look-ids").attr("hidden", this.value === "ids" ? null : true); });
  d3.select("#export-segment").on("click", () => exportAudience({ method: state.method, segment_id: state.selected }).catch((e) => d3.select("#run").text(e.message)));
  d3.select("#export-lookalike").on("click", () => exportAudience({ method: state.method, lookalike: state.lastLookalike }).catch((e) => d3.select("#look-error").text(e.message)));
  C.onResize(() => { if (state.overview) { drawMap(); drawHeatmap(); } });
  load();
})();
