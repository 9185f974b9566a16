"""Gunicorn settings for production, every one overridable from the environment.

    .venv/bin/gunicorn -c planner/web/gunicorn_conf.py 'planner:create_app()'

gthread workers: a PDF render (CPU-bound, about 0.5 s) holds one thread while
the worker's other threads keep serving the wizard; sync workers let renders
stall it. The app is preloaded: the knowledge base is loaded and the database
migrated once, in the master, before the workers fork.
"""

from __future__ import annotations

import multiprocessing
import os

os.environ.setdefault("PLANNER_ENV", "production")

bind = os.environ.get("PLANNER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PLANNER_WORKERS", str(min(4, multiprocessing.cpu_count()))))
worker_class = "gthread"
threads = int(os.environ.get("PLANNER_THREADS", "8"))
timeout = int(os.environ.get("PLANNER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
preload_app = True
# Request line and headers stay small; bodies are bounded by the app (413).
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190
accesslog = os.environ.get("PLANNER_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("PLANNER_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("PLANNER_FORWARDED_ALLOW_IPS", "127.0.0.1")
