"""A scan laid a few degrees askew reads as well as the same page laid straight, and its word boxes land on the
page as it was delivered. The skewed pages are made here from a corpus scan, turned by known angles."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from ablage.documents.skew import measure_skew, straighten
from ablage.engines.supervisor import EngineSupervisor
from ablage.evaluation import word_f1
from ablage.executor.page import ReadingOptions
from ablage.jobs.pipeline import ocr_file
from ablage.results.model import Page
from ablage.settings import Settings
from PIL import Image

from tests.conftest import DOCUMENTS

SCAN = DOCUMENTS / "de_invoice_mustang_499.png"
TRUTH = (DOCUMENTS / "de_invoice_mustang_499.gt.txt").read_text(encoding="utf-8")
HETZNER = DOCUMENTS / "de_invoice_hetzner_2016.png"
HETZNER_TRUTH = (DOCUMENTS / "de_invoice_hetzner_2016.gt.txt").read_text(encoding="utf-8")
DPI = 300


def _turned(image: Image.Image, degrees: float) -> Image.Image:
    """The page turned counter-clockwise by ``degrees`` on a white glass, as a scanner delivers it: turned at twice
    the resolution and each sensor pixel the mean of the light on it, so the page is sampled once, as a real scan
    is, not resampled from a finished raster."""
    fine = image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
    fine = fine.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return fine.resize((fine.width // 2, fine.height // 2), Image.Resampling.BOX)


@pytest.mark.parametrize("degrees", [1.0, 2.5, -3.0, 5.0])
def test_the_angle_is_measured_to_a_fraction_of_a_degree(degrees: float) -> None:
    page = Image.open(SCAN).convert("L")
    assert abs(measure_skew(page)) < 0.3
    assert measure_skew(_turned(page, degrees)) == pytest.approx(-degrees, abs=0.3)
    straightened = straighten(_turned(page, degrees))
    assert straightened.angle == pytest.approx(-degrees, abs=0.3)


def test_a_text_line_or_a_straight_page_is_left_as_it_is() -> None:
    line = Image.open(DOCUMENTS / "de_fraktur_line_andreas_fenitschka_1898_0033_026.tif")
    assert straighten(line).angle == 0.0 and straighten(line).image is line
    page = Image.open(SCAN).convert("L")
    assert straighten(page).angle == 0.0


def _reader(name: str):
    settings = Settings()
    engines = EngineSupervisor(settings)
    engines.start([name])
    engines.wait(name, 120)
    engine = engines.pages(name)

    def read(path: Path, deskew: bool = True) -> Page:
        options = ReadingOptions(deskew=deskew)
        return ocr_file(path, engine, settings.upload, languages=["de", "en"], reading=options, timeout=300)[0]

    return read, engines


@pytest.fixture(scope="module")
def preferred(auto_engine: str):
    """The engine ``auto`` reads a modern page with: the figures that matter to most uploads."""
    read, engines = _reader(auto_engine)
    yield read
    engines.close()


@pytest.fixture(scope="module")
def tesseract():
    read, engines = _reader("tesseract")
    yield read
    engines.close()


def _upright_and_turned(tmp_path: Path, scan: Path, degrees: float) -> tuple[Image.Image, Path, Image.Image, Path]:
    """The page in grey, and the same page turned, both saved at the scan's resolution, so that the turn is the
    only difference between the two readings."""
    image = Image.open(scan).convert("L")
    upright_path, turned_path = tmp_path / "upright.png", tmp_path / "skewed.png"
    image.save(upright_path, dpi=(DPI, DPI))
    turned = _turned(image, degrees)
    turned.save(turned_path, dpi=(DPI, DPI))
    return image, upright_path, turned, turned_path


def _text(page: Page) -> str:
    return "\n".join(line.text for line in page.lines())


def _centre(box: tuple[int, int, int, int]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _on_turned(point: tuple[float, float], size: tuple[int, int], turned: tuple[int, int], degrees: float):
    """Where a point of the straight page lies on the page turned counter-clockwise by ``degrees``."""
    rad = math.radians(degrees)
    dx, dy = point[0] - size[0] / 2, point[1] - size[1] / 2
    return (
        math.cos(rad) * dx + math.sin(rad) * dy + turned[0] / 2,
        -math.sin(rad) * dx + math.cos(rad) * dy + turned[1] / 2,
    )


@pytest.mark.slow
@pytest.mark.parametrize("scan, truth", [(SCAN, TRUTH), (HETZNER, HETZNER_TRUTH)], ids=["mustang", "hetzner"])
@pytest.mark.parametrize("degrees", [1.5, -3.0, 5.0])
def test_a_skewed_scan_reads_as_well_as_the_upright_one(
    preferred, tmp_path: Path, scan: Path, truth: str, degrees: float
) -> None:
    image, upright_path, turned, turned_path = _upright_and_turned(tmp_path, scan, degrees)
    upright = preferred(upright_path)
    upright_f1 = word_f1(_text(upright), truth).f1

    page = preferred(turned_path)
    assert page.reading is not None and page.reading.skew == pytest.approx(-degrees, abs=0.3)
    assert word_f1(_text(page), truth).f1 >= upright_f1 - 0.01
    # Without deskew the same page reads far worse (0.06-0.19 lower), so the figure above is deskew's doing.
    if abs(degrees) >= 3:
        assert word_f1(_text(preferred(turned_path, deskew=False)), truth).f1 < upright_f1 - 0.03

    # Boxes are on the delivered (turned) page: each word lies where the upright page's word, turned, lies.
    assert (page.width, page.height) == turned.size
    # Words printed once on the page, so that each has one place to be.
    long_words = [w for line in upright.lines() for w in line.words if len(w.text) >= 8]
    counts = Counter(w.text for w in long_words)
    upright_words = {w.text: w for w in long_words if counts[w.text] == 1}
    compared = 0
    for line in page.lines():
        for word in line.words:
            x0, y0, x1, y1 = word.bbox
            assert 0 <= x0 <= x1 <= page.width and 0 <= y0 <= y1 <= page.height
            twin = upright_words.get(word.text)
            if twin is None:
                continue
            expected = _on_turned(_centre(twin.bbox), image.size, turned.size, degrees)
            found = _centre(word.bbox)
            assert math.dist(expected, found) < 12, (word.text, expected, found)
            compared += 1
    assert compared >= 20


@pytest.mark.slow
@pytest.mark.parametrize("degrees", [1.5, -3.0])
def test_deskew_recovers_most_of_what_skew_costs_tesseract(tesseract, tmp_path: Path, degrees: float) -> None:
    """Tesseract is sensitive to any resampling of these crisp rendered pages (turning the upright page by 0.01°
    alone costs it up to 0.006), so a straightened page reads about two words worse than the upright one (0.017
    measured), where without deskew it loses 0.07-0.17."""
    _, upright_path, _, turned_path = _upright_and_turned(tmp_path, SCAN, degrees)
    upright_f1 = word_f1(_text(tesseract(upright_path)), TRUTH).f1
    straightened_f1 = word_f1(_text(tesseract(turned_path)), TRUTH).f1
    unstraightened_f1 = word_f1(_text(tesseract(turned_path, deskew=False)), TRUTH).f1
    assert straightened_f1 >= upright_f1 - 0.03
    assert unstraightened_f1 < straightened_f1 - 0.03
