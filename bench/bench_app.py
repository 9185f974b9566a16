"""The planner plus one bench-only page, for bench_web.py (never used in production).

    gunicorn -c planner/web/gunicorn_conf.py bench_app:app   (with bench/ on PYTHONPATH)

/_bench/bare-step renders web/step.html, the wizard's own template, with the same
context as a step page but computed once: no database, no answers, no validation.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from planner import create_app, effort
from planner.web import forms, state, wizard

app = create_app()
_context: dict[str, Any] = {}


@app.get("/_bench/bare-step")
def bare_step() -> str:
    if not _context:
        kb = app.extensions["planner.kb"]
        questions = state.pages(kb, "problems")[0]
        ids = [s.id for s in kb.sections]
        token = "B" * 43
        with app.test_request_context():
            action = state.page_url(token, "problems", 1)
        # The same names and kinds of values as wizard._render_step passes, computed once.
        _context.update(
            form_class=forms.form_class(questions), token=token,
            section=state.section(kb, "problems"), number=ids.index("problems") + 1,
            total=len(ids), page=1, pages=len(state.pages(kb, "problems")), action=action,
            done=ids[:1], questions=questions,
            current={q.id: set() if q.has_options else "" for q in questions}, errors={},
            previous=action, return_to=False, welcome=False,
            estimate=effort.estimate(kb, "new"), revision=1,
            base=wizard.fingerprint({}, questions), conflict=None, note=None, route="new")
    context = dict(_context)
    form = context.pop("form_class")(formdata=None)
    return render_template("web/step.html", form=form, **context)
