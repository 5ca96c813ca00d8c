"""Runs engines over a corpus folder of documents with ground truth (``<name>.gt.txt``, ``.gt.modern.txt``
preferred for historical print, ``.fields.json``) and scores them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ablage.engines.scripts import FRAKTUR_ENGINE, Script, fraktur_installed
from ablage.engines.supervisor import EngineSupervisor
from ablage.evaluation import DocumentScore, GroundTruth, cer, document_group, score_key_fields, word_f1
from ablage.executor.page import ReadingOptions
from ablage.jobs.pipeline import ocr_file
from ablage.results.key_fields import find_key_fields
from ablage.results.review import review_pages
from ablage.results.spelling import Spelling
from ablage.settings import Settings

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".pdf"}


def corpus_documents(corpus: Path) -> list[Path]:
    """Documents with something to score them against."""
    documents = []
    for path in sorted(corpus.iterdir()):
        stem = path.name.split(".")[0]
        if path.suffix.lower() in _IMAGE_SUFFIXES and any(
            (corpus / f"{stem}{suffix}").exists() for suffix in (".gt.txt", ".fields.json")
        ):
            documents.append(path)
    return documents


def _ground_truth(path: Path) -> tuple[str | None, GroundTruth | None]:
    stem = path.name.split(".")[0]
    truth = None
    for suffix in (".gt.modern.txt", ".gt.txt"):
        candidate = path.with_name(stem + suffix)
        if candidate.exists():
            truth = candidate.read_text(encoding="utf-8")
            break
    fields_path = path.with_name(stem + ".fields.json")
    fields = json.loads(fields_path.read_text(encoding="utf-8")) if fields_path.exists() else None
    return truth, fields


AUTO = "auto"
"""Scored as the service's ``auto`` reads: the preferred engine, and Fraktur pages found by script detection
read with the Fraktur models."""


def _ground_truth_modern(path: Path) -> bool:
    return path.with_name(path.name.split(".")[0] + ".gt.modern.txt").exists()


def evaluate(
    corpus: Path,
    engine_names: Iterable[str],
    engines: EngineSupervisor,
    settings: Settings,
    languages: list[str],
    on_document: Callable[[DocumentScore], None] | None = None,
    auto_engine: str | None = None,
) -> list[DocumentScore]:
    """``auto_engine``: the engine ``auto`` prefers, needed when ``engine_names`` has ``auto``."""
    scores: list[DocumentScore] = []
    for engine_name in engine_names:
        script = Script.latin
        fraktur = None
        if engine_name == AUTO:
            if auto_engine is None:
                raise ValueError("scoring auto needs the engine it prefers")
            engine = engines.pages(auto_engine)
            if fraktur_installed() and engines.is_available(FRAKTUR_ENGINE):
                script, fraktur = Script.auto, engines.pages(FRAKTUR_ENGINE)
        else:
            engine = engines.pages(engine_name)
        # auto reviews its unsure pages with a second opinion, as the service does.
        second = None
        if engine_name == AUTO and settings.ocr.second_opinion and engines.is_available(FRAKTUR_ENGINE):
            second = engines.pages(FRAKTUR_ENGINE)
        for path in corpus_documents(corpus):
            truth, fields = _ground_truth(path)
            # Scored in the spelling of its ground truth: modern where there is a modernised one.
            spelling = Spelling.modern if _ground_truth_modern(path) else Spelling.printed
            reading = ReadingOptions(
                script=script,
                fraktur_engine=FRAKTUR_ENGINE,
                spelling=spelling,
                deskew=settings.ocr.deskew,
                second_engine=FRAKTUR_ENGINE if second is not None else None,
            )
            started = time.perf_counter()
            pages = ocr_file(
                path,
                engine,
                settings.upload,
                languages=languages,
                detect_orientation=settings.ocr.detect_orientation,
                timeout=settings.ocr.processing_timeout,
                reading=reading,
                fraktur=fraktur,
                second=second,
            )
            seconds = time.perf_counter() - started
            text = "\n".join(line.text for page in pages for line in page.lines())
            found = find_key_fields(pages)
            outcomes = score_key_fields(found, fields) if fields else None
            reviews = [page.review for page in review_pages(pages, languages, found) if page.review is not None]
            score = DocumentScore(
                engine=engine_name,
                document=path.name,
                group=document_group(path.name),
                pages=len(pages),
                seconds=round(seconds / max(1, len(pages)), 3),
                cer=round(cer(text, truth), 4) if truth is not None else None,
                word_f1=word_f1(text, truth).f1 if truth is not None else None,
                fields_correct=sum(o.correct for o in outcomes.values()) if outcomes is not None else None,
                fields_total=len(outcomes) if outcomes is not None else None,
                fields=outcomes,
                flagged=any(review.flagged for review in reviews),
                review_score=max((review.score for review in reviews), default=None),
            )
            scores.append(score)
            if on_document is not None:
                on_document(score)
    return scores
