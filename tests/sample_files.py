"""Small real files for upload tests, made by the same libraries that check them, and the
polyglots of the outside test (valid magic bytes, something else behind them)."""

from __future__ import annotations

import io
import zipfile

from PIL import Image
from pypdf import PdfWriter


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4 in points
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format=kind)
    return out.getvalue()


def ooxml(extra: dict[str, bytes] | None = None,
          content_type: str = "wordprocessingml.document.main+xml") -> bytes:
    """A minimal docx: content types, the package relation, one paragraph."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/word/document.xml" ContentType='
            f'"application/vnd.openxmlformats-officedocument.{content_type}"/></Types>'
        ).encode(),
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                             b'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>'
                             b"<w:r><w:t>ok</w:t></w:r></w:p></w:body></w:document>",
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


PDF = _pdf()
PNG = _image("PNG")
JPG = _image("JPEG")
DOCX = ooxml()
DOCX_WITH_MACROS = ooxml({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macros"},
                         "wordprocessingml.document.macroEnabled.main+xml")
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
# The outside test's polyglots: a magic number, then a page or a program.
PNG_THEN_SCRIPT = b"\x89PNG\r\n\x1a\n<script>alert(document.cookie)</script>"
PNG_IMAGE_THEN_SCRIPT = PNG + b"<script>alert(1)</script>"
PDF_THEN_HTML = b"%PDF-1.4\n" + HTML
PDF_THEN_EXE = (b"%PDF-1.4\nMZ\x90\x00\x03" + b"\x00" * 60
                + b"This program cannot be run in DOS mode.\r\n")
FAKE_PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"  # magic, no PDF
FAKE_PNG = PNG[:40]  # a real header, the image cut off
