"""Static files: USWDS (from node_modules, no CDN) and the app's own, compressed and cached.

Each set of files is built once into a folder named by a hash of its content
(`build/static/uswds-<hash>/`, `build/static/app-<hash>/`): stylesheets and
scripts get gzip and brotli copies beside them, fonts and images are linked,
not copied. Of USWDS's fonts and images only those its stylesheet refers to are
published (about 50 of 2,600 files: WhiteNoise reads every published file's headers
each time an app is created). WhiteNoise serves those folders in front of Flask, choosing the
compressed copy the browser accepts, and because a change of content is a new
address, every file is cached for a year as immutable.

`.ci/install` builds them (`python -m planner.web.assets`); an app that finds
them missing builds them at start. Nothing is fetched from anywhere.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, has_request_context, request
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

APP_STATIC = Path(__file__).resolve().parent / "static"
# What the pages load from USWDS: its stylesheet, and the fonts and images it refers to.
USWDS_FILES = ("css/uswds.min.css",)
# A change in how the folder is laid out (what is published from it) is a new address too.
USWDS_LAYOUT = b"stylesheets and the fonts and images they refer to"
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")?#]+)""")
COMPRESSED = (".css", ".js", ".svg")


def _digest(paths: Iterable[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()[:12]


def _compress(folder: Path) -> None:
    compressor = Compressor(quiet=True)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix in COMPRESSED:
            compressor.compress(str(path))


def _publish(build_dir: Path, name: str, fill: Callable[[Path], None]) -> Path:
    """Build a folder once, atomically: into a temporary folder, then renamed into place."""
    final = build_dir / name
    if final.is_dir():
        return final
    build_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=build_dir))
    work.chmod(0o755)
    try:
        fill(work)
        _compress(work)
        os.rename(work, final)
    except OSError:
        if not final.is_dir():  # not a lost race with another process: a real failure
            raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return final


def referenced(root: Path, stylesheet: str) -> list[str]:
    """The files under `root` that a stylesheet (a path under root) refers to with url(),
    as sorted paths relative to root; data: URIs, other sites and missing files left out."""
    css = root / stylesheet
    found = set()
    for target in CSS_URL.findall(css.read_text(encoding="utf-8")):
        target = target.strip()
        if not target or ":" in target or target.startswith("/"):
            continue
        path = (css.parent / target).resolve()
        if path.is_file() and path.is_relative_to(root):
            found.add(path.relative_to(root).as_posix())
    return sorted(found)


def build(uswds_dir: Path, build_dir: Path) -> dict[str, Path]:
    """Build (if needed) the hashed folders; return {"uswds": folder, "app": folder}."""
    uswds_dir = uswds_dir.resolve()
    sources = [uswds_dir / f for f in USWDS_FILES]
    package = uswds_dir.parent / "package.json"
    uswds_hash = hashlib.sha256(
        USWDS_LAYOUT + _digest([*sources, *([package] if package.exists() else [])]).encode()
    ).hexdigest()[:12]

    def fill_uswds(work: Path) -> None:
        for relative in USWDS_FILES:
            (work / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(uswds_dir / relative, work / relative)
        linked = {f for css in USWDS_FILES for f in referenced(uswds_dir, css)}
        for relative in sorted(linked - set(USWDS_FILES)):
            (work / relative).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(uswds_dir / relative, work / relative)

    app_files = sorted(p for p in APP_STATIC.iterdir() if p.is_file())

    def fill_app(work: Path) -> None:
        for path in app_files:
            shutil.copyfile(path, work / path.name)

    return {
        "uswds": _publish(build_dir, f"uswds-{uswds_hash}", fill_uswds),
        "app": _publish(build_dir, f"app-{_digest(app_files)}", fill_app),
    }


def _nosniff(headers: object, _path: str, _url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"  # type: ignore[index]


def init_app(app: Flask) -> None:
    """Serve the built folders under /static/ with WhiteNoise; add `asset()` to templates."""
    folders = build(Path(app.config["USWDS_DIR"]), Path(app.config["STATIC_BUILD_DIR"]))
    prefixes = {kind: f"/static/{folder.name}/" for kind, folder in folders.items()}
    served = WhiteNoise(app.wsgi_app, immutable_file_test=lambda _path, _url: True,
                        allow_all_origins=False, add_headers_function=_nosniff)
    for kind, folder in folders.items():
        served.add_files(str(folder), prefix=prefixes[kind])
    app.wsgi_app = served  # type: ignore[method-assign]

    def asset(kind: str, filename: str) -> str:
        """The address of a static file: asset('uswds', 'css/uswds.min.css'), asset('app', ...)"""
        root = request.script_root if has_request_context() else ""
        return f"{root}{prefixes[kind]}{filename}"

    app.jinja_env.globals["asset"] = asset
    app.extensions["planner.assets"] = prefixes


if __name__ == "__main__":  # python -m planner.web.assets: build at install time
    from planner.web import REPO_ROOT

    built = build(REPO_ROOT / "node_modules" / "@uswds" / "uswds" / "dist",
                  REPO_ROOT / "build" / "static")
    print("Static files built: " + ", ".join(str(p) for p in built.values()), file=sys.stdout)
