// New task: a type picker with a JSON config editor; the server's userErrors are shown at their field.

import {gql} from "../api.js";
import {h, notify} from "../dom.js";
import {CREATE_TASK, PRIORITIES, TASK_TYPES} from "../queries.js";

/** A starting config per type (API.md's executionConfig table); the editor shows it until edited. */
const TEMPLATES = {
  API_CALL: {apiEndpoint: "https://api.example.com/ping", apiMethod: "GET"},
  BROWSER_AUTOMATION: {steps: [{action: "navigate", url: "https://example.com"}, {action: "screenshot", name: "page"}]},
  DATA_EXTRACTION: {url: "https://example.com", fields: {title: {selector: "h1"}}},
  GHL_ACTION: {ghlAction: "add_tag", contactId: "", tags: ["vip"]},
  NOTIFICATION: {message: "Hello", webhookId: ""},
  REMINDER: {message: "Call back", delayMinutes: 30, webhookId: ""},
  REPORT_GENERATION: {reportType: "task_summary"},
};

const pretty = (value) => JSON.stringify(value, null, 2);

// CreateTaskInput fields -> the id of the control that shows their errors.
const FIELD_CONTROLS = {
  title: "new-title", taskType: "new-type", description: "new-description", priority: "new-priority",
  executionType: "new-bot", assignedToBot: "new-bot", requiresHumanReview: "new-review",
  scheduledFor: "new-scheduled", cron: "new-cron", labels: "new-labels", maxRetries: "new-retries",
  timeoutSeconds: "new-timeout", executionConfig: "new-config",
};

function field(id, label, control, hint = null) {
  control.id = id;
  control.setAttribute("aria-describedby", `err-${id}${hint ? ` hint-${id}` : ""}`);
  return h("div", {class: "field", dataset: {field: id}},
    h("label", {for: id}, label), control,
    hint ? h("p", {class: "hint", id: `hint-${id}`}, hint) : null,
    h("p", {class: "field-error", id: `err-${id}`, hidden: true}));
}

function check(id, label, checked) {
  return h("div", {class: "field check", dataset: {field: id}},
    h("input", {type: "checkbox", id, checked, "aria-describedby": `err-${id}`}),
    h("label", {for: id}, label),
    h("p", {class: "field-error", id: `err-${id}`, hidden: true}));
}

export function newTaskView(root, ctx) {
  const type = h("select", {}, TASK_TYPES.map((t) => h("option", {value: t}, t)));
  const config = h("textarea", {rows: 12, spellcheck: "false", class: "code"});
  config.value = pretty(TEMPLATES[type.value]);
  let template = config.value;
  type.addEventListener("change", () => {
    if (config.value.trim() === template.trim() || !config.value.trim()) {
      config.value = template = pretty(TEMPLATES[type.value]);
    }
  });
  const formError = h("p", {class: "error", role: "alert", id: "form-error", hidden: true});
  const submit = h("button", {type: "submit", class: "primary", id: "new-submit"}, "Create task");
  const form = h("form", {class: "new-task", novalidate: true, onsubmit: (e) => create(e)},
    field("new-title", "Title", h("input", {required: true, maxlength: 500, autocomplete: "off"})),
    field("new-type", "Type", type),
    field("new-description", "Description", h("textarea", {rows: 2})),
    h("div", {class: "row"},
      field("new-priority", "Priority", h("select", {},
        PRIORITIES.map((p) => h("option", {value: p, selected: p === "NORMAL"}, p)))),
      field("new-retries", "Max retries", h("input", {type: "number", min: 0, max: 100, value: "3"})),
      field("new-timeout", "Timeout (s)", h("input", {type: "number", min: 1, value: "300"}))),
    check("new-bot", "Run automatically (assigned to the bot)", true),
    check("new-review", "Requires human review before it runs", false),
    h("div", {class: "row"},
      field("new-scheduled", "Scheduled for", h("input", {type: "datetime-local"}), "Your local time; empty: now."),
      field("new-cron", "Cron", h("input", {autocomplete: "off", placeholder: "*/15 * * * *"}), "Optional schedule (UTC)."),
      field("new-labels", "Labels", h("input", {autocomplete: "off"}), "Comma-separated.")),
    field("new-config", "Config (JSON)", config, "The executionConfig of the chosen type; secrets come back as ***."),
    formError,
    h("div", {class: "buttons"}, submit),
  );
  root.append(h("h1", {}, "New task"), form);
  form.querySelector("#new-title").focus();

  function clearErrors() {
    formError.hidden = true;
    for (const el of form.querySelectorAll(".field-error")) {
      el.hidden = true;
      el.textContent = "";
    }
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }

  function showError(controlId, message) {
    const target = controlId ? form.querySelector(`#err-${controlId}`) : null;
    if (!target) {
      formError.hidden = false;
      formError.textContent = formError.textContent ? `${formError.textContent} ${message}` : message;
      return;
    }
    target.hidden = false;
    target.textContent = target.textContent ? `${target.textContent} ${message}` : message;
    form.querySelector(`#${controlId}`)?.setAttribute("aria-invalid", "true");
  }

  function input() {
    const value = (id) => form.querySelector(`#${id}`).value.trim();
    let executionConfig;
    try {
      executionConfig = JSON.parse(config.value || "{}");
    } catch (err) {
      showError("new-config", `Not valid JSON: ${err.message}`);
      return null;
    }
    if (executionConfig === null || typeof executionConfig !== "object" || Array.isArray(executionConfig)) {
      showError("new-config", "The config must be a JSON object ({...}).");
      return null;
    }
    const bot = form.querySelector("#new-bot").checked;
    const result = {
      title: value("new-title"),
      taskType: type.value,
      priority: value("new-priority"),
      executionType: bot ? "AUTOMATIC" : "MANUAL",
      assignedToBot: bot,
      requiresHumanReview: form.querySelector("#new-review").checked,
      maxRetries: Number(value("new-retries") || 3),
      timeoutSeconds: Number(value("new-timeout") || 300),
      labels: value("new-labels").split(",").map((l) => l.trim()).filter(Boolean),
      executionConfig,
    };
    if (value("new-description")) result.description = value("new-description");
    if (value("new-cron")) result.cron = value("new-cron");
    const scheduled = value("new-scheduled");
    if (scheduled) result.scheduledFor = new Date(scheduled).toISOString();
    return result;
  }

  async function create(event) {
    event.preventDefault();
    clearErrors();
    const variables = input();
    if (!variables) return;
    if (!variables.title) {
      showError("new-title", "A title is required.");
      return;
    }
    submit.disabled = true;
    try {
      const {createTask} = await gql(CREATE_TASK, {input: variables});
      if (createTask.userErrors.length) {
        for (const e of createTask.userErrors) {
          const [, name, ...rest] = e.field ?? [];
          const where = name === "executionConfig" && rest.length ? `${rest.join(".")}: ` : "";
          showError(FIELD_CONTROLS[name], `${where}${e.message}`);
        }
        form.querySelector("[aria-invalid]")?.focus();
        return;
      }
      const task = createTask.task;
      notify(`Created “${task.title}” (${task.status}).`, {link: h("a", {href: `#/tasks/${task.id}`}, "Open it")});
      ctx.navigate("#/tasks", {highlight: task.id});
    } catch (err) {
      showError(null, `Could not create the task: ${err.message}`);
    } finally {
      submit.disabled = false;
    }
  }

  return () => {};
}
