"""A small PDF whose page takes PDFium hours to render: a function-based shading whose PostScript calculator
function runs thousands of operators for every pixel. Opening it and counting its pages is instant."""

from __future__ import annotations

_OPERATORS = 4000


def slow_render_pdf() -> bytes:
    function = ("{ " + " ".join(["dup 0.5 mul exch pop"] * _OPERATORS) + " }").encode()
    content = b"q /Sh0 sh Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Shading << /Sh0 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /ShadingType 1 /ColorSpace /DeviceGray /Domain [0 1 0 1] /Matrix [595 0 0 842 0 0] /Function 6 0 R >>",
        b"<< /FunctionType 4 /Domain [0 1 0 1] /Range [0 1] /Length %d >>\nstream\n" % len(function)
        + function
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
