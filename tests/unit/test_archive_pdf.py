"""The archive copy: PDF/A-2b (3b with attachments) checked structurally with pikepdf, where veraPDF cannot be
installed, and read back with Poppler (pdftotext, pdffonts, pdftoppm) and PDFium as viewers would."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pypdfium2 as pdfium
import pytest
from ablage.documents.pdf import PdfSource
from ablage.results.archive_pdf import Attachment, PdfOutput, write_archive, write_page
from ablage.results.glyphless_font import cids
from ablage.results.model import Block, Line, Page, PageSource, Word, union_bbox
from ablage.results.page_image import Optimize, encode
from ablage.settings import Settings
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageStat

from tests.backends import unavailable
from tests.images import image_pdf

ORIGINAL = Path(__file__).parents[1] / "data" / "robustness" / "zugferd_EN16931_Elektron.pdf"
DPI = 300
GERMAN = ["Größe und Straße", "Preis: € 12,50 – „Zitat“"]
FORBIDDEN_ACTIONS = {"/Launch", "/Sound", "/Movie", "/ResetForm", "/ImportData", "/JavaScript", "/Hide"}


def rendered_page(lines: list[str], size: tuple[int, int] = (1600, 400)) -> tuple[Image.Image, Page]:
    """Text drawn word by word, each word's box measured by Pillow, so the boxes are exact. Multiples of 25 px
    are whole points at 300 dpi, so renderers draw the image back 1:1."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    # Pillow's bundled font draws boxes for ß, € and „: the text layer comes from the model, so that is fine.
    font = ImageFont.load_default(size=48)
    model_lines = []
    for n, text in enumerate(lines):
        x, y = 60, 60 + 110 * n
        words = []
        for token in text.split():
            draw.text((x, y), token, font=font, fill=0)
            words.append(Word(bbox=draw.textbbox((x, y), token, font=font), text=token, confidence=0.95))
            x += round(draw.textlength(token + " ", font=font))
        model_lines.append(Line(bbox=union_bbox(w.bbox for w in words), text=text, confidence=0.95, words=words))
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


def archive(tmp_path: Path, image: Image.Image, page: Page, *, original: bool = False, **options: object) -> Path:
    part = tmp_path / "page.pdf"
    write_page(image, page, part)
    parts = [(part, 1)] + ([(ORIGINAL, 1)] if original else [])
    target = tmp_path / "archive.pdf"
    write_archive(parts, target, **options)  # type: ignore[arg-type]
    return target


def fonts(resources: pikepdf.Dictionary, seen: set[tuple[int, int]] | None = None) -> Iterator[pikepdf.Dictionary]:
    """Every font a page's resources use, those of its form XObjects included."""
    seen = set() if seen is None else seen
    yield from resources.get("/Font", pikepdf.Dictionary()).values()
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject and xobject.objgen not in seen:
            seen.add(xobject.objgen)
            yield from fonts(xobject.Resources, seen)


def font_program(font: pikepdf.Dictionary) -> bool:
    described = font.DescendantFonts[0] if font.Subtype == "/Type0" else font
    descriptor = described.get("/FontDescriptor")
    return descriptor is not None and any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def actions(pdf: pikepdf.Pdf) -> set[str]:
    """The /S of every action dictionary anywhere in the file."""
    found = set()
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type", "/Action") == "/Action" and "/S" in obj:
            found.add(str(obj.S))
    return found


def test_archive_copy_is_pdfa_2b_structurally(tmp_path: Path) -> None:
    image, page = rendered_page(GERMAN)
    target = archive(tmp_path, image, page, original=True, title="Rechnung")

    with pikepdf.open(target) as pdf:
        assert not pdf.is_encrypted and "/Encrypt" not in pdf.trailer
        assert len(pdf.trailer.ID) == 2
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == "Rechnung" == str(pdf.docinfo.Title)
        assert meta["pdf:Producer"] == str(pdf.docinfo.Producer)
        # The XMP stays readable as plain text, for tools that scan for it.
        assert "/Filter" not in pdf.Root.Metadata

        (intent,) = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1" and str(intent.OutputConditionIdentifier) == "sRGB IEC61966-2.1"
        profile = intent.DestOutputProfile
        icc = profile.read_bytes()
        assert profile.N == 3 and icc[36:40] == b"acsp" and icc[16:20] == b"RGB "

        assert len(pdf.pages) == 2
        for number, pdf_page in enumerate(pdf.pages, 1):
            page_fonts = list(fonts(pdf_page.Resources))
            assert page_fonts, number
            assert all(font_program(font) for font in page_fonts), number
        # PDF/A-2b asks no ToUnicode of the original's fonts; the text layer's font has one (and must, for ß).
        (layer_font,) = fonts(pdf.pages[0].Resources)
        assert layer_font.Subtype == "/Type0" and layer_font.Encoding == "/Identity-H" and "/ToUnicode" in layer_font
        descendant = layer_font.DescendantFonts[0]
        assert descendant.Subtype == "/CIDFontType2" and "/CIDToGIDMap" in descendant
        assert not actions(pdf) & FORBIDDEN_ACTIONS
        assert "/OpenAction" not in pdf.Root and "/JavaScript" not in pdf.Root.get("/Names", {})

    report = pikepdf.pdfa.validate_written(target, "2b")
    assert report.passed, report.findings


