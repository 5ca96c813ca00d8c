// One job's result: the page image as OCR'd with a box over each word (coloured by confidence; hovering a box
// shows the word; keyboard and screen-reader users have the same words in the Text tab), page navigation,
// text / Markdown / JSON tabs, and every download format. Opened from a search hit, it starts on the hit's page
// and marks the words that were found there.

import { ProblemError, call, json } from "./api.js";
import { problemMessage, t } from "./i18n.js";

const FORMATS = [
  ["pdf", ".pdf"],
  ["hocr", ".hocr.html"],
  ["alto", ".alto.xml"],
  ["json", ".json"],
  ["text", ".txt"],
  ["markdown", ".md"],
];
const $ = (id) => document.getElementById(id);

export class Viewer {
  constructor({ onProblem }) {
    this.onProblem = onProblem;
    this.section = $("viewer");
    this.image = $("page-image");
    this.boxes = $("boxes");
    this.tip = $("tip");
    this.job = null;
    this.result = null;
    this.index = 0;
    this.imageUrl = null;
    this.loading = 0;
    this.opening = 0;
    this.found = null;
    this.reveal = false;
    $("prev-page").addEventListener("click", () => this.show(this.index - 1));
    $("next-page").addEventListener("click", () => this.show(this.index + 1));
    $("close-viewer").addEventListener("click", () => this.close());
    this.tabs();
    this.boxes.addEventListener("pointerover", (event) => this.hint(event.target));
    this.boxes.addEventListener("pointerleave", () => { this.tip.hidden = true; });
    // Phone rotation or a resized window: ask for an image that fits the new width.
    let resize = null;
    window.addEventListener("resize", () => {
      clearTimeout(resize);
      resize = setTimeout(() => this.result && this.drawImage(), 300);
    });
  }

  /** `found` (from a search hit): { page, boxes, width, height }, the page to start on and the boxes of the words
   *  found there, in the pixels of a page `width` × `height`. */
  async open(job, found = null) {
    const opening = ++this.opening;
    this.job = job;
    this.found = found;
    this.reveal = Boolean(found);
    this.section.hidden = false;
    $("viewer-title").textContent = job.document?.filename || job.id;
    $("panel-text").textContent = t("loading");
    $("panel-markdown").textContent = "";
    $("panel-json").textContent = "";
    this.boxes.replaceChildren();
    $("download-problem").textContent = "";
    this.downloads();
    $("viewer-title").focus();
    let result;
    try {
      result = await json(`/jobs/${job.id}/result?format=json`);
    } catch (error) {
      if (opening === this.opening) this.onProblem(error, job.document?.filename);
      return;
    }
    // Another job (or hit) was opened, or the viewer closed, while this one's result was on its way.
    if (opening !== this.opening) return;
    this.result = result;
    $("panel-markdown").textContent = this.result.markdown || "";
    $("panel-json").textContent = JSON.stringify(this.result, null, 2);
    const at = found ? this.result.pages.findIndex((page) => page.number === found.page) : -1;
    this.show(Math.max(0, at));
  }

  close() {
    this.opening += 1;
    this.section.hidden = true;
    this.job = null;
    this.result = null;
    this.found = null;
    if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
    this.imageUrl = null;
    this.image.removeAttribute("src");
  }

  relabel() {
    if (this.result) this.show(this.index);
    if (this.job) this.downloads();
  }

  show(index) {
    const pages = this.result.pages;
    this.index = Math.max(0, Math.min(index, pages.length - 1));
    const page = pages[this.index];
    $("prev-page").disabled = this.index === 0;
    $("next-page").disabled = this.index >= pages.length - 1;
    $("pager").hidden = pages.length < 2;
    // An e-invoice read from its XML has no pages: only its text, Markdown and JSON are shown.
    $("page").hidden = !page;
    $("legend").hidden = !page;
    $("page-label").textContent = t("pageOf", { n: page ? page.number : 0, total: pages.length });
    $("panel-text").textContent = page ? pageText(page) : this.result.text || "";
    this.drawBoxes(page);
    this.drawImage();
  }

  drawBoxes(page) {
    this.boxes.replaceChildren();
    const found = this.found;
    const marks = page && found && found.page === page.number && found.width > 0 ? found.boxes : [];
    $("hit-key").hidden = !marks.length;
    $("hit-count").textContent = t("hitLegend", { count: marks.length });
    if (!page) return;
    for (const block of page.blocks) {
      for (const line of block.lines) {
        for (const word of line.words) {
          const box = document.createElement("span");
          box.className = `box ${confidenceClass(word.confidence)}`;
          place(box, word.bbox, page.width, page.height);
          box.dataset.word = word.text;
          box.dataset.confidence = String(word.confidence);
          box.dataset.bbox = word.bbox.join(",");
          this.boxes.append(box);
        }
      }
    }
    // Over the word boxes, and letting the pointer through to them, so that hovering still names the word.
    for (const bbox of marks) {
      const mark = document.createElement("span");
      mark.className = "hit-box";
      place(mark, bbox, found.width, found.height);
      mark.dataset.bbox = bbox.join(",");
      this.boxes.append(mark);
    }
  }

