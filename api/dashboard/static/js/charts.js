// Small inline-SVG charts built with DOM calls (labels are text nodes, never markup).

import {h, s} from "./dom.js";

/** Colours per status, also used by the legend; kept in sync with the badge colours in app.css. */
export const STATUS_COLOURS = {
  PENDING: "#8a94a6", AWAITING_REVIEW: "#b7791f", SCHEDULED: "#6b46c1", QUEUED: "#3182ce",
  IN_PROGRESS: "#0987a0", RETRYING: "#dd6b20", COMPLETED: "#2f855a", FAILED: "#c53030", CANCELLED: "#4a5568",
};

function legend(keys, colours) {
  return h("ul", {class: "legend"}, keys.map((k) =>
    h("li", {}, s("svg", {width: 12, height: 12, "aria-hidden": "true"},
      s("rect", {width: 12, height: 12, rx: 2, fill: colours[k] ?? "#999"})), ` ${k}`)));
}

/**
 * A stacked bar per day: `days` is [{date, values: {key: n}}]; `keys` orders the stack.
 * Returns a <figure> with the chart, a legend and a text description for screen readers.
 * `width` is the pixels the chart gets, so that its text is drawn at its real size.
 */
export function stackedBars({title, days, keys, colours, width = 640}) {
  const height = 220, left = 36, bottom = 28, top = 10;
  const totals = days.map((d) => keys.reduce((sum, k) => sum + (d.values[k] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const slot = (width - left) / Math.max(1, days.length);
  const barWidth = Math.max(2, Math.min(40, slot * 0.7));
  const y = (v) => top + (height - top - bottom) * (1 - v / max);
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart",
    "aria-label": `${title}: ${days.map((d, i) => `${d.date} ${totals[i]}`).join(", ")}`});
  for (const tick of new Set([0, Math.ceil(max / 2), max])) {
    svg.append(s("line", {x1: left, x2: width, y1: y(tick), y2: y(tick), class: "grid"}),
      s("text", {x: left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis"}, String(tick)));
  }
  const labelEvery = Math.ceil(days.length / Math.max(2, Math.floor(width / 60)));
  days.forEach((day, i) => {
    const x = left + slot * i + (slot - barWidth) / 2;
    let base = 0;
    for (const key of keys) {
      const value = day.values[key] ?? 0;
      if (!value) continue;
      svg.append(s("rect", {x, width: barWidth, y: y(base + value), height: y(base) - y(base + value),
        fill: colours[key] ?? "#999"}, s("title", {}, `${day.date} ${key}: ${value}`)));
      base += value;
    }
    if (i % labelEvery === 0) {
      svg.append(s("text", {x: x + barWidth / 2, y: height - 10, "text-anchor": "middle", class: "axis"},
        day.date.slice(5)));
    }
  });
  const used = keys.filter((k) => days.some((d) => d.values[k]));
  return h("figure", {class: "chart-figure"}, h("figcaption", {}, title), svg,
    used.length ? legend(used, colours) : h("p", {class: "muted"}, "Nothing in this range."));
}

/**
 * Horizontal bars, one per row: rows are [{label, value, text}], `max` the full scale. Below 480 px the label
 * and value go above each bar.
 */
export function horizontalBars({title, rows, max, colour = "#3182ce", width = 640, empty = "Nothing in this range."}) {
  const narrow = width < 480;
  const rowHeight = narrow ? 42 : 28;
  const labelWidth = narrow ? 0 : 170;
  const valueWidth = narrow ? 0 : 150;
  const barHeight = 18;
  const height = Math.max(1, rows.length) * rowHeight + 8;
  const scale = Math.max(max, 1e-9);
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart",
    "aria-label": `${title}: ${rows.map((r) => `${r.label} ${r.text}`).join(", ") || "no data"}`});
  rows.forEach((row, i) => {
    const top = 4 + i * rowHeight;
    const barTop = narrow ? top + 18 : top + 4;
    const barMax = width - labelWidth - valueWidth;
    const w = Math.max(row.value > 0 ? 2 : 0, (barMax * Math.min(row.value, scale)) / scale);
    const textY = narrow ? top + 13 : top + rowHeight / 2 + 4;
    svg.append(
      narrow ? s("text", {x: 0, y: textY, class: "label"}, row.label)
        : s("text", {x: labelWidth - 8, y: textY, "text-anchor": "end", class: "label"}, row.label),
      s("rect", {x: labelWidth, y: barTop, width: barMax, height: barHeight, class: "track"}),
      s("rect", {x: labelWidth, y: barTop, width: w, height: barHeight, fill: row.colour ?? colour},
        s("title", {}, `${row.label}: ${row.text}`)),
      narrow ? s("text", {x: width, y: textY, "text-anchor": "end", class: "value"}, row.text)
        : s("text", {x: labelWidth + barMax + 8, y: textY, class: "value"}, row.text));
  });
  return h("figure", {class: "chart-figure"}, h("figcaption", {}, title),
    rows.length ? svg : h("p", {class: "muted"}, empty));
}
