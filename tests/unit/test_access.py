"""scorecard/access.py: hosting fails closed, only a verified and unexpired login counts, the access
file is read as it is now, and what each viewer sees of the data: scores the same for every viewer,
data quality and row counts only for their own people."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from scorecard import org
from scorecard.access import (
    AccessPolicy,
    Viewer,
    hosting_mode,
    identify,
    is_loopback,
    local_viewer,
    refusal_message,
    viewer_for_email,
)
from scorecard.api import ScoreCache, Scorecard
from scorecard.settings import Settings
from scorecard.store import Store
from tests.unit.test_metrics import Q1, TODAY, handmade_frames

NOW = 1_800_000_000.0
POLICY = AccessPolicy(executives=frozenset({"cro@x.io"}), sales_ops=frozenset({"ops@x.io"}))


def claims(email: object = "cro@x.io", verified: object = True, expires: object = NOW + 3600, **more: object) -> dict:
    return {"is_logged_in": True, "email": email, "email_verified": verified, "exp": expires, **more}


# -- hosting ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "loopback"), [
    ("localhost", True), ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]:8501", True),
    ("localhost:8501", True), ("0.0.0.0", False), ("", False), (None, False), ("::", False),
    ("10.0.0.5", False), ("scorecard.example.com", False),
])
def test_only_this_machine_is_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_data_without_login_only_bound_to_localhost() -> None:
    assert hosting_mode(auth_configured=False, bind_address="localhost") == "local"
    assert hosting_mode(auth_configured=False, bind_address="127.0.0.1",
                        request_headers={"Host": "127.0.0.1:8501"}) == "local"
    # Streamlit listens on every interface when server.address is unset
    assert hosting_mode(auth_configured=False, bind_address=None) == "refuse"
    assert hosting_mode(auth_configured=False, bind_address="0.0.0.0") == "refuse"
    # bound to localhost behind a reverse proxy: the request came from elsewhere
    assert hosting_mode(auth_configured=False, bind_address="localhost",
                        request_headers={"X-Forwarded-For": "203.0.113.9"}) == "refuse"
    assert hosting_mode(auth_configured=False, bind_address="localhost",
                        request_headers={"Host": "scorecard.example.com"}) == "refuse"
    assert hosting_mode(auth_configured=False, bind_address="localhost", forced_hosted=True) == "refuse"
    # with [auth], everyone logs in wherever the app listens
    assert hosting_mode(auth_configured=True, bind_address="0.0.0.0") == "login"
    assert hosting_mode(auth_configured=True, bind_address="localhost") == "login"


def test_the_refusal_says_how_to_configure_the_login() -> None:
    text = refusal_message(None)
    assert "every network interface" in text
    assert "[auth] section to .streamlit/secrets.toml" in text and "access.toml" in text
    assert "listens on 0.0.0.0" in refusal_message("0.0.0.0")


# -- identity --------------------------------------------------------------------------------------------

def test_a_verified_unexpired_login_is_its_email_address() -> None:
    found = identify(claims(" CRO@X.io "), POLICY, NOW)
    assert found.status == "verified" and found.email == "cro@x.io"
    # some providers send the claim as a string
    assert identify(claims(verified="true"), POLICY, NOW).verified


def test_an_unverified_address_is_told_why() -> None:
    for verified in (False, None, "false", "yes", 1):
        found = identify(claims(verified=verified), POLICY, NOW)
        assert found.status == "unverified" and not found.verified, verified
    found = identify({k: v for k, v in claims().items() if k != "email_verified"}, POLICY, NOW)
    assert found.status == "unverified"
    assert "has not verified that cro@x.io is yours" in found.message


def test_a_providers_own_verified_claim_named_in_the_access_file() -> None:
    entra = claims(verified=None, xms_edov=True)
    assert identify(entra, POLICY, NOW).status == "unverified"
    named = AccessPolicy(executives=POLICY.executives, verified_email_claim="xms_edov")
    assert identify(entra, named, NOW).verified
    assert identify(claims(verified=None, xms_edov=False), named, NOW).status == "unverified"


def test_an_expired_or_undated_token_logs_in_again() -> None:
    assert identify(claims(expires=NOW), POLICY, NOW).status == "expired"
    assert identify(claims(expires=NOW - 1), POLICY, NOW).status == "expired"
    assert identify(claims(expires=None), POLICY, NOW).status == "expired"
    assert identify(claims(expires="tomorrow"), POLICY, NOW).status == "expired"
    assert identify(claims(expires=True), POLICY, NOW).status == "expired"
    assert identify(claims(expires=NOW + 1), POLICY, NOW).verified


def test_no_login_or_no_usable_address_is_nobody() -> None:
    assert identify({}, POLICY, NOW).status == "anonymous"
    assert identify({"is_logged_in": False, "email": "cro@x.io"}, POLICY, NOW).status == "anonymous"
    for email in (None, "", "not-an-address", "cro@x.io\x00", 42):
        assert identify(claims(email=email), POLICY, NOW).status == "no_email", email


# -- the access file ---------------------------------------------------------------------------------------

def test_the_access_file_is_read_as_it_is_now(tmp_path: Path) -> None:
    path = tmp_path / "access.toml"
    assert AccessPolicy.from_file(path) == AccessPolicy()
    path.write_text('executives = ["CRO@x.io "]\nsales_ops = "ops@x.io"\nverified_email_claim = "xms_edov"\n')
    policy = AccessPolicy.from_file(path)
    assert policy.executives == {"cro@x.io"} and policy.sales_ops == {"ops@x.io"}
    assert policy.verified_email_claim == "xms_edov"
    path.write_text('executives = []\n')
    assert AccessPolicy.from_file(path).executives == frozenset()
    assert AccessPolicy.from_file(path).fingerprint != policy.fingerprint


def test_a_broken_access_file_names_no_executive_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "access.toml"
    path.write_text('executives = ["cro@x.io"\n')
    policy = AccessPolicy.from_file(path)
    assert policy.executives == frozenset() and policy.error and "cannot be read" in policy.error


# -- the viewer on a small org -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def handmade(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The org of tests/unit/test_metrics.py: V1 over M1 (A1, A2, A3) and M2 (B1, B2); M3 over D1."""
    frames = handmade_frames()
    frames["reps"] = frames["reps"].with_columns(
        (pl.col("rep_id").str.to_lowercase() + "@x.io").alias("email"))
    store = Store(tmp_path_factory.mktemp("access") / "org.duckdb")
    store.load(frames, loaded_by="test")
    return store


