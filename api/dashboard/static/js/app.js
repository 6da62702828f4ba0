// The dashboard's entry: sign-in, navigation (hash routes), the live connection and its state.
//
// Routes: #/tasks, #/tasks/<id>, #/review, #/new, #/stats. The API key stays in sessionStorage.

import {ApiError, gql, session} from "./api.js";
import {debounce, h, replace} from "./dom.js";
import {LiveClient, socketUrl, TaskEventStream} from "./live.js";
import {LATEST_EVENT_ID, REVIEW_COUNT, TASK_EVENTS} from "./queries.js";
import {newTaskView} from "./views/new-task.js";
import {reviewView} from "./views/review.js";
import {statsView} from "./views/stats.js";
import {taskView} from "./views/task.js";
import {tasksView} from "./views/tasks.js";

const NAV = [["#/tasks", "Tasks"], ["#/review", "Review"], ["#/new", "New task"], ["#/stats", "Stats"]];

const STATE_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  forbidden: "Key refused",
  closed: "Offline",
};

const main = document.getElementById("main");
const header = document.getElementById("header");

function signInView(message = "") {
  header.hidden = true;
  const key = h("input", {id: "api-key", type: "password", autocomplete: "off", required: true, spellcheck: "false"});
  const error = h("p", {class: "error", role: "alert", id: "sign-in-error"}, message);
  const button = h("button", {type: "submit", class: "primary"}, "Sign in");
  const form = h("form", {class: "sign-in", onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = "";
    const value = key.value.trim();
    if (!value) {
      error.textContent = "Enter an API key.";
      return;
    }
    button.disabled = true;
    try {
      await gql(LATEST_EVENT_ID, {}, {key: value});
      session.signIn(value);
      start();
    } catch (err) {
      error.textContent = err instanceof ApiError && err.unauthenticated
        ? "That key was not accepted (unknown or revoked)." : `Could not sign in: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  }},
  h("h1", {}, "Taskloom"),
  h("p", {class: "muted"}, "Sign in with an API key of your workspace (tasks:read at least). It is kept in this tab only."),
  h("div", {class: "field"}, h("label", {for: "api-key"}, "API key"), key),
  error,
  button);
  replace(main, form);
  document.title = "Sign in · Taskloom";
  key.focus();
}

/** The signed-in app: one LiveClient and one TaskEventStream shared by every view. */
class App {
  constructor(key) {
    this.live = new LiveClient({url: socketUrl(), key});
    this.stream = new TaskEventStream(this.live, TASK_EVENTS);
    this.cleanup = null;
    this.highlight = null;
    this.onHash = () => this.route();
    this.reviewCount = debounce(() => this.#countReviews(), 300);
  }

  async start() {
    header.hidden = false;
    this.#header();
    this.live.addEventListener("state", (e) => this.#showState(e.detail));
    let latest;
    try {
      latest = (await gql(LATEST_EVENT_ID)).latestEventId;
    } catch (err) {
      if (err instanceof ApiError && err.unauthenticated) return signOut("Your key is no longer accepted.");
      latest = null; // the live stream replays from the start of the workspace instead
    }
    this.stream.start(latest);
    this.live.start();
    this.offReview = this.stream.on((e) => {
      if (e.fromStatus === "AWAITING_REVIEW" || e.toStatus === "AWAITING_REVIEW") this.reviewCount();
    });
    this.#countReviews();
    window.addEventListener("hashchange", this.onHash);
    this.route();
  }

  stop() {
    window.removeEventListener("hashchange", this.onHash);
    this.cleanup?.();
    this.cleanup = null;
    this.offReview?.();
    this.reviewCount.cancel();
    this.stream.stop();
    this.live.stop();
  }

  /** Go to `hash`; `highlight` marks a task in the list (e.g. the one just created). */
  navigate(hash, {highlight = null} = {}) {
    this.highlight = highlight;
    if (location.hash === hash) this.route();
    else location.hash = hash;
  }

  route() {
    const hash = location.hash || "#/tasks";
    if (!hash.startsWith("#/")) return; // an in-page anchor (the skip link), not a route
    this.cleanup?.();
    const view = h("div", {class: "view"});
    replace(main, view);
    main.focus({preventScroll: true}); // a screen reader starts at the new page; a view may focus a field
    const ctx = {live: this.live, stream: this.stream, highlight: this.highlight,
      navigate: (to, options) => this.navigate(to, options)};
    this.highlight = null;
    const detail = /^#\/tasks\/([^/]+)$/.exec(hash);
    let name = "Tasks";
    if (detail) {
      this.cleanup = taskView(view, ctx, decodeURIComponent(detail[1]));
      name = "Task";
    } else if (hash === "#/review") {
      this.cleanup = reviewView(view, ctx);
      name = "Review";
    } else if (hash === "#/new") {
      this.cleanup = newTaskView(view, ctx);
      name = "New task";
    } else if (hash === "#/stats") {
      this.cleanup = statsView(view, ctx);
      name = "Stats";
    } else {
      this.cleanup = tasksView(view, ctx);
    }
    document.title = `${name} · Taskloom`;
    for (const link of header.querySelectorAll("nav a")) {
      const current = hash === link.getAttribute("href") || (link.getAttribute("href") === "#/tasks" && detail);
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  #header() {
    replace(header,
      h("a", {href: "#/tasks", class: "brand"}, "Taskloom"),
      h("nav", {"aria-label": "Main"}, h("ul", {}, NAV.map(([href, label]) => h("li", {},
        h("a", {href}, label, href === "#/review" ? h("span", {class: "count", id: "review-count"}) : null))))),
      h("div", {class: "session"},
        h("span", {class: "connection", id: "connection", role: "status", dataset: {state: "connecting"}},
          STATE_TEXT.connecting),
        h("button", {type: "button", class: "link", onclick: () => signOut()}, "Sign out")));
  }

  #showState({state, retryInMs}) {
    const el = document.getElementById("connection");
    if (!el) return;
    el.dataset.state = state;
    el.textContent = state === "reconnecting" && retryInMs
      ? `Reconnecting… (retry in ${(retryInMs / 1000).toFixed(1)} s)` : STATE_TEXT[state] ?? state;
    if (state === "forbidden") signOut("The server refused this key (revoked?). Sign in again.");
  }

  async #countReviews() {
    try {
      const {tasks} = await gql(REVIEW_COUNT);
      const el = document.getElementById("review-count");
      if (el) el.textContent = tasks.totalCount ? String(tasks.totalCount) : "";
    } catch {
      // the count is a hint; the review page shows errors
    }
  }
}

let app = null;

function start() {
  app?.stop();
  app = new App(session.key);
  app.start();
}

function signOut(message = "") {
  app?.stop();
  app = null;
  session.signOut();
  history.replaceState(null, "", location.pathname);
  signInView(message);
}

if (session.key) start();
else signInView();
