"""Content-Disposition for every download: an ASCII fallback beside the UTF-8 name.

RFC 6266 lets a server send both `filename="..."` (the only one old clients and
`curl -OJ` read; ASCII, a quoted string) and `filename*=UTF-8''...` (RFC 5987, the name
itself, percent-encoded). The fallback keeps the file's extension, so a client that reads
only it still saves `summary.xlsx`, not `export` (issue 13, point 10).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import quote

# What may stand in the quoted fallback: visible ASCII without the quote, the backslash and
# the characters that mean something in a path or a header parameter.
_SAFE_ASCII = re.compile(r"[A-Za-z0-9._\-+() ]+")
_SAFE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}")


def ascii_fallback(filename: str, stem: str) -> str:
    """`filename` itself when it is plain ASCII that needs no escaping, otherwise `stem`
    with the file's extension (lower-cased when it is ASCII, dropped when it is not)."""
    if _SAFE_ASCII.fullmatch(filename) and filename.strip(". ") == filename:
        return filename
    suffix = PurePosixPath(filename).suffix
    extension = suffix.lower() if _SAFE_EXTENSION.fullmatch(suffix) else ""
    safe_stem = "".join(ch if _SAFE_ASCII.fullmatch(ch) else "_" for ch in stem) or "download"
    return f"{safe_stem}{extension}"


def content_disposition(filename: str, fallback_stem: str) -> str:
    """The header value of an attachment called `filename`; `fallback_stem` names it for
    clients that read only the ASCII parameter (for example `summary`, `evidence-12`)."""
    # quote(safe="") leaves only RFC 5987 attr-chars unescaped (letters, digits, "-._~").
    return (f'attachment; filename="{ascii_fallback(filename, fallback_stem)}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")
