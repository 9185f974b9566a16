"""Byte-stable Office files: the same document gives the same bytes on every save.

Word and Excel files are zip archives; the libraries stamp each entry with the time of
saving. Rewriting the archive with a fixed timestamp (and the entries in their order)
makes a download of an unchanged plan identical to the last one.
"""

from __future__ import annotations

import io
import re
import zipfile

FIXED = (1980, 1, 1, 0, 0, 0)


def stable_zip(data: bytes, replace: dict[str, tuple[str, str]] | None = None) -> bytes:
    """The archive with every entry stamped FIXED; `replace` maps an entry name to a
    (regex, replacement) applied to its text (for a save time a library writes itself)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if replace and info.filename in replace:
                pattern, repl = replace[info.filename]
                body = re.sub(pattern, repl, body.decode("utf-8")).encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, body)
    return out.getvalue()
