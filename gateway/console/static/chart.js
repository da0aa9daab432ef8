// Small SVG line charts over time, with events marked on the time axis. Each chart has a
// text alternative (its summary, and its figures in a table) for screen readers.
//
// A chart is drawn at its size on screen, one SVG unit to a CSS pixel, and drawn again when
// that size changes: scaled by a viewBox, its labels would shrink with the column (to 7 px
// in a third of a laptop's screen), so the stylesheet's font sizes are the sizes seen.

import { h, s } from "./dom.js";

const H = 180;
const PAD = { left: 48, right: 12, top: 26, bottom: 26 };
const UNLAID_WIDTH = 640; // until the chart has a size (without ResizeObserver, for good)

function niceMax(value, floor = 0, ceiling = Infinity) {
  const wanted = Math.max(value, floor);
  if (!(wanted > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(wanted));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= wanted);
  return Math.min(step * power, ceiling);
}

const clock = (t, seconds = false) => new Date(t).toLocaleTimeString("en-US",
  { hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined });
const figure = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 }));
const peakOf = (values) => Math.max(0, ...values.filter((v) => v !== null));

// Each chart on screen: how to draw it at a width, and whether it has been laid out.
const charts = new WeakMap();
const sized = typeof ResizeObserver === "undefined" ? null : new ResizeObserver((entries) => {
  for (const { target, contentRect } of entries) {
    const chart = charts.get(target);
    if (contentRect.width > 0) {
      chart.laidOut = true;
      chart.draw(contentRect.width);
    } else if (chart.laidOut && !target.isConnected) {
      sized.unobserve(target); // gone with a refresh of the view
    }
  }
});

// times: [ms], each the start of its step of `step` ms, oldest first; series: [{name,
// values: [number|null per time]}]; markers: [{at: ms, kind, label}]. The y axis runs from
// 0 to a round number above the data, at least `floor` and at most `ceiling`, in `unit`.
export function lineChart({ title, unit, times, step, series, markers = [], id, floor = 0, ceiling = Infinity }) {
  // The axis runs to the end of the last step (now), from the first point given.
  const from = times[0] ?? Date.now() - step;
  const to = (times[times.length - 1] ?? from) + step;
  const max = niceMax(Math.max(...series.map((line) => peakOf(line.values))), floor, ceiling);
  const shown = markers.filter((m) => m.at >= from && m.at <= to);

  function plot(W) {
    const x = (t) => PAD.left + ((t - from) / (to - from || 1)) * (W - PAD.left - PAD.right);
    const mid = (i) => x(times[i] + step / 2); // a step's figure, drawn across it at its middle
    const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
    const unitLabel = s("text", { x: 4, y: 14, class: "axis-unit" }, unit);
    const grid = [0, 0.5, 1].map((f) => [
      s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(max * f), y2: y(max * f), class: "grid" }),
      s("text", { x: PAD.left - 6, y: y(max * f) + 4, class: "tick tick-y", "text-anchor": "end" }, figure(max * f)),
    ]);
    const seconds = to - from < 10 * 60000;
    const ticks = [from, (from + to) / 2, to].map((t, i) =>
      s("text", { x: x(t), y: H - 8, class: "tick tick-x", "text-anchor": ["start", "middle", "end"][i] }, clock(t, seconds)));
    const lines = series.map((line) => {
      let d = "";
      const lone = [];
      line.values.forEach((v, i) => {
        if (v === null) return;
        const joined = i > 0 && line.values[i - 1] !== null;
        d += `${joined ? "L" : "M"}${mid(i).toFixed(1)},${y(v).toFixed(1)}`;
        // A point with no neighbour is no line: a dot, so that it shows.
        if (!joined && (line.values[i + 1] ?? null) === null) lone.push([mid(i), y(v)]);
      });
      return [
        s("path", { d: d || "M0,0", class: `line line-${line.name}`, "data-series": line.name, "data-max": peakOf(line.values) }),
        lone.map(([cx, cy]) => s("circle", { cx, cy, r: 3, class: `dot line-${line.name}`, "data-series": line.name })),
      ];
    });
    const marks = shown.map((m) =>
      s("g", { class: `marker marker-${m.kind}` },
        s("title", {}, `${clock(m.at)} ${m.label}`),
        s("line", { x1: x(m.at), x2: x(m.at), y1: PAD.top, y2: H - PAD.bottom }),
        s("path", { d: `M${x(m.at) - 5},${PAD.top - 2}L${x(m.at) + 5},${PAD.top - 2}L${x(m.at)},${PAD.top + 6}Z` })));
    return [unitLabel, grid, ticks, marks, lines];
  }

  const peaks = series.map((line) => `${line.name} peak ${figure(peakOf(line.values))} ${unit}`);
  const label = `${title}: ${peaks.join(", ")}; ${shown.length} event(s) marked.`;
  const svg = s("svg", { role: "img", "aria-label": label, class: "chart", id, "data-from": from, "data-to": to });
  let drawnAt = null;
  const draw = (width) => {
    if (width === drawnAt) return;
    drawnAt = width;
    svg.setAttribute("viewBox", `0 0 ${width} ${H}`);
    svg.replaceChildren(...plot(width).flat(Infinity));
  };
  draw(UNLAID_WIDTH);
  charts.set(svg, { draw, laidOut: false });
  sized?.observe(svg);
  const legend = h("ul", { class: "legend" }, series.map((line) =>
    h("li", {}, h("span", { class: `swatch line-${line.name}`, "aria-hidden": "true" }), line.name)));
  const rows = times.map((t, i) => h("tr", {}, h("th", { scope: "row" }, clock(t)),
    series.map((line) => h("td", {}, figure(line.values[i])))));
  const data = h("details", {}, h("summary", {}, `${title}: the figures`),
    h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": `${title}: the figures` }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Time"),
        series.map((line) => h("th", { scope: "col" }, `${line.name} (${unit})`)))),
      h("tbody", {}, rows))));
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), legend, svg, data);
}
