// Tasks: a filtered, paged table whose rows follow the live event stream.

import {gql} from "../api.js";
import {badge, debounce, h, micros, replace, time} from "../dom.js";
import {TASK_STATUSES, TASK_TYPES, TASKS} from "../queries.js";

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 300;

// Filters outlive the view: going to a task and back keeps them.
const filters = {status: "", type: "", search: ""};

const COLUMNS = ["Status", "Type", "Priority", "Title", "Attempts", "Updated"];

/** A table row for `task` (every value as text). */
export function taskRow(task) {
  const tr = h("tr", {dataset: {taskId: task.id}},
    h("td", {"data-label": "Status", class: "col-status"}),
    h("td", {"data-label": "Type"}),
    h("td", {"data-label": "Priority"}),
    h("td", {"data-label": "Title", class: "col-title"}, h("a", {href: `#/tasks/${task.id}`})),
    h("td", {"data-label": "Attempts", class: "num"}),
    h("td", {"data-label": "Updated"}),
  );
  fillRow(tr, task);
  return tr;
}

/** Show `task` in an existing row, in place (a focused link keeps its focus). */
export function fillRow(tr, task) {
  const [status, type, priority, title, attempts, updated] = tr.cells;
  tr.dataset.status = task.status;
  replace(status, badge(task.status));
  type.textContent = task.taskType;
  priority.textContent = task.priority;
  title.firstChild.textContent = task.title;
  attempts.textContent = String(task.attempts?.totalCount ?? 0);
  replace(updated, time(task.updatedAt));
}

/** Restart the row's highlight animation. */
export function flash(tr) {
  if (!tr) return;
  tr.classList.remove("flash");
  void tr.offsetWidth; // a reflow, so that the animation starts again
  tr.classList.add("flash");
}

function selectOf(id, label, values, current, onchange) {
  return h("div", {class: "field"},
    h("label", {for: id}, label),
    h("select", {id, onchange},
      h("option", {value: ""}, "All"),
      values.map((v) => h("option", {value: v, selected: v === current}, v))));
}

export function tasksView(root, ctx) {
  let cursors = [null]; // the `after` of every page visited; the last is the page shown
  let rows = new Map(); // task id -> task, in display order
  let pageInfo = {hasNextPage: false, endCursor: null};
  let totalCount = 0;
  let loading = 0; // sequence number of the newest load; answers of older loads are dropped
  let buffered = null; // events that arrived while a load was in flight

  const tbody = h("tbody");
  const summary = h("p", {class: "muted", role: "status", id: "tasks-summary"});
  const prev = h("button", {type: "button", onclick: () => go(-1)}, "← Previous");
  const next = h("button", {type: "button", onclick: () => go(1)}, "Next →");
  const search = h("input", {id: "filter-search", type: "search", value: filters.search,
    placeholder: "title or description", autocomplete: "off"});
  const runSearch = debounce(() => {
    filters.search = search.value.trim();
    restart();
  }, SEARCH_DELAY_MS);
  search.addEventListener("input", runSearch);

  root.append(
    h("h1", {}, "Tasks"),
    h("form", {class: "filters", role: "search", onsubmit: (e) => e.preventDefault()},
      selectOf("filter-status", "Status", TASK_STATUSES, filters.status,
        (e) => { filters.status = e.target.value; restart(); }),
      selectOf("filter-type", "Type", TASK_TYPES, filters.type, (e) => { filters.type = e.target.value; restart(); }),
      h("div", {class: "field grow"}, h("label", {for: "filter-search"}, "Search"), search)),
    h("div", {class: "table-wrap"},
      h("table", {class: "tasks", id: "tasks-table"},
        h("thead", {}, h("tr", {}, COLUMNS.map((c) => h("th", {scope: "col"}, c)))),
        tbody)),
    h("nav", {class: "pager", "aria-label": "Pages"}, prev, summary, next),
  );

  function matches(task) {
    if (filters.status && task.status !== filters.status) return false;
    if (filters.type && task.taskType !== filters.type) return false;
    if (filters.search) {
      const needle = filters.search.toLowerCase();
      const hay = `${task.title} ${task.description ?? ""}`.toLowerCase();
      if (!hay.includes(needle)) return false;
    }
    return true;
  }

  function render() {
    replace(tbody, [...rows.values()].map((t) => {
      const tr = taskRow(t);
      if (t.id === ctx.highlight) tr.classList.add("flash");
      return tr;
    }));
    if (!rows.size) {
      tbody.append(h("tr", {class: "empty"}, h("td", {colspan: COLUMNS.length}, "No tasks match.")));
    }
    const page = cursors.length;
    summary.textContent = `Page ${page} · ${totalCount} task${totalCount === 1 ? "" : "s"}`;
    prev.disabled = page === 1;
    next.disabled = !pageInfo.hasNextPage;
  }

  async function load() {
    const seq = ++loading;
    buffered = [];
    const filter = {};
    if (filters.status) filter.status = [filters.status];
    if (filters.type) filter.taskType = [filters.type];
    if (filters.search) filter.search = filters.search;
    summary.textContent = "Loading…";
    try {
      const data = await gql(TASKS, {filter, first: PAGE_SIZE, after: cursors.at(-1), orderBy: "CREATED_AT_DESC"});
      if (seq !== loading) return;
      const {nodes} = data.tasks;
      ({totalCount, pageInfo} = data.tasks);
      rows = new Map(nodes.map((t) => [t.id, t]));
      const late = buffered;
      buffered = null;
      render();
      for (const event of late) apply(event);
    } catch (err) {
      if (seq !== loading) return;
      buffered = null;
      replace(summary, `Could not load tasks: ${err.message} `,
        h("button", {type: "button", onclick: load}, "Retry"));
    }
  }

  function restart() {
    cursors = [null];
    load();
  }

  function go(step) {
    if (step > 0 && pageInfo.hasNextPage) cursors.push(pageInfo.endCursor);
    if (step < 0 && cursors.length > 1) cursors.pop();
    load();
  }

  /** Apply one TaskEvent: update the row (newest version wins), add a new match, drop a task that left. */
  function apply(event) {
    if (buffered) {
      buffered.push(event);
      return;
    }
    const task = event.task;
    const shown = rows.get(task.id);
    if (shown) {
      if (micros(task.updatedAt) < micros(shown.updatedAt)) return;
      if (!matches(task)) {
        rows.delete(task.id);
        totalCount -= 1;
        render();
        return;
      }
      rows.set(task.id, task);
      const tr = rowElement(task.id);
      if (tr) {
        fillRow(tr, task);
        flash(tr);
      }
      return;
    }
    if (!matches(task) || cursors.length > 1) return; // new rows only on the first page (newest first)
    const last = [...rows.values()].at(-1);
    if (last && pageInfo.hasNextPage && micros(task.createdAt) < micros(last.createdAt)) return;
    rows = new Map([...rows, [task.id, task]].sort((a, b) => micros(b[1].createdAt) - micros(a[1].createdAt)));
    totalCount += 1;
    render();
    flash(rowElement(task.id));
  }

  function rowElement(id) {
    return tbody.querySelector(`tr[data-task-id="${CSS.escape(id)}"]`);
  }

  const off = ctx.stream.on(apply);
  load();
  return () => {
    off();
    runSearch.cancel();
    loading += 1;
  };
}
