// The page's words in German and English: UI labels, and a message for each problem `type` the API answers
// with. A problem without an entry here is shown with its own title and detail.

const MESSAGES = {
  en: {
    skip: "Skip to content",
    title: "Ablage-System OCR",
    language: "Language",
    signOut: "Sign out",
    signInTitle: "Sign in",
    signInHint: "This service needs an API key. It is kept for this browser tab only.",
    apiKey: "API key",
    signIn: "Sign in",
    keyRejected: "This key was not accepted.",
    keyMissing: "Enter an API key.",
    searchTitle: "Search documents",
    searchFor: "Search for",
    search: "Search",
    searchHint: "All words must occur; \"a phrase\" in this order; Rech* finds words that start so.",
    filters: "Filters",
    filedFrom: "Uploaded from",
    filedTo: "Uploaded until",
    seller: "Seller",
    total: "Invoice total",
    totalHint: "e.g. 559.84",
    queryMissing: "Enter a word to search for.",
    searching: "Searching …",
    hitsFound: "Hits for “{query}”: {count}",
    noHits: "Nothing found for “{query}”.",
    hitsLabel: "Search hits",
    moreHits: "More hits",
    openHit: "Open {name} at page {n}",
    hitPage: "page {n}",
    filedOn: "Uploaded",
    hitLegend: "found words: {count}",
    uploadTitle: "Upload documents",
    files: "Documents (PDF, PNG, JPEG, TIFF, …)",
    dropHint: "or drop files here",
    languages: "Languages",
    languagesHint: "comma-separated, e.g. de,en",
    engine: "Engine",
    engineAuto: "automatic",
    engineLoading: "loading",
    pages: "Pages",
    pagesHint: "e.g. 1-3,5; empty: all pages",
    forceOcr: "Force OCR (ignore a PDF's text layer)",
    script: "Script",
    scriptAuto: "detect (Fraktur for German)",
    scriptLatin: "modern (Latin)",
    scriptFraktur: "Fraktur",
    spelling: "Spelling",
    spellingPrinted: "as printed",
    spellingModern: "modern (ſ→s, aͤ→ä)",
    pdfOutput: "Archive PDF",
    pdfOutputAuto: "PDF/A (3b with e-invoice XML)",
    pdfOutputPlain: "plain PDF",
    upload: "Upload",
    uploading: "Uploading {name} …",
    uploaded: "{name} accepted.",
    noFiles: "Choose or drop at least one file.",
    uploadProblems: "Upload problems",
    jobsTitle: "Jobs",
    jobsEmpty: "No jobs yet.",
    moreJobs: "Older jobs",
    open: "Open",
    openJob: "Open result of {name}",
    cancel: "Cancel",
    cancelJob: "Cancel {name}",
    delete: "Delete",
    deleteJob: "Delete {name}",
    deleted: "{name} deleted.",
    cancelled: "{name} cancelled.",
    pagesDone: "{done} / {total} pages",
    progressOf: "Progress of {name}",
    duration: "Duration",
    engineOf: "Engine",
    flaggedPages: "to check: page {pages}",
    flaggedHit: "to check: {reasons}",
    status: { queued: "queued", running: "running", succeeded: "done", failed: "failed", cancelled: "cancelled" },
    close: "Close",
    prevPage: "Previous page",
    nextPage: "Next page",
    pageOf: "Page {n} of {total}",
    pagesNav: "Page navigation",
    confHigh: "confident (≥ 90 %)",
    confMid: "uncertain (60–90 %)",
    confLow: "doubtful (< 60 %)",
    wordTip: "{word} — {conf} %",
    pageImageOf: "Page {n} of {name} with the recognised words",
    tabText: "Text",
    tabMarkdown: "Markdown",
    tabJson: "JSON",
    downloads: "Downloads",
    formats: { pdf: "Searchable PDF", hocr: "hOCR", alto: "ALTO XML", json: "JSON", text: "Text", markdown: "Markdown" },
    downloadOf: "Download {format}",
    loading: "Loading …",
    networkError: "The service cannot be reached. Check the connection and try again.",
    retryAfter: "Try again in {seconds} s.",
    problems: {
      "/problems/unsupported-media-type": "This file type is not supported. Upload a PDF or a scanned image.",
      "/problems/document-too-large": "The file is too large for this service.",
      "/problems/invalid-option": "Not possible with these options.",
      "/problems/invalid-document": "The document cannot be read; it may be damaged.",
      "/problems/encrypted-document": "The document is encrypted. Upload it without a password.",
      "/problems/too-many-pages": "The document has more pages than this service accepts.",
      "/problems/too-many-pixels": "A page of the document is too large to read.",
      "/problems/bad-request": "The request was incomplete or malformed.",
      "/problems/rate-limited": "Too many requests at once.",
      "/problems/quota-exceeded": "The page quota of this account is used up.",
      "/problems/unauthorized": "Please sign in again.",
      "/problems/job-not-found": "This job no longer exists.",
      "/problems/job-finished": "The job has already finished.",
      "/problems/result-not-ready": "The result is not ready yet.",
      "/problems/result-expired": "The result has expired and was removed.",
      "/problems/overloaded": "The service is busy.",
      "/problems/engine-unavailable": "The engine is not available right now.",
      "/problems/processing-timeout": "Reading the document took too long.",
      "/problems/idempotency-key-reused": "This upload was already used for another request.",
    },
    statusFallback: { 413: "The file is too large for this service.", 415: "This file type is not supported.", 422: "The request cannot be processed.", 429: "Too many requests at once." },
  },
  de: {
    skip: "Zum Inhalt springen",
    title: "Ablage-System OCR",
    language: "Sprache",
    signOut: "Abmelden",
    signInTitle: "Anmelden",
    signInHint: "Dieser Dienst braucht einen API-Schlüssel. Er bleibt nur in diesem Browser-Tab gespeichert.",
    apiKey: "API-Schlüssel",
    signIn: "Anmelden",
    keyRejected: "Dieser Schlüssel wurde nicht angenommen.",
    keyMissing: "Bitte einen API-Schlüssel eingeben.",
    searchTitle: "Dokumente durchsuchen",
    searchFor: "Suchen nach",
    search: "Suchen",
    searchHint: "Alle Wörter müssen vorkommen; \"eine Wortgruppe\" in dieser Reihenfolge; Rech* findet Wörter, die so anfangen.",
    filters: "Filter",
    filedFrom: "Hochgeladen ab",
    filedTo: "Hochgeladen bis",
    seller: "Verkäufer",
    total: "Rechnungsbetrag",
    totalHint: "z. B. 559,84",
    queryMissing: "Bitte ein Wort zum Suchen eingeben.",
    searching: "Suche läuft …",
    hitsFound: "Treffer für „{query}“: {count}",
    noHits: "Nichts gefunden für „{query}“.",
    hitsLabel: "Suchtreffer",
    moreHits: "Weitere Treffer",
    openHit: "{name} auf Seite {n} öffnen",
    hitPage: "Seite {n}",
    filedOn: "Hochgeladen",
    hitLegend: "gefundene Wörter: {count}",
    uploadTitle: "Dokumente hochladen",
    files: "Dokumente (PDF, PNG, JPEG, TIFF, …)",
    dropHint: "oder Dateien hierher ziehen",
    languages: "Sprachen",
    languagesHint: "durch Kommas getrennt, z. B. de,en",
    engine: "Engine",
    engineAuto: "automatisch",
    engineLoading: "lädt",
    pages: "Seiten",
    pagesHint: "z. B. 1-3,5; leer: alle Seiten",
    forceOcr: "OCR erzwingen (Textebene eines PDF ignorieren)",
    script: "Schrift",
    scriptAuto: "erkennen (Fraktur bei Deutsch)",
    scriptLatin: "Antiqua (modern)",
    scriptFraktur: "Fraktur",
    spelling: "Schreibung",
    spellingPrinted: "wie gedruckt",
    spellingModern: "modern (ſ→s, aͤ→ä)",
    pdfOutput: "Archiv-PDF",
    pdfOutputAuto: "PDF/A (3b mit E-Rechnungs-XML)",
    pdfOutputPlain: "einfaches PDF",
    upload: "Hochladen",
    uploading: "{name} wird hochgeladen …",
    uploaded: "{name} angenommen.",
    noFiles: "Bitte mindestens eine Datei wählen oder hierher ziehen.",
    uploadProblems: "Probleme beim Hochladen",
    jobsTitle: "Aufträge",
    jobsEmpty: "Noch keine Aufträge.",
    moreJobs: "Ältere Aufträge",
    open: "Öffnen",
    openJob: "Ergebnis von {name} öffnen",
    cancel: "Abbrechen",
    cancelJob: "{name} abbrechen",
    delete: "Löschen",
    deleteJob: "{name} löschen",
    deleted: "{name} gelöscht.",
    cancelled: "{name} abgebrochen.",
    pagesDone: "{done} / {total} Seiten",
    progressOf: "Fortschritt von {name}",
    duration: "Dauer",
    engineOf: "Engine",
    flaggedPages: "prüfen: Seite {pages}",
    flaggedHit: "prüfen: {reasons}",
    status: { queued: "wartet", running: "läuft", succeeded: "fertig", failed: "fehlgeschlagen", cancelled: "abgebrochen" },
    close: "Schließen",
    prevPage: "Vorige Seite",
    nextPage: "Nächste Seite",
    pageOf: "Seite {n} von {total}",
    pagesNav: "Seitennavigation",
    confHigh: "sicher (≥ 90 %)",
    confMid: "unsicher (60–90 %)",
    confLow: "zweifelhaft (< 60 %)",
    wordTip: "{word} — {conf} %",
    pageImageOf: "Seite {n} von {name} mit den erkannten Wörtern",
    tabText: "Text",
    tabMarkdown: "Markdown",
    tabJson: "JSON",
    downloads: "Downloads",
    formats: { pdf: "Durchsuchbares PDF", hocr: "hOCR", alto: "ALTO-XML", json: "JSON", text: "Text", markdown: "Markdown" },
    downloadOf: "{format} herunterladen",
    loading: "Lädt …",
    networkError: "Der Dienst ist nicht erreichbar. Bitte Verbindung prüfen und erneut versuchen.",
    retryAfter: "Bitte in {seconds} s erneut versuchen.",
    problems: {
      "/problems/unsupported-media-type": "Dieses Dateiformat wird nicht unterstützt. Bitte ein PDF oder ein gescanntes Bild hochladen.",
      "/problems/document-too-large": "Die Datei ist für diesen Dienst zu groß.",
      "/problems/invalid-option": "Mit diesen Optionen nicht möglich.",
      "/problems/invalid-document": "Das Dokument kann nicht gelesen werden; es ist vielleicht beschädigt.",
      "/problems/encrypted-document": "Das Dokument ist verschlüsselt. Bitte ohne Passwort hochladen.",
      "/problems/too-many-pages": "Das Dokument hat mehr Seiten, als dieser Dienst annimmt.",
      "/problems/too-many-pixels": "Eine Seite des Dokuments ist zu groß zum Lesen.",
      "/problems/bad-request": "Die Anfrage war unvollständig oder fehlerhaft.",
      "/problems/rate-limited": "Zu viele Anfragen auf einmal.",
      "/problems/quota-exceeded": "Das Seitenkontingent dieses Kontos ist aufgebraucht.",
      "/problems/unauthorized": "Bitte erneut anmelden.",
      "/problems/job-not-found": "Diesen Auftrag gibt es nicht mehr.",
      "/problems/job-finished": "Der Auftrag ist bereits beendet.",
      "/problems/result-not-ready": "Das Ergebnis ist noch nicht fertig.",
      "/problems/result-expired": "Das Ergebnis ist abgelaufen und wurde entfernt.",
      "/problems/overloaded": "Der Dienst ist ausgelastet.",
      "/problems/engine-unavailable": "Die Engine ist gerade nicht verfügbar.",
      "/problems/processing-timeout": "Das Lesen des Dokuments hat zu lange gedauert.",
      "/problems/idempotency-key-reused": "Dieser Upload wurde schon für eine andere Anfrage verwendet.",
    },
    statusFallback: { 413: "Die Datei ist für diesen Dienst zu groß.", 415: "Dieses Dateiformat wird nicht unterstützt.", 422: "Die Anfrage kann nicht verarbeitet werden.", 429: "Zu viele Anfragen auf einmal." },
  },
};

