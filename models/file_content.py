"""Is an uploaded file what its extension says, and nothing else? Checked by parsing it.

The first bytes prove nothing: "%PDF-" followed by an HTML page, or a PNG signature followed
by <script>, passed a magic-number check and would run in a browser that sniffs. Each kind
is opened by a well-kept library instead of a parser of our own:
- PDF: pypdf reads the cross-reference table and every page (pure Python, no native code
  to keep patched; pikepdf would bind qpdf).
- PNG and JPEG: Pillow decodes the whole image (`load()`, not just the header), with its
  decompression-bomb guard on.
- docx/xlsx/pptx and odt/ods: zipfile (the standard library) checks the container and its
  CRCs; the package must declare its content types (OOXML) or mimetype (ODF) and carry no
  macros (vbaProject.bin, a macro-enabled content type, Basic/ or Scripts/ folders).
- doc/xls/ppt: olefile (the OLE parser under oletools) opens the compound file; a VBA or
  Macros storage is refused.
Whatever the kind, a file that carries HTML or script markup or a Windows executable is
refused: no real document of ours needs one, and a browser or a mail filter might run it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import olefile
from PIL import Image
from pypdf import PdfReader

from models.errors import Code, DomainError

# Markup a browser would act on, and the stub every Windows executable carries.
# Long enough that compressed bytes (image data, PDF streams) do not match by chance.
_ACTIVE = re.compile(rb"<(script|html|iframe|object|embed)[\s>/]|<!doctype\s+html"
                     rb"|javascript:|This program (cannot|must) be run", re.IGNORECASE)
_MAX_PIXELS = 80_000_000  # a scan of A3 at 600 dpi is about 70 million
_MAX_UNPACKED = 200 * 1024 * 1024  # an Office file of 20 MB unpacks to far less: a zip bomb


class _Refused(Exception):
    pass


def _pdf(content: bytes) -> None:
    reader = PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        raise _Refused("加密的 PDF 无法检查，请上传未加密的文件")
    for page in reader.pages:
        page.mediabox  # noqa: B018 - reading each page proves the page tree is sound


def _image(expected: str) -> Callable[[bytes], None]:
    def check(content: bytes) -> None:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != expected:
                raise _Refused(f"图片内容是 {image.format}，与扩展名不符")
            if image.width * image.height > _MAX_PIXELS:
                raise _Refused("图片像素过多")
            image.load()  # decodes every pixel: a truncated or fake image fails here
    return check


def _zip_names(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(info.file_size for info in archive.infolist()) > _MAX_UNPACKED:
            raise _Refused("压缩包解压后过大")
        if archive.testzip() is not None:
            raise _Refused("压缩包已损坏")
        return archive.namelist()


def _ooxml(content: bytes) -> None:
    names = _zip_names(content)
    if "[Content_Types].xml" not in names:
        raise _Refused("不是有效的 Office 文档")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        types = archive.read("[Content_Types].xml").lower()
    if (any(n.lower().endswith("vbaproject.bin") for n in names)
            or b"macroenabled" in types or b"vbaproject" in types):
        raise _Refused("不能上传带宏的 Office 文档")


def _odf(content: bytes) -> None:
    names = _zip_names(content)
    if "mimetype" not in names:
        raise _Refused("不是有效的 OpenDocument 文档")
    if any(n.startswith(("Basic/", "Scripts/")) for n in names):
        raise _Refused("不能上传带宏的文档")


def _ole(content: bytes) -> None:
    if not olefile.isOleFile(content):
        raise _Refused("不是有效的 Office 97-2003 文档")
    with olefile.OleFileIO(content) as ole:
        streams = ["/".join(path).lower() for path in ole.listdir(streams=True, storages=True)]
    if any(part in {"vba", "macros", "_vba_project_cur"} for s in streams
           for part in s.split("/")):
        raise _Refused("不能上传带宏的 Office 文档")


CHECKS: dict[str, Callable[[bytes], None]] = {
    ".pdf": _pdf, ".png": _image("PNG"), ".jpg": _image("JPEG"), ".jpeg": _image("JPEG"),
    ".docx": _ooxml, ".xlsx": _ooxml, ".pptx": _ooxml, ".odt": _odf, ".ods": _odf,
    ".doc": _ole, ".xls": _ole, ".ppt": _ole,
}


def check_content(extension: str, content: bytes) -> None:
    """Refuse (FILE_TYPE_NOT_ALLOWED, on `file`) a file that is not a sound `extension`."""
    if _ACTIVE.search(content):
        raise DomainError(Code.FILE_TYPE_NOT_ALLOWED,
                          "文件中含有网页脚本或可执行程序，不能上传", "file")
    try:
        CHECKS[extension](content)
    except _Refused as refused:
        raise DomainError(Code.FILE_TYPE_NOT_ALLOWED, str(refused), "file") from refused
    except Exception as exc:  # any parser failure means "not such a file"
        raise DomainError(Code.FILE_TYPE_NOT_ALLOWED,
                          f"文件内容不是有效的 {extension[1:].upper()} 文件", "file") from exc
