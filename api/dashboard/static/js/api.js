// The API over HTTP: GraphQL with the signed-in key, and authenticated artifact downloads.
// The key lives in sessionStorage only (gone when the tab closes), never in a URL.

const KEY_STORAGE = "taskloom.apiKey";

export const session = {
  get key() {
    return sessionStorage.getItem(KEY_STORAGE);
  },
  signIn(key) {
    sessionStorage.setItem(KEY_STORAGE, key);
  },
  signOut() {
    sessionStorage.removeItem(KEY_STORAGE);
  },
};

/** A request the API refused: `status` is the HTTP status, `codes` the GraphQL `extensions.code`s. */
export class ApiError extends Error {
  constructor(message, {status = 0, codes = []} = {}) {
    super(message);
    this.status = status;
    this.codes = codes;
  }

  get unauthenticated() {
    return this.status === 401 || this.codes.includes("UNAUTHENTICATED");
  }
}

function authHeaders(key) {
  return {authorization: `Bearer ${key ?? session.key ?? ""}`};
}

/**
 * Run a GraphQL document; resolves to `data`, rejects with ApiError on HTTP or GraphQL errors.
 * `key` overrides the signed-in key (used to check a key before keeping it).
 */
export async function gql(query, variables = {}, {key} = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {"content-type": "application/json", accept: "application/json", ...authHeaders(key)},
      body: JSON.stringify({query, variables}),
    });
  } catch (err) {
    throw new ApiError(`The server could not be reached (${err.message}).`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status}.`, {status: response.status});
  }
  const errors = body?.errors ?? [];
  if (!response.ok || errors.length) {
    const message = errors.map((e) => e.message).join("; ") || `HTTP ${response.status}`;
    throw new ApiError(message, {status: response.status, codes: errors.map((e) => e.extensions?.code)});
  }
  return body.data;
}

/** An artifact (a screenshot) as a blob: URL, fetched with the key; the caller revokes it. */
export async function artifactUrl(url) {
  const path = new URL(url, location.origin).pathname; // same origin only: the key never goes elsewhere
  const response = await fetch(path, {headers: authHeaders()});
  if (!response.ok) throw new ApiError(`The screenshot could not be loaded (HTTP ${response.status}).`,
    {status: response.status});
  return URL.createObjectURL(await response.blob());
}
