"""ALTO v4 XML: TextBlock / TextLine / String with positions in pixels and WC word confidences."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ablage.results.model import BBox, OcrResult

_NS = "http://www.loc.gov/standards/alto/ns-v4#"


def _box(element: ET.Element, bbox: BBox) -> None:
    element.set("HPOS", str(bbox[0]))
    element.set("VPOS", str(bbox[1]))
    element.set("WIDTH", str(bbox[2] - bbox[0]))
    element.set("HEIGHT", str(bbox[3] - bbox[1]))


def render_alto(result: OcrResult) -> str:
    ET.register_namespace("", _NS)
    root = ET.Element(f"{{{_NS}}}alto")
    description = ET.SubElement(root, f"{{{_NS}}}Description")
    ET.SubElement(description, f"{{{_NS}}}MeasurementUnit").text = "pixel"
    software = ET.SubElement(
        ET.SubElement(ET.SubElement(description, f"{{{_NS}}}OCRProcessing", ID="ocr"), f"{{{_NS}}}ocrProcessingStep"),
        f"{{{_NS}}}processingSoftware",
    )
    ET.SubElement(software, f"{{{_NS}}}softwareName").text = result.engine.name
    ET.SubElement(software, f"{{{_NS}}}softwareVersion").text = result.engine.version
    layout = ET.SubElement(root, f"{{{_NS}}}Layout")
    for page in result.pages:
        pid = f"p{page.number}"
        page_el = ET.SubElement(
            layout,
            f"{{{_NS}}}Page",
            ID=pid,
            PHYSICAL_IMG_NR=str(page.number),
            WIDTH=str(page.width),
            HEIGHT=str(page.height),
        )
        space = ET.SubElement(page_el, f"{{{_NS}}}PrintSpace")
        _box(space, (0, 0, page.width, page.height))
        for b, block in enumerate(page.blocks, 1):
            block_el = ET.SubElement(space, f"{{{_NS}}}TextBlock", ID=f"{pid}_b{b}")
            _box(block_el, block.bbox)
            for n, line in enumerate(block.lines, 1):
                line_el = ET.SubElement(block_el, f"{{{_NS}}}TextLine", ID=f"{pid}_b{b}_l{n}")
                _box(line_el, line.bbox)
                for w, word in enumerate(line.words):
                    if w:
                        ET.SubElement(line_el, f"{{{_NS}}}SP")
                    string = ET.SubElement(line_el, f"{{{_NS}}}String", CONTENT=word.text)
                    _box(string, word.bbox)
                    string.set("WC", f"{word.confidence:.2f}")
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
