// The page's only way to the service: fetch() with the signed-in key, problems turned into ProblemError, and
// the job events read from a fetch stream (EventSource cannot send an Authorization header).

// The service names its OCR prefix in the page (the GPU service has only /api/v1/ocr).
export const PREFIX = document.querySelector('meta[name="ablage-api"]')?.content || "/api/v1/cpu";
// The search is the service's, not one OCR prefix's: /api/v1/documents sits beside /api/v1/cpu or /api/v1/ocr,
// under whatever path a proxy puts in front of both.
export const SEARCH = PREFIX.replace(/\/[^/]*$/, "/documents/search");
const KEY = "ablage.key";

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

export class ProblemError extends Error {
  constructor(problem, retryAfter) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

function headers(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function problemOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): the status line is all there is.
  }
  const problem = body && typeof body === "object" && body.status ? body : { type: "about:blank", title: response.statusText, status: response.status };
  return new ProblemError(problem, response.headers.get("Retry-After"));
}

/** fetch(base + path), base being PREFIX unless given; answers the Response when it is 2xx, else throws
 *  ProblemError. A 401 also tells the page (the "unauthorized" event on window) so that it brings the sign-in
 *  form back. */
export async function call(path, { method = "GET", body, signal, accept, base = PREFIX } = {}) {
  const response = await fetch(base + path, {
    method,
    body,
    signal,
    headers: headers(accept ? { Accept: accept } : {}),
    cache: "no-store",
  });
  if (!response.ok) {
    const error = await problemOf(response);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("unauthorized", { detail: error }));
    throw error;
  }
  return response;
}

export async function json(path, options) {
  return (await call(path, options)).json();
}

/** Reads GET /jobs/{id}/events until `end`, calling onEvent(name, data) for each event. Reconnects with
 *  Last-Event-ID after a dropped connection; stops when `signal` aborts. */
export async function followEvents(jobId, onEvent, signal) {
  let lastId = null;
  let failures = 0;
  while (!signal.aborted) {
    const extra = { Accept: "text/event-stream" };
    if (lastId !== null) extra["Last-Event-ID"] = lastId;
    let response;
    try {
      response = await fetch(`${PREFIX}/jobs/${jobId}/events`, { headers: headers(extra), signal, cache: "no-store" });
    } catch (error) {
      if (signal.aborted) return;
      failures += 1;
      await pause(Math.min(10000, 500 * 2 ** failures), signal);
      continue;
    }
    if (!response.ok) {
      const error = await problemOf(response);
      if (response.status === 401) window.dispatchEvent(new CustomEvent("unauthorized", { detail: error }));
      throw error;
    }
    failures = 0;
    let ended = false;
    try {
      for await (const event of parseStream(response.body, signal)) {
        if (event.id !== null) lastId = event.id;
        let data = event.data;
        try {
          data = JSON.parse(data);
        } catch {
          // Left as text: a data line that is not JSON is still worth passing on.
        }
        onEvent(event.event, data);
        if (event.event === "end") {
          ended = true;
          break;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    if (ended) return;
    await pause(500, signal);
  }
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

/** The text/event-stream format (WHATWG HTML §9.2): lines of `field: value`, an empty line ends an event,
 *  lines starting with ":" are comments (the server's heartbeats). */
async function* parseStream(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  let buffer = "";
  let event = { event: "message", data: [], id: null };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (event.data.length) yield { event: event.event, data: event.data.join("\n"), id: event.id };
          event = { event: "message", data: [], id: null };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event.event = value;
        else if (field === "data") event.data.push(value);
        else if (field === "id") event.id = value;
      }
    }
  } finally {
    reader.releaseLock();
  }
}
