// Task detail: fields, config, result, executions (steps, screenshots, log) and history, kept live;
// the actions the task's status allows.

import {ActionError, allowedActions, taskAction} from "../actions.js";
import {artifactUrl, gql} from "../api.js";
import {badge, debounce, duration, h, json, notify, replace, time} from "../dom.js";
import {EXECUTION_LOG, TASK_DETAIL} from "../queries.js";

const REFRESH_DELAY_MS = 150;

export function taskView(root, ctx, id) {
  const blobs = new Map(); // artifact id -> blob: URL (revoked when the view closes)
  const logs = new Map(); // execution id -> {lines: [], done: bool, unsubscribe}
  const body = h("div", {class: "detail"}, h("p", {class: "muted"}, "Loading…"));
  const dialog = h("dialog", {class: "lightbox", "aria-label": "Screenshot"});
  dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });
  root.append(h("p", {}, h("a", {href: "#/tasks"}, "← Tasks")), body, dialog);
  let closed = false;
  let task = null;

  async function load() {
    try {
      const data = await gql(TASK_DETAIL, {id});
      if (closed) return;
      if (!data.task) {
        replace(body, h("h1", {}, "Task not found"), h("p", {}, "No task with this id in your workspace."));
        return;
      }
      task = data.task;
      render();
    } catch (err) {
      if (!closed) replace(body, h("p", {class: "error", role: "alert"}, `Could not load the task: ${err.message}`));
    }
  }
  const refresh = debounce(load, REFRESH_DELAY_MS);

  function render() {
    // A live re-render keeps keyboard focus and whatever was typed (e.g. a reject reason).
    const focusedId = document.activeElement?.id;
    const typed = [...body.querySelectorAll("input[id]")].map((el) => [el.id, el.value]);
    document.title = `${task.title} · Taskloom`;
    const executions = [...task.executions.nodes].reverse(); // newest first
    for (const e of executions) {  // before drawing: a running attempt is drawn with its live log, not "Show log"
      if (e.status === "RUNNING" && !logs.has(e.id)) followLog(e.id);
    }
    replace(body,
      h("header", {class: "detail-head"},
        h("h1", {}, task.title),
        h("p", {class: "meta"}, badge(task.status), " ", task.taskType, " · ", task.priority, " · ",
          h("code", {}, task.id))),
      task.statusReason ? h("p", {class: "reason"}, task.statusReason) : null,
      task.lastError ? h("p", {class: "error"}, "Last error: ", task.lastError) : null,
      actionsOf(task),
      h("section", {"aria-labelledby": "h-details"}, h("h2", {id: "h-details"}, "Details"), detailsOf(task)),
      h("section", {"aria-labelledby": "h-config"}, h("h2", {id: "h-config"}, "Config"),
        h("pre", {class: "json", id: "task-config"}, json(task.executionConfig))),
      h("section", {"aria-labelledby": "h-result"}, h("h2", {id: "h-result"}, "Result"),
        task.resultSummary ? h("p", {}, task.resultSummary) : null,
        h("pre", {class: "json", id: "task-result"}, json(task.result))),
      h("section", {"aria-labelledby": "h-executions"},
        h("h2", {id: "h-executions"}, `Executions (${task.executions.totalCount})`),
        executions.length ? executions.map(executionOf) : h("p", {class: "muted"}, "Not run yet.")),
      h("section", {"aria-labelledby": "h-history"}, h("h2", {id: "h-history"}, "History"), historyOf(task.events)),
    );
    for (const [inputId, value] of typed) {
      const el = document.getElementById(inputId);
      if (el) el.value = value;
    }
    if (focusedId) document.getElementById(focusedId)?.focus();
  }

  function actionsOf(t) {
    const allowed = allowedActions(t.status);
    const status = h("p", {class: "action-status", role: "status", id: "action-status"});
    const run = (kind, variables) => async (e) => {
      e.preventDefault?.();
      status.textContent = "";
      try {
        const changed = await taskAction(kind, {id: t.id, ...variables?.()});
        notify(`${kind[0].toUpperCase()}${kind.slice(1)}: “${changed.title}” is now ${changed.status}.`);
        refresh();
      } catch (err) {
        status.textContent = err instanceof ActionError ? err.message : `Failed: ${err.message}`;
        status.classList.add("error");
      }
    };
    const buttons = [];
    if (allowed.execute) buttons.push(h("button", {type: "button", id: "action-execute", onclick: run("execute")},
      "Execute"));
    if (allowed.review) buttons.push(h("button", {type: "button", class: "primary", id: "action-approve",
      onclick: run("approve")}, "Approve"));
    if (allowed.cancel) buttons.push(h("button", {type: "button", class: "danger", id: "action-cancel",
      onclick: run("cancel")}, "Cancel"));
    let reject = null;
    if (allowed.review) {
      const reason = h("input", {id: "reject-reason", required: true, maxlength: 500, autocomplete: "off"});
      reject = h("form", {class: "inline-form", onsubmit: run("reject", () => ({reason: reason.value.trim()}))},
        h("label", {for: "reject-reason"}, "Reason"), reason,
        h("button", {type: "submit", class: "danger", id: "action-reject"}, "Reject"));
    }
    if (!buttons.length && !reject) return null;
    return h("div", {class: "actions"}, h("div", {class: "buttons"}, buttons), reject, status);
  }

  function executionOf(e) {
    const shots = e.screenshots.map((shot) => {
      const img = h("img", {alt: `Screenshot ${shot.id} of attempt ${e.attemptNumber}`, class: "thumb"});
      const button = h("button", {type: "button", class: "thumb-button", "aria-label": "Enlarge screenshot",
        onclick: () => enlarge(img.src, img.alt)}, img);
      showArtifact(shot, img);
      return button;
    });
    const log = logs.get(e.id);
    return h("article", {class: "execution", dataset: {executionId: e.id, status: e.status}},
      h("h3", {}, `Attempt ${e.attemptNumber} `, badge(e.status)),
      h("p", {class: "meta"}, `${e.triggeredBy} · started `, time(e.startedAt),
        ` · ${e.durationMs === null ? (e.status === "RUNNING" ? "running" : "—") : duration(e.durationMs)}`),
      e.error ? h("p", {class: "error"}, e.error) : null,
      /^https?:\/\//i.test(e.debugUrl ?? "") ? h("p", {}, h("a", {href: e.debugUrl, rel: "noopener noreferrer",
        target: "_blank"}, "Live browser view")) : null, // http(s) only: never a javascript: URL
      stepsOf(e.steps),
      shots.length ? h("div", {class: "thumbs"}, shots) : null,
      e.output !== null && e.output !== undefined ? h("details", {},
        h("summary", {}, "Output"), h("pre", {class: "json"}, json(e.output))) : null,
      log ? logOf(e.id, log)
        : h("button", {type: "button", class: "link", onclick: () => { followLog(e.id); render(); }}, "Show log"),
    );
  }

  function stepsOf(steps) {
    if (!Array.isArray(steps) || !steps.length) return null;
    return h("div", {class: "table-wrap"}, h("table", {class: "steps"},
      h("thead", {}, h("tr", {}, ["#", "Action", "Status", "Duration", "Detail"].map((c) => h("th", {scope: "col"}, c)))),
      h("tbody", {}, steps.map((st) => h("tr", {},
        h("td", {class: "num"}, String(st.index ?? "")),
        h("td", {}, String(st.action ?? "")),
        h("td", {}, st.status ? badge(String(st.status).toUpperCase()) : ""),
        h("td", {class: "num"}, duration(st.durationMs)),
        h("td", {class: "wrap"}, typeof st.detail === "string" ? st.detail : json(st.detail ?? null)))))));
  }

  function logOf(executionId, log) {
    return h("div", {class: "log-wrap"},
      h("h4", {}, log.done ? "Log" : "Live log"),
      h("ol", {class: "log", id: `log-${executionId}`, "aria-live": "polite"},
        log.lines.length ? log.lines.map(lineOf) : h("li", {class: "muted"}, log.done ? "No lines." : "Waiting…")));
  }

  function lineOf(line) {
    return h("li", {class: `log-${line.level.toLowerCase()}`}, h("time", {datetime: line.at}, time(line.at)), " ",
      h("span", {class: "level"}, line.level), " ", line.step !== null ? `[step ${line.step}] ` : "", line.message);
  }

  /** Subscribe to an execution's log: earlier lines first, then live ones until it ends. */
  function followLog(executionId) {
    const log = {lines: [], done: false, unsubscribe: null};
    logs.set(executionId, log);
    const redraw = () => {
      const list = document.getElementById(`log-${executionId}`);
      const article = list?.closest(".log-wrap");
      if (article) article.replaceWith(logOf(executionId, log));
    };
    log.unsubscribe = ctx.live.subscribe({
      query: EXECUTION_LOG,
      variables: {id: executionId},
      next: (payload) => {
        const line = payload?.data?.executionLog;
        if (!line) return;
        log.lines.push(line);
        const list = document.getElementById(`log-${executionId}`);
        if (list) {
          if (log.lines.length === 1) list.replaceChildren();
          list.append(lineOf(line));
        }
      },
      complete: () => { log.done = true; redraw(); },
      error: () => { log.done = true; redraw(); },
      onRestart: () => { log.lines = []; redraw(); }, // the server replays the log from its start
    });
  }

  async function showArtifact(shot, img) {
    try {
      if (!blobs.has(shot.id)) blobs.set(shot.id, artifactUrl(shot.url));
      img.src = await blobs.get(shot.id);
    } catch (err) {
      blobs.delete(shot.id);
      img.alt = err.message;
    }
  }

  function enlarge(src, alt) {
    if (!src) return;
    replace(dialog, h("img", {src, alt}),
      h("form", {method: "dialog"}, h("button", {type: "submit", autofocus: true}, "Close")));
    dialog.showModal();
  }

  const off = ctx.stream.on((event) => {
    if (event.taskId === id) refresh();
  });
  load();
  return () => {
    closed = true;
    off();
    refresh.cancel();
    for (const log of logs.values()) log.unsubscribe?.();
    for (const url of blobs.values()) url.then((u) => URL.revokeObjectURL(u), () => {});
    if (dialog.open) dialog.close();
  };
}

