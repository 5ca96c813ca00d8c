"""``ablage eval``: accuracy of the engines on a corpus with ground truth."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from statistics import mean
from typing import Annotated

import typer
from tqdm import tqdm

from ablage.evaluation import DocumentScore
from ablage.settings import Settings


def _mean(values: list[float | None]) -> str:
    present = [value for value in values if value is not None]
    return f"{mean(present):.3f}" if present else "–"


def _fields(rows: list[DocumentScore]) -> str:
    """Correct key fields out of those the ground truth states, summed: documents state different numbers."""
    total = sum(row.fields_total or 0 for row in rows)
    return f"{sum(row.fields_correct or 0 for row in rows)}/{total}" if total else "–"


def _groups(scores: list[DocumentScore]) -> dict[tuple[str, str], list[DocumentScore]]:
    by_group: defaultdict[tuple[str, str], list[DocumentScore]] = defaultdict(list)
    for score in scores:
        by_group[(score.group, score.engine)].append(score)
    return dict(sorted(by_group.items()))


def _table(scores: list[DocumentScore]) -> str:
    lines = []
    for (group, engine), rows in _groups(scores).items():
        lines.append(f"\n{group} — {engine}")
        lines.append(f"{'document':<62} {'CER':>7} {'word F1':>8} {'fields':>7} {'s/page':>7}")
        for row in rows:
            cer = f"{row.cer:.3f}" if row.cer is not None else "–"
            f1 = f"{row.word_f1:.3f}" if row.word_f1 is not None else "–"
            lines.append(f"{row.document:<62} {cer:>7} {f1:>8} {_fields([row]):>7} {row.seconds:>7.2f}")
        lines.append(
            f"{'mean (fields: sum)':<62} {_mean([r.cer for r in rows]):>7} {_mean([r.word_f1 for r in rows]):>8} "
            f"{_fields(rows):>7} {_mean([r.seconds for r in rows]):>7}"
        )
    return "\n".join(lines) + "\n\n" + _summary(scores) + "\n\n" + _review(scores)


# A document this far off is worth a person's look: the review flags are scored against both. CER counts reading
# order too (a table read row by row or column by column), word F1 only the words.
_REVIEW_CER = 0.05
_REVIEW_F1 = 0.95


def _review(scores: list[DocumentScore]) -> str:
    """Per engine: how well the review flags pick the documents read badly."""
    lines = [
        "review flags against documents read badly",
        f"{'engine':<12} {'criterion':<14} {'flagged':>8} {'bad':>5} {'precision':>10} {'recall':>7}",
    ]
    criteria = {
        f"CER > {_REVIEW_CER:.0%}": lambda row: row.cer is not None and row.cer > _REVIEW_CER,
        f"word F1 < {_REVIEW_F1}": lambda row: row.word_f1 is not None and row.word_f1 < _REVIEW_F1,
    }
    for engine in sorted({score.engine for score in scores}):
        rows = [score for score in scores if score.engine == engine and score.cer is not None]
        flagged = [row for row in rows if row.flagged]
        for name, bad_if in criteria.items():
            bad = [row for row in rows if bad_if(row)]
            hits = [row for row in flagged if bad_if(row)]
            precision = f"{len(hits) / len(flagged):.2f}" if flagged else "–"
            recall = f"{len(hits) / len(bad):.2f}" if bad else "–"
            lines.append(f"{engine:<12} {name:<14} {len(flagged):>8} {len(bad):>5} {precision:>10} {recall:>7}")
    return "\n".join(lines)


def _summary(scores: list[DocumentScore]) -> str:
    """One line per group and engine, the figures to compare engines by."""
    lines = [f"{'group':<10} {'engine':<12} {'word F1':>8} {'CER':>7} {'fields':>7} {'s/page':>7}"]
    for (group, engine), rows in _groups(scores).items():
        lines.append(
            f"{group:<10} {engine:<12} {_mean([r.word_f1 for r in rows]):>8} {_mean([r.cer for r in rows]):>7} "
            f"{_fields(rows):>7} {_mean([r.seconds for r in rows]):>7}"
        )
    return "\n".join(lines)


def evaluate_command(
    corpus: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="folder with documents and *.gt.txt")],
    engine: Annotated[list[str] | None, typer.Option("--engine", help="engine(s) to score; default: all")] = None,
    lang: Annotated[str, typer.Option("--lang", help="ISO 639-1 list")] = "de,en",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the scores as JSON here")] = None,
) -> None:
    """Score OCR engines on a corpus: CER, word-multiset F1, key fields, seconds per page."""
    from ablage.cli.models import LOAD_TIMEOUT
    from ablage.engines.base import EngineInput
    from ablage.engines.registry import enabled_engines
    from ablage.engines.scripts import FRAKTUR_ENGINE
    from ablage.engines.supervisor import EngineSupervisor
    from ablage.evaluation_run import AUTO, corpus_documents, evaluate

    settings = Settings()
    enabled = enabled_engines(settings)
    named = [name for name in engine or () if name != AUTO]
    # auto needs the engines it chooses among loaded: the enabled ones, Fraktur's among them.
    wanted = list(dict.fromkeys(named + ([*enabled, FRAKTUR_ENGINE] if not engine or AUTO in engine else [])))
    with EngineSupervisor.running(settings, wanted) as engines:
        statuses = {name: engines.wait(name, LOAD_TIMEOUT) for name in wanted}
        readers = [s.name for s in statuses.values() if s.available and s.reads is EngineInput.pages]
        # auto prefers engines in ENABLED_ENGINES order, as the services do.
        auto_engine = next((name for name in enabled if name in readers), None)
        # Without --engine: every enabled engine that reads pages and loaded, and auto; a named one must load.
        names = engine or [name for name in readers if name in enabled] + ([AUTO] if auto_engine else [])
        total = len(corpus_documents(corpus)) * len(names)
        with tqdm(total=total, unit="doc", desc="eval") as bar:
            scores = evaluate(
                corpus,
                names,
                engines,
                settings,
                lang.split(","),
                on_document=lambda _s: bar.update(),
                auto_engine=auto_engine,
            )
    typer.echo(_table(scores))
    if output is not None:
        output.write_text(json.dumps([asdict(score) for score in scores], indent=2), encoding="utf-8")
