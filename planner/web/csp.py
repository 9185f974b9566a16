"""The Content-Security-Policy, and keeping our own pages inside it (no 'unsafe-inline').

Charts are matplotlib SVG, full of `style` attributes and a `<style>` element that
a strict policy blocks when the SVG is inline. Shown as `<img>` with a `data:`
URI the SVG is a separate document, so its own styles apply and the page's
policy stays strict. The plan preview is a standalone document with its CSS
inline (the PDF needs it so); its one `<style>` element is allowed by hash.
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re

from markupsafe import Markup

# No third-party origin anywhere: assets are served by the app itself.
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
          "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
          "frame-ancestors 'none'")

SVG_RE = re.compile(r"<svg\b.*?</svg>", re.S)
LABEL_RE = re.compile(r'<svg\b[^>]*?\baria-label="([^"]*)"')
STYLE_RE = re.compile(r"<style>(.*?)</style>", re.S)


def svg_as_img(svg: str, alt: str | None = None, css_class: str = "planner-chart__img") -> Markup:
    """An `<img>` showing the SVG from a data: URI, with alt text (default: its aria-label)."""
    if alt is None:
        found = LABEL_RE.search(svg)
        alt = html_lib.unescape(found.group(1)) if found else ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="{}" src="data:image/svg+xml;base64,{}" alt="{}">').format(
        css_class, Markup(data), alt)  # noqa: S704 - base64 text only


def standalone(document: str) -> tuple[str, str]:
    """A standalone HTML document made to fit the strict policy, and the policy it needs."""
    document = SVG_RE.sub(lambda m: str(svg_as_img(m.group(0))), document)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest())
        .decode("ascii") + "'"
        for m in STYLE_RE.finditer(document)
    )
    policy = POLICY.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())
    return document, policy
