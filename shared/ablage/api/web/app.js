// The page's start: sign-in (or none, where the service is open), then the search, the upload form, the job
// list and the viewer. Every message a person reads comes from i18n.js.

import { ProblemError, apiKey, json, setApiKey } from "./api.js";
import { language, problemMessage, setLanguage, t } from "./i18n.js";
import { JobList } from "./jobs.js";
import { Search } from "./search.js";
import { Viewer } from "./viewer.js";

const $ = (id) => document.getElementById(id);
let chosenFiles = [];

function messageOf(error, name) {
  const text = error instanceof ProblemError ? problemMessage(error.problem, error.retryAfter) : t("networkError");
  return name ? `${name}: ${text}` : text;
}

function showProblem(error, name, where = null) {
  if (error instanceof ProblemError && error.problem.status === 401) return; // the sign-in form says it
  if (where) {
    where.textContent = messageOf(error, name);
    return;
  }
  const item = document.createElement("li");
  item.textContent = messageOf(error, name);
  if (error instanceof ProblemError) item.dataset.problem = error.problem.type || "";
  $("upload-errors").append(item);
}

function notice(text) {
  $("notice").textContent = text;
}

const viewer = new Viewer({ onProblem: showProblem });
const search = new Search({
  onOpen: (hit) =>
    viewer.open(
      { id: hit.job_id, document: hit.document },
      { page: hit.page, boxes: hit.boxes, width: hit.page_width, height: hit.page_height },
    ),
  onProblem: showProblem,
});
const jobs = new JobList({
  list: $("jobs"),
  empty: $("jobs-empty"),
  more: $("more-jobs"),
  onOpen: (job) => viewer.open(job),
  onProblem: showProblem,
  onNotice: notice,
  // A job deleted from the list (or gone from the service) leaves the viewer too.
  onForget: (id) => {
    if (viewer.job?.id === id) viewer.close();
    search.forget(id);
  },
});

function showSignIn(message = "") {
  $("app").hidden = true;
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("sign-in-error").textContent = message;
  jobs.clear();
  viewer.close();
  // Another key may see other documents: nothing found with this one stays on the page.
  search.clear();
  $("api-key").focus();
}

async function start() {
  // The engines tell whether the service lets this caller in, and fill the engine choice.
  let engines;
  try {
    engines = await json("/engines");
  } catch (error) {
    // A 401 has brought the sign-in form already (the "unauthorized" listener).
    if (!(error instanceof ProblemError && error.problem.status === 401)) notice(messageOf(error));
    return;
  }
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = !apiKey();
  fillEngines(engines.engines);
  try {
    await jobs.load();
  } catch (error) {
    showProblem(error);
  }
}

function fillEngines(engines) {
  const select = $("engine");
  const current = select.value;
  select.replaceChildren();
  const auto = new Option(t("engineAuto"), "auto");
  auto.dataset.i18n = "engineAuto";
  select.append(auto);
  for (const engine of engines) {
    const label = engine.loaded === false ? `${engine.name} (${t("engineLoading")})` : engine.name;
    select.append(new Option(label, engine.name));
  }
  select.value = [...select.options].some((o) => o.value === current) ? current : "auto";
}

function choose(files) {
  chosenFiles = [...files];
  const list = $("chosen");
  list.replaceChildren(...chosenFiles.map((file) => Object.assign(document.createElement("li"), { textContent: file.name })));
}

async function upload(event) {
  event.preventDefault();
  $("upload-errors").replaceChildren();
  if (!chosenFiles.length) {
    const item = document.createElement("li");
    item.textContent = t("noFiles");
    $("upload-errors").append(item);
    $("files").focus();
    return;
  }
  const button = $("upload");
  button.disabled = true;
  try {
    for (const file of chosenFiles) {
      const form = new FormData();
      form.append("file", file, file.name);
      const languages = $("languages").value.trim();
      const pages = $("pages").value.trim();
      if (languages) form.append("languages", languages);
      form.append("engine", $("engine").value);
      if (pages) form.append("pages", pages);
      form.append("force_ocr", String($("force-ocr").checked));
      form.append("script", $("script").value);
      form.append("spelling", $("spelling").value);
      form.append("pdf_output", $("pdf-output").value);
      notice(t("uploading", { name: file.name }));
      try {
        const accepted = await json("/jobs", { method: "POST", body: form });
        notice(t("uploaded", { name: file.name }));
        await jobs.add(accepted.id);
      } catch (error) {
        notice("");
        showProblem(error, file.name);
      }
    }
  } finally {
    button.disabled = false;
    // The options stay as they were for the next upload; only the files are cleared.
    $("files").value = "";
    choose([]);
  }
}

function wire() {
  const zone = $("drop-zone");
  $("files").addEventListener("change", (event) => choose(event.target.files));
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) zone.addEventListener(name, () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    choose(event.dataTransfer.files);
  });
  $("upload-form").addEventListener("submit", upload);
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) {
      $("sign-in-error").textContent = t("keyMissing");
      return;
    }
    setApiKey(key);
    $("api-key").value = "";
    start();
  });
  $("sign-out").addEventListener("click", () => {
    setApiKey(null);
    start();
  });
  window.addEventListener("unauthorized", () => {
    const hadKey = Boolean(apiKey());
    setApiKey(null);
    showSignIn(hadKey ? t("keyRejected") : "");
  });
  const lang = $("lang");
  lang.value = language();
  lang.addEventListener("change", () => {
    setLanguage(lang.value);
    jobs.relabel();
    viewer.relabel();
    search.relabel();
  });
}

setLanguage(language(), false);
wire();
start();
