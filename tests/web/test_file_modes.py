"""The instance folder is 0700 and every file in it 0600: the databases (with their -wal and
-shm files), the render queue's, its lock and the secret key; whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.web import create_app, renders


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for path in sorted(folder.rglob("*")):
        found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def run_once(instance: Path) -> None:
    """Start the app on an instance folder and use what it keeps there."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "RATE_LIMIT": False,
                      "RENDER_QUEUE": "background", "QUEUE_IN_SERVER": True})
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        assert client.get("/").status_code == 200
        with app.app_context():
            queue = renders.queue()
            queue.enqueue(app.extensions["planner.render_task"].s(0))  # a job that does nothing
            assert queue.pending_count() == 1
            assert renders.start_embedded(app)
            found = modes(instance)
            renders.stop_embedded()
    finally:
        app.extensions["planner.engine"].dispose()
    for name in ("planner.sqlite3", "queue.sqlite3", "queue.sqlite3-wal", "queue.sqlite3-shm",
                 "queue.lock", "secret_key"):
        assert name in found, (name, sorted(found))
    wrong = {name: oct(mode) for name, mode in found.items()
             if mode != (0o700 if name == "." or (instance / name).is_dir() else 0o600)}
    assert not wrong, wrong


def test_a_new_instance_folder_is_0700_and_its_files_0600(tmp_path: Path,
                                                          loose_umask: None) -> None:
    run_once(tmp_path / "instance")


def test_an_instance_folder_made_before_is_tightened_at_start(tmp_path: Path,
                                                              loose_umask: None) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "config.py").write_text("# settings\n", encoding="utf-8")
    (instance / "queue.sqlite3").touch(mode=0o644)
    (instance / "old").mkdir(mode=0o755)
    (instance / "old" / "notes.txt").write_text("x", encoding="utf-8")
    os.chmod(instance / "config.py", 0o644)
    run_once(instance)
    assert stat.S_IMODE((instance / "old" / "notes.txt").stat().st_mode) == 0o600
