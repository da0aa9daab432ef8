// Small SVG line charts over time, with events marked on the time axis. Each chart has a
// text alternative (its summary, and its figures in a table) for screen readers.

import { h, s } from "./dom.js";

const W = 640;
const H = 180;
const PAD = { left: 48, right: 12, top: 12, bottom: 26 };

function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= value);
  return step * power;
}

const clock = (t) => new Date(t).toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit" });
const figure = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 }));

// series: [{name, values: [number|null per time]}]; times: [ms]; markers: [{at: ms, label}]
export function lineChart({ title, unit, times, series, markers = [], id }) {
  // Each point is the start of its step: the axis runs to the end of the last one (now).
  const from = times[0] ?? Date.now();
  const step = times.length > 1 ? times[1] - times[0] : 60000;
  const to = (times[times.length - 1] ?? from) + step;
  const max = niceMax(Math.max(0, ...series.flatMap((line) => line.values.filter((v) => v !== null))));
  const x = (t) => PAD.left + ((t - from) / (to - from || 1)) * (W - PAD.left - PAD.right);
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);

  const grid = [0, 0.5, 1].map((f) => [
    s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(max * f), y2: y(max * f), class: "grid" }),
    s("text", { x: PAD.left - 6, y: y(max * f) + 4, class: "tick", "text-anchor": "end" }, figure(max * f)),
  ]);
  const ticks = [from, (from + to) / 2, to].map((t, i) =>
    s("text", { x: x(t), y: H - 8, class: "tick", "text-anchor": ["start", "middle", "end"][i] }, clock(t)));
  const lines = series.map((line) => {
    let d = "";
    line.values.forEach((v, i) => {
      if (v === null) return;
      d += `${d && line.values[i - 1] !== null ? "L" : "M"}${x(times[i]).toFixed(1)},${y(v).toFixed(1)}`;
    });
    const peak = Math.max(0, ...line.values.filter((v) => v !== null));
    return s("path", { d: d || "M0,0", class: `line line-${line.name}`, "data-series": line.name, "data-max": peak });
  });
  const marks = markers.filter((m) => m.at >= from && m.at <= to).map((m) =>
    s("g", { class: `marker marker-${m.kind}` },
      s("title", {}, `${clock(m.at)} ${m.label}`),
      s("line", { x1: x(m.at), x2: x(m.at), y1: PAD.top, y2: H - PAD.bottom }),
      s("path", { d: `M${x(m.at) - 5},${PAD.top - 2}L${x(m.at) + 5},${PAD.top - 2}L${x(m.at)},${PAD.top + 6}Z` })));

  const peaks = series.map((line) => `${line.name} peak ${figure(Math.max(0, ...line.values.filter((v) => v !== null)))} ${unit}`);
  const label = `${title}: ${peaks.join(", ")}; ${marks.length} event(s) marked.`;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "chart", id },
    grid, ticks, marks, lines);
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
