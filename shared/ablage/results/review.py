"""Review flags: each OCR page gets a verdict from what can be measured on it, so that a person checks the pages
likely to be wrong and not the rest.

A word is doubtful when the engine read it with low confidence, or when it has three letters or more and the word
lists of the document's languages do not know it; the page's score is the share of its words that are doubtful,
and the page is flagged when that share reaches the tenant's threshold. Words that become known when a letter
engines often confuse is swapped (a/ä, o/ö, u/ü, ss/ß, 0/O, 1/l) are named with the word they likely are. A total
read on the page that differs from the document's e-invoice XML, or printed totals that do not add up (net and VAT
against the gross), flag the page whatever the score."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ablage.invoices.fields import FieldSource, KeyField
from ablage.lexicon import Lexicon
from ablage.lexicon import lexicons as installed_lexicons
from ablage.results.model import Page, PageSource, Review, Word
from ablage.results.spelling import modern_word
from ablage.results.totals_check import totals_mismatch

DEFAULT_THRESHOLD = 0.12
# Two engines that read a page with less agreement than this (word F1) cannot both be right, and likely neither is.
DISAGREEMENT = 0.8
# Below this an engine's own confidence says the word is a guess (Tesseract and RapidOCR alike: correct words of
# the corpus score 0.85-1.0, misread ones mostly below 0.6).
_LOW_WORD_CONFIDENCE = 0.6
_MIN_CHECKED_LETTERS = 3
_SHOWN_SUSPICIOUS = 10
_PUNCTUATION = ".,;:!?\"'()[]{}»«„“”‚‘’…*/—–-=⸗+%€$§&"
_SWAPS = (("a", "ä"), ("o", "ö"), ("u", "ü"), ("A", "Ä"), ("O", "Ö"), ("U", "Ü"), ("ss", "ß"), ("ß", "ss"))
_DIGIT_SWAPS = (("0", "o"), ("0", "O"), ("1", "l"), ("1", "I"), ("5", "s"), ("8", "B"))


def _core(text: str) -> str:
    return text.strip(_PUNCTUATION)


def _known(word: str, lexicons: Sequence[Lexicon]) -> bool:
    # A word in capitals is looked up as a heading writes it: MUSTERHAUSEN as Musterhausen.
    modern = modern_word(word.capitalize() if word.isupper() else word)
    return any(words.knows(modern) or _compound(modern, words) for words in lexicons)


# German joins nouns into compounds no list holds (Rechnungsnummer, Mietrechnung): a word that splits into known
# words, with a joining s or es between them, is a word.
_MIN_PART = 3
_JOINS = ("", "s", "es", "n")


def _compound(word: str, words: Lexicon, depth: int = 0) -> bool:
    if depth > 2 or len(word) < 2 * _MIN_PART:
        return False
    for cut in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head, tail = word[:cut], word[cut:]
        if not words.knows(head):
            continue
        for join in _JOINS:
            if not tail.startswith(join):
                continue
            rest = tail[len(join) :]
            rest = rest[:1].upper() + rest[1:]
            if len(rest) >= _MIN_PART and (words.knows(rest) or _compound(rest, words, depth + 1)):
                return True
    return False


def _name_or_abbreviation(text: str, core: str) -> bool:
    """Capitals inside a word (ZUGFeRD, USt, GnuAccounting), a short word in capitals (GMBH, HRB) or one that
    ends in a full stop (Bahnstr., Inh.): names and abbreviations, which no word list holds."""
    inner_capitals = any(char.isupper() for char in core[1:])
    return (inner_capitals and not core.isupper()) or (core.isupper() and len(core) <= 5) or text.endswith(core + ".")


def _likely(core: str, lexicons: Sequence[Lexicon]) -> str | None:
    """The known word one confusable letter away, if there is one."""
    swaps = _DIGIT_SWAPS if any(char.isdigit() for char in core) else _SWAPS
    for wrong, right in swaps:
        start = core.find(wrong)
        while start != -1:
            candidate = core[:start] + right + core[start + len(wrong) :]
            if candidate.isalpha() and _known(candidate, lexicons):
                return candidate
            start = core.find(wrong, start + 1)
    return None


def _checkable(core: str) -> bool:
    letters = sum(char.isalpha() for char in core)
    return letters >= _MIN_CHECKED_LETTERS and all(char.isalpha() or char.isdigit() for char in core)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def review_page(page: Page, lexicons: Sequence[Lexicon], threshold: float, mismatches: Sequence[str] = ()) -> Review:
    words: list[Word] = [word for line in page.lines() for word in line.words if _core(word.text)]
    reasons = list(mismatches)
    if page.source is PageSource.text_layer:
        # The PDF's own text: nothing was recognised, so nothing can be misread.
        return Review(flagged=bool(reasons), score=0.0, reasons=reasons, mean_confidence=1.0, low_confidence=1.0)
    if not words:
        reasons = reasons or ["no text was found on the page"]
        return Review(flagged=bool(mismatches), score=0.0, reasons=reasons, mean_confidence=0.0, low_confidence=0.0)
    confidences = [word.confidence for word in words]
    doubtful = unknown = low = 0
    suspicious: list[str] = []
    for word in words:
        core = _core(word.text)
        is_low = word.confidence < _LOW_WORD_CONFIDENCE
        is_unknown = False
        if lexicons and _checkable(core) and not _name_or_abbreviation(word.text, core) and not _known(core, lexicons):
            likely = _likely(core, lexicons)
            if likely is not None:
                suspicious.append(f"{core} → {likely}")
            # A word with digits is an amount, a date or a code unless a swap makes it a word.
            is_unknown = likely is not None or not any(char.isdigit() for char in core)
        low += is_low
        unknown += is_unknown
        doubtful += is_low or is_unknown
    score = round(doubtful / len(words), 4)
    flagged = score >= threshold or bool(mismatches)
    reading = page.reading
    if reading is not None and reading.agreement is not None and reading.agreement < DISAGREEMENT:
        flagged = True
        reasons.append(
            f"the engines disagree: {page.engine} and {reading.second_engine} share only {reading.agreement:.0%} "
            "of the words"
        )
    if score >= threshold:
        reasons.append(f"{score:.0%} of its {len(words)} words are doubtful (threshold {threshold:.0%})")
        if low:
            reasons.append(f"{low} words read with confidence below {_LOW_WORD_CONFIDENCE}")
        if unknown:
            reasons.append(f"{unknown} words not in the word lists")
    if suspicious:
        reasons.append(f"{len(suspicious)} words look misread: {', '.join(suspicious[:3])}")
    return Review(
        flagged=flagged,
        score=score,
        reasons=reasons,
        mean_confidence=round(sum(confidences) / len(confidences), 4),
        low_confidence=round(_percentile(confidences, 0.1), 4),
        unknown_words=unknown,
        suspicious=suspicious[:_SHOWN_SUSPICIOUS],
    )


def _mismatches(key_fields: Iterable[KeyField]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for field in key_fields:
        if field.source is FieldSource.ocr and field.matches_xml is False and field.page is not None:
            shown = field.printed or field.value
            found.setdefault(field.page, []).append(f"the {field.name} on the page ({shown}) differs from the XML")
    return found


def review_pages(
    pages: list[Page],
    languages: Sequence[str],
    key_fields: Iterable[KeyField] = (),
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Page]:
    lexicons = installed_lexicons(languages)
    mismatches = _mismatches(key_fields)
    for page in pages:
        if page.source is not PageSource.text_layer:
            sums = totals_mismatch([line.text for line in page.lines()])
            if sums is not None:
                mismatches.setdefault(page.number, []).append(sums)
    return [
        page.model_copy(update={"review": review_page(page, lexicons, threshold, mismatches.get(page.number, ()))})
        for page in pages
    ]
