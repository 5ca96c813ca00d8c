from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from ablage.results.model import Block, Line, Page, PageSource, Word, union_bbox
from ablage.results.searchable_pdf import SearchablePdfWriter, winansi_text
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

ORIGINAL = Path(__file__).parents[1] / "data" / "robustness" / "zugferd_EN16931_Elektron.pdf"
DPI = 300
LINES = ["Rechnung Nr. 4711", "Grüße aus München", "Betrag: 1.234,56 € „brutto“"]


def rendered_page(lines: list[str], size: tuple[int, int] = (1600, 400)) -> tuple[Image.Image, Page]:
    """Text drawn word by word, with each word's box measured by Pillow, so the boxes are exact.

    Multiples of 25 px are whole points at 300 dpi: PDFium then renders the image back 1:1, where other sizes
    cost a rounding pixel and a resampled image.
    """
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    # Pillow's bundled font draws boxes for ü, ß, € and „: the text layer comes from the model, so that is fine.
    font = ImageFont.load_default(size=48)
    model_lines = []
    for n, text in enumerate(lines):
        x, y = 60, 60 + 110 * n
        words = []
        for token in text.split():
            draw.text((x, y), token, font=font, fill=0)
            box = draw.textbbox((x, y), token, font=font)
            words.append(Word(bbox=box, text=token, confidence=0.95))
            x += round(draw.textlength(token + " ", font=font))
        model_lines.append(
            Line(bbox=union_bbox(w.bbox for w in words), text=text, confidence=0.95, words=words),
        )
    block = Block(bbox=union_bbox(line.bbox for line in model_lines), lines=model_lines)
    page = Page(
        number=1,
        width=size[0],
        height=size[1],
        dpi=DPI,
        source=PageSource.ocr,
        engine="test",
        confidence=0.95,
        blocks=[block],
    )
    return image, page


def write(tmp_path: Path, image: Image.Image, page: Page, *, original: bool = False) -> Path:
    target = tmp_path / "searchable.pdf"
    writer = SearchablePdfWriter()
    try:
        writer.add_image_page(image, page)
        if original:
            writer.add_original_page(ORIGINAL, 1)
        writer.save(target)
    finally:
        writer.close()
    return target


def page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    return str(pdf[index].get_textpage().get_text_range())


def test_image_page_with_invisible_words_and_a_copied_original_page(tmp_path: Path) -> None:
    image, page = rendered_page(LINES)
    target = write(tmp_path, image, page, original=True)

    pdf = pdfium.PdfDocument(target)
    original = pdfium.PdfDocument(ORIGINAL)
    try:
        assert len(pdf) == 2
        width, height = pdf[0].get_size()
        assert abs(width - page.width * 72 / DPI) < 0.01
        assert abs(height - page.height * 72 / DPI) < 0.01
        assert any(obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE for obj in pdf[0].get_objects())

        text = page_text(pdf, 0)
        words = [word for line in page.lines() for word in line.words]
        assert text.split() == [word.text for word in words]

        # Each word's first and last character sit on the word's box, converted to points.
        textpage = pdf[0].get_textpage()
        scale, cursor = 72 / DPI, 0
        for word in words:
            start = text.index(word.text, cursor)
            cursor = start + len(word.text)
            x0, y0, x1, y1 = (v * scale for v in word.bbox)
            top, bottom = height - y0, height - y1
            left, low, _, high = textpage.get_charbox(start)
            _, _, right, _ = textpage.get_charbox(cursor - 1)
            assert abs(left - x0) < 2 and abs(right - x1) < 2, word.text
            assert bottom - 3 < low < high < top + 3, word.text

        assert page_text(pdf, 1) == page_text(original, 0)

        # Rendered back, the page looks like the input: the image fills the page and the text stays invisible.
        # JPEG alone differs by a few grey levels at the edges; a visible or misplaced glyph would differ by ~255.
        rendered = pdf[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
        assert rendered.size == image.size
        difference = ImageChops.difference(rendered, image)
        stat = ImageStat.Stat(difference)
        assert stat.mean[0] < 0.5
        assert stat.extrema[0][1] < 64
    finally:
        original.close()
        pdf.close()


def test_words_outside_winansi_do_not_crash(tmp_path: Path) -> None:
    image, page = rendered_page(["Kanji 漢字 und Straße"])
    page.blocks[0].lines[0].words[1].text = "漢字"
    target = write(tmp_path, image, page)

    pdf = pdfium.PdfDocument(target)
    try:
        assert page_text(pdf, 0).split() == ["Kanji", "??", "und", "Straße"]
    finally:
        pdf.close()


def test_winansi_text_folds_what_it_can() -> None:
    assert winansi_text("Gru\u0308ße") == "Grüße"
    assert winansi_text("ﬁnal €5 „ok“") == "final €5 „ok“"
    assert winansi_text("漢\u200bA\tB") == "?A B"
