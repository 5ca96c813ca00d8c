// The tenant's jobs: a list, newest first, kept current from each unfinished job's event stream (a few at a
// time: a browser holds only six connections to one host, and the page needs some for everything else) and
// by polling the rest.

import { ProblemError, call, followEvents, json } from "./api.js";
import { t } from "./i18n.js";

const STREAMS = 3;
const POLL_MS = 2000;
// Jobs submitted elsewhere (another tab, the API) join the list this often.
const REFRESH_MS = 10000;
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

export class JobList {
  constructor({ list, empty, more, onOpen, onProblem, onNotice, onForget }) {
    this.onForget = onForget;
    this.list = list;
    this.empty = empty;
    this.more = more;
    this.onOpen = onOpen;
    this.onProblem = onProblem;
    this.onNotice = onNotice;
    this.jobs = new Map();
    this.rows = new Map();
    this.streams = new Map();
    this.polled = new Set();
    this.next = null;
    this.listed = true;
    this.more.addEventListener("click", () => this.load(this.next));
    this.timer = setInterval(() => this.tick(), 1000);
    this.lastPoll = 0;
    this.lastRefresh = Date.now();
    this.active = false;
  }

  async load(before = null) {
    const query = new URLSearchParams({ limit: "50" });
    if (before) query.set("before", before);
    try {
      const page = await json(`/jobs?${query}`);
      for (const job of page.jobs) this.put(job, false);
      this.next = page.next;
    } catch (error) {
      if (!(error instanceof ProblemError) || ![404, 405].includes(error.problem.status)) throw error;
      // A service without the list: the jobs this tab submitted.
      this.listed = false;
      this.next = null;
      for (const id of JSON.parse(sessionStorage.getItem("ablage.jobs") || "[]")) {
        try {
          this.put(await json(`/jobs/${id}`), false);
        } catch {
          // Deleted meanwhile, or another key's: not listed.
        }
      }
    }
    this.more.hidden = !this.next;
    this.active = true;
    this.render();
  }

  clear() {
    this.active = false;
    for (const controller of this.streams.values()) controller.abort();
    this.streams.clear();
    this.jobs.clear();
    this.rows.clear();
    this.list.replaceChildren();
    this.render();
  }

  /** A job just accepted: fetched, put first, and followed. */
  async add(id) {
    if (!this.listed) {
      const ids = JSON.parse(sessionStorage.getItem("ablage.jobs") || "[]");
      sessionStorage.setItem("ablage.jobs", JSON.stringify([id, ...ids.filter((x) => x !== id)].slice(0, 200)));
    }
    this.put(await json(`/jobs/${id}`), true);
    this.render();
  }

  put(job, first) {
    const known = this.jobs.has(job.id);
    this.jobs.set(job.id, job);
    let row = this.rows.get(job.id);
    if (!row) {
      row = this.row(job);
      this.rows.set(job.id, row);
    }
    if (!known) {
      if (first) this.list.prepend(row.li);
      else this.list.append(row.li);
    }
    this.update(job);
    if (!FINISHED.has(job.status)) this.follow(job.id);
  }

  row(job) {
    const li = document.createElement("li");
    li.className = "job";
    li.dataset.job = job.id;
    const name = document.createElement("span");
    name.className = "job-name";
    const status = document.createElement("span");
    status.className = "badge";
    const progress = document.createElement("progress");
    const count = document.createElement("span");
    count.className = "count";
    const meta = document.createElement("span");
    meta.className = "meta";
    const actions = document.createElement("span");
    actions.className = "actions";
    const open = button(t("open"), () => this.onOpen(this.jobs.get(job.id)));
    const cancel = button(t("cancel"), () => this.cancel(job.id));
    const remove = button(t("delete"), () => this.remove(job.id));
    open.dataset.action = "open";
    cancel.dataset.action = "cancel";
    remove.dataset.action = "delete";
    actions.append(open, cancel, remove);
    li.append(name, status, progress, count, meta, actions);
    return { li, name, status, progress, count, meta, open, cancel, remove };
  }