def test_each_viewer_and_whether_they_see_the_whole_orgs_data(handmade: Store) -> None:
    with handmade.reader() as con:
        m2 = viewer_for_email(con, "m2@x.io", POLICY)
        b1 = viewer_for_email(con, "B1@x.io", POLICY)
        cro = viewer_for_email(con, "cro@x.io", POLICY)
        ops = viewer_for_email(con, "ops@x.io", POLICY)
        stranger = viewer_for_email(con, "nobody@x.io", POLICY)
        local = local_viewer(con)
    assert m2.visible_reps == ("B1", "B2", "M2") and not m2.sees_whole_org_data
    assert b1.visible_reps == ("B1",) and not b1.sees_whole_org_data
    assert len(cro.visible_reps) == 10 and cro.is_executive and cro.sees_whole_org_data
    assert ops.visible_reps == () and ops.can_upload and ops.sees_whole_org_data
    assert "As sales ops you may upload files" in ops.notes[0]
    assert stranger.visible_reps == () and not stranger.sees_whole_org_data
    assert local.sees_whole_org_data
    broken = AccessPolicy(error="The access file cannot be read (x)")
    with handmade.reader() as con:
        assert viewer_for_email(con, "m2@x.io", broken).notes == ("The access file cannot be read (x)",)


def _card(store: Store, viewer: Viewer | None, cache: ScoreCache | None = None) -> Scorecard:
    return Scorecard.open(store.path, viewer=viewer, settings=Settings(db=store.path), today=TODAY, cache=cache)


