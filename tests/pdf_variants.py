"""PDFs made in tests with pikepdf: one with a (dummy) digital signature field, one encrypted with an owner
password whose permissions forbid changes. Neither needs a certificate: what is tested is that the service
notices them and leaves the original untouched, not that the signature verifies."""

from __future__ import annotations

import io

import pikepdf


def signed(pdf: bytes) -> bytes:
    document = pikepdf.open(io.BytesIO(pdf))
    signature = document.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Sig,
            Filter=pikepdf.Name("/Adobe.PPKLite"),
            SubFilter=pikepdf.Name("/adbe.pkcs7.detached"),
            ByteRange=pikepdf.Array([0, 0, 0, 0]),
            Contents=pikepdf.String(b"\0" * 64),
            Reason=pikepdf.String("Freigabe"),
        )
    )
    field = document.make_indirect(
        pikepdf.Dictionary(
            FT=pikepdf.Name.Sig,
            T=pikepdf.String("Signatur1"),
            V=signature,
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=pikepdf.Array([0, 0, 0, 0]),
            P=document.pages[0].obj,
        )
    )
    document.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]), SigFlags=3)
    document.pages[0].obj.Annots = pikepdf.Array([field])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def change_protected(pdf: bytes) -> bytes:
    document = pikepdf.open(io.BytesIO(pdf))
    out = io.BytesIO()
    document.save(
        out,
        encryption=pikepdf.Encryption(
            owner="owner-secret",
            user="",
            allow=pikepdf.Permissions(
                modify_other=False, modify_annotation=False, modify_assembly=False, modify_form=False
            ),
        ),
    )
    return out.getvalue()