  update(job) {
    const row = this.rows.get(job.id);
    if (!row) return;
    const label = job.document?.filename || job.id;
    row.name.textContent = label;
    // The list itself is not a live region (its durations tick every second); a job that ends is announced.
    if (row.li.dataset.status && row.li.dataset.status !== job.status && FINISHED.has(job.status)) {
      this.onNotice(`${label}: ${t(`status.${job.status}`)}`);
    }
    row.li.dataset.status = job.status;
    row.status.textContent = t(`status.${job.status}`);
    row.status.className = `badge badge-${job.status}`;
    const { pages_done: done, pages_total: total } = job.progress;
    row.progress.max = Math.max(total, 1);
    // A document without pages (an e-invoice read from its XML) is complete once it has succeeded.
    row.progress.value = total === 0 && job.status === "succeeded" ? 1 : done;
    row.progress.setAttribute("aria-label", t("progressOf", { name: label }));
    row.count.textContent = t("pagesDone", { done, total });
    row.meta.textContent = `${t("engineOf")}: ${job.engine} · ${t("duration")}: ${duration(job)}`;
    row.open.hidden = job.status !== "succeeded";
    row.cancel.hidden = FINISHED.has(job.status);
    row.open.setAttribute("aria-label", t("openJob", { name: label }));
    row.cancel.setAttribute("aria-label", t("cancelJob", { name: label }));
    row.remove.setAttribute("aria-label", t("deleteJob", { name: label }));
    row.open.textContent = t("open");
    row.cancel.textContent = t("cancel");
    row.remove.textContent = t("delete");
    if (job.error && job.status === "failed") row.meta.textContent += ` · ${job.error.title || ""} ${job.error.detail || ""}`;
    const flagged = job.flagged_pages || [];
    row.li.dataset.flagged = String(flagged.length);
    if (flagged.length) row.meta.textContent += ` · ${t("flaggedPages", { pages: flagged.join(", ") })}`;
  }

  relabel() {
    for (const job of this.jobs.values()) this.update(job);
  }

  render() {
    this.empty.hidden = this.jobs.size > 0;
  }

  follow(id) {
    if (this.streams.has(id) || this.polled.has(id) || this.streams.size >= STREAMS) return;
    const controller = new AbortController();
    this.streams.set(id, controller);
    followEvents(
      id,
      (name, data) => {
        const job = this.jobs.get(id);
        if (!job) return;
        if ((name === "status" || name === "end") && data && data.id) this.update(this.store(data));
        else if (name === "page" && data) {
          job.progress = { pages_done: data.pages_done, pages_total: data.pages_total };
          this.update(job);
        }
      },
      controller.signal,
    )
      .catch(() => {
        // No event stream here (an older service) or it failed: polling keeps the row current.
        this.polled.add(id);
      })
      .finally(() => {
        this.streams.delete(id);
        this.startWaiting();
      });
  }

  store(job) {
    this.jobs.set(job.id, job);
    return job;
  }

  startWaiting() {
    for (const job of this.jobs.values()) if (!FINISHED.has(job.status)) this.follow(job.id);
  }

  async tick() {
    for (const job of this.jobs.values()) {
      if (job.status === "running") this.update(job);
    }
    if (this.active && this.listed && Date.now() - this.lastRefresh >= REFRESH_MS) {
      this.lastRefresh = Date.now();
      try {
        const page = await json("/jobs?limit=50");
        // Oldest first, each new one put on top: the newest ends up first.
        for (const job of [...page.jobs].reverse()) {
          if (this.jobs.has(job.id)) this.update(this.store(job));
          else this.put(job, true);
        }
        this.render();
      } catch {
        // The next refresh tries again; the rows keep what they showed.
      }
    }
    if (Date.now() - this.lastPoll < POLL_MS) return;
    this.lastPoll = Date.now();
    for (const job of [...this.jobs.values()]) {
      if (FINISHED.has(job.status) || this.streams.has(job.id)) continue;
      try {
        this.update(this.store(await json(`/jobs/${job.id}`)));
      } catch (error) {
        if (error instanceof ProblemError && error.problem.status === 404) this.forget(job.id);
      }
    }
    this.startWaiting();
  }

  forget(id) {
    this.streams.get(id)?.abort();
    this.streams.delete(id);
    this.rows.get(id)?.li.remove();
    this.rows.delete(id);
    this.jobs.delete(id);
    this.render();
    this.onForget?.(id);
  }

  async cancel(id) {
    const job = this.jobs.get(id);
    try {
      this.update(this.store(await json(`/jobs/${id}/cancel`, { method: "POST" })));
      this.onNotice(t("cancelled", { name: job.document?.filename || id }));
    } catch (error) {
      this.onProblem(error, job.document?.filename);
    }
  }

  async remove(id) {
    const job = this.jobs.get(id);
    const row = this.rows.get(id);
    const neighbour = row?.li.nextElementSibling || row?.li.previousElementSibling;
    try {
      await call(`/jobs/${id}`, { method: "DELETE" });
      this.forget(id);
      this.onNotice(t("deleted", { name: job.document?.filename || id }));
      // Keyboard users keep their place in the list instead of falling back to the page's top.
      neighbour?.querySelector("button:not([hidden])")?.focus();
    } catch (error) {
      this.onProblem(error, job.document?.filename);
    }
  }
}

function button(text, onClick) {
  const el = document.createElement("button");
  el.type = "button";
  el.textContent = text;
  el.addEventListener("click", onClick);
  return el;
}

function duration(job) {
  if (!job.started_at) return "–";
  const end = job.finished_at ? Date.parse(job.finished_at) : Date.now();
  const seconds = Math.max(0, Math.round((end - Date.parse(job.started_at)) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
