"""Hosted the way it goes live: the app with an [auth] section, and a real OpenID Connect provider
(``oidc-provider-mock``) started by the tests themselves on 127.0.0.1, with one user per identity.

Each user is the provider's subject (``sub``) with the claims the provider puts in the ID token;
:func:`log_in` goes through the provider's authorisation form in the browser, as a person would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.browser.journeys import PAGE_TIMEOUT_MS
from tests.conftest import ROOT, RunningApp, _free_port, stop_process, wait_until_serving


@dataclass
class Provider:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_provider(users: Sequence[Mapping[str, Any]], log_dir: Path, *, token_max_age: int = 3600,
                   timeout: float = 30) -> Provider:
    """``python -m oidc_provider_mock`` on 127.0.0.1 and a free port, with ``users`` predefined (each
    a dict of claims with its ``sub``); returns once its discovery document answers."""
    port = _free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port),
            "--token-max-age", str(token_max_age)]
    for user in users:
        args += ["--user-claims", json.dumps(dict(user))]
    log = log_dir / f"oidc-provider-{port}.log"
    process = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                               env={**os.environ, "NO_COLOR": "1"})
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{url}/.well-known/openid-configuration", process, log, timeout, "the identity provider")
    return Provider(url, process, log)


def stop_provider(provider: Provider) -> None:
    stop_process(provider.process)


def start_hosted_app(db: Path, provider: Provider, timeout: float = 60) -> RunningApp:
    """``streamlit run app.py`` on 127.0.0.1 against ``db``, with an [auth] section that logs in
    through ``provider`` (its own secrets file beside the database)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = db.parent / f"secrets-{port}.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(24).hex()}"\n'
        'client_id = "scorecard"\n'
        'client_secret = "not-a-secret"\n'
        f'server_metadata_url = "{provider.url}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    log = db.parent / f"streamlit-{port}.log"
    env = {**os.environ, "SCORECARD_DB": str(db)}
    env.pop("SCORECARD_HOSTED", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--secrets.files", str(secrets)],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    wait_until_serving(f"{url}/_stcore/health", process, log, timeout, "the app")
    return RunningApp(url, db, process, log)


def log_in(page: Any, app_url: str, sub: str, path: str = "") -> None:
    """Open the app, press "Log in", authorise as ``sub`` on the provider's form, then open ``path``."""
    page.goto(app_url)
    button = page.get_by_role("button", name="Log in")
    button.wait_for(timeout=PAGE_TIMEOUT_MS)
    button.click()
    field = page.locator("input[type='text'][name='sub']")
    field.wait_for(timeout=PAGE_TIMEOUT_MS)
    field.fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**", timeout=PAGE_TIMEOUT_MS)
    page.locator("[data-testid='stApp']").wait_for(timeout=PAGE_TIMEOUT_MS)
    if path:
        page.goto(app_url + path)


def read(page: Any) -> str:
    """The page's text as a person reads it (without the invisible word joiners that keep Markdown from
    making links of the addresses in CRM text, ``scorecard.ui.text.plain``)."""
    return str(page.inner_text("body")).replace("\u2060", "")


def wait_for_any(page: Any, texts: Sequence[str], timeout_s: float = 45) -> str:
    """Wait until the page shows one of ``texts`` (as :func:`read` reads it); returns the one it shows."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = read(page)
        for text in texts:
            if text in body:
                return text
        time.sleep(0.25)
    raise AssertionError(f"none of {list(texts)} appeared; the page says:\n{page.inner_text('body')[:2000]}")


def new_page(browser: Any) -> Any:
    """A page in a browser context of its own (no cookie of another login)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return page
