// The dashboard: KPI tiles, engagement by event type, top content with sparklines, breakdowns and a
// live panel, from /api/dashboard/<metric>. The filters live in the URL (a view can be shared) and
// show as chips. Every datum is written with .text() or as an attribute value, never as HTML.
(function () {
  "use strict";
  const C = window.AudienceCharts, fmt = C.fmt;
  const root = document.getElementById("dashboard");
  const form = document.getElementById("filters");
  const status = d3.select("#status");
  const refreshSeconds = Number(root.dataset.refreshSeconds || 15);
  const FILTERS = ["platform", "country", "device_type", "content_type"];
  const LABELS = { platform: "Platform", country: "Country", device_type: "Device", content_type: "Type", time_range: "Period" };
  const EMPTY_HINT = "Run `make demo` to fill the lake (or post events to /events), then reload.";
  let state = readUrl();
  let liveItems = [];
  let latest = 0; // a slower, older load must not overwrite a newer one
  let last = null;

  function readUrl() {
    const p = new URLSearchParams(window.location.search);
    const s = { time_range: ["7d", "30d", "90d"].includes(p.get("time_range")) ? p.get("time_range") : "30d" };
    for (const k of FILTERS) if (p.get(k)) s[k] = p.get(k);
    return s;
  }

  function query() {
    const p = new URLSearchParams();
    p.set("time_range", state.time_range);
    for (const k of FILTERS) if (state[k]) p.set(k, state[k]);
    return p;
  }

  function writeUrl() {
    const p = query();
    if (p.get("time_range") === "30d") p.delete("time_range");
    const qs = p.toString();
    history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
  }

  async function getJson(url) {
    // Through the shared sign-in helper: relative to the app's root, with the token when signed in.
    const response = await window.audienceAuth.fetch(url, { headers: { accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const reasons = (body.reasons || []).map((r) => `${r.parameter}: ${r.reason}`).join("; ");
      throw new Error(reasons || body.message || response.statusText);
    }
    return body;
  }

  function setStatus(kind, text) {
    status.attr("data-state", kind).text(text);
  }

  function syncControls() {
    d3.selectAll("#time-range button").attr("aria-pressed", function () { return String(this.dataset.value === state.time_range); });
    for (const k of FILTERS) {
      const sel = form.elements[k];
      if (state[k] && !Array.from(sel.options).some((o) => o.value === state[k])) {
        d3.select(sel).append("option").attr("value", state[k]).text(state[k]);
      }
      sel.value = state[k] || "";
    }
    const chips = [["time_range", state.time_range]].concat(FILTERS.filter((k) => state[k]).map((k) => [k, state[k]]));
    const chip = d3.select("#chips").selectAll("span.chip").data(chips, (d) => d[0]).join((enter) => {
      const c = enter.append("span").attr("class", "chip");
      c.append("span").attr("class", "k");
      c.append("b");
      c.append("button").attr("type", "button");
      return c;
    });
    chip.attr("data-filter", (d) => d[0]);
    chip.select(".k").text((d) => LABELS[d[0]]);
    chip.select("b").text((d) => (d[0] === "time_range" ? "last " + d[1].replace("d", " days") : d[1]));
    chip.select("button").attr("hidden", (d) => (d[0] === "time_range" ? true : null))
      .attr("aria-label", (d) => "Remove filter " + LABELS[d[0]]).text("×")
      .on("click", (e, d) => { delete state[d[0]]; changed(); });
  }

  function changed() {
    writeUrl();
    syncControls();
    load();
  }

  async function loadFilterValues() {
    try {
      const body = await getJson("/api/dashboard/filters");
      for (const k of FILTERS) {
        const sel = d3.select(form.elements[k]);
        const values = body.values[k] || [];
        sel.selectAll("option.v").data(values, (v) => v).join("option").attr("class", "v").attr("value", (v) => v).text((v) => v);
      }
      syncControls();
    } catch (err) { /* the menus keep "any"; the load reports the error */ }
  }

  function drawKpis(kpis) {
    const tiles = d3.select("#kpis").selectAll("div.kpi").data(kpis, (d) => d.key).join((enter) => {
      const t = enter.append("div").attr("class", "kpi");
      t.append("div").attr("class", "label");
      t.append("div").attr("class", "value");
      t.append("div").attr("class", "delta");
      return t;
    });
    tiles.attr("data-key", (d) => d.key).attr("data-value", (d) => d.value);
    tiles.select(".label").text((d) => d.label);
    tiles.select(".value").text((d) => (d.kind === "ratio" ? fmt.pct(d.value) : fmt.number(d.value)));
    tiles.select(".delta")
      .attr("class", (d) => "delta" + (d.change_pct > 0 ? " up" : d.change_pct < 0 ? " down" : ""))
      .text((d) => (d.change_pct == null ? "no previous period data" : fmt.change(d.change_pct) + " vs previous " + state.time_range.replace("d", " days")))
      .attr("title", (d) => "previous period: " + (d.kind === "ratio" ? fmt.pct(d.previous) : fmt.number(d.previous)));
  }

  function drawTop(top) {
    const rows = d3.select("#top-content tbody").selectAll("tr").data(top.items, (d) => d.content_id).join((enter) => {
      const tr = enter.append("tr").attr("class", "row");
      tr.append("td").attr("class", "title");
      tr.append("td").attr("class", "num events");
      tr.append("td").attr("class", "num users");
      tr.append("td").attr("class", "num completion");
      tr.append("td").attr("class", "spark");
      return tr;
    });
    rows.attr("data-key", (d) => d.content_id).attr("data-value", (d) => d.events);
    rows.select(".title").text((d) => d.title || d.content_id).attr("title", (d) => `${d.title || "untitled"} (${d.content_id}${d.content_type ? ", " + d.content_type : ""})`);
    rows.select(".events").text((d) => fmt.number(d.events));
    rows.select(".users").text((d) => fmt.number(d.users));
    rows.select(".completion").text((d) => fmt.pct(d.completion_ratio));
    rows.select(".spark").each(function (d) {
      C.sparkline(this, d.daily || [], { label: `${d.title || d.content_id}: daily events, ${fmt.day(top.days[0])} to ${fmt.day(top.days[top.days.length - 1])}` });
    });
    d3.select("#top-content table").attr("hidden", top.items.length ? null : true);
    if (!top.items.length) C.empty("#top-content .top-empty", "No content in this view", emptyHint(top));
    else d3.select("#top-content .top-empty").selectAll("*").remove();
  }

  function emptyHint(body) {
    if (body && body.no_such_values && body.no_such_values.length) return `No events with ${body.no_such_values.join(", ")} in the last 90 days. Remove the filter to see more.`;
    if (FILTERS.some((k) => state[k])) return "No events match these filters in this period.";
    return EMPTY_HINT;
  }

  function drawAll() {
    if (!last) return;
    const [over, top, platforms, demo] = last;
    drawKpis(over.kpis);
    const series = over.by_type.map((s) => ({ key: s.event_type, label: s.event_type, points: s.points.map((p) => ({ date: p.date, value: p.events, partial: p.partial })) }));
    C.timeSeries("#over-time .chart", series, { ariaLabel: "Events per day by event type", emptyHint: emptyHint(over) });
    drawTop(top);
    const bar = (sel, items, name) => C.bars(sel, items, {
      key: (d) => d.value, value: (d) => d.events, label: (d) => d.value,
      title: (d) => `${d.value}: ${fmt.number(d.events)} events (${fmt.number(d.share_pct)}%), ${fmt.number(d.users)} users, completion ${fmt.pct(d.completion_ratio)}`,
      emptyTitle: `No ${name} in this view`, emptyHint: emptyHint(over),
    });
    bar("#platforms .chart", platforms.items, "platforms");
    bar("#countries .chart", demo.countries.slice(0, 10), "countries");
    bar("#devices .chart", demo.devices, "devices");
    if (demo.not_available.some((n) => n.startsWith("subscription tiers")) && !demo.tiers.length) C.empty("#tiers .chart", "Subscription tiers need the user features", "Run `make features` (or `make demo`).");
    else bar("#tiers .chart", demo.tiers, "tiers");
  }

  async function refreshLive() {
    d3.select("#live table").attr("hidden", liveItems.length ? null : true);
    if (!liveItems.length) {
      d3.select("#live tbody").selectAll("tr").remove();
      d3.select("#live .as-of").text("");
      C.empty("#live .live-empty", "No live counters for this view", "They follow the top content: run `make demo`, or post events to /events.");
      return;
    }
    d3.select("#live .live-empty").selectAll("*").remove();
    const p = new URLSearchParams();
    liveItems.forEach((d) => p.append("content_id", d.content_id));
    try {
      const body = await getJson(`/api/dashboard/live?${p}`);
      d3.select("#live .as-of").text(`updated ${fmt.time(body.as_of)}`).attr("data-as-of", body.as_of);
      const rows = d3.select("#live tbody").selectAll("tr").data(body.items, (d) => d.content_id).join("tr")
        .attr("data-key", (d) => d.content_id);
      rows.selectAll("td")
        .data((d) => [[d.title || d.content_id, "title"], [fmt.number(d.events), "num"], [fmt.number(d.last_24h_events), "num"],
          [fmt.number(d.likes), "num"], [fmt.number(d.shares), "num"]])
        .join("td").attr("class", (c) => c[1]).text((c) => c[0]);
    } catch (error) {
      setStatus("error", `live counters: ${error.message}`);
    }
  }

  async function load() {
    const p = query();
    const ticket = ++latest;
    setStatus("loading", "loading…");
    d3.select("#refresh").property("disabled", true);
    try {
      const results = await Promise.all(
        ["engagement_over_time", "top_content", "platform_performance", "audience_demographics"]
          .map((m) => getJson(`/api/dashboard/${m}?${p}`)));
      if (ticket !== latest) return;
      last = results;
      const [over, top, , demo] = results;
      d3.select("#period").text(`${fmt.period(over.period.start, over.period.end)} · compared with the ${state.time_range.replace("d", " days")} before`);
      drawAll();
      const notes = [...over.not_available, ...demo.not_available.filter((n) => !n.startsWith("subscription tiers"))];
      d3.select("#notes").text(notes.length ? `Not available yet: ${Array.from(new Set(notes)).join("; ")}` : "");
      liveItems = top.items;
      await refreshLive();
      setStatus("ok", `updated ${fmt.time(new Date())}`);
      document.body.dataset.loaded = "true";
      document.body.dataset.loadedQuery = p.toString();
    } catch (error) {
      if (ticket !== latest) return;
      setStatus("error", error.message);
      document.body.dataset.loaded = "error";
    } finally {
      if (ticket === latest) d3.select("#refresh").property("disabled", false);
    }
  }

  d3.selectAll("#time-range button").on("click", function () { state.time_range = this.dataset.value; changed(); });
  form.addEventListener("change", (event) => {
    const name = event.target.name;
    if (FILTERS.includes(name)) {
      if (event.target.value) state[name] = event.target.value; else delete state[name];
      changed();
    }
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  d3.select("#refresh").on("click", load);
  window.addEventListener("popstate", () => { state = readUrl(); syncControls(); load(); });
  C.onResize(drawAll);
  setInterval(refreshLive, refreshSeconds * 1000);
  syncControls();
  loadFilterValues();
  load();
})();
