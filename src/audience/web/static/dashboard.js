// The dashboard: four charts from /api/dashboard/<metric> and a live panel refreshed from the counters.
// Every datum is written with .text() or as an attribute value, never as HTML.
(function () {
  "use strict";
  const form = document.getElementById("filters");
  const status = d3.select("#status");
  const refreshSeconds = Number(document.body.dataset.refreshSeconds || 15);
  let liveIds = [];
  let latest = 0; // a slower, older load must not overwrite a newer one

  function params() {
    const p = new URLSearchParams();
    for (const [key, value] of new FormData(form).entries()) {
      if (String(value).trim() !== "") p.set(key, String(value).trim());
    }
    return p;
  }

  async function getJson(url) {
    // Through the shared sign-in helper: relative to the app's root, with the token when signed in.
    const response = await window.audienceAuth.fetch(url, { headers: { accept: "application/json" } });
    const body = await response.json();
    if (!response.ok) {
      const reasons = (body.reasons || []).map((r) => `${r.parameter}: ${r.reason}`).join("; ");
      throw new Error(reasons || body.message || response.statusText);
    }
    return body;
  }

  function hbars(container, items, key, value, label) {
    const root = d3.select(container);
    root.selectAll("*").remove();
    if (!items.length) {
      root.append("p").attr("class", "empty").text("no data");
      return;
    }
    const width = 440, row = 22, left = 150;
    const x = d3.scaleLinear().domain([0, d3.max(items, value) || 1]).range([0, width - left - 60]);
    const svg = root.append("svg").attr("width", width).attr("height", items.length * row + 4);
    const g = svg.selectAll("g").data(items).join("g")
      .attr("class", "row").attr("transform", (_, i) => `translate(0,${i * row})`)
      .attr("data-key", (d) => key(d)).attr("data-value", (d) => value(d));
    g.append("text").attr("class", "label").attr("x", 0).attr("y", 15).text((d) => label(d));
    g.append("rect").attr("class", "bar").attr("x", left).attr("y", 3).attr("height", row - 6)
      .attr("width", (d) => x(value(d)));
    g.append("text").attr("class", "value").attr("x", (d) => left + x(value(d)) + 4).attr("y", 15)
      .text((d) => d3.format(",")(value(d)));
  }

  function series(container, points) {
    const root = d3.select(container);
    root.selectAll("*").remove();
    if (!points.length) {
      root.append("p").attr("class", "empty").text("no data");
      return;
    }
    const width = 440, height = 180, m = { t: 10, r: 24, b: 24, l: 44 };
    const dates = points.map((d) => new Date(d.date + "T00:00:00Z"));
    const x = d3.scaleUtc().domain(d3.extent(dates)).range([m.l, width - m.r]);
    const y = d3.scaleLinear().domain([0, d3.max(points, (d) => d.events) || 1]).nice().range([height - m.b, m.t]);
    const svg = root.append("svg").attr("width", width).attr("height", height);
    svg.append("g").attr("transform", `translate(0,${height - m.b})`).call(d3.axisBottom(x).ticks(5));
    svg.append("g").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(4));
    const line = d3.line().x((_, i) => x(dates[i])).y((d) => y(d.events));
    svg.append("path").datum(points).attr("class", "line").attr("d", line);
    svg.selectAll("circle").data(points).join("circle").attr("class", "point").attr("r", 3)
      .attr("cx", (_, i) => x(dates[i])).attr("cy", (d) => y(d.events))
      .attr("data-date", (d) => d.date).attr("data-value", (d) => d.events)
      .append("title").text((d) => `${d.date}: ${d.events} events`);
  }

  async function refreshLive() {
    if (!liveIds.length) return;
    const p = new URLSearchParams();
    liveIds.forEach((id) => p.append("content_id", id));
    try {
      const body = await getJson(`/api/dashboard/live?${p}`);
      d3.select("#live .as-of").text(`as of ${body.as_of}`);
      const rows = d3.select("#live tbody").selectAll("tr").data(body.items, (d) => d.content_id).join("tr")
        .attr("data-key", (d) => d.content_id);
      rows.selectAll("td")
        .data((d) => [d.content_id, d3.format(",")(d.events), d3.format(",")(d.last_24h_events),
          d3.format(",")(d.likes), d3.format(",")(d.shares)])
        .join("td").text((d) => d);
    } catch (error) {
      status.attr("class", "error").text(`live counters: ${error.message}`);
    }
  }

  async function load() {
    const p = params();
    const ticket = ++latest;
    status.attr("class", null).text("loading…");
    try {
      const [over, top, platforms, demo] = await Promise.all(
        ["engagement_over_time", "top_content", "platform_performance", "audience_demographics"]
          .map((m) => getJson(`/api/dashboard/${m}?${p}`)));
      if (ticket !== latest) return;
      const t = over.totals;
      const change = t.events_change_pct === null ? "no previous data" : `${t.events_change_pct}% vs previous period`;
      d3.select("#over-time .totals").text(`${d3.format(",")(t.events)} events, ${d3.format(",")(t.users)} users (${change})`);
      series("#over-time .chart", over.series);
      hbars("#top-content .chart", top.items, (d) => d.content_id, (d) => d.events,
        (d) => (d.title ? `${d.title}` : d.content_id).slice(0, 24));
      hbars("#platforms .chart", platforms.items, (d) => d.value, (d) => d.events, (d) => d.value);
      hbars("#demographics .countries", demo.countries.slice(0, 10), (d) => d.value, (d) => d.events, (d) => d.value);
      hbars("#demographics .devices", demo.devices, (d) => d.value, (d) => d.events, (d) => d.value);
      hbars("#demographics .tiers", demo.tiers, (d) => d.value, (d) => d.events, (d) => d.value);
      const missing = [...over.not_available, ...demo.not_available];
      status.text(missing.length ? `not available: ${missing.join("; ")}` : `period ${over.period.start} to ${over.period.end}`);
      liveIds = top.items.map((d) => d.content_id);
      await refreshLive();
      document.body.dataset.loaded = "true";
      document.body.dataset.loadedQuery = p.toString();
    } catch (error) {
      if (ticket !== latest) return;
      status.attr("class", "error").text(error.message);
      document.body.dataset.loaded = "error";
    }
  }

  form.addEventListener("change", load);
  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  setInterval(refreshLive, refreshSeconds * 1000);
  load();
})();
