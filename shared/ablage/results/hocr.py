"""hOCR 1.2: ocr_page / ocr_carea / ocr_line / ocrx_word with bbox and x_wconf."""

from __future__ import annotations

from html import escape

from ablage.results.model import BBox, OcrResult


def _title(bbox: BBox, extra: str = "") -> str:
    return f"bbox {bbox[0]} {bbox[1]} {bbox[2]} {bbox[3]}{extra}"


def render_hocr(result: OcrResult) -> str:
    langs = " ".join(result.languages)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
        ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
        "<head>",
        f"<title>{escape(result.id)}</title>",
        '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
        f'<meta name="ocr-system" content="{escape(result.engine.name)} {escape(result.engine.version)}"/>',
        '<meta name="ocr-capabilities" content="ocr_page ocr_carea ocr_line ocrx_word ocrp_wconf"/>',
        f'<meta name="ocr-langs" content="{escape(langs)}"/>',
        "</head>",
        "<body>",
    ]
    for page in result.pages:
        pid = page.number
        page_box = (0, 0, page.width, page.height)
        out.append(f'<div class="ocr_page" id="page_{pid}" title="{_title(page_box, f"; ppageno {pid - 1}")}">')
        for b, block in enumerate(page.blocks, 1):
            out.append(f'<div class="ocr_carea" id="block_{pid}_{b}" title="{_title(block.bbox)}">')
            for n, line in enumerate(block.lines, 1):
                out.append(f'<span class="ocr_line" id="line_{pid}_{b}_{n}" title="{_title(line.bbox)}">')
                for w, word in enumerate(line.words, 1):
                    conf = f"; x_wconf {round(word.confidence * 100)}"
                    out.append(
                        f'<span class="ocrx_word" id="word_{pid}_{b}_{n}_{w}" '
                        f'title="{_title(word.bbox, conf)}">{escape(word.text)}</span>'
                    )
                out.append("</span>")
            out.append("</div>")
        out.append("</div>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
