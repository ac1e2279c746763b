"""A load under way never shows viewers an error: pages keep the data in place, then switch."""

from __future__ import annotations

import time

from scorecard.store import Store
from tests.app.conftest import RunApp, frame_with


def _reps_count(at: object) -> int:
    rows = frame_with(at, "optional")
    return int(dict(zip(rows["extract"], rows["rows"], strict=True))["Reps"])


def test_pages_show_the_data_in_place_while_a_load_runs_then_the_new_data(run_app: RunApp,
                                                                           demo_store: Store) -> None:
    at = run_app(demo_store.path, "pages/org_overview.py")
    assert not at.exception
    assert _reps_count(at) == 120  # the demo org: 1 VP, 3 directors, 12 managers, 104 reps
    with demo_store.writing() as con:  # a load holding the write lock for as long as it takes
        con.execute("delete from reps where rep_id in (select rep_id from reps"
                    " where rep_id not in (select leader_id from leaders) order by rep_id limit 4)")
        con.execute("insert into loads by name select max(load_id) + 1 as load_id, now()::timestamp as loaded_at,"
                    " 'ops' as loaded_by, 'cli' as source, 'accepted' as status from loads")
        at.run()  # an open page refreshing while the load runs
        assert not at.exception
        assert _reps_count(at) == 120
        during = run_app(demo_store.path, "pages/org_overview.py")  # a viewer arriving now
        assert not during.exception
        assert _reps_count(during) == 120
    time.sleep(1.1)  # the data version is asked at most once a second
    at.run()  # the load has landed: the next run shows it
    assert not at.exception
    assert _reps_count(at) == 116
