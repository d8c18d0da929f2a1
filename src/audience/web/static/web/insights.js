// The Insights page: choose a content item or a segment and a period, get the insight from
// /api/insights. Each figure in the text is marked and linked to the input value it came from.
// The choice lives in the URL (?content_id=…|segment_id=…&time_range=…). Text goes in with .text().
(function () {
  "use strict";
  const C = window.AudienceCharts, fmt = C.fmt;
  const FIGURE = /(?<![\w\-./:])([-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)/g; // as numbers.py
  let subjects = { contents: [], segments: [], not_available: [] };
  let kind = "content";
  const status = d3.select("#status");

  async function api(path) {
    const response = await window.audienceAuth.fetch(path, { headers: { accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const reasons = (body.reasons || []).map((r) => `${r.parameter}: ${r.reason}`).join("; ");
      throw new Error(reasons || body.message || response.statusText);
    }
    return body;
  }

  function setKind(k) {
    kind = k;
    d3.selectAll("#kind button").attr("aria-pressed", function () { return String(this.dataset.value === k); });
    const items = k === "content"
      ? subjects.contents.map((c) => ({ id: c.id, text: `${c.title || c.id} · ${fmt.number(c.events)} events (30 days)` }))
      : subjects.segments.map((s) => ({ id: s.id, text: `${s.name} · ${s.method} · ${fmt.number(s.members)} members` }));
    d3.select("#subject").selectAll("option").data(items, (d) => d.id).join("option").attr("value", (d) => d.id).text((d) => d.text);
    d3.select("#go").property("disabled", !items.length);
    d3.select("#rewrite").property("disabled", !items.length);
    if (!items.length) {
      C.empty("#insights-empty", k === "content" ? "No content to write about yet" : "No segments to write about yet",
        k === "content" ? "Run `make demo` to fill the lake, then reload." : "Run `make demo` (it runs the segmentation), then reload.");
    } else if (d3.select("#result").attr("hidden") !== null) {
      // Nothing written yet in this visit: say what the button does rather than show a blank page. An
      // insight is not fetched on open: where none is cached, writing one calls the model (Bedrock in AWS).
      C.empty("#insights-empty", "Choose a subject and a period, then Get insight",
        "The insight is written from the lake's figures for the period against the one before it, and every figure links to the query result it came from. `Rewrite` gathers the figures again.");
    } else d3.select("#insights-empty").selectAll("*").remove();
  }

  function writeUrl(params) {
    history.replaceState(null, "", window.location.pathname + "?" + params.toString());
  }

  // Text with each figure wrapped in a span whose tooltip says where the figure comes from.
  function figured(selection, text, where, traces) {
    selection.selectAll("*").remove();
    selection.text("");
    const byFigure = new Map();
    traces.filter((t) => t.where === where).forEach((t) => byFigure.set(t.figure, t));
    let last = 0;
    for (const m of text.matchAll(FIGURE)) {
      if (m.index > last) selection.append("span").text(text.slice(last, m.index));
      const t = byFigure.get(m[1]);
      selection.append("span").attr("class", "fig" + (t && t.sources.length ? "" : " untraced")).attr("tabindex", 0)
        .attr("title", t && t.sources.length ? describe(t) : "not traced to an input").text(m[1]);
      last = m.index + m[0].length;
    }
    if (last < text.length) selection.append("span").text(text.slice(last));
  }

  function describe(t) {
    return `${t.rule}: ` + t.sources.map((s) => `${s.path} = ${fmt.number(s.value)}`).join(t.rule.startsWith("diff") ? " − " : " vs ");
  }

  function render(r) {
    const traces = r.traces || [];
    d3.select("#insights-empty").selectAll("*").remove();
    d3.select("#result").attr("hidden", null).attr("data-subject", r.subject.id);
    figured(d3.select("#summary"), r.insight.summary, "summary", traces);
    const traced = traces.filter((t) => t.sources.length).length;
    const meta = d3.select("#meta");
    meta.selectAll("*").remove();
    const writer = { bedrock: "Bedrock", rules: "rules writer", "rules-fallback": "rules writer (Bedrock fallback)" }[r.writer] || r.writer;
    meta.append("span").attr("class", "pill").attr("id", "writer").text("written by " + writer + (r.model_id ? " · " + r.model_id : ""));
    meta.append("span").attr("class", "pill").attr("id", "served").text({ stored: "from the store (fresh)", reused: "reused: same figures", written: "written now" }[r.served] || r.served);
    meta.append("span").attr("class", "pill " + (traced === traces.length ? "good" : "bad")).text(`${traced} of ${traces.length} figures traced`);
    meta.append("span").text(`${r.subject.kind} ${r.subject.title || r.subject.id} · ${fmt.period(r.inputs.period_start, r.inputs.period_end)} · generated ${fmt.stamp(r.generated_at)}`);
    for (const key of ["strengths", "opportunities"]) {
      const li = d3.select(`#${key} ul`).selectAll("li").data(r.insight[key]).join("li");
      li.each(function (text, i) { figured(d3.select(this), text, `${key}[${i}]`, traces); });
      if (!r.insight[key].length) d3.select(`#${key} ul`).append("li").attr("class", "muted").text("none stated");
    }
    const rows = d3.select("#recommendations tbody").selectAll("tr").data(r.insight.recommendations).join((enter) => {
      const tr = enter.append("tr");
      tr.append("td").append("span");
      tr.append("td").attr("class", "rec-action");
      tr.append("td").attr("class", "impact");
      return tr;
    });
    rows.select("td span").attr("class", (d) => "pill " + d.priority).text((d) => d.priority);
    rows.select(".rec-action").each(function (d, i) { figured(d3.select(this), d.action, `recommendations[${i}].action`, traces); });
    rows.select(".impact").each(function (d, i) { figured(d3.select(this), d.expected_impact, `recommendations[${i}].expected_impact`, traces); });
    C.timeSeries("#trends .daily", [{ key: "events", label: "events per day", points: r.inputs.daily.map((p) => ({ date: p.date, value: p.events })) }],
      { height: 180, ariaLabel: "Daily events of the subject" });
    d3.select("#trace-count").text(`${traces.length} figures, each beside the input value (query result) it equals; hover a dotted figure above for the same`);
    const trends = r.insight.trends.length ? r.insight.trends : [{ direction: "flat", description: "No trend stated for this period." }];
    const tr = d3.select("#trends ul.points").selectAll("li").data(trends).join("li");
    tr.each(function (t, i) {
      const li = d3.select(this);
      li.selectAll("*").remove();
      li.append("span").attr("class", "trend-dir " + t.direction).text(t.direction === "up" ? "▲ " : t.direction === "down" ? "▼ " : "■ ");
      figured(li.append("span"), t.description, `trends[${i}].description`, r.insight.trends.length ? traces : []);
    });
    const groups = [["Demographics", r.insight.audience_insights.demographics, "demographics"], ["Behaviour", r.insight.audience_insights.behaviour, "behaviour"], ["Preferences", r.insight.audience_insights.preferences, "preferences"]];
    const g = d3.select("#audience .groups").selectAll("div.group").data(groups).join((enter) => {
      const d = enter.append("div").attr("class", "group");
      d.append("h3");
      d.append("ul").attr("class", "points");
      return d;
    });
    g.select("h3").text((d) => d[0]);
    g.select("ul").each(function (d) {
      d3.select(this).selectAll("li").data(d[1].length ? d[1] : ["none stated"]).join("li")
        .each(function (text, i) { figured(d3.select(this), text, `audience_insights.${d[2]}[${i}]`, traces); });
    });
    d3.select("#traces tbody").selectAll("tr").data(traces).join("tr")
      .selectAll("td").data((t) => [[t.figure, "num"], [t.where, "path"], [t.rule || "not traced", ""], [t.sources.map((s) => `${s.path} = ${fmt.number(s.value)}`).join("; "), "path"]])
      .join("td").attr("class", (c) => c[1]).text((c) => c[0]);
  }

  async function ask(refresh) {
    const id = d3.select("#subject").property("value");
    if (!id) return;
    const p = new URLSearchParams();
    p.set(kind === "content" ? "content_id" : "segment_id", id);
    p.set("time_range", d3.select("#time-range").property("value"));
    writeUrl(p);
    if (refresh) p.set("refresh", "true");
    status.attr("data-state", "loading").text(refresh ? "gathering the figures and writing…" : "loading…");
    d3.selectAll("#go, #rewrite").property("disabled", true);
    try {
      const r = await api("/api/insights?" + p.toString());
      render(r);
      status.attr("data-state", "ok").text("ready");
      document.body.dataset.loaded = "true";
    } catch (err) {
      status.attr("data-state", "error").text(err.message);
      document.body.dataset.loaded = "error";
    } finally {
      d3.selectAll("#go, #rewrite").property("disabled", false);
    }
  }

  async function init() {
    try {
      subjects = await api("/api/insights/subjects");
    } catch (err) {
      status.attr("data-state", "error").text(err.message);
    }
    const p = new URLSearchParams(window.location.search);
    if (p.get("segment_id")) kind = "segment";
    if (["7d", "30d", "90d"].includes(p.get("time_range"))) d3.select("#time-range").property("value", p.get("time_range"));
    setKind(kind);
    const wanted = p.get("content_id") || p.get("segment_id");
    if (wanted) {
      if (!Array.from(document.getElementById("subject").options).some((o) => o.value === wanted)) {
        d3.select("#subject").append("option").attr("value", wanted).text(wanted);
      }
      d3.select("#subject").property("value", wanted);
      await ask(false);
    } else {
      document.body.dataset.loaded = subjects.contents.length || subjects.segments.length ? "ready" : "empty";
    }
  }

  d3.selectAll("#kind button").on("click", function () { setKind(this.dataset.value); });
  d3.select("#ask").on("submit", (event) => { event.preventDefault(); ask(false); });
  d3.select("#rewrite").on("click", () => ask(true));
  init();
})();
