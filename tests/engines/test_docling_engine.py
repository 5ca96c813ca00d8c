"""Docling on real documents: a born-digital ZUGFeRD invoice PDF through the model-free pipeline, and a DOCX
written from the Hetzner invoice's ground truth (heading, address lines, the item table), converted to the
shared result model and Markdown; over HTTP, office uploads are accepted only where Docling is enabled."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ablage.engines.docling import DoclingEngine
from ablage.errors import EngineUnavailable
from ablage.results.markdown import render_markdown
from ablage.results.model import BlockKind, PageSource
from ablage.settings import OcrSettings, Settings

from tests.conftest import DOCUMENTS, ROBUSTNESS, ClientFactory
from tests.jobs import run_job, submit

pytest.importorskip("docling", reason="docling is not installed (the docling extra)")

INVOICE_PDF = ROBUSTNESS / "zugferd_EN16931_Elektron.pdf"
HETZNER_ITEMS = [
    ["Pos", "Produkt Beschreibung", "Menge", "Preis", "Netto"],
    ["1", "EQ4 #57811, 30 TB, 78.46.77.79 (17.01.2016 - 16.02.2016)", "1", "41,1765 €", "41,18 €"],
]


def hetzner_docx(path: Path) -> Path:
    import docx

    lines = (DOCUMENTS / "de_invoice_hetzner_2016.gt.txt").read_text().splitlines()
    document = docx.Document()
    document.add_paragraph(lines[0])
    document.add_heading("Rechnung R0005532486", level=1)
    for line in lines[2:6]:
        document.add_paragraph(line)
    table = document.add_table(rows=len(HETZNER_ITEMS), cols=len(HETZNER_ITEMS[0]))
    for r, row in enumerate(HETZNER_ITEMS):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def engine() -> DoclingEngine:
    return DoclingEngine(Settings(ocr=OcrSettings(enabled_engines=["docling"])))


def test_born_digital_pdf(engine: DoclingEngine) -> None:
    [page] = engine.convert(INVOICE_PDF, "pdf", pages=[1], languages=["de"], timeout=120)
    assert page.source is PageSource.text_layer and page.engine == "docling"
    assert (page.width, page.height) == (595, 842) and page.dpi == 72
    text = "\n".join(line.text for line in page.lines())
    assert "ELEKTRON Industrieservice GmbH" in text and "Liselotte Müller-Lüdenscheidt" in text
    for line in page.lines():
        x0, y0, x1, y1 = line.bbox
        assert 0 <= x0 <= x1 <= page.width and 0 <= y0 <= y1 <= page.height
    # The model-free pipeline yields lines; they are grouped into blocks like a text layer.
    assert len(page.blocks) < len(list(page.lines()))


def test_docx_headings_and_tables(engine: DoclingEngine, tmp_path: Path) -> None:
    [page] = engine.convert(hetzner_docx(tmp_path / "rechnung.docx"), "docx", pages=[1], languages=["de"], timeout=60)
    assert page.source is PageSource.document
    kinds = [block.kind for block in page.blocks]
    assert BlockKind.title in kinds and BlockKind.table in kinds
    table = next(block for block in page.blocks if block.kind is BlockKind.table)
    assert table.rows == HETZNER_ITEMS
    markdown = render_markdown([page])
    assert "## Rechnung R0005532486" in markdown
    assert "| Pos | Produkt Beschreibung | Menge | Preis | Netto |" in markdown
    assert "| 1 | EQ4 #57811, 30 TB, 78.46.77.79 (17.01.2016 - 16.02.2016) | 1 | 41,1765 € | 41,18 € |" in markdown
    assert "Herr Jochen Stärk" in markdown


def test_images_need_the_layout_models(engine: DoclingEngine, tmp_path: Path) -> None:
    assert not engine.accepts("png") and engine.accepts("pdf") and engine.accepts("xlsx")
    with pytest.raises(EngineUnavailable, match="DOCLING_ARTIFACTS_PATH") as failure:
        DoclingEngine(Settings(ocr=OcrSettings(docling_artifacts_path=tmp_path)))
    assert str(tmp_path / "docling-project--docling-layout-heron" / "preprocessor_config.json") in failure.value.detail
    assert str(tmp_path / "docling-project--docling-models" / "model_artifacts" / "tableformer") in failure.value.detail


@pytest.mark.anyio
async def test_office_uploads_over_http(client_for: ClientFactory, tmp_path: Path) -> None:
    docx = hetzner_docx(tmp_path / "rechnung.docx")
    upload = {"allowed_extensions": ["pdf", "png", "docx"]}
    async with client_for(upload=upload, ocr={"enabled_engines": ["tesseract", "docling"]}) as client:
        status = await run_job(client, docx, filename="rechnung.docx")
        assert status["status"] == "succeeded", status
        assert status["engine"] == "docling"
        result = status["links"]["result"]
        markdown = (await client.get(result, params={"format": "markdown"})).text
        assert "| Pos | Produkt Beschreibung | Menge | Preis | Netto |" in markdown
        no_pdf = await client.get(result, params={"format": "pdf"})
        assert no_pdf.status_code == 422 and "no searchable PDF" in no_pdf.json()["detail"]
        # Docling on request for a born-digital PDF; the original pages become the searchable PDF.
        pdf = await run_job(client, INVOICE_PDF, filename="rechnung.pdf", engine="docling")
        assert pdf["status"] == "succeeded", pdf
        pdf_text = (await client.get(pdf["links"]["result"], params={"format": "text"})).text
        assert "ELEKTRON Industrieservice GmbH" in pdf_text
        searchable = await client.get(pdf["links"]["result"], params={"format": "pdf"})
        assert searchable.content.startswith(b"%PDF")
        # An OCR engine cannot read a DOCX; Docling without its models cannot read a scan.
        wrong = await submit(client, docx, filename="rechnung.docx", engine="tesseract")
        assert wrong.status_code == 422
        scan = await submit(client, DOCUMENTS / "de_invoice_ferd_einfach.png", filename="a.png", engine="docling")
        assert scan.status_code == 422 and "does not read png" in scan.json()["detail"]
    async with client_for(upload=upload, ocr={"enabled_engines": ["tesseract"]}) as client:
        refused = await submit(client, docx, filename="rechnung.docx")
        assert refused.status_code == 415
        assert "document engine" in refused.json()["detail"]
    async with client_for(ocr={"enabled_engines": ["tesseract", "docling"]}) as client:
        refused = await submit(client, docx, filename="rechnung.docx")
        assert refused.status_code == 415 and "ALLOWED_EXTENSIONS" in refused.json()["detail"]


@pytest.mark.models
def test_scans_with_layout_models(tmp_path: Path) -> None:
    artifacts = os.environ.get("DOCLING_ARTIFACTS_PATH")
    if not artifacts:
        pytest.skip("DOCLING_ARTIFACTS_PATH is not set: Docling's layout and table models are absent")
    engine = DoclingEngine(Settings(ocr=OcrSettings(docling_artifacts_path=Path(artifacts))))
    [page] = engine.convert(DOCUMENTS / "de_invoice_ferd_einfach.png", "png", pages=[1], languages=["de"], timeout=600)
    assert "Lieferant GmbH" in " ".join(line.text for line in page.lines())
    assert any(block.kind is BlockKind.table for block in page.blocks)