def test_a_copied_page_loses_forbidden_actions_and_hidden_annotations(tmp_path: Path) -> None:
    source = tmp_path / "actions.pdf"
    with pikepdf.open(ORIGINAL) as pdf:
        script = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS="1"))
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=script)
        launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F="calc.exe")
        link = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], A=launch, F=2
        )
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
        pdf.save(source)
    target = tmp_path / "archive.pdf"
    write_archive([(source, 1)], target)

    with pikepdf.open(target) as pdf:
        assert actions(pdf) == set()
        assert "/AA" not in pdf.pages[0].obj and len(pdf.pages[0].Annots) == 1
        # Hidden (2) cleared, Print (4) set, as PDF/A asks of annotations.
        assert pdf.pages[0].Annots[0].F == 4
    report = pikepdf.pdfa.validate_written(target, "2b")
    assert report.passed, report.findings


def test_an_encrypted_original_gives_an_unencrypted_archive(tmp_path: Path) -> None:
    source = tmp_path / "locked.pdf"
    with pikepdf.open(ORIGINAL) as pdf:
        pdf.save(
            source,
            encryption=pikepdf.Encryption(owner="secret", user="", allow=pikepdf.Permissions(modify_other=False)),
        )
    target = tmp_path / "archive.pdf"
    write_archive([(source, 1)], target)

    with pikepdf.open(target) as pdf:
        assert not pdf.is_encrypted and len(pdf.pages) == 1


def test_attachments_make_it_pdfa_3b(tmp_path: Path) -> None:
    image, page = rendered_page(GERMAN)
    xml = b"<?xml version='1.0'?><rsm:CrossIndustryInvoice xmlns:rsm='urn:x'/>"
    target = archive(tmp_path, image, page, attachments=[Attachment("factur-x.xml", xml, description="Rechnung")])

    with pikepdf.open(target) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        (spec,) = pdf.Root.AF
        assert spec.AFRelationship == "/Alternative" and str(spec.F) == "factur-x.xml"
        assert spec.EF.F.Subtype == "/text/xml"
        assert pdf.attachments["factur-x.xml"].get_file().read_bytes() == xml
    report = pikepdf.pdfa.validate_written(target, "3b")
    assert report.passed, report.findings


@pytest.mark.parametrize("output", [PdfOutput.pdfa_2b, PdfOutput.pdfa_3b, PdfOutput.pdf])
def test_the_archive_format_is_the_one_asked_for(tmp_path: Path, output: PdfOutput) -> None:
    image, page = rendered_page(GERMAN)
    target = tmp_path / "archive.pdf"
    part = tmp_path / "page.pdf"
    write_page(image, page, part)
    assert write_archive([(part, 1)], target, output=output) is output

    with pikepdf.open(target) as pdf:
        meta = pdf.open_metadata()
        if output is PdfOutput.pdf:
            assert "pdfaid:part" not in meta and "/OutputIntents" not in pdf.Root
        else:
            assert meta["pdfaid:part"] == output.value[5]
            assert pdf.Root.OutputIntents[0].DestOutputProfile.N == 3
        # The text layer is the same in every format: embedded font with its ToUnicode map.
        assert all(font_program(font) and "/ToUnicode" in font for font in fonts(pdf.pages[0].Resources))
    if output is not PdfOutput.pdf:
        report = pikepdf.pdfa.validate_written(target, output.value[5:])
        assert report.passed, report.findings


