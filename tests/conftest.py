"""Shared fixtures: the demo database (built once per run), a running app, and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorecard.store import Store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database built once for the whole run (tests must not change it: copy it first)."""
    from scorecard.demo import build_demo_database

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_database(Store(path), scale=1.0, seed=7)
    return path


@pytest.fixture
def demo_store(demo_db_path: Path, tmp_path: Path) -> Store:
    """A private copy of the demo database (with its archive) that a test may change."""
    target = tmp_path / "demo.duckdb"
    shutil.copy2(demo_db_path, target)
    archive = demo_db_path.parent / "archive"
    if archive.exists():
        shutil.copytree(archive, tmp_path / "archive")
    return Store(target)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningApp:
    def __init__(self, url: str, db: Path, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url, self.db, self.process, self.log = url, db, process, log


def start_app(db: Path, env_extra: dict[str, str] | None = None, timeout: float = 60) -> RunningApp:
    """Start ``streamlit run app.py`` on a free port against ``db`` and wait until it answers."""
    port = _free_port()
    env = {**os.environ, "SCORECARD_DB": str(db), **(env_extra or {})}
    log = db.parent / f"streamlit-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{url}/_stcore/health", process, log, timeout, "the app")
    return RunningApp(url, db, process, log)


def wait_until_serving(probe: str, process: subprocess.Popen[bytes], log: Path, timeout: float, what: str) -> None:
    """Return once ``probe`` answers 200; kill ``process`` and raise with its log if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(probe, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"{what} did not start; its log:\n{log.read_text(errors='replace')}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def stop_app(app: RunningApp) -> None:
    stop_process(app.process)


@pytest.fixture
def running_app(demo_store: Store) -> Iterator[RunningApp]:
    app = start_app(demo_store.path)
    yield app
    stop_app(app)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright. In CI a missing browser fails, never skips."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI is set but /usr/bin/chromium is missing: .ci/run must install it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})  # type: ignore[attr-defined]
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(page: object, name: str) -> Path:
    """Keep a screenshot of what the user saw as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
