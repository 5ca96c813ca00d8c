from __future__ import annotations

import xml.etree.ElementTree as ET

from ablage.results.alto import render_alto
from ablage.results.hocr import render_hocr
from ablage.results.layout import group_lines, mark_titles
from ablage.results.markdown import render_markdown
from ablage.results.model import Block, BlockKind, EngineRef, Line, OcrResult, Page, PageSource, Word
from ablage.results.text import render_text


def line(text: str, y: int, height: int = 20, x: int = 100) -> Line:
    words, cursor = [], x
    for token in text.split():
        width = 12 * len(token)
        words.append(Word(bbox=(cursor, y, cursor + width, y + height), text=token, confidence=0.9))
        cursor += width + 10
    return Line(bbox=(x, y, cursor - 10, y + height), text=text, confidence=0.9, words=words)


def page(blocks: list[Block], number: int = 1) -> Page:
    return Page(
        number=number,
        width=2480,
        height=3508,
        dpi=300,
        source=PageSource.ocr,
        engine="t",
        confidence=0.9,
        blocks=blocks,
    )


def test_group_lines_and_titles() -> None:
    lines = [
        line("Rechnung", 100, height=48),
        line("Sehr geehrte Damen und Herren,", 200),
        line("anbei die Rech-", 228),
        line("nung für März.", 256),
        line("Mit freundlichen Grüßen", 400),
    ]
    result = mark_titles(page(group_lines(lines)))
    assert [b.kind for b in result.blocks] == [BlockKind.title, BlockKind.text, BlockKind.text]
    assert [len(b.lines) for b in result.blocks] == [1, 3, 1]
    markdown = render_markdown([result])
    assert markdown == (
        "## Rechnung\n\nSehr geehrte Damen und Herren, anbei die Rechnung für März.\n\nMit freundlichen Grüßen\n"
    )
    assert render_text([result]).startswith("Rechnung\n\nSehr geehrte Damen und Herren,\nanbei die Rech-\n")


def test_markdown_escapes_syntax_and_keeps_compound_hyphens() -> None:
    blocks = group_lines([line("# 1. Liefer-", 100), line("und Leistungsdatum *wichtig*", 128)])
    markdown = render_markdown([page(blocks)])
    assert markdown == "\\# 1. Liefer- und Leistungsdatum \\*wichtig\\*\n"


def test_markdown_pages_tables_and_lists() -> None:
    table = Block(bbox=(0, 0, 10, 10), kind=BlockKind.table, lines=[line("Pos Menge Preis", 10), line("1 2 3", 40)])
    items = Block(bbox=(0, 0, 10, 10), kind=BlockKind.list, lines=[line("• Erstens", 10), line("• Zweitens", 40)])
    markdown = render_markdown([page([table]), page([items], number=2)])
    assert markdown == "Pos Menge Preis  \n1 2 3\n\n<!-- page 2 -->\n\n- Erstens\n- Zweitens\n"


def _result() -> OcrResult:
    blocks = group_lines([line("Straße & <Co>", 100), line("Grüße", 140)])
    pages = [page(blocks)]
    return OcrResult(id="j1", engine=EngineRef(name="t", version="1"), languages=["de"], pages=pages)


def test_hocr_is_wellformed_with_boxes_and_confidences() -> None:
    hocr = render_hocr(_result())
    root = ET.fromstring(hocr.split("\n", 2)[2])
    words = [el for el in root.iter() if el.get("class") == "ocrx_word"]
    assert [w.text for w in words] == ["Straße", "&", "<Co>", "Grüße"]
    assert words[0].get("title") == "bbox 100 100 172 120; x_wconf 90"


def test_alto_is_wellformed_with_positions() -> None:
    root = ET.fromstring(render_alto(_result()))
    ns = "{http://www.loc.gov/standards/alto/ns-v4#}"
    strings = list(root.iter(f"{ns}String"))
    assert [s.get("CONTENT") for s in strings] == ["Straße", "&", "<Co>", "Grüße"]
    assert (strings[0].get("HPOS"), strings[0].get("WIDTH"), strings[0].get("WC")) == ("100", "72", "0.90")
    assert len(list(root.iter(f"{ns}SP"))) == 2
