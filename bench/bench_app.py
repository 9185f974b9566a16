"""The planner plus one bench-only page, for bench_web.py (never used in production).

    gunicorn -c planner/web/gunicorn_conf.py bench_app:app   (with bench/ on PYTHONPATH)

/_bench/bare-step?token=T renders web/step.html, the wizard's own template, with the very
context the wizard's GET /c/T/step/problems passes it (wizard.step_context), worked out once
per worker at the first request and kept: afterwards the page does no database, answers,
knowledge or form work, only what any Flask page does (session, CSRF token, template).
bench_web.py checks that both pages answer the same HTML (but for the CSRF token).
"""

from __future__ import annotations

import threading
from typing import Any

from flask import render_template, request

from planner import create_app
from planner.web import forms, state, wizard

app = create_app()
_contexts: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def _context(token: str) -> dict[str, Any]:
    """The wizard's context for the first page of "problems", as its GET computes it."""
    found = _contexts.get(token)
    if found is not None:
        return found
    with _lock:
        if token not in _contexts:
            interview = state.load(token)
            kb = state.knowledge()
            questions = state.shown_on_page(kb, "problems", 1, interview.answers,
                                            interview.route)
            _contexts[token] = wizard.step_context(
                kb, interview, "problems", 1, questions,
                forms.formdata_for(interview.answers, questions), {})
        return _contexts[token]


@app.get("/_bench/bare-step")
def bare_step() -> str:
    return render_template("web/step.html", **_context(request.args.get("token", "")))