function detailsOf(t) {
  const rows = [
    ["Execution", `${t.executionType}${t.assignedToBot ? " · bot" : ""}`],
    ["Needs review", t.requiresHumanReview ? "yes" : "no"],
    ["Scheduled for", time(t.scheduledFor)],
    ["Cron", t.cron ? `${t.cron} (${t.cronTimezone})` : null],
    ["Spawned from", t.spawnedFrom ? h("a", {href: `#/tasks/${t.spawnedFrom.id}`}, t.spawnedFrom.title) : null],
    ["Labels", t.labels.length ? t.labels.join(", ") : null],
    ["External id", t.externalId],
    ["Retries", `${t.errorCount} failed of up to ${t.maxRetries} retries`],
    ["Timeout", `${t.timeoutSeconds} s`],
    ["Review notes", t.reviewNotes],
    ["Created", time(t.createdAt)],
    ["Queued", t.queuedAt ? time(t.queuedAt) : null],
    ["Started", t.startedAt ? time(t.startedAt) : null],
    ["Completed", t.completedAt ? time(t.completedAt) : null],
    ["Next attempt", t.nextAttemptAt ? time(t.nextAttemptAt) : null],
    ["Updated", time(t.updatedAt)],
    ["Description", t.description],
  ];
  return h("dl", {class: "fields"}, rows.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function historyOf(events) {
  return h("ol", {class: "history"}, events.map((e) => h("li", {},
    time(e.at), " ", e.fromStatus ? [badge(e.fromStatus), " → "] : "", badge(e.toStatus), " ",
    h("span", {class: "muted"}, e.actor), e.reason ? ` — ${e.reason}` : "")));
}
