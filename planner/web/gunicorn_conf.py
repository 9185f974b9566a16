"""Gunicorn settings for production, every one overridable from the environment.

    .venv/bin/gunicorn -c planner/web/gunicorn_conf.py 'planner:create_app()'

The settings themselves live in planner.web.server.settings(), which
`planner serve` uses too: gthread workers (a PDF render holds one thread while
the others keep serving the wizard), the app preloaded in the master before the
workers fork, small request lines and headers, the pre_request hook that announces
`Connection: close` on a body the app refuses unread, and the plan render queue's consumer
(a `planner worker` process) started beside the workers. See the README's Configuration.
"""

from __future__ import annotations

import os

os.environ.setdefault("PLANNER_ENV", "production")

from planner.web.server import settings

globals().update(settings())