const STORED = "ablage.lang";
// Problems whose detail names what to change (which option, which page): it follows the sentence, in the
// service's words, since no catalogue can know every case.
const WITH_DETAIL = new Set(["/problems/invalid-option", "/problems/bad-request"]);

// What the browser's Accept-Language says, unless the visitor picked a language on the page.
function preferred() {
  const chosen = localStorage.getItem(STORED);
  if (chosen && chosen in MESSAGES) return chosen;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = tag.toLowerCase().split("-")[0];
    if (base in MESSAGES) return base;
  }
  return "en";
}

let lang = preferred();

export function language() {
  return lang;
}

export function setLanguage(value, remember = true) {
  lang = value in MESSAGES ? value : "en";
  if (remember) localStorage.setItem(STORED, lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  document.title = t("title");
}

export function t(key, values = {}) {
  let text = key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), MESSAGES[lang]);
  if (text === undefined) text = key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), MESSAGES.en);
  if (typeof text !== "string") return key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** A readable sentence for an RFC 9457 problem: the catalogue's, else the problem's own title and detail. */
export function problemMessage(problem, retryAfter) {
  const catalogue = MESSAGES[lang];
  let text = catalogue.problems[problem.type];
  if (text && WITH_DETAIL.has(problem.type) && problem.detail) text += ` (${problem.detail})`;
  if (!text) text = [problem.title, problem.detail].filter(Boolean).join(": ");
  if (!text) text = catalogue.statusFallback[problem.status] || `HTTP ${problem.status}`;
  if (retryAfter) text += " " + t("retryAfter", { seconds: retryAfter });
  return text;
}
