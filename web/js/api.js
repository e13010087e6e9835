// Requests to the API: JSON in and out, the CSRF header on unsafe requests, and every
// failure turned into a Problem with the server's title and detail.

export class Problem extends Error {
  constructor(body, status) {
    const title = body?.title || `Request failed (${status})`;
    super(title);
    this.title = title;
    this.detail = body?.detail || "";
    this.status = status;
    this.body = body;
    /** The problem's type without its base ("password-too-weak"), or "". */
    this.kind = String(body?.type ?? "").split("/").pop();
  }
}

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token;
}

const SAFE = new Set(["GET", "HEAD"]);
const READ_ATTEMPTS = 4;

/** ``options.headers`` are added to the request's; ``options.quiet`` keeps a change from
 * announcing itself (``concord:changed`` makes the page refresh: not for every keystroke
 * of a shared text, whose changes arrive live anyway). */
export async function request(method, path, body, options = {}) {
  const headers = { Accept: "application/json, application/problem+json", ...options.headers };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  for (let attempt = 1; ; attempt += 1) {
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new Problem(
        { title: "The server could not be reached", detail: "Check the connection and try again." },
        0,
      );
    }
    // A read the server cannot answer yet (a record still being read from the log after
    // a restart) is asked again when it says, a few times, before the problem is shown.
    const retryAfter = Number(response.headers.get("retry-after"));
    if (!(SAFE.has(method) && response.status === 503 && retryAfter > 0 && attempt < READ_ATTEMPTS)) {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter, 10) * 1000));
  }
  const type = response.headers.get("content-type") || "";
  const data = response.status !== 204 && type.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const problem = new Problem(data && typeof data === "object" ? data : null, response.status);
    if (response.status === 401 && path !== "/api/session") {
      window.dispatchEvent(new CustomEvent("concord:signed-out"));
    }
    // An administrator reset the password meanwhile: nothing else is answered until the
    // person chooses their own.
    if (response.status === 403 && problem.kind === "password-change-required") {
      window.dispatchEvent(new CustomEvent("concord:password-change-required"));
    }
    throw problem;
  }
  if (!SAFE.has(method) && !path.startsWith("/api/session") && !options.quiet) {
    window.dispatchEvent(new CustomEvent("concord:changed"));
  }
  return data;
}

export const get = (path) => request("GET", path);
export const post = (path, body = {}) => request("POST", path, body);
export const put = (path, body = {}) => request("PUT", path, body);
export const del = (path) => request("DELETE", path, {});

/** trialPath("asthma-301", "amendments", "A-1") -> "/api/trials/asthma-301/amendments/A-1";
 * every segment is escaped. */
export function trialPath(trialId, ...segments) {
  return `/api/trials/${[trialId, ...segments].map((s) => encodeURIComponent(s)).join("/")}`;
}

/** GET ``path`` answered as JSON lines (application/x-ndjson): ``onLine(value)`` for each
 * line as it arrives; a Problem as :func:`request` throws one. */
export async function getLines(path, onLine) {
  let response;
  try {
    response = await fetch(path, { headers: { Accept: "application/x-ndjson, application/problem+json" }, credentials: "same-origin" });
  } catch {
    throw new Problem({ title: "The server could not be reached", detail: "Check the connection and try again." }, 0);
  }
  if (!response.ok) {
    const type = response.headers.get("content-type") || "";
    if (response.status === 401) window.dispatchEvent(new CustomEvent("concord:signed-out"));
    throw new Problem(type.includes("json") ? await response.json() : null, response.status);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  for (;;) {
    let value, done;
    try {
      ({ value, done } = await reader.read());
    } catch {
      throw new Problem({ title: "The answer was cut off", detail: "The connection broke before the server finished; try again." }, 0);
    }
    if (done) break;
    pending += value;
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
  }
  if (pending.trim()) onLine(JSON.parse(pending));
}
