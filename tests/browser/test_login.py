"""Logins through a real OpenID Connect provider (oidc-provider-mock on 127.0.0.1), one per identity:
an executive, a leader, a rep, sales ops, an address not in the reps extract and an address the
provider has not verified. Then the access file changed under a logged-in executive, and a login
whose ID token expires."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.browser.hosting import (
    Provider,
    log_in,
    new_page,
    read,
    start_hosted_app,
    start_provider,
    stop_provider,
    wait_for_any,
)
from tests.browser.journeys import metric_value, wait_for_text
from tests.conftest import RunningApp, screenshot, stop_app

pytestmark = pytest.mark.browser

ACCESS = 'executives = ["cro@example.com"]\nsales_ops = ["ops@example.com"]\n'
NOT_LINKED = "Your login is not linked to anyone in the reps extract"


@dataclass
class Org:
    """What the demo org holds about the people who log in."""

    leader_email: str
    rep_email: str
    rep_name: str
    team: set[str]
    """The names in the leader's subtree (the leader included)."""
    outsiders: set[str]
    """The names of everyone else, none of which is also a name in the team."""


@dataclass
class Hosted:
    app: RunningApp
    provider: Provider
    org: Org
    access_file: Path


def _org(db: Path) -> Org:
    with duckdb.connect(str(db), read_only=True) as con:
        leader_email = con.execute("select email from reps where rep_id = 'U0005'").fetchall()[0][0]
        rep_email, rep_name = con.execute("select email, rep_name from reps where rep_id = 'U0017'").fetchall()[0]
        team = {r[0] for r in con.execute(
            "select rep_name from reps where rep_id in (select rep_id from team_members where leader_id = 'U0005')"
            " or rep_id = 'U0005'").fetchall()}
        everyone = {r[0] for r in con.execute("select rep_name from reps").fetchall()}
    return Org(leader_email, rep_email, rep_name, team, everyone - team)


@pytest.fixture(scope="module")
def hosted(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosted]:
    """The demo org hosted with a login, and a provider that knows one user per identity."""
    folder = tmp_path_factory.mktemp("hosted")
    db = folder / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    access = folder / "access.toml"
    access.write_text(ACCESS, encoding="utf-8")
    org = _org(db)
    users = [
        {"sub": "cro", "email": "CRO@example.com", "email_verified": True},
        {"sub": "leader", "email": org.leader_email, "email_verified": True},
        {"sub": "rep", "email": org.rep_email, "email_verified": True},
        {"sub": "ops", "email": "ops@example.com", "email_verified": True},
        {"sub": "stranger", "email": "stranger@example.com", "email_verified": True},
        # anyone can type the CRO's address into a provider that lets users set their own
        {"sub": "impostor", "email": "cro@example.com", "email_verified": False},
    ]
    provider = start_provider(users, folder)
    app = start_hosted_app(db, provider)
    yield Hosted(app, provider, org, access)
    stop_app(app)
    stop_provider(provider)


def _nav(page: Any) -> str:
    nav = page.locator("[data-testid='stSidebarNav']")
    return str(nav.inner_text()) if nav.count() else ""


def _shows_none_of(page: Any, names: set[str]) -> None:
    body = read(page)
    shown = sorted(n for n in names if n in body)
    assert shown == [], f"names of another team on {page.url}: {shown[:5]}"


def test_a_shared_link_opens_the_login_not_page_not_found(hosted: Hosted, browser: Any) -> None:
    page = new_page(browser)
    for path in ("/leader?leader=U0005", "/rep?rep=U0017", "/scorecard_page", "/data_quality", "/upload"):
        page.goto(hosted.app.url + path)
        page.get_by_role("button", name="Log in").wait_for()
        page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for()
        page.wait_for_timeout(500)
        body = read(page)
        assert "Page not found" not in body, path
        assert "Log in with your company account" in body
        assert page.locator("[data-testid='stMetric'], [data-testid='stDataFrame']").count() == 0
    screenshot(page, "login_shared_link")
    page.context.close()


def test_an_executive_sees_every_leader(hosted: Hosted, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, hosted.app.url, "cro")
    wait_for_text(page, "Org median overall")
    assert metric_value(page, "Leaders") == "16"
    body = read(page)
    assert "Local demo" not in body and "Signed in as cro@example.com" in body
    assert "Upload" not in _nav(page)  # an executive who is not sales ops does not upload
    screenshot(page, "login_executive")
    page.context.close()


def test_a_leader_sees_only_their_subtree_on_every_page(hosted: Hosted, browser: Any) -> None:
    org = hosted.org
    page = new_page(browser)
    log_in(page, hosted.app.url, "leader")
    wait_for_text(page, "Org median overall")
    assert metric_value(page, "Leaders") == "1"  # only Farid Ueda leads anyone in his own subtree
    assert "Upload" not in _nav(page)
    page.wait_for_timeout(1000)
    _shows_none_of(page, org.outsiders)
    screenshot(page, "login_leader")

    for path, marker in [("/org_overview", "Extracts loaded"), ("/data_quality", "Rows loaded with a flag"),
                         ("/methodology", "Settings in force"), ("/leader?leader=U0002", "No leader U0002"),
                         ("/?tv=1", "Sales-leadership scorecard ·")]:
        page.goto(hosted.app.url + path)
        wait_for_text(page, marker)
        page.wait_for_timeout(1500)
        _shows_none_of(page, org.outsiders)
    # the leader page said U0002 (his director) is not in his part of the organisation, and showed no one

    page.goto(hosted.app.url + "/leader")  # from the navigation: the only leader he may see is himself
    wait_for_text(page, "Why this score")
    assert page.locator("[data-testid='stHeading']").filter(has_text="Farid Ueda").count() >= 1
    assert "Pick a leader" not in read(page)
    page.goto(hosted.app.url + "/org_overview")
    wait_for_text(page, "Load history")
    assert "shown to sales ops and executives" in read(page)
    page.goto(hosted.app.url + "/data_quality")
    wait_for_text(page, "The verdicts of uploaded files")

    # a hand-edited URL naming a rep of another team says so and shows no one
    page.goto(hosted.app.url + "/rep?rep=U0120")
    wait_for_text(page, "No rep U0120 in your part of the organisation")
    _shows_none_of(page, org.outsiders)

    # typing the Upload page's address by hand does not give a leader the uploader
    page.goto(hosted.app.url + "/upload")
    wait_for_text(page, "Org median overall")
    page.wait_for_timeout(500)
    assert page.locator("[data-testid='stFileUploader']").count() == 0
    page.context.close()