  async drawImage() {
    const page = this.result.pages[this.index];
    $("page-problem").textContent = "";
    if (!page) return;
    const load = ++this.loading;
    // Enough pixels for the displayed width on this screen, in the steps the service scales to.
    const wanted = (this.section.clientWidth || 800) * (window.devicePixelRatio || 1);
    const width = Math.min(2400, Math.max(200, Math.ceil(wanted / 200) * 200));
    $("page").dataset.ready = "false";
    this.image.alt = t("pageImageOf", { n: page.number, name: this.job.document?.filename || this.job.id });
    // The page keeps its shape while the image loads, so the boxes sit where the words will be.
    $("page").style.aspectRatio = `${page.width} / ${page.height}`;
    try {
      const response = await call(`/jobs/${this.job.id}/pages/${page.number}/image?width=${width}`);
      const blob = await response.blob();
      if (load !== this.loading) return;
      if (this.imageUrl) URL.revokeObjectURL(this.imageUrl);
      this.imageUrl = URL.createObjectURL(blob);
      await new Promise((resolve, reject) => {
        this.image.onload = resolve;
        this.image.onerror = reject;
        this.image.src = this.imageUrl;
      });
      $("page").dataset.ready = "true";
      // Once, on opening a hit: a found word low on a tall page would otherwise be out of sight.
      if (this.reveal) {
        this.reveal = false;
        this.boxes.querySelector(".hit-box")?.scrollIntoView({ block: "nearest" });
      }
    } catch (error) {
      if (load !== this.loading) return;
      this.image.removeAttribute("src");
      $("page-problem").textContent = error instanceof ProblemError ? problemMessage(error.problem) : t("networkError");
    }
  }

  hint(target) {
    if (!target.classList?.contains("box")) return;
    const conf = Math.round(100 * Number(target.dataset.confidence));
    this.tip.textContent = t("wordTip", { word: target.dataset.word, conf });
    this.tip.style.left = target.style.left;
    this.tip.style.top = `calc(${target.style.top} + ${target.style.height})`;
    this.tip.hidden = false;
  }

  downloads() {
    const list = $("downloads");
    list.replaceChildren();
    const stem = (this.job.document?.filename || this.job.id).replace(/\.[^.]+$/, "");
    for (const [format, suffix] of FORMATS) {
      const item = document.createElement("li");
      const link = document.createElement("button");
      link.type = "button";
      link.dataset.format = format;
      link.textContent = t(`formats.${format}`);
      link.setAttribute("aria-label", t("downloadOf", { format: t(`formats.${format}`) }));
      link.addEventListener("click", () => this.download(format, stem + suffix));
      item.append(link);
      list.append(item);
    }
  }

  async download(format, filename) {
    $("download-problem").textContent = "";
    // Fetched with the key, then handed to the browser as a file: a plain link could not carry the key.
    try {
      const response = await call(`/jobs/${this.job.id}/result?format=${format}`);
      const url = URL.createObjectURL(await response.blob());
      const anchor = document.createElement("a");
      anchor.href = url;
      anchor.download = filename;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (error) {
      // Said next to the buttons: the page's list of problems may be far up the screen.
      this.onProblem(error, filename, $("download-problem"));
    }
  }

  tabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    const select = (tab) => {
      for (const other of tabs) {
        const chosen = other === tab;
        other.setAttribute("aria-selected", String(chosen));
        other.tabIndex = chosen ? 0 : -1;
        $(other.getAttribute("aria-controls")).hidden = !chosen;
      }
      tab.focus();
    };
    for (const [i, tab] of tabs.entries()) {
      tab.addEventListener("click", () => select(tab));
      // The ARIA tabs pattern: arrows move between tabs, Tab moves on to the panel.
      tab.addEventListener("keydown", (event) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
        if (step) select(tabs[(i + step + tabs.length) % tabs.length]);
        else if (event.key === "Home") select(tabs[0]);
        else if (event.key === "End") select(tabs[tabs.length - 1]);
        else return;
        event.preventDefault();
      });
    }
  }
}

// Percentages of the page's size: the boxes follow the image at whatever width it is displayed.
function place(element, [x0, y0, x1, y1], width, height) {
  element.style.left = `${(100 * x0) / width}%`;
  element.style.top = `${(100 * y0) / height}%`;
  element.style.width = `${(100 * (x1 - x0)) / width}%`;
  element.style.height = `${(100 * (y1 - y0)) / height}%`;
}

function confidenceClass(confidence) {
  if (confidence >= 0.9) return "conf-high";
  if (confidence >= 0.6) return "conf-mid";
  return "conf-low";
}

function pageText(page) {
  return page.blocks.map((block) => block.lines.map((line) => line.text).join("\n")).join("\n\n");
}
