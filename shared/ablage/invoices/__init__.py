"""E-invoices: ZUGFeRD / Factur-X XML embedded in PDFs and XRechnung as plain XML (CII or UBL), read into the
fields a bookkeeper files by (EN 16931 business terms)."""
