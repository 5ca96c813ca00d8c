"""A font that draws nothing, for the invisible text layer of OCR'd pages.

PDF/A wants every font embedded, and the standard Helvetica carries WinAnsi only. So the text layer uses a
Type0 font whose CIDs are UTF-16 code units: every CID maps to one empty glyph (so no character is ever missing
from the font) and the ToUnicode map sends each CID back to the same code point, which makes ä, ß, €, „ and every
other character of the Basic Multilingual Plane searchable and copyable.
"""

from __future__ import annotations

import io
import zlib
from functools import cache

import pikepdf
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

UNITS_PER_EM = 1000
ADVANCE = 500
"""Every glyph's advance, in 1/1000 of the font size: the writer stretches it onto the word's box (Tz)."""
FONT_NAME = "/AblageGlyphLess"
"""A name of its own: other OCR tools embed fonts called GlyphLessFont with other metrics, and the archive
writer shares this one between its pages by name."""
ASCENT = 800
DESCENT = -200
_MAX_CID = 0xFFFF

_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


@cache
def glyphless_truetype() -> bytes:
    """A TrueType font of two glyphs: .notdef and one empty glyph with an advance; built once per process."""
    builder = FontBuilder(UNITS_PER_EM, isTTF=True)
    names = [".notdef", "space"]
    builder.setupGlyphOrder(names)
    # A cmap entry makes the font valid for readers that insist on one; PDF reaches glyph 1 via CIDToGIDMap.
    builder.setupCharacterMap({0x20: "space"})
    empty = TTGlyphPen(None).glyph()
    builder.setupGlyf(dict.fromkeys(names, empty))
    builder.setupHorizontalMetrics(dict.fromkeys(names, (ADVANCE, 0)))
    builder.setupHorizontalHeader(ascent=ASCENT, descent=DESCENT)
    builder.setupNameTable({"familyName": FONT_NAME[1:], "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=ASCENT, sTypoDescender=DESCENT, usWinAscent=ASCENT, usWinDescent=-DESCENT)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def _cid_to_gid_map() -> bytes:
    # Two bytes per CID, big-endian glyph number: glyph 1 for every CID, so nothing falls back to .notdef.
    return b"\x00\x01" * (_MAX_CID + 1)


def glyphless_font(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """The Type0 font as an indirect object of `pdf`; add it once per document and share it between pages."""
    font_file = pikepdf.Stream(pdf, glyphless_truetype())
    font_file.Length1 = len(glyphless_truetype())
    cid_to_gid = pikepdf.Stream(pdf, zlib.compress(_cid_to_gid_map(), 9))
    cid_to_gid.Filter = pikepdf.Name.FlateDecode
    to_unicode = pikepdf.Stream(pdf, zlib.compress(_TO_UNICODE, 9))
    to_unicode.Filter = pikepdf.Name.FlateDecode
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name(FONT_NAME),
        # 4: symbolic (its glyphs are not the standard Latin set), as PDF/A expects of a font used this way.
        Flags=4,
        FontBBox=[0, DESCENT, ADVANCE, ASCENT],
        ItalicAngle=0,
        Ascent=ASCENT,
        Descent=DESCENT,
        CapHeight=ASCENT,
        StemV=80,
        FontFile2=font_file,
    )
    descendant = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name(FONT_NAME),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=ADVANCE,
        CIDToGIDMap=cid_to_gid,
    )
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name(FONT_NAME),
        Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[pdf.make_indirect(descendant)],
        ToUnicode=to_unicode,
    )
    return pdf.make_indirect(font)


def cids(text: str) -> bytes:
    """The text as the font's 2-byte CIDs: UTF-16BE, characters beyond the BMP (and lone surrogates) as U+FFFD,
    so that every character is one CID and one glyph advance."""
    return "".join(c if ord(c) <= _MAX_CID and not 0xD800 <= ord(c) <= 0xDFFF else "\ufffd" for c in text).encode(
        "utf-16-be"
    )
