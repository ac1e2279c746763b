"""Two replicas behind nginx, started by bench/replicas.py with the project's proxy configuration
(deploy/scorecard-http.conf, deploy/scorecard-proxy.conf): Chromium logs in through the proxy and
the identity provider, and the scorecard renders through the proxy from each replica; the login
made through one replica is honoured by the other (one cookie_secret), and the routing cookie keeps
a browser on its replica."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.loadtest import route_cookies, write_secrets
from bench.replicas import NGINX, Replicas, free_port, start_replicas
from tests.browser.hosting import Provider, log_in, new_page, read, start_provider, stop_provider
from tests.browser.journeys import metric_value, wait_for_text
from tests.conftest import screenshot

pytestmark = pytest.mark.browser


@dataclass
class Proxied:
    replicas: Replicas
    provider: Provider
    routes: list[str]
    """A routing cookie value for each replica."""


@pytest.fixture(scope="module")
def proxied(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {NGINX} is missing: .ci/run must install nginx")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    folder = tmp_path_factory.mktemp("replicas")
    db = folder / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    (folder / "access.toml").write_text('executives = ["cro@example.com"]\n', encoding="utf-8")
    provider = start_provider([{"sub": "cro", "email": "cro@example.com", "email_verified": True}], folder)
    port = free_port()
    secrets = write_secrets(folder / "secrets.toml", f"http://127.0.0.1:{port}", provider.url)
    try:
        replicas = start_replicas(2, db=db, secrets=secrets, run_dir=folder / "run", port=port,
                                  app_ports=[free_port(), free_port()])
    except BaseException:
        stop_provider(provider)
        raise
    routes = route_cookies(replicas.url, 2)
    yield Proxied(replicas, provider, routes)
    replicas.stop()
    stop_provider(provider)


def _route(page: Any, url: str, value: str) -> None:
    """Point the browser at one replica: its routing cookie (the only one of that name) set to ``value``."""
    page.context.clear_cookies(name="scorecard_route")
    page.context.add_cookies([{"name": "scorecard_route", "value": value, "url": url}])


def _rendered(page: Any) -> None:
    wait_for_text(page, "Org median overall")
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for()
    assert metric_value(page, "Leaders") == "16"
    assert "Signed in as cro@example.com" in read(page)


def test_the_scorecard_renders_through_the_proxy_from_each_replica(proxied: Proxied, browser: Any) -> None:
    url = proxied.replicas.url
    assert len(proxied.routes) == 2, "the routing cookie should reach both replicas"
    page = new_page(browser)
    _route(page, url, proxied.routes[0])
    log_in(page, url, "cro")  # the provider sends the browser back to the proxy's address
    _rendered(page)
    screenshot(page, "replicas_first")
    # the same browser, its routing cookie now naming the other replica: still logged in there
    _route(page, url, proxied.routes[1])
    page.goto(url)
    _rendered(page)
    screenshot(page, "replicas_second")
    page.context.close()

    # each page's websocket went to the replica its routing cookie names (nginx logs a websocket
    # when it closes)
    replicas = sorted(u.removeprefix("http://") for u in proxied.replicas.app_urls)
    streams: set[str] = set()
    deadline = time.monotonic() + 15
    while sorted(streams) != replicas and time.monotonic() < deadline:
        time.sleep(0.5)
        log = (proxied.replicas.run_dir / "nginx-access.log").read_text()
        streams = set(re.findall(r'"GET /_stcore/stream HTTP/1.1" 101 .* replica=(\S+)', log))
    assert sorted(streams) == replicas


def test_a_browser_without_a_routing_cookie_is_given_one_and_stays_on_its_replica(proxied: Proxied) -> None:
    from bench.loadtest import Jar, http

    jar = Jar()
    _, first = http("GET", f"{proxied.replicas.url}/_stcore/health", jar)
    route = jar.get(proxied.replicas.url, "scorecard_route")
    assert route and any(c.startswith("scorecard_route=") and "HttpOnly" in c for c in first.get_all("Set-Cookie"))
    answered = {http("GET", f"{proxied.replicas.url}/_stcore/health", jar)[1]["X-Scorecard-Replica"]
                for _ in range(6)}
    assert answered == {first["X-Scorecard-Replica"]}
    assert jar.get(proxied.replicas.url, "scorecard_route") == route  # set once, not on every response