def test_a_leaders_score_is_the_same_for_every_viewer(handmade: Store) -> None:
    # pipeline created per seller-month (tests/unit/test_metrics.py): M1 6 / (270 / 30.4375) = 0.68,
    # M2 1 / (135 / 30.4375) = 0.23. It is scored by percentile among the peers at the same level: the
    # org's two managers, so M1 100 and M2 0, whoever looks (M2 alone among "his" peers would be 50);
    # at the top, V1's whole org opened deals and M3's one rep none: V1 100, M3 0.
    with handmade.reader() as con:
        m2 = viewer_for_email(con, "m2@x.io", POLICY)
    shared = ScoreCache()
    vp_card, m2_card = _card(handmade, None, shared), _card(handmade, m2, shared)
    seen_by_vp = vp_card.metric_values(Q1).filter(pl.col("metric") == "pipeline_created")
    seen_by_m2 = m2_card.metric_values(Q1).filter(pl.col("metric") == "pipeline_created")
    assert dict(zip(seen_by_vp["leader_id"], seen_by_vp["points"], strict=True)) == {
        "M1": 100.0, "M2": 0.0, "V1": 100.0, "M3": 0.0}
    assert seen_by_m2.select("leader_id", "points").rows() == [("M2", 0.0)]
    assert m2_card.scores_of("M2", Q1) == vp_card.scores_of("M2", Q1)
    by_vp = vp_card.leaders(Q1).filter(pl.col("leader_id") == "M2")
    by_m2 = m2_card.leaders(Q1)
    assert by_m2["leader_id"].to_list() == ["M2"]
    assert by_m2.drop("in_progress").equals(by_vp.drop("in_progress"))
    # one computation for the whole org, shared by both cards
    assert len(shared.scored) == len({k[:2] for k in shared.scored})


def test_a_rep_alone_sees_their_own_values_not_their_peers_median(handmade: Store) -> None:
    with handmade.reader() as con:
        b1 = viewer_for_email(con, "b1@x.io", POLICY)
        m2 = viewer_for_email(con, "m2@x.io", POLICY)
    as_b1 = _card(handmade, b1).rep_metric_values(Q1)
    as_m2 = _card(handmade, m2).rep_metric_values(Q1)
    assert set(as_b1["rep_id"]) == {"B1"} and set(as_m2["rep_id"]) == {"B1", "B2"}
    mine = as_b1.filter(pl.col("metric") == "quota_attainment").row(0, named=True)
    theirs = as_m2.filter((pl.col("rep_id") == "B1") & (pl.col("metric") == "quota_attainment")).row(0, named=True)
    assert mine["value"] == theirs["value"] and mine["points"] == theirs["points"]
    # B2's figure is not B1's to know: a median of two would give it away
    assert mine["team_median"] is None and theirs["team_median"] is not None


def test_data_quality_and_row_counts_of_a_leaders_own_people(handmade: Store) -> None:
    with handmade.reader() as con:
        whole = org.extract_rows(con)
        m2_rows = org.extract_rows(con, ("B1", "B2", "M2"))
        m2_quality = org.data_quality(con, ("B1", "B2", "M2"))
        everything = org.data_quality(con)
    rows = dict(zip(m2_rows["extract"], m2_rows["rows"], strict=True))
    # M2's people: M2, B1, B2; their deals O5, O6, O8, O13, O15; B1's and B2's quotas
    assert rows["reps"] == 3 and rows["opportunities"] == 5 and rows["quotas"] == 2
    assert rows["opportunity_history"] is None and rows["currency_rates"] is None  # rows that name no one
    assert dict(zip(whole["extract"], whole["rows"], strict=True))["reps"] == 10
    assert m2_quality.checks is None and not m2_quality.whole_org
    assert everything.checks is not None and everything.whole_org
    fill = m2_quality.fill.filter((pl.col("extract") == "opportunities") & (pl.col("column") == "product_line"))
    assert fill.select("rows", "filled").row(0) == (5, 4)  # O6 has no product line
    assert set(m2_quality.fill["extract"]) == {e for e in everything.fill["extract"].unique() if org.names_people(e)}
