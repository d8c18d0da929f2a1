// The shared chart components (D3) and formatting (Intl) every page uses: window.AudienceCharts.
// Charts size themselves to their container, redraw on resize, write every datum with .text() or
// as an attribute (never as HTML), and never let two labels overlap: long labels are truncated to
// the room they have, with the full text in a tooltip (<title> and the hover box).
window.AudienceCharts = (function () {
  "use strict";
  const locale = undefined; // the browser's
  const nf = new Intl.NumberFormat(locale);
  const compactNf = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  const pctNf = new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const dayFmt = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" });
  const dayLongFmt = new Intl.DateTimeFormat(locale, { weekday: "short", month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  const stampFmt = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  const timeFmt = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

  const fmt = {
    number: (v) => (v == null ? "–" : nf.format(v)),
    compact: (v) => (v == null ? "–" : Math.abs(v) < 10000 ? nf.format(v) : compactNf.format(v)),
    pct: (v) => (v == null ? "–" : pctNf.format(v)), // v is a ratio (0.25 -> 25%)
    change: (v) => (v == null ? "no previous data" : (v > 0 ? "+" : v < 0 ? "−" : "±") + nf.format(Math.abs(v)) + "%"),
    day: (d) => dayFmt.format(toDate(d)),
    dayLong: (d) => dayLongFmt.format(toDate(d)),
    stamp: (d) => stampFmt.format(toDate(d)),
    time: (d) => timeFmt.format(toDate(d)),
    period: (start, end) => stampFmt.format(toDate(start)) + " – " + stampFmt.format(toDate(end)),
  };

  function toDate(d) {
    if (d instanceof Date) return d;
    return typeof d === "string" && /^\d{4}-\d{2}-\d{2}$/.test(d) ? new Date(d + "T00:00:00Z") : new Date(d);
  }

  const palette = ["#38bdf8", "#f97316", "#a78bfa", "#34d399", "#f472b6", "#facc15", "#60a5fa", "#fb7185", "#2dd4bf", "#c084fc"];

  // One hover box shared by all charts (the <title> elements stay for keyboard and screen readers).
  let tip = null;
  function tooltip(selection, text) {
    selection.on("mouseenter.tip", function (event, d) {
      if (!tip) tip = d3.select("body").append("div").attr("class", "tooltip").attr("role", "tooltip");
      tip.style("display", "block").text(text(d));
    }).on("mousemove.tip", (event) => {
      if (tip) tip.style("left", Math.min(event.clientX + 12, window.innerWidth - 330) + "px").style("top", event.clientY + 12 + "px");
    }).on("mouseleave.tip", () => tip && tip.style("display", "none"));
    selection.selectAll("title").data((d) => [d]).join("title").text(text);
  }

  // Truncate an SVG <text> to maxWidth pixels, ending with "…"; the full text goes in data-full.
  function fitText(node, full, maxWidth) {
    const el = d3.select(node);
    el.text(full).attr("data-full", full);
    if (maxWidth <= 0) { el.text(""); return false; }
    if (node.getComputedTextLength() <= maxWidth) return false;
    let lo = 0, hi = full.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      el.text(full.slice(0, mid) + "…");
      if (node.getComputedTextLength() <= maxWidth) lo = mid; else hi = mid - 1;
    }
    el.text(lo > 0 ? full.slice(0, lo) + "…" : "…");
    return true;
  }

  function empty(container, title, hint) {
    const root = d3.select(container);
    root.selectAll("*").remove();
    const box = root.append("div").attr("class", "empty");
    box.append("strong").text(title);
    if (hint) {
      const parts = String(hint).split(/(`[^`]+`)/);
      const p = box.append("div");
      parts.forEach((part) => (part.startsWith("`") ? p.append("code").text(part.slice(1, -1)) : p.append("span").text(part)));
    }
    return box;
  }

  function widthOf(container, fallback) {
    const node = d3.select(container).node();
    return Math.max(200, Math.floor((node && node.clientWidth) || fallback || 480));
  }

  // Horizontal bars: label column (truncated to fit, full text in a tooltip), bar, value.
  // opts: key, value, label, format, title (tooltip text), color, onClick, labelShare (0..1 of width)
  function bars(container, items, opts) {
    const o = Object.assign({ format: fmt.number, labelShare: 0.36, rowHeight: 26, color: "var(--accent)" }, opts);
    const root = d3.select(container);
    root.selectAll("*").remove();
    if (!items.length) return empty(container, o.emptyTitle || "Nothing in this view", o.emptyHint);
    const width = widthOf(container);
    const labelWidth = Math.round(Math.min(220, Math.max(70, width * o.labelShare)));
    const valueRoom = 64;
    const x = d3.scaleLinear().domain([0, d3.max(items, o.value) || 1]).range([0, Math.max(40, width - labelWidth - valueRoom - 8)]);
    const svg = root.append("svg").attr("width", width).attr("height", items.length * o.rowHeight + 2)
      .attr("role", "list");
    const g = svg.selectAll("g.row").data(items).join("g").attr("class", "row").attr("role", "listitem")
      .attr("transform", (_, i) => `translate(0,${i * o.rowHeight})`)
      .attr("data-key", (d) => o.key(d)).attr("data-value", (d) => o.value(d));
    g.append("text").attr("class", "label bar-label").attr("x", 0).attr("y", o.rowHeight / 2 + 4)
      .each(function (d) { fitText(this, String(o.label(d)), labelWidth - 10); });
    g.append("rect").attr("class", "bar").attr("x", labelWidth).attr("y", 4).attr("rx", 3).attr("height", o.rowHeight - 8)
      .attr("width", (d) => Math.max(1, x(o.value(d)))).attr("fill", (d, i) => (typeof o.color === "function" ? o.color(d, i) : o.color));
    g.append("text").attr("class", "value bar-value").attr("y", o.rowHeight / 2 + 4)
      .attr("x", (d) => labelWidth + x(o.value(d)) + 6).text((d) => o.format(o.value(d)));
    tooltip(g, (d) => (o.title ? o.title(d) : `${o.label(d)}: ${o.format(o.value(d))}`));
    if (o.onClick) g.style("cursor", "pointer").attr("tabindex", 0).on("click", (e, d) => o.onClick(d))
      .on("keydown", (e, d) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); o.onClick(d); } });
    return svg;
  }

  // Time series, one line per series; points whose `partial` is true are drawn dashed in a shaded band.
  // series: [{key, label, points: [{date: "YYYY-MM-DD", value, partial}]}]
  function timeSeries(container, series, opts) {
    const o = Object.assign({ height: 240, format: fmt.number }, opts);
    const root = d3.select(container);
    root.selectAll("*").remove();
    const all = series.flatMap((s) => s.points);
    if (!all.length) return empty(container, o.emptyTitle || "No events in this period", o.emptyHint);
    const width = widthOf(container);
    const m = { t: 12, r: 16, b: 26, l: 48 };
    const color = d3.scaleOrdinal(palette).domain(series.map((s) => s.key));
    const legend = root.append("ul").attr("class", "legend");
    const li = legend.selectAll("li").data(series).join("li");
    li.append("i").style("background", (s) => color(s.key));
    li.append("span").text((s) => s.label);
    const dates = Array.from(new Set(all.map((p) => p.date))).sort().map(toDate);
    const x = d3.scaleUtc().domain(d3.extent(dates)).range([m.l, width - m.r]);
    if (dates.length === 1) x.domain([d3.utcDay.offset(dates[0], -1), d3.utcDay.offset(dates[0], 1)]);
    const y = d3.scaleLinear().domain([0, d3.max(all, (p) => p.value) || 1]).nice().range([o.height - m.b, m.t]);
    const svg = root.append("svg").attr("width", width).attr("height", o.height).attr("role", "img")
      .attr("aria-label", o.ariaLabel || "time series");
    const partialFrom = all.filter((p) => p.partial).map((p) => toDate(p.date)).sort((a, b) => a - b)[0];
    if (partialFrom) {
      const x0 = Math.max(m.l, x(d3.utcDay.offset(partialFrom, 0)) - (dates.length > 1 ? (x(dates[1]) - x(dates[0])) / 2 : 10));
      svg.append("rect").attr("class", "partial-band").attr("x", x0).attr("y", m.t).attr("width", width - m.r - x0 + m.r).attr("height", o.height - m.b - m.t);
      svg.append("text").attr("class", "partial-note").attr("x", width - m.r).attr("y", m.t + 10).attr("text-anchor", "end").text("partial");
    }
    const ticks = Math.max(2, Math.min(dates.length, Math.floor((width - m.l - m.r) / 80)));
    svg.append("g").attr("class", "gridline").attr("transform", `translate(${m.l},0)`)
      .call(d3.axisLeft(y).ticks(4).tickSize(-(width - m.l - m.r)).tickFormat(""));
    svg.append("g").attr("class", "axis x").attr("transform", `translate(0,${o.height - m.b})`)
      .call(d3.axisBottom(x).ticks(ticks).tickFormat((d) => fmt.day(d)).tickSizeOuter(0));
    svg.append("g").attr("class", "axis y").attr("transform", `translate(${m.l},0)`)
      .call(d3.axisLeft(y).ticks(4).tickFormat((d) => fmt.compact(d)).tickSizeOuter(0));
    const line = d3.line().x((p) => x(toDate(p.date))).y((p) => y(p.value));
    for (const s of series) {
      const pts = s.points.slice().sort((a, b) => (a.date < b.date ? -1 : 1));
      const cut = pts.findIndex((p) => p.partial);
      const whole = cut < 0 ? pts : pts.slice(0, cut);
      const tail = cut < 0 ? [] : pts.slice(Math.max(0, cut - 1));
      svg.append("path").datum(whole).attr("class", "series-line").attr("stroke", color(s.key)).attr("d", line);
      if (tail.length > 1) svg.append("path").datum(tail).attr("class", "series-line partial").attr("stroke", color(s.key)).attr("d", line);
      const dots = svg.append("g").selectAll("circle").data(pts).join("circle").attr("class", "point").attr("r", 3)
        .attr("cx", (p) => x(toDate(p.date))).attr("cy", (p) => y(p.value)).attr("fill", color(s.key))
        .attr("fill-opacity", (p) => (p.partial ? 0.4 : 1))
        .attr("data-series", s.key).attr("data-date", (p) => p.date).attr("data-value", (p) => p.value)
        .attr("data-partial", (p) => (p.partial ? "true" : null));
      tooltip(dots, (p) => `${s.label} · ${fmt.dayLong(p.date)}: ${o.format(p.value)}${p.partial ? " (partial day, so far)" : ""}`);
    }
    return svg;
  }

  // A small line of values (no axes): the shape of a trend beside a figure.
  function sparkline(container, values, opts) {
    const o = Object.assign({ width: 96, height: 22, label: "" }, opts);
    const root = d3.select(container);
    root.selectAll("*").remove();
    if (!values.length) return root.append("span").attr("class", "muted").text("–");
    const x = d3.scaleLinear().domain([0, Math.max(1, values.length - 1)]).range([2, o.width - 2]);
    const y = d3.scaleLinear().domain([0, d3.max(values) || 1]).range([o.height - 2, 2]);
    const svg = root.append("svg").attr("class", "sparkline").attr("width", o.width).attr("height", o.height)
      .attr("role", "img").attr("aria-label", o.label);
    svg.append("path").attr("d", d3.line().x((_, i) => x(i)).y((v) => y(v))(values));
    svg.append("circle").attr("r", 2).attr("cx", x(values.length - 1)).attr("cy", y(values[values.length - 1]));
    svg.append("title").text(o.label);
    return svg;
  }

  // Heatmap: rows x columns of cells {value, text, title, muted}. Cells are at least 46 x 30 px with
  // 12 px text in the colour that contrasts with the cell; cells with no value are outlined, not
  // invisible. Wider than its card, it scrolls inside the card, never the page.
  // opts: rows [{key, label}], cols [{key, label}], cell(rowKey, colKey) -> {value, text, title, muted},
  //       color (value -> css colour), onRow(rowKey), selected (rowKey)
  function heatmap(container, opts) {
    const o = Object.assign({ cellHeight: 30, minCell: 42 }, opts);
    const root = d3.select(container).classed("scroll-x", true);
    root.selectAll("*").remove();
    if (!o.rows.length || !o.cols.length) return empty(container, o.emptyTitle || "Nothing to show", o.emptyHint);
    const width = widthOf(container);
    const labelWidth = Math.round(Math.min(240, Math.max(110, width * 0.26)));
    const cw = Math.max(o.minCell, Math.floor((width - labelWidth - 4) / o.cols.length));
    // Column labels: horizontal when they fit in a cell, else angled (room is made above).
    const probe = root.append("svg").attr("width", 10).attr("height", 10);
    const t = probe.append("text").attr("class", "col-label");
    const longest = d3.max(o.cols, (c) => { t.text(c.label); return t.node().getComputedTextLength(); }) || 0;
    probe.remove();
    const angled = longest > cw - 6;
    const top = angled ? Math.min(110, Math.ceil(longest * 0.6) + 16) : 24;
    const total = labelWidth + cw * o.cols.length;
    const svg = root.append("svg").attr("width", total + 4).attr("height", top + o.cellHeight * o.rows.length + 4)
      .attr("role", "table");
    const colG = svg.append("g").selectAll("text").data(o.cols).join("text").attr("class", "col-label");
    if (angled) {
      colG.attr("transform", (c, j) => `translate(${labelWidth + j * cw + cw / 2},${top - 6}) rotate(-35)`)
        .each(function (c) { fitText(this, c.label, 130); });
    } else {
      colG.attr("x", (c, j) => labelWidth + j * cw + cw / 2).attr("y", top - 8).attr("text-anchor", "middle").text((c) => c.label);
    }
    colG.append("title").text((c) => c.label);
    const rowG = svg.append("g").selectAll("text").data(o.rows).join("text").attr("class", "row-label")
      .classed("selected", (r) => r.key === o.selected)
      .attr("x", labelWidth - 8).attr("y", (r, i) => top + i * o.cellHeight + o.cellHeight / 2 + 4).attr("text-anchor", "end")
      .attr("data-row", (r) => r.key).attr("tabindex", o.onRow ? 0 : null)
      .each(function (r) { fitText(this, r.label, labelWidth - 14); });
    tooltip(rowG, (r) => r.label);
    if (o.onRow) rowG.on("click", (e, r) => o.onRow(r.key)).on("keydown", (e, r) => { if (e.key === "Enter") o.onRow(r.key); });
    const cells = [];
    o.rows.forEach((r, i) => o.cols.forEach((c, j) => cells.push({ i, j, r, c, v: o.cell(r.key, c.key) || {} })));
    const g = svg.append("g").selectAll("g").data(cells).join("g").attr("class", "cell")
      .attr("transform", (d) => `translate(${labelWidth + d.j * cw},${top + d.i * o.cellHeight})`)
      .attr("data-row", (d) => d.r.key).attr("data-col", (d) => d.c.key);
    g.append("rect").attr("class", (d) => "heat-cell" + (d.v.value == null ? " none" : "")).attr("width", cw - 2).attr("height", o.cellHeight - 2)
      .attr("x", 1).attr("y", 1).attr("rx", 3)
      .attr("fill", (d) => (d.v.value == null ? null : o.color(d.v.value))).attr("fill-opacity", (d) => (d.v.muted ? 0.45 : 1));
    g.append("text").attr("class", "heat-text").attr("x", cw / 2).attr("y", o.cellHeight / 2 + 4).attr("text-anchor", "middle")
      .attr("fill", (d) => (d.v.value == null ? "var(--muted)" : contrastInk(o.color(d.v.value))))
      .text((d) => (d.v.text != null ? d.v.text : "–"));
    tooltip(g, (d) => d.v.title || `${d.r.label} · ${d.c.label}: ${d.v.text != null ? d.v.text : "no data"}`);
    return svg;
  }

  function contrastInk(css) {
    const c = d3.color(css);
    if (!c) return "#0f172a";
    const { r, g, b } = c.rgb();
    const lum = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
    return lum > 0.55 ? "#0f172a" : "#f8fafc";
  }

  // Redraw a chart when its container changes width (not on every pixel).
  function onResize(draw) {
    let last = window.innerWidth, timer = null;
    window.addEventListener("resize", () => {
      if (window.innerWidth === last) return;
      last = window.innerWidth;
      clearTimeout(timer);
      timer = setTimeout(draw, 120);
    });
  }

  return { fmt, palette, bars, timeSeries, sparkline, heatmap, empty, fitText, tooltip, onResize, toDate };
})();
