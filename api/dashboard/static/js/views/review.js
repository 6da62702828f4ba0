// Review queue: tasks AWAITING_REVIEW, approved or rejected in one click; decided ones stay below with
// their live status.

import {ActionError, taskAction} from "../actions.js";
import {gql} from "../api.js";
import {badge, h, json, replace, time} from "../dom.js";
import {REVIEW_QUEUE} from "../queries.js";

const DEFAULT_REJECT_REASON = "rejected in review";

export function reviewView(root, ctx) {
  const queue = new Map(); // task id -> task, oldest first
  const decided = new Map(); // task id -> task, newest decision first
  const list = h("ul", {class: "review-list", id: "review-queue"});
  const decidedList = h("ul", {class: "decided-list", id: "review-decided"});
  const count = h("p", {class: "muted", role: "status"});
  const elements = new Map(); // task id -> its <li> in the queue, kept so typed reasons and focus survive
  let closed = false;

  root.append(h("h1", {}, "Review queue"), count, list,
    h("h2", {}, "Decided here"), decidedList);

  function render() {
    count.textContent = queue.size ? `${queue.size} task${queue.size === 1 ? "" : "s"} awaiting review`
      : "Nothing awaits review.";
    for (const [id, el] of elements) {
      if (!queue.has(id)) {
        el.remove();
        elements.delete(id);
      }
    }
    [...queue.values()].forEach((task, i) => {
      if (!elements.has(task.id)) elements.set(task.id, itemOf(task));
      const el = elements.get(task.id);
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] ?? null);
    });
    replace(decidedList, decided.size ? [...decided.values()].map(decidedOf)
      : h("li", {class: "muted"}, "Tasks you approve or reject appear here with their live status."));
  }

  function itemOf(task) {
    const reasonId = `reason-${task.id}`;
    const reason = h("input", {id: reasonId, placeholder: DEFAULT_REJECT_REASON, maxlength: 500,
      autocomplete: "off"});
    const status = h("p", {class: "action-status", role: "status"});
    const decide = (kind) => async () => {
      status.textContent = "";
      const variables = kind === "reject" ? {reason: reason.value.trim() || DEFAULT_REJECT_REASON} : {};
      try {
        const changed = await taskAction(kind, {id: task.id, ...variables});
        queue.delete(task.id);
        decided.delete(task.id);
        decided.set(task.id, {...task, status: changed.status, decision: kind});
        render();
      } catch (err) {
        status.textContent = err instanceof ActionError ? err.message : `Failed: ${err.message}`;
        status.classList.add("error");
      }
    };
    return h("li", {class: "review-item", dataset: {taskId: task.id}},
      h("div", {class: "review-head"},
        h("a", {href: `#/tasks/${task.id}`}, task.title), " ",
        h("span", {class: "muted"}, `${task.taskType} · ${task.priority} · created `), time(task.createdAt)),
      task.description ? h("p", {}, task.description) : null,
      h("details", {}, h("summary", {}, "Config"), h("pre", {class: "json"}, json(task.executionConfig))),
      h("div", {class: "review-actions"},
        h("button", {type: "button", class: "primary", onclick: decide("approve"),
          "aria-label": `Approve ${task.title}`}, "Approve"),
        h("label", {for: reasonId, class: "sr-only"}, `Reason for rejecting ${task.title}`), reason,
        h("button", {type: "button", class: "danger", onclick: decide("reject"),
          "aria-label": `Reject ${task.title}`}, "Reject")),
      status);
  }

  function decidedOf(task) {
    return h("li", {dataset: {taskId: task.id, status: task.status}},
      badge(task.status), " ", h("a", {href: `#/tasks/${task.id}`}, task.title),
      h("span", {class: "muted"}, task.decision ? ` — ${task.decision === "approve" ? "approved" : "rejected"}` : ""));
  }

  async function load() {
    try {
      const data = await gql(REVIEW_QUEUE);
      if (closed) return;
      queue.clear();
      for (const t of data.tasks.nodes) queue.set(t.id, t);
      render();
    } catch (err) {
      if (!closed) count.textContent = `Could not load the queue: ${err.message}`;
    }
  }

  const off = ctx.stream.on((event) => {
    const task = event.task;
    if (task.status === "AWAITING_REVIEW" && !queue.has(task.id)) {
      load(); // a new task to review: reload for its config (events carry the row's fields only)
      return;
    }
    if (queue.has(task.id) && task.status !== "AWAITING_REVIEW") {
      queue.delete(task.id); // decided elsewhere
      decided.set(task.id, {...task, decision: null});
      render();
      return;
    }
    if (decided.has(task.id)) {
      decided.set(task.id, {...decided.get(task.id), ...task});
      render();
    }
  });
  load();
  return () => {
    closed = true;
    off();
  };
}
