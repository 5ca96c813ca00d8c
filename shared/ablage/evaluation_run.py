"""Runs engines over a corpus folder of documents with ground truth (``<name>.gt.txt``, ``.gt.modern.txt``
preferred for historical print, ``.fields.json``) and scores them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ablage.engines.supervisor import EngineSupervisor
from ablage.evaluation import DocumentScore, GroundTruth, cer, document_group, score_key_fields, word_f1
from ablage.jobs.pipeline import ocr_file
from ablage.results.key_fields import find_key_fields
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


def evaluate(
    corpus: Path,
    engine_names: Iterable[str],
    engines: EngineSupervisor,
    settings: Settings,
    languages: list[str],
    on_document: Callable[[DocumentScore], None] | None = None,
) -> list[DocumentScore]:
    scores: list[DocumentScore] = []
    for engine_name in engine_names:
        engine = engines.pages(engine_name)
        for path in corpus_documents(corpus):
            truth, fields = _ground_truth(path)
            started = time.perf_counter()
            pages = ocr_file(
                path,
                engine,
                settings.upload,
                languages=languages,
                detect_orientation=settings.ocr.detect_orientation,
                timeout=settings.ocr.processing_timeout,
            )
            seconds = time.perf_counter() - started
            text = "\n".join(line.text for page in pages for line in page.lines())
            outcomes = score_key_fields(find_key_fields(pages), fields) if fields else None
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
            )
            scores.append(score)
            if on_document is not None:
                on_document(score)
    return scores
