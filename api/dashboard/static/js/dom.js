// DOM helpers. Task data is untrusted: it only ever reaches the page as text nodes or attribute values,
// never as HTML (no innerHTML anywhere in the dashboard).

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value" && "value" in el) {
      el.value = value;
    } else if (name === "checked" || name === "disabled" || name === "selected") {
      el[name] = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Append children: strings become text nodes; null/false are skipped; arrays are flattened. */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h("a", {href: "#/x", class: "y"}, "text", otherNode). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, as `h`. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** `value` as readable JSON text. */
export function json(value) {
  return value === null || value === undefined ? "—" : JSON.stringify(value, null, 2);
}

const pad = (n) => String(n).padStart(2, "0");

/** A DateTime from the API as local time: "14:03:07" today, else "2026-11-25 14:03". */
export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) return `${time}:${pad(d.getSeconds())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** A <time> element for an API DateTime (the full timestamp as its tooltip). */
export function time(iso) {
  return iso ? h("time", {datetime: iso, title: iso}, when(iso)) : "—";
}

/** Milliseconds as "850 ms", "2.4 s", "3 min 5 s". */
export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

/** A status badge (TaskStatus or ExecutionStatus). */
export function badge(status) {
  return h("span", {class: `badge badge-${String(status).toLowerCase()}`}, status);
}

/** Calls `fn` once, `waitMs` after the last of a burst of calls. */
export function debounce(fn, waitMs) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), waitMs);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** A short-lived message in the page's notice area (role=status, read by screen readers). */
export function notify(message, {kind = "info", link = null, timeoutMs = 6000} = {}) {
  const area = document.getElementById("notices");
  if (!area) return;
  const note = h("div", {class: `notice notice-${kind}`}, message, link ? [" ", link] : null,
    h("button", {type: "button", class: "link", "aria-label": "Dismiss", onclick: () => note.remove()}, "×"));
  area.append(note);
  if (timeoutMs) setTimeout(() => note.remove(), timeoutMs);
}

/** An API DateTime as microseconds since the epoch, to order two versions of a task (0 when absent). */
export function micros(iso) {
  if (!iso) return 0;
  const match = /^(.*?:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!match) return Date.parse(iso) * 1000 || 0;
  const fraction = (match[2] || "").padEnd(6, "0").slice(0, 6);
  return Date.parse(match[1] + match[3]) * 1000 + Number(fraction);
}
