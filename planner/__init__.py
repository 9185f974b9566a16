"""Deflection pathway planner.

The core (knowledge, scoring, matching, planning) is plain Python and imports
no web framework; `create_app` imports the Flask layer only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the web application (see planner.web.create_app)."""
    from planner.web import create_app as _create_app

    return _create_app(test_config)