def test_pdfa_2b_cannot_carry_an_invoice_xml(tmp_path: Path) -> None:
    image, page = rendered_page(GERMAN)
    attachment = Attachment("factur-x.xml", b"<x/>")
    assert PdfOutput.auto.resolved(attachments=True) is PdfOutput.pdfa_3b
    assert PdfOutput.auto.resolved(attachments=False) is PdfOutput.pdfa_2b
    with pytest.raises(ValueError, match="PDF/A-2b"):
        archive(tmp_path, image, page, output=PdfOutput.pdfa_2b, attachments=[attachment])


@pytest.mark.parametrize("kind", ["grey text", "colour photo"])
def test_optimisation_levels_trade_pixels_for_size(kind: str) -> None:
    text, _ = rendered_page(GERMAN)
    image = text if kind == "grey text" else photo(text.size, "RGB")
    sizes = {level: len(encode(image, level).data) for level in Optimize}
    lossless = encode(image, Optimize.lossless)
    assert lossless.filter == "/FlateDecode"
    assert sizes[Optimize.strong] <= sizes[Optimize.standard] < sizes[Optimize.lossless]


def poppler(command: str, *args: str) -> str:
    if shutil.which(command) is None:
        unavailable(f"{command} is not installed (Debian's poppler-utils)")
    return subprocess.run([command, *args], capture_output=True, text=True, check=True, timeout=60).stdout


def test_pdftotext_recovers_the_german_words(tmp_path: Path) -> None:
    image, page = rendered_page(GERMAN)
    target = archive(tmp_path, image, page)

    text = poppler("pdftotext", "-enc", "UTF-8", str(target), "-")
    assert text.split() == " ".join(GERMAN).split()
    assert "Größe" in text and "Straße" in text and "€ 12,50" in text and "„Zitat“" in text and " – " in text

    table = poppler("pdffonts", str(target)).splitlines()
    (row,) = table[2:]
    # name, type (CID TrueType), encoding, emb, sub, uni, object number, generation
    assert row.split()[-5:-2] == ["yes", "no", "yes"] and "Identity-H" in row


def test_words_sit_on_their_boxes(tmp_path: Path) -> None:
    image, page = rendered_page(GERMAN)
    target = archive(tmp_path, image, page)

    pdf = pdfium.PdfDocument(target)
    try:
        width, height = pdf[0].get_size()
        assert abs(width - page.width * 72 / DPI) < 0.01 and abs(height - page.height * 72 / DPI) < 0.01
        textpage = pdf[0].get_textpage()
        text = textpage.get_text_range()
        words = [word for line in page.lines() for word in line.words]
        assert text.split() == [word.text for word in words]
        scale, cursor = 72 / DPI, 0
        for word in words:
            start = text.index(word.text, cursor)
            cursor = start + len(word.text)
            x0, y0, x1, y1 = (v * scale for v in word.bbox)
            left, low, _, high = textpage.get_charbox(start)
            _, _, right, _ = textpage.get_charbox(cursor - 1)
            assert abs(left - x0) < 1 and abs(right - x1) < 1, word.text
            assert height - y1 - 3 < low < high < height - y0 + 3, word.text
    finally:
        pdf.close()


def photo(size: tuple[int, int], mode: str) -> Image.Image:
    """A smooth picture with many tones: what JPEG is for."""
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(3))
    if mode == "L":
        return ImageChops.add(gradient, noise, scale=2)
    return Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))


