"""One page's work with a real engine: a page read confidently in horizontal lines is kept as it is; one upside
down or sideways is detected by its first reading, turned by orientation detection and read again."""

from __future__ import annotations

from pathlib import Path

import pytest
from ablage.documents.raster import RasterSource
from ablage.engines.supervisor import EngineSupervisor
from ablage.executor.page import PageWork, read_page, reads_upright
from ablage.settings import Settings
from PIL import Image

from tests.conftest import DOCUMENTS

PHOTOTEST = DOCUMENTS / "mixed_tesseract_phototest.tif"


@pytest.mark.parametrize("turn", [None, Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180])
def test_pages_come_back_upright_with_the_same_words(tmp_path: Path, turn: Image.Transpose | None) -> None:
    settings = Settings()
    upright = Image.open(PHOTOTEST).convert("L")
    image = upright if turn is None else upright.transpose(turn)
    path = tmp_path / "page.png"
    image.save(path)
    with EngineSupervisor.running(settings, ["tesseract"]) as engines:
        engines.wait("tesseract", 60)
        engine = engines.pages("tesseract")
        first = engine.recognize(image, page_number=1, dpi=300, languages=["en"])
        assert reads_upright(first) is (turn is None)
        source = RasterSource(path, settings.upload)
        work = PageWork(str(path), "png", 1, "tesseract", ("en",), force_ocr=True, detect_orientation=True)
        outcome = read_page(source, work, engine, timeout=60)
        source.close()
    assert outcome.page is not None
    assert (outcome.page.width, outcome.page.height) == upright.size
    assert outcome.page.confidence > 0.9
    assert "quick brown dog" in " ".join(line.text for line in outcome.page.lines())
