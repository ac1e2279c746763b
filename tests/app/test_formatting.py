"""The one formatter (scorecard.format): money with its currency, short in charts and exact in
tables, whole percentages, ratios, points, changes, days, dates without 00:00:00, codes in words,
never "None"; the tables' column formats that match it; the ranking table; CRM text as text
(scorecard.ui.text). Every expected value is worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from scorecard import format
from scorecard.ui import tables, text

# -- money -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "code", "exact", "short"), [
    (139_700.0, "USD", "$139,700", "$140K"),
    (1_234_567.0, "USD", "$1,234,567", "$1.2M"),
    (45_600.0, "USD", "$45,600", "$46K"),
    (9_940.0, "USD", "$9,940", "$9.9K"),   # one decimal below ten of a unit
    (9_960.0, "USD", "$9,960", "$10K"),    # 9.96K rounds to ten: none
    (1_000_000.0, "EUR", "€1,000,000", "€1M"),  # never a trailing .0
    (999_999.0, "USD", "$999,999", "$1M"),   # not $1000K
    (900.0, "EUR", "€900", "€900"),
    (0.4, "USD", "$0", "$0"),
    (-2_500_000.0, "GBP", "-£2,500,000", "-£2.5M"),
    (3_000_000_000.0, "JPY", "¥3,000,000,000", "¥3B"),
    (12_000.0, "CHF", "12,000 CHF", "12K CHF"),  # a currency without a symbol follows the amount
    (None, "USD", "–", "–"),
    (float("nan"), "USD", "–", "–"),
])
def test_money_exact_in_tables_short_in_charts(value: float | None, code: str, exact: str, short: str) -> None:
    assert format.money(value, code) == exact
    assert format.money_short(value, code) == short


def test_a_table_column_writes_money_as_the_text_does() -> None:
    # Streamlit's printf: "%,.0f" puts in the thousands separators
    assert format.money_format("USD") == "$%,.0f"
    assert format.money_format("eur") == "€%,.0f"
    assert format.money_format("CHF") == "%,.0f CHF"


# -- shares, ratios, points, counts, days ------------------------------------------------------------------

@pytest.mark.parametrize(("value", "shown"), [
    (0.425, "42%"),     # 42.5 rounds half to even
    (0.4251, "43%"),
    (1.3, "130%"),
    (0.0, "0%"),
    (0.004, "0.4%"),    # under one percent: one decimal, never "0%" for something
    (-0.002, "-0.2%"),
    (0.0003, "<0.1%"),
    (None, "–"),
])
def test_shares_are_whole_percentages(value: float | None, shown: str) -> None:
    assert format.share(value) == shown


def test_ratios_points_counts_and_days() -> None:
    assert format.ratio(1.124) == "1.12x" and format.ratio(3.0) == "3.00x"  # 1.00x is on pace
    assert format.points(71.6) == "72" and format.points(None) == "–"
    assert format.count(1234) == "1,234"
    assert format.days(1) == "1 day" and format.days(12.4) == "12 days" and format.days(None) == "–"


@pytest.mark.parametrize(("number", "unit", "shown"), [
    (0.4, "share", "40%"), (139_700.0, "money", "€139,700"), (1.234, "ratio", "1.23x"), (45.2, "days", "45 days"),
    (8.0, "reps", "8 reps"), (1.0, "reps", "1 rep"), (2.46, "per_month", "2.5/month"),
    (3.14, "per_rep_day", "3.1/rep/day"), (2.93, "contacts", "2.9"), (1500.0, "count", "1,500"),
    (None, "money", "–"),
])
def test_a_value_in_its_unit(number: float | None, unit: str, shown: str) -> None:
    assert format.value(number, unit, "EUR") == shown


# -- changes ---------------------------------------------------------------------------------------------

def test_changes_as_arrows_and_metric_deltas() -> None:
    assert format.change(4.4) == "▲ 4"
    assert format.change(-2.0) == "▼ 2"
    assert format.change(0.3) == "► 0"
    assert format.change(None) == "new"
    assert format.delta(-6.2) == "-6" and format.delta(4.4) == "+4" and format.delta(None) is None
    # a change that rounds to nothing reads 0, in grey: never "+0" in green
    assert format.delta(0.3) == "0" and format.delta(-0.4) == "0"
    assert format.delta_colour(0.3) == "off" and format.delta_colour(None) == "off"
    assert format.delta_colour(4.4) == "normal" and format.delta_colour(-0.6) == "normal"


# -- dates ---------------------------------------------------------------------------------------------------

def test_dates_never_show_midnight() -> None:
    assert format.day(date(2023, 11, 5)) == "5 Nov 2023"
    assert format.day(datetime(2023, 11, 5, 0, 0)) == "5 Nov 2023"
    assert format.moment(datetime(2023, 11, 5, 14, 5)) == "5 Nov 2023, 14:05"
    assert format.moment(date(2023, 11, 5)) == "5 Nov 2023"  # a date has no time to show
    assert format.as_of(date(2023, 12, 29)) == "Data as of 29 Dec 2023"
    assert format.as_of(None) == "No data loaded yet"


# -- codes in words ----------------------------------------------------------------------------------------

def test_every_code_reads_as_words() -> None:
    assert format.label("c_level") == "C-level"
    assert format.label("best_case") == "Best case"
    assert format.label("not_enough_data") == "Not enough data"
    assert format.label("ae") == "Account executive"
    assert format.label("Closed Won") == "Closed Won"  # CRM text (a stage) as typed
    assert format.label(None) == "–"
    assert format.heading("days_since_activity") == "Days since activity"
    assert format.heading("opportunity_id") == "Opportunity ID"


def test_tables_show_codes_as_words_and_crm_text_as_typed() -> None:
    deals = pl.DataFrame({"forecast_category": ["best_case", "commit", None], "contact_level": ["c_level", "vp", "x"],
                          "stage": ["best_case", "Closed Won", "Proposal"]})
    shown = tables.readable(deals)
    assert shown["forecast_category"].to_list() == ["Best case", "Commit", None]
    assert shown["contact_level"].to_list() == ["C-level", "VP", "x"]
    assert shown["stage"].to_list() == ["best_case", "Closed Won", "Proposal"]  # not a code column


def test_table_columns_are_headed_and_formatted_from_name_and_type() -> None:
    frame = pl.DataFrame({"opportunity_id": ["O1"], "amount": [139_700.0], "close_date": [date(2023, 11, 5)],
                          "last_activity_at": [datetime(2023, 11, 5, 14, 5)], "win_rate": [0.4],
                          "days_since_activity": [12], "stage": ["Proposal"]})
    config = tables.columns(frame, "USD")
    assert config["opportunity_id"] == "Deal" and config["stage"] == "Stage"
    assert config["amount"]["label"] == "Amount"
    assert config["amount"]["type_config"]["format"] == "$%,.0f"
    assert config["close_date"]["type_config"]["format"] == "D MMM YYYY"
    assert config["last_activity_at"]["type_config"]["format"] == "D MMM YYYY, HH:mm"
    assert (config["win_rate"]["type_config"]["format"], config["win_rate"]["type_config"]["step"]) == ("percent", 0.01)
    assert config["days_since_activity"]["type_config"]["format"] == "%,.0f"


# -- the tables of the pages ------------------------------------------------------------------------------

def test_ranking_table_adds_rank_and_arrow() -> None:
    leaders = pl.DataFrame({"leader_id": ["L1", "L2"], "leader_name": ["Ann", "Bob"],
                            "overall": [60.0, 80.0], "overall_change": [-3.0, None],
                            "teams": [50.0, 40.0], "teams_change": [1.0, 2.0]})
    table = tables.ranking_table(leaders, "overall")
    assert table["leader_name"].to_list() == ["Bob", "Ann"]
    assert table["rank"].to_list() == [1, 2]
    assert table["change"].to_list() == ["new", "▼ 3"]
    by_teams = tables.ranking_table(leaders, "teams")
    assert by_teams.columns[:5] == ["rank", "leader_id", "leader_name", "teams", "change"]
    assert by_teams["change"].to_list() == ["▲ 1", "▲ 2"]


def test_rep_against_the_team_in_units() -> None:
    vs_team = pl.DataFrame({"label": ["Quota attainment", "Win rate", "Pipeline created", "Pipeline hygiene"],
                            "unit": ["ratio", "share", "money", "share"], "rep": [0.8, None, 70_000.0, 0.943],
                            "team_median": [1.12, 0.25, None, 0.944], "ahead": [False, None, None, False],
                            "status": ["scored", "not_enough_data", "scored", "scored"]})
    table = tables.vs_team_table(vs_team, "USD")
    assert table.row(0) == ("Quota attainment", "0.80x", "1.12x", "behind", "")
    assert table.row(1) == ("Win rate", "–", "25%", "–", "Not enough data")
    assert table.row(2) == ("Pipeline created", "$70,000", "–", "–", "")
    assert table.row(3) == ("Pipeline hygiene", "94%", "94%", "level", "")  # the same as written: level


def test_coaching_priorities_in_units() -> None:
    priorities = pl.DataFrame({"metric": ["win_rate", "pipeline_coverage"], "metric_label": ["Win rate", "Coverage"],
                               "value": [0.21, 1.5], "target": [0.3, 3.0], "gain": [4.4, 2.6]})
    table = tables.priorities_table(priorities, "USD")
    assert table.row(0) == ("Win rate", "21%", "30%", "4")
    assert table.row(1) == ("Coverage", "1.50x", "3.00x", "3")


def test_chart_money_axis_in_short_money() -> None:
    from scorecard.charts import money_ticks

    # the largest value 430,000 in five steps: 86,000 a step, rounded up to 100,000
    ticks, labels = money_ticks([0.0, 120_000.0, 430_000.0, None], "USD")
    assert ticks == [0, 100_000, 200_000, 300_000, 400_000, 500_000]
    assert labels == ["$0", "$100K", "$200K", "$300K", "$400K", "$500K"]
    # 2.6M in five steps: 520,000 a step, rounded up to 1,000,000
    assert money_ticks([2_600_000.0], "EUR")[1] == ["€0", "€1M", "€2M", "€3M"]
    assert money_ticks([], "USD") == ([0.0], ["$0"])


# -- CRM text is data, never markup ------------------------------------------------------------------------

def test_plain_text_escapes_every_markdown_construct() -> None:
    shown = text.plain("**Bo** ![x](http://evil.example/p.png) <b>hi</b> # $x$ a_b ~c~ `d`\nnext")
    # every punctuation character escaped, the line break a space
    assert shown.replace(text.WORD_JOINER, "") == (
        "\\*\\*Bo\\*\\* \\!\\[x\\]\\(http\\:\\/\\/evil\\.example\\/p\\.png\\) \\<b\\>hi\\<\\/b\\> \\# \\$x\\$"
        " a\\_b \\~c\\~ \\`d\\` next")
    assert text.plain(None) == "" and text.plain("Farid Ueda") == "Farid Ueda"


def test_plain_text_breaks_what_markdown_finds_after_parsing() -> None:
    wj = text.WORD_JOINER
    # GitHub-flavoured autolinks (web and e-mail addresses) and Streamlit's colour directives and emoji
    assert text.plain("http://x.io") == f"http\\:{wj}\\/\\/x\\.io"
    assert text.plain("bo@x.io") == f"bo\\@{wj}x\\.io"
    assert text.plain("WWW.x.io") == f"WWW{wj}\\.x\\.io"
    assert text.plain(":red[alarm] :smile:") == f"\\:{wj}red\\[alarm\\] \\:{wj}smile\\:{wj}"


def test_chart_labels_are_text() -> None:
    from scorecard.charts import chart_text

    # Plotly reads <a href>, <b> and <br> in labels; entities come back as the characters
    assert chart_text('<a href="http://evil.example">Bo</a> & Co\n') == (
        '&lt;a href="http://evil.example"&gt;Bo&lt;/a&gt; &amp; Co ')


def test_the_filters_name_all_in_words() -> None:
    assert format.region_name("all") == "All regions"
    assert format.region_name("EMEA") == "EMEA"  # a region as typed
    assert format.level_name("all") == "All levels" and format.level_name("2") == "Level 2"
