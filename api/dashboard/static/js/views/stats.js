// Stats: the `report` query (TASK_SUMMARY, EXECUTION_STATS) drawn as charts; redrawn as events arrive.

import {gql} from "../api.js";
import {debounce, duration, h, replace} from "../dom.js";
import {horizontalBars, STATUS_COLOURS, stackedBars} from "../charts.js";
import {REPORTS, TASK_STATUSES} from "../queries.js";

const RANGES = [["1", "Last 24 hours"], ["7", "Last 7 days"], ["30", "Last 30 days"]];
const REDRAW_DELAY_MS = 2000;
const RESIZE_DELAY_MS = 200;
const CHART_COLUMN_MIN_PX = 480; // .charts grid: minmax(30rem, 1fr)
const CHART_GAP_PX = 16;
const FIGURE_INSET_PX = 26; // a figure's padding and border
const DAY_MS = 24 * 3600 * 1000;

let rangeDays = "7";

function rateColour(rate) {
  if (rate >= 0.95) return "#2f855a";
  if (rate >= 0.8) return "#b7791f";
  return "#c53030";
}

export function statsView(root, ctx) {
  const body = h("div", {class: "stats", id: "stats"}, h("p", {class: "muted"}, "Loading…"));
  const range = h("select", {id: "stats-range", onchange: () => { rangeDays = range.value; load(); }},
    RANGES.map(([v, label]) => h("option", {value: v, selected: v === rangeDays}, label)));
  root.append(h("div", {class: "title-row"}, h("h1", {}, "Stats"),
    h("div", {class: "field"}, h("label", {for: "stats-range"}, "Range"), range)), body);
  let closed = false;
  let last = null; // the reports drawn, redrawn at a new width on resize

  /** The pixels each chart gets (one or two columns), so that chart text is drawn at its real size. */
  function chartWidth() {
    const available = body.clientWidth || 640;
    const columns = available + CHART_GAP_PX >= 2 * (CHART_COLUMN_MIN_PX + CHART_GAP_PX) ? 2 : 1;
    return Math.max(240, Math.floor((available - CHART_GAP_PX * (columns - 1)) / columns) - FIGURE_INSET_PX);
  }

  async function load() {
    const to = new Date();
    const from = new Date(to.getTime() - Number(rangeDays) * DAY_MS);
    try {
      const data = await gql(REPORTS, {from: from.toISOString(), to: to.toISOString()});
      if (closed) return;
      last = [data.tasks.data, data.executions.data];
      render(...last);
    } catch (err) {
      if (!closed) replace(body, h("p", {class: "error", role: "alert"}, `Could not load the reports: ${err.message}`));
    }
  }

  function render(tasks, executions) {
    const types = Object.entries(executions.byType ?? {}).filter(([, t]) => t.attempts > 0)
      .sort(([a], [b]) => a.localeCompare(b));
    const slowest = Math.max(0, ...types.map(([, t]) => t.p95Ms ?? 0));
    const width = chartWidth();
    replace(body,
      h("dl", {class: "tiles"},
        tile("Tasks created", String(tasks.total)),
        tile("Attempts", String(executions.attempts)),
        tile("Success rate", executions.attempts ? `${Math.round(executions.successRate * 100)}%` : "—"),
        tile("Failed attempts", String(executions.failed))),
      h("div", {class: "charts"},
        stackedBars({
          title: "Tasks created per day, by status now",
          days: tasks.daily.map((d) => ({date: d.date, values: d.byStatus})),
          keys: TASK_STATUSES, colours: STATUS_COLOURS, width,
        }),
        horizontalBars({
          title: "Success rate by type",
          rows: types.map(([type, t]) => ({label: type, value: t.successRate ?? 0,
            text: `${Math.round((t.successRate ?? 0) * 100)}% of ${t.attempts}`, colour: rateColour(t.successRate ?? 0)})),
          max: 1, width,
        }),
        horizontalBars({
          title: "p95 duration by type",
          rows: types.map(([type, t]) => ({label: type, value: t.p95Ms ?? 0,
            text: `${duration(t.p95Ms)} (p50 ${duration(t.p50Ms)})`})),
          max: slowest, colour: "#3182ce", width,
        }),
        stackedBars({
          title: "Attempts per day",
          days: executions.daily.map((d) => ({date: d.date, values: {SUCCEEDED: d.succeeded, FAILED: d.failed}})),
          keys: ["SUCCEEDED", "FAILED"], colours: {SUCCEEDED: STATUS_COLOURS.COMPLETED, FAILED: STATUS_COLOURS.FAILED},
          width,
        })),
      topErrors(executions.topErrors ?? []));
  }

  const redraw = debounce(load, REDRAW_DELAY_MS);
  const resized = debounce(() => { if (last) render(...last); }, RESIZE_DELAY_MS);
  const off = ctx.stream.on(redraw);
  window.addEventListener("resize", resized);
  load();
  return () => {
    closed = true;
    off();
    redraw.cancel();
    resized.cancel();
    window.removeEventListener("resize", resized);
  };
}

function tile(label, value) {
  return h("div", {class: "tile"}, h("dt", {}, label), h("dd", {}, value));
}

function topErrors(errors) {
  if (!errors.length) return null;
  return h("section", {}, h("h2", {}, "Top errors"),
    h("ol", {class: "top-errors"}, errors.map((e) => h("li", {}, h("span", {class: "count"}, `${e.count}×`), " ",
      e.error))));
}
