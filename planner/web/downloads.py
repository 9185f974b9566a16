"""File downloads: one RFC 6266 Content-Disposition for every attachment the app sends.

A header must be ASCII on the wire, and community names come in every script
(`Hawaiʻi County`, `北京`, `Cañon City`), so each download names its file twice:
`filename*=UTF-8''...` (RFC 5987 percent-encoding, which current browsers use) and a plain
ASCII `filename="..."` fallback (accents dropped, anything else a hyphen) for old clients.
PDF, JSON and any later download (DOCX, XLSX) go through `attachment`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import quote

# RFC 5987 attr-char: what may stay unencoded in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"
_NOT_SAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")


def slug(name: str, default: str = "community") -> str:
    """A file name stem from a community name: letters and digits of any script, lower case,
    everything else a single hyphen."""
    stem = "".join(ch if ch.isalnum() else "-" for ch in unicodedata.normalize("NFC", name))
    stem = re.sub(r"-{2,}", "-", stem.lower()).strip("-")
    return stem[:80].strip("-") or default


def ascii_fallback(filename: str) -> str:
    """The file name in plain ASCII: accents dropped, other characters a hyphen."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""

    def clean(part: str) -> str:
        plain = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode("ascii")
        return re.sub(r"-{2,}", "-", _NOT_SAFE_ASCII.sub("-", plain)).strip("-.")

    base = clean(stem) or "download"
    suffix = clean(ext)
    return f"{base}.{suffix}" if suffix else base


def disposition(filename: str) -> str:
    """The Content-Disposition value for downloading a file named filename."""
    encoded = quote(unicodedata.normalize("NFC", filename), safe=_ATTR_CHARS)
    return f"attachment; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{encoded}"


def attachment(target: Any, filename: str) -> Any:
    """Mark a response (or a headers mapping) as a download named filename; return it."""
    headers: MutableMapping[str, str] = getattr(target, "headers", target)
    headers["Content-Disposition"] = disposition(filename)
    return target
