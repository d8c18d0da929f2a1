/* The Influencers page: the latest scoring run from /api/influencers/run, drawn with D3. */
(function () {
  "use strict";
  const base = document.documentElement.dataset.base || "";
  const $ = (id) => document.getElementById(id);
  const fmt = d3.format(",.0f");
  const fmt2 = d3.format(".2f");
  const SIGNALS = ["authentic_reshares", "unique_resharers", "pagerank", "resharer_reach", "likes_received", "engagement_rate", "followers"];
  const color = d3.scaleOrdinal(SIGNALS, ["#38bdf8", "#a78bfa", "#f472b6", "#facc15", "#34d399", "#fb923c", "#94a3b8"]);
  let lastAllocation = null;

  function showError(message) {
    const box = $("inf-error");
    box.textContent = message;
    box.hidden = false;
  }

  async function getJSON(url, options) {
    const response = await fetch(base + url, options);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function size(svg) {
    const box = svg.node().getBoundingClientRect();
    return [Math.max(280, box.width), Math.max(200, box.height)];
  }

  function summary(run) {
    const s = run.summary;
    const cards = [["posts", s.posts], ["authors", s.authors], ["cascades", s.cascades], ["flagged accounts", s.flagged_accounts], ["bot rings", s.rings]];
    const root = $("inf-summary");
    root.replaceChildren(...cards.map(([label, value]) => {
      const card = el("div", { class: "inf-stat" });
      card.append(el("b", {}, fmt(value)), el("span", {}, label));
      return card;
    }));
    $("inf-run").textContent = `run ${run.run_id} · as of ${run.as_of}`;
  }

  function leaderboard(rows) {
    const columns = [
      ["rank", "#", (r) => r.rank],
      ["author_id", "account", (r) => r.author_id],
      ["influence_score", "score", (r) => r.influence_score],
      ["breakdown", "breakdown", null],
      ["authentic_reshares", "authentic reshares", (r) => r.signals.authentic_reshares],
      ["unique_resharers", "unique resharers", (r) => r.signals.unique_resharers],
      ["resharer_reach", "resharer reach", (r) => r.signals.resharer_reach],
      ["followers", "followers", (r) => r.signals.followers],
      ["engagement_rate", "engagement rate", (r) => r.signals.engagement_rate],
      ["sentiment", "sentiment", (r) => r.signals.sentiment],
    ];
    const table = $("inf-leaderboard");
    let sortKey = "rank", ascending = true;
    function render() {
      const getter = columns.find((c) => c[0] === sortKey)[2];
      const sorted = rows.slice().sort((a, b) => {
        const x = getter(a), y = getter(b);
        const cmp = (x === null || x === undefined) - (y === null || y === undefined) || (x < y ? -1 : x > y ? 1 : 0);
        return ascending ? cmp : -cmp;
      });
      const head = el("tr");
      columns.forEach(([key, label, get]) => {
        const th = el("th", { scope: "col", class: key === "author_id" || key === "breakdown" ? "l" : "" }, label);
        if (get) {
          th.dataset.key = key;
          th.setAttribute("aria-sort", key === sortKey ? (ascending ? "ascending" : "descending") : "none");
          th.addEventListener("click", () => { ascending = sortKey === key ? !ascending : key === "rank" || key === "author_id"; sortKey = key; render(); });
        }
        head.append(th);
      });
      const body = sorted.map((r) => {
        const tr = el("tr", { class: r.flags.length ? "flagged" : "" });
        columns.forEach(([key, , get]) => {
          if (key === "breakdown") {
            const td = el("td", { class: "l" });
            const bar = el("div", { class: "inf-bar", title: SIGNALS.map((s) => `${s} ${Math.round((r.score_shares[s] || 0) * 100)}%`).join(", ") });
            SIGNALS.forEach((s) => { const i = el("i"); i.style.width = `${(r.score_shares[s] || 0) * 100}%`; i.style.background = color(s); bar.append(i); });
            td.append(bar);
            tr.append(td);
            return;
          }
          const v = get(r);
          const text = v === null || v === undefined ? "–" : key === "author_id" ? v + (r.flags.length ? " ⚑" : "") : key === "engagement_rate" ? d3.format(".4f")(v) : key === "sentiment" || key === "influence_score" ? fmt2(v) : fmt(v);
          tr.append(el("td", { class: key === "author_id" ? "l" : "" }, text));
        });
        return tr;
      });
      table.replaceChildren(el("thead"), el("tbody"));
      table.tHead.append(head);
      table.tBodies[0].append(...body);
    }
    render();
    $("inf-legend").replaceChildren(...SIGNALS.map((s) => { const span = el("span"); const i = el("i"); i.style.background = color(s); span.append(i, s.replaceAll("_", " ")); return span; }));
  }

  function graph(data) {
    const svg = d3.select("#inf-graph");
    svg.selectAll("*").remove();
    const [w, h] = size(svg);
    svg.attr("viewBox", `0 0 ${w} ${h}`);
    const nodes = data.nodes.map((d) => ({ ...d }));
    const links = data.links.map((d) => ({ ...d }));
    const r = d3.scaleSqrt().domain([0, d3.max(nodes, (d) => d.score) || 1]).range([3, 14]);
    const sim = d3.forceSimulation(nodes)
      .force("link", d3.forceLink(links).id((d) => d.id).distance(30).strength(0.3))
      .force("charge", d3.forceManyBody().strength(-40))
      .force("center", d3.forceCenter(w / 2, h / 2))
      .force("collide", d3.forceCollide((d) => r(d.score) + 1))
      // A weak pull to the middle keeps small components (one reshare, two accounts) from drifting off.
      .force("x", d3.forceX(w / 2).strength(0.06))
      .force("y", d3.forceY(h / 2).strength(0.06))
      .stop();
    for (let i = 0; i < 300; i += 1) sim.tick();
    // Fit the layout into the box (one scale for both axes, so distances keep their meaning) instead of
    // clamping: clamping piles every node that ended outside onto the edges.
    const pad = 18;
    const [x0, x1] = d3.extent(nodes, (d) => d.x);
    const [y0, y1] = d3.extent(nodes, (d) => d.y);
    const k = Math.min((w - 2 * pad) / Math.max(1, x1 - x0), (h - 2 * pad) / Math.max(1, y1 - y0), 1.5);
    const ox = (w - k * (x1 - x0)) / 2, oy = (h - k * (y1 - y0)) / 2;
    nodes.forEach((d) => { d.x = ox + k * (d.x - x0); d.y = oy + k * (d.y - y0); });
    svg.append("g").selectAll("line").data(links).join("line").attr("class", "link")
      .attr("stroke-width", (d) => Math.min(4, 0.5 + Math.log1p(d.weight)))
      .attr("x1", (d) => d.source.x).attr("y1", (d) => d.source.y).attr("x2", (d) => d.target.x).attr("y2", (d) => d.target.y);
    svg.append("g").selectAll("circle").data(nodes).join("circle")
      .attr("class", (d) => "node" + (d.top ? " top" : ""))
      .attr("r", (d) => r(d.score)).attr("cx", (d) => d.x).attr("cy", (d) => d.y)
      .attr("fill", (d) => (d.flagged ? "#ef4444" : d.top ? "#38bdf8" : "#475569"))
      .append("title").text((d) => `${d.id} · score ${fmt2(d.score)}${d.flagged ? " · flagged" : ""}`);
    svg.append("g").selectAll("text").data(nodes.filter((d) => d.top)).join("text").attr("class", "label")
      .attr("x", (d) => d.x + r(d.score) + 2).attr("y", (d) => d.y + 3).text((d) => d.id);
  }

  function cascade(trees) {
    const pick = $("inf-cascade-pick");
    pick.replaceChildren(...trees.map((t, i) => el("option", { value: String(i) }, `${t.author_id} · ${t.root_post_id.slice(-16)} · ${fmt(t.size)} posts`)));
    function draw() {
      const tree = trees[Number(pick.value || 0)];
      const svg = d3.select("#inf-cascade");
      svg.selectAll("*").remove();
      if (!tree) return;
      const [w, h] = size(svg);
      svg.attr("viewBox", `0 0 ${w} ${h}`);
      const ids = new Set(tree.nodes.map((n) => n.id));
      const rows = tree.nodes.map((n) => ({ ...n, parent: n.parent && ids.has(n.parent) ? n.parent : null }));
      const rootId = rows.find((n) => n.parent === null).id;
      rows.forEach((n) => { if (n.parent === null && n.id !== rootId) n.parent = rootId; });
      const root = d3.stratify().id((d) => d.id).parentId((d) => d.parent)(rows);
      d3.tree().size([w - 40, h - 40])(root);
      const g = svg.append("g").attr("transform", "translate(20,20)");
      g.selectAll("line").data(root.links()).join("line").attr("class", "link")
        .attr("x1", (d) => d.source.x).attr("y1", (d) => d.source.y).attr("x2", (d) => d.target.x).attr("y2", (d) => d.target.y);
      g.selectAll("circle").data(root.descendants()).join("circle").attr("class", "node")
        .attr("r", (d) => (d.depth === 0 ? 7 : 3.5)).attr("cx", (d) => d.x).attr("cy", (d) => d.y)
        .attr("fill", (d) => d3.interpolateCool(Math.min(1, d.depth / 6)))
        .append("title").text((d) => `${d.data.author} · depth ${d.depth}`);
    }
    pick.onchange = draw;
    draw();
  }

  function rising(rows) {
    const table = $("inf-rising");
    const head = el("tr");
    ["root post", "author", "now", "predicted", ""].forEach((t, i) => head.append(el("th", { class: i < 2 ? "l" : "" }, t)));
    const max = d3.max(rows, (r) => r.predicted_final_size) || 1;
    const body = rows.map((r) => {
      const tr = el("tr");
      tr.append(el("td", { class: "l" }, r.root_post_id.slice(-18)), el("td", { class: "l" }, r.author_id), el("td", {}, fmt(r.size)), el("td", {}, fmt(r.predicted_final_size)));
      const td = el("td");
      const bar = el("div", { class: "inf-bar", title: `${r.size} now, ${Math.round(r.predicted_final_size)} predicted` });
      const now = el("i"); now.style.width = `${(r.size / max) * 100}%`; now.style.background = "#38bdf8";
      const more = el("i"); more.style.width = `${((r.predicted_final_size - r.size) / max) * 100}%`; more.style.background = "#f97316";
      bar.append(now, more); td.append(bar); tr.append(td);
      return tr;
    });
    table.replaceChildren(el("thead"), el("tbody"));
    table.tHead.append(head);
    table.tBodies[0].append(...body);
  }

  function bars(selector, entries) {
    const svg = d3.select(selector);
    svg.selectAll("*").remove();
    const [w, h] = size(svg);
    svg.attr("viewBox", `0 0 ${w} ${h}`);
    const m = { t: 10, r: 10, b: 24, l: 40 };
    const x = d3.scaleBand().domain(entries.map((e) => e[0])).range([m.l, w - m.r]).padding(0.15);
    const y = d3.scaleLinear().domain([0, d3.max(entries, (e) => e[1]) || 1]).nice().range([h - m.b, m.t]);
    svg.append("g").attr("class", "axis").attr("transform", `translate(0,${h - m.b})`).call(d3.axisBottom(x));
    svg.append("g").attr("class", "axis").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(4, "~s"));
    svg.append("g").selectAll("rect").data(entries).join("rect").attr("fill", "#38bdf8")
      .attr("x", (e) => x(e[0])).attr("width", x.bandwidth()).attr("y", (e) => y(e[1])).attr("height", (e) => y(0) - y(e[1]))
      .append("title").text((e) => `${e[0]}: ${fmt(e[1])}`);
  }

  function sentiment(series) {
    const svg = d3.select("#inf-sentiment");
    svg.selectAll("*").remove();
    const [w, h] = size(svg);
    svg.attr("viewBox", `0 0 ${w} ${h}`);
    if (!series.length) { svg.append("text").attr("class", "label").attr("x", 20).attr("y", 30).text("no texts scored"); return; }
    const m = { t: 10, r: 10, b: 24, l: 40 };
    const points = series.map((s) => ({ t: new Date(s.hour), v: s.mean }));
    const x = d3.scaleUtc().domain(d3.extent(points, (p) => p.t)).range([m.l, w - m.r]);
    const y = d3.scaleLinear().domain([-1, 1]).range([h - m.b, m.t]);
    svg.append("g").attr("class", "axis").attr("transform", `translate(0,${h - m.b})`).call(d3.axisBottom(x).ticks(6));
    svg.append("g").attr("class", "axis").attr("transform", `translate(${m.l},0)`).call(d3.axisLeft(y).ticks(5));
    svg.append("line").attr("class", "link").attr("x1", m.l).attr("x2", w - m.r).attr("y1", y(0)).attr("y2", y(0));
    svg.append("path").datum(points).attr("fill", "none").attr("stroke", "#34d399").attr("stroke-width", 2)
      .attr("d", d3.line().x((p) => x(p.t)).y((p) => y(p.v)));
  }

  function flagged(rows) {
    $("inf-flagged").replaceChildren(...rows.map((r) => {
      const li = el("li");
      li.append(el("b", {}, `${r.author_id} (#${r.rank})`));
      r.flags.forEach((f) => li.append(el("small", {}, `${f.code}: ${f.reason}`)));
      return li;
    }));
  }

  function allocationView(result) {
    const o = result.optimal, n = result.naive;
    const box = $("inf-alloc-summary");
    const compare = el("div", { class: "inf-compare" });
    [["Optimal", o], ["Naive (top by followers)", n]].forEach(([label, p]) => {
      const d = el("div");
      d.append(el("div", { class: "inf-muted" }, label), el("b", {}, `${fmt(p.expected_engaged_reach)} engaged`), el("div", {}, `${p.influencers} accounts · cost ${fmt(p.cost)} · ${p.cost_per_engagement ?? "–"} per engagement`));
      compare.append(d);
    });
    const ratio = el("div");
    ratio.append(el("div", { class: "inf-muted" }, "reach vs naive"), el("b", {}, result.reach_vs_naive ? `${result.reach_vs_naive}×` : "–"), el("div", {}, `${result.status}, ${result.seconds} s`));
    compare.append(ratio);
    box.replaceChildren(compare);
    const table = $("inf-alloc-table");
    const head = el("tr");
    ["account", "country", "followers", "cost", "engaged accounts", "in naive plan"].forEach((t, i) => head.append(el("th", { class: i < 2 ? "l" : "" }, t)));
    table.replaceChildren(el("thead"), el("tbody"));
    table.tHead.append(head);
    table.tBodies[0].append(...result.rows.map((r) => {
      const tr = el("tr");
      tr.append(el("td", { class: "l" }, r.author_id), el("td", { class: "l" }, r.country || "–"), el("td", {}, r.followers === null ? "–" : fmt(r.followers)), el("td", {}, fmt(r.cost)), el("td", {}, fmt(r.engaged_accounts)), el("td", {}, r.in_naive ? "yes" : ""));
      return tr;
    }));
    $("inf-export").hidden = !result.rows.length;
  }

  $("inf-alloc-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { budget: Number(form.get("budget")), countries: form.get("countries"), topics: form.get("topics"), minimums: form.get("minimums"), tiers: form.get("tiers"), rate_card: form.get("rate_card"), include_flagged: form.get("include_flagged") === "on" };
    $("inf-alloc-summary").textContent = "solving…";
    $("inf-export-result").textContent = "";
    try {
      lastAllocation = await getJSON("/api/influencers/allocate", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      allocationView(lastAllocation);
    } catch (error) {
      $("inf-alloc-summary").textContent = `Cannot allocate: ${error.message}`;
      $("inf-alloc-table").replaceChildren();
      $("inf-export").hidden = true;
    }
  });

  $("inf-export").addEventListener("click", async () => {
    if (!lastAllocation) return;
    try {
      const done = await getJSON("/api/influencers/export", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows: lastAllocation.rows, run_id: lastAllocation.run_id, summary: { optimal: lastAllocation.optimal, naive: lastAllocation.naive } }) });
      $("inf-export-result").textContent = `Exported ${done.manifest.size} accounts: ${done.keys.join(", ")}`;
    } catch (error) {
      $("inf-export-result").textContent = `Export failed: ${error.message}`;
    }
  });

  getJSON("/api/influencers/run").then((run) => {
    summary(run);
    leaderboard(run.leaderboard);
    graph(run.graph);
    cascade(run.cascades);
    rising(run.rising);
    bars("#inf-geo", Object.entries(run.geography).slice(0, 15));
    sentiment(run.sentiment);
    flagged(run.flagged);
  }).catch((error) => { showError(error.message); $("inf-run").textContent = ""; });
})();
