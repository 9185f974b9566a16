"""The text of a Word file, for tests that read what a document says."""

from __future__ import annotations

import html
import io
import re
import zipfile


def docx_text(data: bytes) -> str:
    """The Word file's text: each paragraph's runs joined (tags dropped, entities read)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.S)
    return "\n".join(html.unescape("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p)))
                     for p in paragraphs)
