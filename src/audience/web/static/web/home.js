// The home page: the last 7 days at a glance (the dashboard's KPIs) and one fact per page, each
// from that page's own API. A page whose API fails or has nothing yet just shows no fact.
(function () {
  "use strict";
  const C = window.AudienceCharts, fmt = C.fmt;

  async function get(path) {
    const response = await window.audienceAuth.fetch(path, { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  function fact(name, text) {
    d3.select(`.tile-fact[data-fact="${name}"]`).text(text);
  }

  async function glance() {
    try {
      const over = await get("/api/dashboard/engagement_over_time?time_range=7d");
      if (!over.totals.events) {
        C.empty("#glance", "No events yet", "Run `make demo` (or post events to /events), then reload.").style("grid-column", "1 / -1");
        d3.select("#glance-status").text("");
        return;
      }
      const tiles = d3.select("#glance").selectAll("div.kpi").data(over.kpis).join((enter) => {
        const t = enter.append("div").attr("class", "kpi");
        t.append("div").attr("class", "label");
        t.append("div").attr("class", "value");
        t.append("div").attr("class", "delta");
        return t;
      });
      tiles.attr("data-key", (d) => d.key);
      tiles.select(".label").text((d) => d.label);
      tiles.select(".value").text((d) => (d.kind === "ratio" ? fmt.pct(d.value) : fmt.number(d.value)));
      tiles.select(".delta").attr("class", (d) => "delta" + (d.change_pct > 0 ? " up" : d.change_pct < 0 ? " down" : ""))
        .text((d) => (d.change_pct == null ? "no previous period data" : fmt.change(d.change_pct) + " vs the 7 days before"));
      d3.select("#glance-status").text(fmt.period(over.period.start, over.period.end));
      fact("dashboard", `${fmt.number(over.totals.events)} events from ${fmt.number(over.totals.users)} users in 7 days`);
    } catch (err) {
      d3.select("#glance-status").text("the dashboard's figures are not available: " + err.message);
    }
  }

  async function facts() {
    get("/api/explorer/segments").then((o) => {
      const n = o.segments.filter((s) => !s.is_noise).length;
      fact("explorer", `${n} segments of ${fmt.number(o.users)} users (${o.method})`);
    }).catch(() => fact("explorer", "No segmentation yet: run make demo"));
    get("/api/insights/subjects").then((s) => {
      if (s.contents.length || s.segments.length) fact("insights", `${fmt.number(s.contents.length)} content items and ${fmt.number(s.segments.length)} segments to ask about`);
    }).catch(() => {});
  }

  glance().finally(() => { document.body.dataset.loaded = "true"; });
  facts();
})();