@pytest.mark.parametrize(
    ("kind", "expected", "tolerance"),
    [
        ("bilevel", "/CCITTFaxDecode", 0.001),
        ("grey text", "/CCITTFaxDecode", 1.0),
        ("grey photo", "/DCTDecode", 3.0),
        ("colour photo", "/DCTDecode", 4.0),
        ("flat colours", "/FlateDecode", 0.001),
    ],
)
def test_page_images_are_encoded_by_content_and_render_back(
    tmp_path: Path, kind: str, expected: str, tolerance: float
) -> None:
    text, page = rendered_page(GERMAN)
    image: Image.Image = {
        "bilevel": lambda: text.point(lambda v: 255 if v >= 128 else 0, mode="1"),
        "grey text": lambda: text,
        "grey photo": lambda: photo(text.size, "L"),
        "colour photo": lambda: photo(text.size, "RGB"),
        "flat colours": lambda: Image.merge(
            "RGB", (text.point(lambda v: 255), *[text.point(lambda v: v // 128 * 255)] * 2)
        ),
    }[kind]()
    assert encode(image).filter == expected
    target = archive(tmp_path, image, page)

    with pikepdf.open(target) as pdf:
        (picture,) = pdf.pages[0].Resources.XObject.values()
        assert picture.Filter == expected
        assert picture.ColorSpace == ("/DeviceRGB" if kind in ("colour photo", "flat colours") else "/DeviceGray")
    # PDFium draws the image 1:1 without smoothing it, so lossless encodings come back exact.
    pdf = pdfium.PdfDocument(target)
    try:
        back = pdf[0].render(scale=DPI / 72).to_pil()
    finally:
        pdf.close()
    mode = "RGB" if image.mode == "RGB" else "L"
    assert back.size == image.size
    # Mean difference per channel: the text layer draws nothing, and the encodings keep the picture (G4 of
    # anti-aliased text loses the edge greys only; JPEG a few levels).
    difference = ImageStat.Stat(ImageChops.difference(back.convert(mode), image.convert(mode)))
    assert max(difference.mean) < tolerance, difference.mean


def test_bilevel_pages_are_smaller_than_their_grey_jpeg() -> None:
    text, _ = rendered_page(GERMAN)
    buffer = io.BytesIO()
    text.save(buffer, format="JPEG", quality=75)
    assert len(encode(text).data) * 5 < len(buffer.getvalue())


def test_pages_share_one_text_font(tmp_path: Path) -> None:
    image, page = rendered_page(GERMAN)
    parts = []
    for n in range(3):
        parts.append((tmp_path / f"page-{n}.pdf", 1))
        write_page(image, page, parts[-1][0])
    target = tmp_path / "archive.pdf"
    write_archive([*parts, (ORIGINAL, 1)], target)

    with pikepdf.open(target) as pdf:
        used = {font.objgen for pdf_page in pdf.pages[:3] for font in fonts(pdf_page.Resources)}
        assert len(used) == 1
        font_programs = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and "/Length1" in obj]
        # One copy of the glyphless font and the original's three Calibri programs.
        assert len(font_programs) == 4
    words = " ".join(GERMAN * 3).split()
    assert poppler("pdftotext", "-enc", "UTF-8", str(target), "-").split()[: len(words)] == words


def test_cids_are_utf16_code_units_one_per_character() -> None:
    assert cids("Aß€") == b"\x00A\x00\xdf\x20\xac"
    # Beyond the Basic Multilingual Plane a character would take two CIDs (two advances): U+FFFD instead.
    assert cids("a😀") == b"\x00a\xff\xfd"


def test_poppler_draws_the_g4_image_black_on_white(tmp_path: Path) -> None:
    text, page = rendered_page(GERMAN)
    bilevel = text.point(lambda v: 255 if v >= 128 else 0, mode="1")
    target = archive(tmp_path, bilevel, page)

    poppler("pdftoppm", "-r", str(DPI), "-gray", "-png", "-singlefile", str(target), str(tmp_path / "back"))
    with Image.open(tmp_path / "back.png") as back:
        # Poppler smooths the edges a little; inverted (BlackIs1 wrong), the mean difference would be ~230.
        assert back.size == bilevel.size
        assert ImageStat.Stat(ImageChops.difference(back.convert("L"), bilevel.convert("L"))).mean[0] < 2


def test_every_script_of_the_basic_plane_is_searchable(tmp_path: Path) -> None:
    """What the standard Helvetica of the old writer turned into '?' comes back as it was recognised."""
    image, page = rendered_page(["Kanji 漢字 und Straße", "Ελληνικά кириллица ﬁnal"])
    target = archive(tmp_path, image, page)

    text = poppler("pdftotext", "-enc", "UTF-8", str(target), "-")
    assert text.split() == ["Kanji", "漢字", "und", "Straße", "Ελληνικά", "кириллица", "ﬁnal"]


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_pdf_scans_are_rendered_in_their_own_colours(tmp_path: Path, mode: str) -> None:
    """A colour scan in a PDF reaches the archive copy in colour; a grey one (even stored as RGB) as grey."""
    text, _ = rendered_page(GERMAN)
    picture = photo(text.size, "RGB")
    scan = picture if mode == "RGB" else picture.convert("L").convert("RGB")
    path = tmp_path / "scan.pdf"
    path.write_bytes(image_pdf([scan], dpi=DPI, colour=True))
    source = PdfSource(path, Settings().upload)
    try:
        page = source.page(1, want_text_layer=True)
    finally:
        source.close()
    assert page.image is not None
    assert page.image.mode == mode
    assert encode(page.image).colour_space == ("/DeviceRGB" if mode == "RGB" else "/DeviceGray")
    difference = ImageStat.Stat(ImageChops.difference(page.image.convert("RGB"), scan.resize(page.image.size)))
    assert max(difference.mean) < 4, difference.mean
