// The caller's documents by their words: the hits best first (file, page, a snippet with the found words marked,
// engine), more on request; a hit opens in the viewer on its page.

import { SEARCH, json } from "./api.js";
import { language, t } from "./i18n.js";

const LIMIT = 20;
const $ = (id) => document.getElementById(id);

export class Search {
  constructor({ onOpen, onProblem }) {
    this.onOpen = onOpen;
    this.onProblem = onProblem;
    this.list = $("hits");
    this.status = $("search-status");
    this.problem = $("search-problem");
    this.more = $("more-hits");
    this.hits = [];
    this.params = null;
    this.next = null;
    this.said = null;
    this.controller = null;
    this.serial = 0;
    $("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    this.more.addEventListener("click", () => this.load(this.next));
  }

  run() {
    const q = $("search-q").value.trim();
    this.clear();
    // The service would answer 400; a box without a word (empty, or signs alone) is said here, in the page's
    // language, without asking.
    if (!/[\p{L}\p{N}]/u.test(q)) {
      this.problem.textContent = t("queryMissing");
      $("search-q").focus();
      return;
    }
    const params = new URLSearchParams({ q, limit: String(LIMIT) });
    const filters = {
      from: $("search-from").value,
      to: $("search-to").value,
      seller: $("search-seller").value.trim(),
      total: decimal($("search-total").value.trim()),
    };
    for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
    this.params = params;
    this.load(0);
  }

  async load(offset) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const params = new URLSearchParams(this.params);
    params.set("offset", String(offset));
    this.problem.textContent = "";
    this.more.disabled = true;
    if (!offset) this.say("searching");
    let answer;
    try {
      answer = await json(`${SEARCH}?${params}`, { base: "", signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return;
      this.more.disabled = false;
      if (!offset) this.say(null);
      this.onProblem(error, null, this.problem);
      return;
    }
    if (controller.signal.aborted) return;
    this.more.disabled = false;
    const first = this.hits.length;
    this.hits.push(...answer.hits);
    this.next = answer.next;
    this.list.append(...answer.hits.map((hit) => this.item(hit)));
    this.more.hidden = this.next === null;
    this.summarise();
    // Keyboard users go on at the first new hit rather than at the button that fetched it.
    if (offset) this.list.children[first]?.querySelector("button")?.focus();
  }

  clear() {
    this.controller?.abort();
    this.controller = null;
    this.hits = [];
    this.next = null;
    this.list.replaceChildren();
    this.more.hidden = true;
    this.problem.textContent = "";
    this.say(null);
  }

  /** A job deleted from the list (or gone from the service) leaves the hits too. */
  forget(jobId) {
    if (!this.hits.some((hit) => hit.job_id === jobId)) return;
    this.hits = this.hits.filter((hit) => hit.job_id !== jobId);
    for (const item of [...this.list.children]) if (item.dataset.job === jobId) item.remove();
    this.summarise();
  }

  relabel() {
    this.list.replaceChildren(...this.hits.map((hit) => this.item(hit)));
    if (this.said) this.say(...this.said);
  }

  summarise() {
    const query = this.params.get("q");
    if (this.hits.length) this.say("hitsFound", { query, count: this.hits.length });
    else this.say("noHits", { query });
  }

  say(key, values = {}) {
    this.said = key ? [key, values] : null;
    this.status.textContent = key ? t(key, values) : "";
  }

  item(hit) {
    const name = hit.document?.filename || hit.job_id;
    const li = document.createElement("li");
    li.className = "hit";
    li.dataset.job = hit.job_id;
    li.dataset.page = String(hit.page);
    const open = document.createElement("button");
    open.type = "button";
    open.className = "hit-open";
    open.setAttribute("aria-label", t("openHit", { name, n: hit.page }));
    open.append(span("hit-name", name), span("hit-page", t("hitPage", { n: hit.page })));
    open.addEventListener("click", () => this.onOpen(hit));
    const snippet = document.createElement("p");
    snippet.className = "snippet";
    snippet.id = `hit-snippet-${++this.serial}`;
    snippet.append(...snippetNodes(hit.snippet));
    // The button's name stays short; a screen reader reads the snippet after it.
    open.setAttribute("aria-describedby", snippet.id);
    const facts = [`${t("engineOf")}: ${hit.engine}`, `${t("filedOn")}: ${date(hit.filed_at)}`];
    if (hit.seller) facts.push(`${t("seller")}: ${hit.seller}`);
    if (hit.total !== null && hit.total !== undefined) facts.push(`${t("total")}: ${amount(hit.total)}`);
    if (hit.flagged) facts.push(t("flaggedHit", { reasons: (hit.review_reasons || []).join("; ") }));
    li.dataset.flagged = String(Boolean(hit.flagged));
    li.append(open, snippet, span("meta", facts.join(" · ")));
    return li;
  }
}

/** The snippet is the service's HTML: its text escaped, the found words in <mark>. It is parsed (in a document of
 *  its own, where nothing runs or loads) and only text and <mark>s are kept, each mark holding text alone, so
 *  that whatever else it might hold reaches the page as words at most. */
export function snippetNodes(html) {
  const parsed = new DOMParser().parseFromString(String(html ?? ""), "text/html");
  const nodes = [];
  for (const node of parsed.body.childNodes) {
    if (node.nodeType === Node.ELEMENT_NODE && node.localName === "mark") {
      nodes.push(Object.assign(document.createElement("mark"), { textContent: node.textContent }));
    } else if (node.nodeType === Node.TEXT_NODE || node.nodeType === Node.ELEMENT_NODE) {
      nodes.push(document.createTextNode(node.textContent));
    }
  }
  return nodes;
}

// "1.234,56" as written in German: the service reads only "1234.56".
function decimal(text) {
  return text.includes(",") ? text.replace(/[.\s]/g, "").replace(",", ".") : text;
}

function span(className, text) {
  return Object.assign(document.createElement("span"), { className, textContent: text });
}

function date(value) {
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? String(value) : parsed.toLocaleDateString(language());
}

function amount(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  return number.toLocaleString(language(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
