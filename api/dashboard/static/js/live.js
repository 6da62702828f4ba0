// Live updates over one WebSocket speaking graphql-transport-ws (the protocol of the `graphql-ws` library).
//
// LiveClient keeps the socket open: it authenticates in connection_init, answers pings, and when the
// socket drops it reconnects with exponential backoff and subscribes again to everything still active.
// TaskEventStream is the workspace's `taskEvents`: it starts after `latestEventId` and resubscribes with
// `after` = the last event id it saw, so events that happened while the socket was down are replayed.

export const PROTOCOL = "graphql-transport-ws";
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10000;
const ACK_TIMEOUT_MS = 10000;
const CLOSE_FORBIDDEN = 4403; // bad or revoked key: reconnecting would not help
const RESUBSCRIBE_MS = 1000; // after the server ended the event stream (it is meant to run until we stop it)

/** The connection states shown in the header: connecting, live, reconnecting, forbidden, closed. */
export class LiveClient extends EventTarget {
  constructor({url, key}) {
    super();
    this.url = url;
    this.key = key;
    this.state = "closed";
    this.retryInMs = 0;
    this.subscriptions = new Map(); // id -> {query, variables, next, error, complete, onRestart}
    this.nextId = 1;
    this.failures = 0;
    this.socket = null;
    this.timer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.#open("connecting");
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, "signed out");
    this.subscriptions.clear();
    this.#setState("closed");
  }

  /**
   * Subscribe; returns a function that unsubscribes. `variables` may be a function, called at every
   * (re)subscribe. `onRestart` is called before a resubscription after a reconnect.
   */
  subscribe({query, variables = {}, next, error = () => {}, complete = () => {}, onRestart = () => {}}) {
    const id = String(this.nextId++);
    const sub = {query, variables, next, error, complete, onRestart, sent: false};
    this.subscriptions.set(id, sub);
    if (this.state === "live") this.#send(id, sub);
    return () => {
      if (!this.subscriptions.delete(id)) return;
      if (sub.sent && this.state === "live") this.#raw({id, type: "complete"});
    };
  }

  #open(state) {
    this.#setState(state);
    const socket = new WebSocket(this.url, PROTOCOL);
    this.socket = socket;
    const ackTimer = setTimeout(() => socket.close(4408, "no connection_ack"), ACK_TIMEOUT_MS);
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({type: "connection_init", payload: {authorization: `Bearer ${this.key}`}}));
    });
    socket.addEventListener("message", (e) => this.#message(socket, e, ackTimer));
    socket.addEventListener("close", (e) => {
      clearTimeout(ackTimer);
      if (socket === this.socket) this.#closed(e);
    });
  }

  #message(socket, event, ackTimer) {
    if (socket !== this.socket) return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    const sub = this.subscriptions.get(message.id);
    switch (message.type) {
      case "connection_ack":
        clearTimeout(ackTimer);
        this.failures = 0;
        this.#setState("live");
        for (const [id, s] of this.subscriptions) {
          if (s.sent) s.onRestart();
          this.#send(id, s);
        }
        break;
      case "ping":
        this.#raw({type: "pong"});
        break;
      case "next":
        sub?.next(message.payload);
        break;
      case "error":
        this.subscriptions.delete(message.id);
        sub?.error(message.payload);
        break;
      case "complete":
        this.subscriptions.delete(message.id);
        sub?.complete();
        break;
    }
  }

  #closed(event) {
    if (this.stopped) return;
    if (event.code === CLOSE_FORBIDDEN) {
      this.#setState("forbidden");
      return;
    }
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    this.retryInMs = Math.round(ceiling / 2 + Math.random() * ceiling / 2); // jitter: replicas don't stampede
    this.#setState("reconnecting");
    this.timer = setTimeout(() => this.#open("reconnecting"), this.retryInMs);
  }

  #send(id, sub) {
    const variables = typeof sub.variables === "function" ? sub.variables() : sub.variables;
    sub.sent = true;
    this.#raw({id, type: "subscribe", payload: {query: sub.query, variables}});
  }

  #raw(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  #setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", {detail: {state, retryInMs: this.retryInMs}}));
  }
}

/** The URL of the API's WebSocket on this page's host. */
export function socketUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
}

/**
 * Every status change of the workspace, in event id order, without gaps across reconnects.
 * Listeners get each TaskEvent (with its `task` as it is now).
 */
export class TaskEventStream {
  constructor(live, query) {
    this.live = live;
    this.query = query;
    this.lastId = null;
    this.listeners = new Set();
    this.unsubscribe = null;
    this.stopped = true;
    this.retry = null;
  }

  /** Start after `latestEventId` (null: the workspace has no event yet, so replay from the start). */
  start(latestEventId) {
    this.lastId = latestEventId ?? "0";
    this.stopped = false;
    this.#subscribe();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    this.unsubscribe?.();
    this.listeners.clear();
  }

  #subscribe() {
    // The stream never ends on its own: if the server ends it, take it up again where it stopped.
    const again = () => {
      if (!this.stopped) this.retry = setTimeout(() => this.#subscribe(), RESUBSCRIBE_MS);
    };
    this.unsubscribe = this.live.subscribe({
      query: this.query,
      variables: () => ({after: this.lastId}),
      next: (payload) => this.#next(payload),
      error: (errors) => {
        console.error("taskEvents failed", errors);
        again();
      },
      complete: again,
    });
  }

  /** Call `listener(event)` for each event; returns a function that stops. */
  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  #next(payload) {
    const event = payload?.data?.taskEvents;
    if (!event) return;
    if (Number(event.id) <= Number(this.lastId)) return; // already seen (a replay overlapping live delivery)
    this.lastId = event.id;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        console.error(err);
      }
    }
  }
}