def test_a_rep_sees_only_themself(hosted: Hosted, browser: Any) -> None:
    org = hosted.org
    page = new_page(browser)
    log_in(page, hosted.app.url, "rep", "/rep")
    wait_for_text(page, "Deals at risk")
    heading = page.locator("[data-testid='stHeading']").filter(has_text=org.rep_name)
    assert heading.count() >= 1
    _shows_none_of(page, (org.team | org.outsiders) - {org.rep_name})
    page.goto(hosted.app.url)
    wait_for_text(page, "No leader")  # a rep leads no one: no leader to score
    assert page.locator("[data-testid='stMetric']").count() == 0
    screenshot(page, "login_rep")
    page.context.close()


def test_sales_ops_uploads_and_sees_the_checks_but_no_ones_figures(hosted: Hosted, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, hosted.app.url, "ops", "/data_quality")
    wait_for_text(page, "Latest checks per extract")
    assert "Upload" in _nav(page)
    assert "The verdicts of uploaded files" not in read(page)
    assert "ops@example.com is not in the reps extract" in read(page)
    page.goto(hosted.app.url)
    wait_for_text(page, NOT_LINKED)
    assert page.locator("[data-testid='stMetric']").count() == 0
    page.context.close()


def test_an_address_not_in_the_reps_extract_sees_nothing(hosted: Hosted, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, hosted.app.url, "stranger")
    wait_for_text(page, NOT_LINKED)
    assert "stranger@example.com is not in the reps extract" in read(page)
    assert page.locator("[data-testid='stMetric']").count() == 0
    page.goto(hosted.app.url + "/org_overview")
    wait_for_text(page, "Extracts loaded")
    _shows_none_of(page, hosted.org.team | hosted.org.outsiders)
    page.context.close()


def test_an_unverified_address_is_told_why_and_sees_nothing(hosted: Hosted, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, hosted.app.url, "impostor")
    wait_for_any(page, ["has not verified that cro@example.com is yours"])
    screenshot(page, "login_unverified")
    assert _nav(page) == ""  # no page to go to
    assert page.get_by_role("button", name="Log out").count() == 1
    for path in ("/", "/leader?leader=U0005", "/org_overview", "/data_quality"):
        page.goto(hosted.app.url + path)
        wait_for_text(page, "has not verified")
        page.wait_for_timeout(500)
        assert page.locator("[data-testid='stMetric'], [data-testid='stDataFrame']").count() == 0
        _shows_none_of(page, hosted.org.team | hosted.org.outsiders)
    page.context.close()


def test_removing_an_executive_takes_effect_at_their_next_page_run(hosted: Hosted, browser: Any) -> None:
    page = new_page(browser)
    log_in(page, hosted.app.url, "cro")
    wait_for_text(page, "Org median overall")
    assert metric_value(page, "Leaders") == "16"
    hosted.access_file.write_text('executives = []\nsales_ops = ["ops@example.com"]\n', encoding="utf-8")
    try:
        # the same browser session, no new login: the next page run reads the access file again
        page.locator("[data-testid='stSidebarNav']").get_by_text("Org overview", exact=True).click()
        wait_for_text(page, "Extracts loaded")
        page.wait_for_timeout(1000)
        assert "cro@example.com is not in the reps extract" in read(page)
        _shows_none_of(page, hosted.org.team | hosted.org.outsiders)
        page.reload()
        wait_for_any(page, ["cro@example.com is not in the reps extract"])
    finally:
        hosted.access_file.write_text(ACCESS, encoding="utf-8")
    page.context.close()


def test_an_expired_login_must_log_in_again(demo_db_path: Path, tmp_path: Path, browser: Any) -> None:
    db = tmp_path / "demo.duckdb"
    shutil.copy2(demo_db_path, db)
    (tmp_path / "access.toml").write_text(ACCESS, encoding="utf-8")
    lifetime = 12  # seconds the provider's ID tokens live
    provider = start_provider([{"sub": "cro", "email": "cro@example.com", "email_verified": True}], tmp_path,
                              token_max_age=lifetime)
    app = start_hosted_app(db, provider)
    try:
        page = new_page(browser)
        log_in(page, app.url, "cro")
        wait_for_text(page, "Org median overall")
        time.sleep(lifetime + 2)  # the token was issued during the login, before this
        # Streamlit keeps its login cookie for 30 days; the app honours the ID token's expiry instead
        page.reload()
        shown = wait_for_any(page, ["Your login has expired", "Org median overall"])
        assert shown == "Your login has expired"
        page.get_by_role("button", name="Log in again").wait_for()
        assert page.locator("[data-testid='stMetric']").count() == 0
        page.get_by_role("button", name="Log in again").click()
        page.locator("input[type='text'][name='sub']").fill("cro")
        page.get_by_role("button", name="Authorize").click()
        wait_for_text(page, "Org median overall")
        page.context.close()
    finally:
        stop_app(app)
        stop_provider(provider)
