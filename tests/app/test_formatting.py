"""Money as money, rates as percentages, changes as arrows (scorecard.ui.format), the ranking table,
and CRM text as text (scorecard.ui.text)."""

from __future__ import annotations

import polars as pl
import pytest

from scorecard.ui import format, tables, text


@pytest.mark.parametrize(("value", "code", "shown"), [
    (1_234_567.0, "USD", "$1.2M"),
    (45_600.0, "USD", "$46K"),
    (900.0, "EUR", "€900"),
    (-2_500_000.0, "GBP", "-£2.5M"),
    (12_000.0, "CHF", "12K CHF"),
    (None, "USD", "–"),
    (float("nan"), "USD", "–"),
])
def test_money(value: float | None, code: str, shown: str) -> None:
    assert format.money(value, code) == shown


def test_percent_ratio_points_change() -> None:
    assert format.percent(0.425) == "42%"  # 42.5 rounds half to even
    assert format.percent(0.4251, 1) == "42.5%"
    assert format.ratio(3.04) == "3.0x"
    assert format.points(71.6) == "72"
    assert format.change(4.4) == "▲ 4"
    assert format.change(-2.0) == "▼ 2"
    assert format.change(0.3) == "► 0"
    assert format.change(None) == "new"
    assert format.delta(-6.2) == "-6" and format.delta(None) is None


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
