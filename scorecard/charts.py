"""Plotly figures of the scorecard, with one colour per score key across every chart.

Figures take Polars frames as the package returns them, so a notebook draws the same charts as the
app. Selections: the heatmap and the bars carry the leader (or rep) id in ``customdata`` so a click
can open that person's page.

CRM text is data, never markup: Plotly reads a subset of HTML in every label (``<a href>``, ``<b>``,
``<br>``), so each name, region or role goes through :func:`chart_text` first and shows as typed.

Figures are written as the pages write them (``scorecard.format``): money in its short form with
the currency (``$1.2M``, ``$46K``), whole percentages, codes in words. Legends sit above the plot,
clear of the axis labels, and a bar's label is never cut at the plot's edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import polars as pl

from scorecard import format
from scorecard.metrics import SCORES

if TYPE_CHECKING:
    from scorecard.compare import Comparison

SCORE_COLOURS: dict[str, str] = {
    "overall": "#1f2937",
    "company_leader": "#1f77b4",
    "customer_champion": "#ff7f0e",
    "process_guru": "#2ca02c",
    "organization_architect": "#9467bd",
    "course_corrector": "#d62728",
    "strategic": "#17becf",
    "measurable": "#8c564b",
    "action": "#e377c2",
    "relationships": "#bcbd22",
    "teams": "#393b79",
}
"""The colour of each score, the same in the radar, the history, the bars and the explanation."""

SCORE_SCALE: list[list[Any]] = [[0.0, "#c0392b"], [0.5, "#f4d03f"], [1.0, "#1e8449"]]
"""0-100 points: red (0) through amber (50) to green (100), fixed so colours mean the same everywhere."""

AHEAD_COLOUR = "#1e8449"
BEHIND_COLOUR = "#c0392b"
PACE_COLOUR = "#7f8c8d"

TEN_SCORES: tuple[str, ...] = tuple(k for k in SCORES if k != "overall")


def score_colour(key: str) -> str:
    return SCORE_COLOURS.get(key, "#555555")


def _layout(fig: go.Figure, *, height: int, font_size: int = 13, **extra: Any) -> go.Figure:
    extra.setdefault("margin", {"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_layout(height=height, font={"size": font_size}, **extra)
    return fig


LEGEND_ABOVE: dict[str, Any] = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"}
"""A horizontal legend above the plot: below it, it would sit on the axis labels."""


def money_ticks(values: Sequence[float | None], currency: str, count: int = 5) -> tuple[list[float], list[str]]:
    """Round tick values from 0 to the largest of ``values`` and their labels in short money (``$400K``),
    so an axis reads as the rest of the page does (Plotly's own would read ``400k``)."""
    top = max([v for v in values if v is not None and v == v] + [0.0])
    if top <= 0:
        return [0.0], [format.money_short(0, currency)]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [i * step for i in range(int(math.ceil(top / step)) + 1)]
    return ticks, [format.money_short(t, currency) for t in ticks]


def chart_text(value: object) -> str:
    """CRM text as a Plotly label shows it as typed: ``&``, ``<`` and ``>`` as entities (Plotly turns
    them back into the characters), so no tag or link comes out of a name; line breaks as spaces."""
    text = "" if value is None else str(value)
    text = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _display_names(frame: pl.DataFrame, name_col: str, id_col: str) -> list[str]:
    """Names as shown on an axis (as plain text, :func:`chart_text`); a name shared by two people
    gets the id beside it."""
    names = frame[name_col].fill_null(frame[id_col]).to_list()
    ids = frame[id_col].to_list()
    dupes = {n for n in names if names.count(n) > 1}
    return [chart_text(f"{n} ({i})" if n in dupes else n) for n, i in zip(names, ids, strict=True)]


MEDIAN_ROW = "Org median"
CHANGE_COLUMN = "vs last quarter"
"""The heatmap's column of the overall score's change against the previous comparable period."""
CHANGE_SCALE: list[list[Any]] = [[0.0, BEHIND_COLOUR], [0.5, "#f4f6f7"], [1.0, AHEAD_COLOUR]]
"""A change: red down, pale when it holds, green up (clamped at :data:`CHANGE_RANGE` points)."""
CHANGE_RANGE = 10.0


def _change_text(value: float | None) -> str:
    """A change in a heatmap cell or hover: ``+4``, ``-6``, ``0``; ``new`` with nothing to compare."""
    return format.delta(value) or "new"


def _why_text(row: Mapping[str, Any], key: str) -> str:
    """``-8 vs last quarter · moved most by Win rate -6`` for one score of one leader."""
    from scorecard.explain import mover_text

    if f"{key}_change" not in row:
        return ""
    if format.missing(row.get(f"{key}_change")):
        return "no score last quarter to compare with"
    text = f"{_change_text(row.get(f'{key}_change'))} {CHANGE_COLUMN}"
    mover = mover_text(row.get(f"{key}_mover"), row.get(f"{key}_mover_change"))
    return text + (f" · moved most by {chart_text(mover)}" if mover else "")


def score_heatmap(leaders: pl.DataFrame, scores: Sequence[str] | None = None, *,
                  median: Mapping[str, float | None] | None = None, font_size: int = 13,
                  height: int | None = None, change: bool = False) -> go.Figure:
    """Leaders (rows, best overall on top) by scores (columns), 0-100 points as colour and text.

    ``leaders`` is ``Scorecard.leaders()``: leader_id, leader_name and one column per score key
    (with ``<score>_change`` and ``<score>_mover``, each cell's hover says how the score moved and
    the metric that moved it most). A missing score (not enough data) is a blank cell, never a zero.
    With ``median`` (``Scorecard.org_median()``) a last row shows the org median for reference (not
    clickable). With ``change``, a column after the overall score shows its change against the
    previous comparable period (:data:`CHANGE_COLUMN`, red down, green up, ``new`` when there is
    nothing to compare with).

    Rows are compact (a line of text each) so a screen holds many leaders. Each cell carries
    ``[leader_id, score key]`` in ``customdata`` (:func:`selected_cell`); a click anywhere in a cell
    selects it.
    """
    keys = [k for k in (scores or list(SCORES)) if k in leaders.columns]
    names = _display_names(leaders, "leader_name", "leader_id")
    ids = leaders["leader_id"].to_list()
    records = leaders.to_dicts()
    z = [[row[k] for k in keys] for row in records]
    rows = list(names)
    if median is not None:
        rows.append(MEDIAN_ROW)
        z_all = [*z, [_number(median.get(k)) for k in keys]]
    else:
        z_all = z
    text = [["" if v is None else f"{v:.0f}" for v in r] for r in z_all]
    labels = [SCORES[k] for k in keys]
    with_change = change and "overall_change" in leaders.columns
    columns = list(labels)
    if with_change:  # a blank column of the scores' grid, under the change's own cells
        at = labels.index(SCORES["overall"]) + 1 if "overall" in keys else len(labels)
        columns.insert(at, CHANGE_COLUMN)
        z_all = [[*r[:at], None, *r[at:]] for r in z_all]
        text = [[*r[:at], "", *r[at:]] for r in text]
    fig = go.Figure(go.Heatmap(
        z=z_all, x=columns, y=rows, text=text, texttemplate="%{text}", hoverinfo="skip",
        colorscale=SCORE_SCALE, zmin=0, zmax=100, xgap=2, ygap=2, showscale=False,  # the cells say the points
    ))
    # a click target per cell: [leader id, score key] and the hover (the score, its change, its mover)
    cells: list[tuple[str, str, list[str], str]] = []
    for name, leader_id, row in zip(names, ids, records, strict=True):
        for key, label in zip(keys, labels, strict=True):
            value = row[key]
            why = _why_text(row, key)
            points_text = "not enough data" if value is None else f"{value:.0f} points"
            cells.append((name, label, [leader_id, key],
                          f"{name}<br>{label}: {points_text}" + (f"<br>{why}" if why else "")))
    if with_change:
        # the same grid as the scores (a heatmap of one column would be drawn half a column aside),
        # blank but for the change's column
        changes = [_number(row.get("overall_change")) for row in records]
        shown = [None if c is None else max(-CHANGE_RANGE, min(CHANGE_RANGE, c)) for c in changes]
        blank: list[Any] = [None] * len(columns)
        at = columns.index(CHANGE_COLUMN)

        def only(value: Any, empty: Any) -> list[Any]:
            return [value if i == at else empty for i in range(len(columns))]

        fig.add_trace(go.Heatmap(
            z=[only(c, None) for c in shown] + ([blank] if median is not None else []), x=columns, y=rows,
            text=[only(_change_text(c), "") for c in changes] + ([only("", "")] if median is not None else []),
            texttemplate="%{text}", hoverinfo="skip", colorscale=CHANGE_SCALE, zmin=-CHANGE_RANGE,
            zmax=CHANGE_RANGE, xgap=2, ygap=2, showscale=False,
        ))
        for name, leader_id, row in zip(names, ids, records, strict=True):
            cells.append((name, CHANGE_COLUMN, [leader_id, "overall"],
                          f"{name}<br>{SCORES['overall']}: {_why_text(row, 'overall')}"))
    row_px = max(22, round(font_size * 1.7))
    fig.add_trace(go.Scatter(
        x=[c[1] for c in cells], y=[c[0] for c in cells], customdata=[c[2] for c in cells],
        mode="markers", marker={"symbol": "square", "size": row_px - 4, "color": "#000000", "opacity": 0.01},
        selected={"marker": {"opacity": 0.01}}, unselected={"marker": {"opacity": 0.01}},
        hovertext=[c[3] for c in cells],
        hovertemplate="%{hovertext}<extra></extra>", showlegend=False,
    ))
    # fixed ranges: the click markers must not pad the axes
    fig.update_yaxes(range=[len(rows) - 0.5, -0.5], tickfont={"size": font_size}, showgrid=False,
                     zeroline=False, categoryorder="array", categoryarray=rows, automargin=True)
    # column names level, a word a line, so the heading takes two lines rather than a slanted block
    fig.update_xaxes(range=[-0.5, len(columns) - 0.5], side="top", tickangle=0, showgrid=False,
                     zeroline=False, categoryorder="array", categoryarray=columns, automargin=True,
                     tickvals=columns, ticktext=[_two_lines(c) for c in columns], ticks="",
                     tickfont={"size": max(11, font_size - 1)})
    # hoverdistance -1: the nearest cell's target answers wherever in the cell the pointer is
    return _layout(fig, height=height or max(200, row_px * len(rows) + 60), font_size=font_size,
                   clickmode="event+select", hoverdistance=-1, margin={"l": 10, "r": 10, "t": 10, "b": 10})


def _two_lines(label: str) -> str:
    """A column heading on two lines, broken at the space nearest its middle: ``Organization<br>architect``."""
    spaces = [i for i, c in enumerate(label) if c == " "]
    if not spaces:
        return label
    cut = min(spaces, key=lambda i: abs(len(label) / 2 - i))
    return f"{label[:cut]}<br>{label[cut + 1:]}"


def selected_cell(event: Any, score: str = "overall") -> tuple[str, str] | None:
    """(leader id, score key) a click on a chart selected: a heatmap cell names its own score
    (:func:`score_heatmap`'s ``customdata``); a ranking bar, whose ``customdata`` is the leader id
    alone, takes ``score`` (the score the ranking is by). None when nothing was selected."""
    try:
        points = event.selection.points if hasattr(event, "selection") else event["selection"]["points"]
    except (AttributeError, KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, list | tuple) and data and data[0]:
            key = str(data[1]) if len(data) > 1 and data[1] in SCORES else score
            return str(data[0]), key
        if isinstance(data, str) and data:
            return data, score
    return None


def _number(value: float | None) -> float | None:
    """A score as a plain number, None for missing or NaN."""
    if value is None or value != value:  # NaN is not equal to itself
        return None
    return float(value)


def ranking_bars(leaders: pl.DataFrame, score: str = "overall", *, font_size: int = 13,
                 height: int | None = None) -> go.Figure:
    """Leaders ranked by one score, as horizontal bars in that score's colour (best on top). The hover
    says how the score moved against the previous comparable period and the metric that moved it
    most (``<score>_change``, ``<score>_mover``); a click selects the leader (``customdata``)."""
    ranked = leaders.filter(pl.col(score).is_not_null()).sort(score, descending=True)
    names = _display_names(ranked, "leader_name", "leader_id")
    why = [_why_text(row, score) for row in ranked.to_dicts()]
    fig = go.Figure(go.Bar(
        x=ranked[score].to_list(), y=names, orientation="h",
        customdata=ranked["leader_id"].to_list(), marker_color=score_colour(score),
        text=[format.points(v) for v in ranked[score].to_list()], textposition="outside", cliponaxis=False,
        hovertext=why, hovertemplate="%{y}: %{x:.0f}<br>%{hovertext}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", tickfont={"size": font_size})
    fig.update_xaxes(range=[0, 115], tickvals=[0, 25, 50, 75, 100], title_text=f"{SCORES.get(score, score)} (points)",
                     tickfont={"size": font_size})
    return _layout(fig, height=height or max(300, 28 * ranked.height + 100), font_size=font_size,
                   clickmode="event+select")


def leader_radar(leader_name: str, leader_scores: Mapping[str, float | None],
                 median: Mapping[str, float | None], scores: Sequence[str] = TEN_SCORES) -> go.Figure:
    """One leader's ten scores against the org median. A missing score (not enough data) is a gap in
    the line, never a point at 0."""
    labels = [SCORES[k] for k in scores]
    closed = [*labels, labels[0]]

    def values(source: Mapping[str, float | None]) -> list[float | None]:
        vals = [_number(source.get(k)) for k in scores]
        return [*vals, vals[0]]

    fig = go.Figure()
    fig.add_trace(go.Scatterpolar(r=values(leader_scores), theta=closed, name=chart_text(leader_name),
                                  fill="toself", fillcolor="rgba(31, 41, 55, 0.12)",
                                  line={"color": SCORE_COLOURS["overall"]},
                                  marker={"color": [score_colour(k) for k in [*scores, scores[0]]],
                                          "size": 9}))
    # the median over the leader's fill, so the fill never hides it
    fig.add_trace(go.Scatterpolar(r=values(median), theta=closed, name="Org median",
                                  line={"color": PACE_COLOUR, "dash": "dash", "width": 2}))
    fig.update_layout(polar={"radialaxis": {"range": [0, 100]}}, legend=LEGEND_ABOVE)
    # room around the circle for the score names at its rim (with the usual margins, the names at the
    # bottom were cut off)
    return _layout(fig, height=480).update_layout(margin={"l": 80, "r": 80, "t": 90, "b": 40})


def score_history(history: pl.DataFrame, scores: Sequence[str] | None = None) -> go.Figure:
    """Each score by quarter (``Scorecard.history()``), one line per score in its colour."""
    keys = [k for k in (scores or list(SCORES)) if k in history.columns]
    periods = [str(p) for p in history["period"].to_list()]
    fig = go.Figure()
    for key in keys:
        fig.add_trace(go.Scatter(
            x=periods, y=history[key].to_list(), name=SCORES[key], mode="lines+markers",
            connectgaps=False,  # a quarter without the score is a gap, never a point at 0
            line={"color": score_colour(key), "width": 4 if key == "overall" else 2},
            visible=True if key == "overall" or len(keys) <= 6 else "legendonly",
        ))
    # each entry's text as wide as the longest name ("Organization architect", about 102 px at 11 px),
    # so no name runs into the next entry's line: as many a row as the plot's width allows (one in the
    # Leader page's column at 1366 wide, three at 1920), and the figure tall enough for one a row
    # (the axis's title is left out: every score is 0-100 points)
    many = len(keys) > 2
    fig.update_yaxes(range=[0, 100], title_text=None if many else "points")
    legend = ({**LEGEND_ABOVE, "entrywidth": 104, "entrywidthmode": "pixels", "itemwidth": 30,
               "font": {"size": 11}}
              if many else LEGEND_ABOVE)
    return _layout(fig, height=320 + 19 * len(keys) if many else 340, legend=legend)


def explanation_bars(explanation: pl.DataFrame) -> go.Figure:
    """Points of each metric behind a score, bar width by weight, in the score's colour.

    ``explanation`` is ``Scorecard.explain()`` for one score; metrics without enough data are
    listed with no bar and their status in the hover. Each bar carries its metric key in
    ``customdata``: a click selects the metric, whose CRM rows the Leader page then lists.
    """
    order = {key: i for i, key in enumerate(SCORES)}
    frame = (explanation.with_columns(pl.col("score").replace_strict(order, default=99).alias("_order"))
             .sort(["_order", "weight"], descending=[False, True], nulls_last=True))
    colours = [score_colour(s) for s in frame["score"].to_list()]
    labels = frame["metric_label"].to_list()
    if frame["score"].n_unique() > 1:  # a metric can count in a role and in a SMART dimension
        labels = [f"{s} · {m}" for s, m in zip(frame["score_label"].to_list(), labels, strict=True)]
    fig = go.Figure(go.Bar(
        x=frame["points"].to_list(), y=labels, orientation="h",
        marker_color=colours, customdata=frame["metric"].to_list(),
        text=[("" if p is None else format.points(p)) for p in frame["points"].to_list()],
        textposition="outside", cliponaxis=False,
        hovertext=[f"weight {w or 0:g}, {format.label(s).lower()}" for w, s in  # a rubric weight (3, 2, 1)
                   zip(frame["weight"].to_list(), frame["status"].to_list(), strict=True)],
        hovertemplate="%{y}: %{x:.0f} points<br>%{hovertext}<br>click for the CRM rows behind it<extra></extra>",
        # the metric clicked stands out; the others stay legible
        unselected={"marker": {"opacity": 0.5}, "textfont": {"color": "#444444"}},
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 115], tickvals=[0, 25, 50, 75, 100], title_text="points")
    return _layout(fig, height=max(220, 40 * frame.height + 80), clickmode="event+select")


def attainment_against_pace(curve: pl.DataFrame, currency: str = "USD") -> go.Figure:
    """Won to date against the straight line to quota (``drilldown.attainment_curve``)."""
    won, pace = curve["won_to_date"].to_list(), curve["pace_to_date"].to_list()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["day"].to_list(), y=won, name="Won to date", mode="lines",
                             line={"color": AHEAD_COLOUR, "width": 3}, fill="tozeroy",
                             hovertext=[format.money_short(v, currency) for v in won],
                             hovertemplate="%{x|%d %b %Y}: %{hovertext} won<extra></extra>"))
    if curve["pace_to_date"].null_count() < curve.height:
        fig.add_trace(go.Scatter(x=curve["day"].to_list(), y=pace, name="Pace to quota", mode="lines",
                                 line={"color": PACE_COLOUR, "dash": "dash"},
                                 hovertext=[format.money_short(v, currency) for v in pace],
                                 hovertemplate="%{x|%d %b %Y}: %{hovertext} on pace<extra></extra>"))
    ticks, labels = money_ticks([*won, *pace], currency)
    fig.update_yaxes(tickvals=ticks, ticktext=labels, range=[0, ticks[-1] * 1.02 or 1], title_text=None)
    fig.update_xaxes(tickformat="%d %b")
    return _layout(fig, height=300, legend=LEGEND_ABOVE)


def _reference_line(fig: go.Figure, x: float, text: str) -> None:
    """A dashed vertical line across the bars, named above the plot (inside it, the name would sit on
    the top bar and its label)."""
    fig.add_vline(x=x, line_dash="dash", line_color=PACE_COLOUR)
    fig.add_annotation(x=x, xref="x", y=1, yref="paper", yanchor="bottom", xanchor="center", text=text,
                       showarrow=False, font={"color": PACE_COLOUR})


def team_attainment_bars(team: pl.DataFrame) -> go.Figure:
    """Each rep's attainment of the full quarter's quota against the share of the period elapsed
    (``drilldown.leader_team``: ``attainment_full_period``, ``expected_attainment``).

    Green when on pace or ahead, red when behind; a click opens the rep (``customdata``).
    """
    reps = team.filter(pl.col("attainment_full_period").is_not_null()).sort("attainment_full_period")
    names = _display_names(reps, "rep_name", "rep_id")
    pace = reps["expected_attainment"].to_list()
    values = reps["attainment_full_period"].to_list()
    colours = [AHEAD_COLOUR if (v or 0) >= (p or 0) else BEHIND_COLOUR
               for v, p in zip(values, pace, strict=True)]
    fig = go.Figure(go.Bar(x=values, y=names, orientation="h", marker_color=colours,
                           customdata=reps["rep_id"].to_list(), name="Attainment",
                           hovertemplate="%{y}: %{x:.0%} of quota<extra></extra>"))
    if reps.height:
        _reference_line(fig, pace[0] or 0, "pace today")
    fig.update_xaxes(tickformat=".0%", title_text="attainment (full quarter)")
    return _layout(fig, height=max(260, 26 * reps.height + 100), clickmode="event+select")


def rep_against_median(vs_team: pl.DataFrame) -> go.Figure:
    """The rep's metrics as a share of the team median (1 = the median), green when ahead."""
    rows = vs_team.filter(pl.col("rep").is_not_null() & pl.col("team_median").is_not_null()
                          & (pl.col("team_median") != 0))
    ratio = (rows["rep"] / rows["team_median"]).to_list()
    colours = [AHEAD_COLOUR if a else BEHIND_COLOUR for a in rows["ahead"].to_list()]
    fig = go.Figure(go.Bar(x=ratio, y=[chart_text(label) for label in rows["label"].to_list()], orientation="h",
                           marker_color=colours,
                           hovertemplate="%{y}: %{x:.2f}x the team median<extra></extra>"))
    _reference_line(fig, 1.0, "team median")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="rep / team median")
    return _layout(fig, height=max(260, 30 * rows.height + 80))


def org_sunburst(people: pl.DataFrame) -> go.Figure:
    """The visible org as a sunburst: each leader's ring holds their team (``org.org_people``)."""
    names = _display_names(people, "rep_name", "rep_id")
    fig = go.Figure(go.Sunburst(
        ids=people["rep_id"].to_list(), labels=names,
        parents=people["manager_id"].fill_null("").to_list(),
        hovertext=[chart_text(" · ".join(t for t in (format.label(r or "rep"), g or "") if t)) for r, g in
                   zip(people["role"].to_list(), people["region"].to_list(), strict=True)],
        hovertemplate="%{label}<br>%{hovertext}<extra></extra>", maxdepth=3,
    ))
    return _layout(fig, height=520)


# -- leaders side by side (the Compare page, ``scorecard.compare``) --------------------------------------

LEADER_COLOURS = ["#2563eb", "#ea580c", "#059669", "#9333ea", "#db2777", "#0891b2", "#65a30d", "#b45309",
                  "#475569", "#be123c", "#4f46e5", "#a16207"]
"""One colour per leader compared, twelve (the largest cohort of first-line leaders of the demo org; a
larger cohort reuses them in turn)."""
MISSING_FILL = "#e5e7eb"
"""A score without enough data: grey, with the words "no data", never a zero."""
_SCORE_GROUPS = (0.5, 5.5)
"""Between the overall score and the five roles, and between the roles and the five SMART dimensions
(positions on the axis of the eleven scores)."""


def leader_colour(position: int) -> str:
    return LEADER_COLOURS[position % len(LEADER_COLOURS)]


def comparison_heatmap(side: Comparison, *, font_size: int = 13, height: int | None = None) -> go.Figure:
    """The eleven scores (rows) of each leader compared (columns), 0-100 points as colour and text, with
    the org median as a last column when the comparison carries it. A score without enough data is a
    grey cell that says "no data", never a zero; a thin one says "thin". A click on a cell selects it,
    with ``[leader_id, score]`` in ``customdata`` (:func:`selected_cell`).

    The leaders' names head the columns level, on two lines when long (every one, a little smaller, for
    a cohort of more than five), so a cohort of twelve still reads at 1366 wide."""
    names = side.names
    columns = [chart_text(n) for n in names.values()]
    labels = list(SCORES.values())
    by_cell = {(r["leader_id"], r["score"]): r for r in side.scores.iter_rows(named=True)}
    z = [[_compared(by_cell.get((i, s))) for i in names] for s in SCORES]
    text = [[_compared_text(by_cell.get((i, s))) for i in names] for s in SCORES]
    if side.median:
        columns.append(MEDIAN_ROW)
        for row, (key, words) in enumerate(zip(SCORES, text, strict=True)):
            value = _number(side.median.get(key))
            z[row].append(value)
            words.append("" if value is None else format.points(value))
    # a score without data has no colour in a heatmap: a grey layer under it says "no data"
    gaps = [[1.0 if v is None else None for v in row] for row in z]
    fig = go.Figure(go.Heatmap(
        z=gaps, x=columns, y=labels, text=[["no data" if v is None else "" for v in row] for row in z],
        texttemplate="%{text}", textfont={"color": "#374151"}, hoverinfo="skip", showscale=False,
        colorscale=[[0.0, MISSING_FILL], [1.0, MISSING_FILL]], xgap=3, ygap=3, name="no data"))
    fig.add_trace(go.Heatmap(
        z=z, x=columns, y=labels, text=text, texttemplate="%{text}", hoverinfo="skip",
        colorscale=SCORE_SCALE, zmin=0, zmax=100, xgap=3, ygap=3, colorbar={"title": {"text": "points"}},
        name="points"))
    # heatmaps report no selection: an invisible square on every leader's cell makes it clickable
    cells = [(columns[c], labels[r], leader_id, key, by_cell.get((leader_id, key)))
             for c, leader_id in enumerate(names) for r, key in enumerate(SCORES)]
    fig.add_trace(go.Scatter(
        x=[c[0] for c in cells], y=[c[1] for c in cells], customdata=[[c[2], c[3]] for c in cells],
        mode="markers", marker={"symbol": "square", "size": 34, "color": "rgba(255,255,255,0.01)"},
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 1}},
        hovertext=[_compared_hover(c[4]) for c in cells], hovertemplate="%{x}<br>%{y}: %{hovertext}<extra></extra>",
        showlegend=False, name="scores"))
    for y in _SCORE_GROUPS:
        fig.add_shape(type="line", xref="paper", x0=0, x1=1, y0=y, y1=y, line={"color": "#ffffff", "width": 8})
    fig.update_yaxes(range=[len(labels) - 0.5, -0.5], tickfont={"size": font_size}, showgrid=False, zeroline=False,
                     categoryorder="array", categoryarray=labels, automargin=True)
    many = len(columns) > 6  # a cohort: every name on two lines, a little smaller, to stay level and apart
    fig.update_xaxes(range=[-0.5, len(columns) - 0.5], side="top", tickangle=0, showgrid=False, zeroline=False,
                     tickfont={"size": max(10, font_size - 2) if many else font_size}, categoryorder="array",
                     categoryarray=columns, automargin=True, tickvals=columns, ticks="",
                     ticktext=[_two_lines(c) if many or len(c) > 12 else c for c in columns])
    return _layout(fig, height=height or 40 * len(labels) + 120, font_size=font_size,
                   margin={"l": 10, "r": 10, "t": 60, "b": 10}, clickmode="event+select", plot_bgcolor="#ffffff")


def comparison_bars(side: Comparison, *, font_size: int = 13, height: int | None = None) -> go.Figure:
    """The eleven scores as horizontal bars grouped by score (the overall score on top, then the five
    roles, then the five SMART dimensions), one bar and one colour per leader, in the legend's order.

    Every label reads level: the scores' names beside their group, each bar's points at its end, where
    the bar is thick enough for them (with many leaders, in the hover only). A score without enough
    data is a hatched grey bar across the scale that says "no data" (never a bar at 0); a thin one is
    drawn paler and its hover says so. A click selects the bar, with ``[leader_id, score]`` in
    ``customdata``."""
    labels = list(SCORES.values())
    count = len(side.names)
    bar_px = 16 if count <= 5 else 8
    fig = go.Figure()
    for position, (leader_id, name) in enumerate(side.names.items()):
        rows = {r["score"]: r for r in side.scores.filter(pl.col("leader_id") == leader_id).iter_rows(named=True)}
        points = [_compared(rows.get(s)) for s in SCORES]
        missing = [p is None for p in points]
        thin = [(rows.get(s) or {}).get("status") == "thin coverage" for s in SCORES]
        colour = leader_colour(position)
        fig.add_trace(go.Bar(
            x=[100.0 if p is None else p for p in points], y=labels, orientation="h", name=chart_text(name),
            offsetgroup=str(position), customdata=[[leader_id, s] for s in SCORES],
            marker={"color": [MISSING_FILL if m else colour for m in missing],
                    "opacity": [1.0 if m else 0.45 if t else 1.0 for m, t in zip(missing, thin, strict=True)],
                    "pattern": {"shape": ["/" if m else "" for m in missing], "fgcolor": "#9ca3af"},
                    "line": {"color": colour, "width": 1}},
            text=["no data" if p is None else format.points(p) for p in points],
            textposition=["inside" if m else "outside" for m in missing], insidetextanchor="middle",
            textangle=0, cliponaxis=False, textfont={"color": ["#374151" if m else "#1f2937" for m in missing]},
            hovertext=[_compared_hover(rows.get(s)) for s in SCORES],
            hovertemplate=f"{chart_text(name)}<br>%{{y}}: %{{hovertext}}<extra></extra>",
        ))
    for y in _SCORE_GROUPS:
        fig.add_hline(y=y, line={"color": "#9ca3af", "width": 1, "dash": "dot"})
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=labels,
                     tickfont={"size": font_size}, automargin=True, ticks="")
    fig.update_xaxes(range=[0, 110], tickvals=[0, 20, 40, 60, 80, 100], title_text="points",
                     tickfont={"size": font_size}, showgrid=True, gridcolor="#eef0f3")
    group_px = count * bar_px / 0.8  # bargap 0.2: the bars take four fifths of a score's band
    return _layout(fig, height=height or round(len(labels) * max(36.0, group_px) + 110), font_size=font_size,
                   barmode="group", bargap=0.2, legend=LEGEND_ABOVE, clickmode="event+select",
                   uniformtext={"minsize": max(9, font_size - 3), "mode": "hide"},
                   margin={"l": 10, "r": 10, "t": 40, "b": 10}, plot_bgcolor="#ffffff")


def _compared(row: Mapping[str, Any] | None) -> float | None:
    """A compared score's points, None when it has none (not scored, or no row)."""
    return None if row is None else _number(row.get("points"))


def _compared_text(row: Mapping[str, Any] | None) -> str:
    points = _compared(row)
    if row is None or points is None:
        return ""  # the grey "no data" square carries the words
    return f"{format.points(points)} thin" if row["status"] == "thin coverage" else format.points(points)


def _compared_hover(row: Mapping[str, Any] | None) -> str:
    """``84 points, ▲ 4 vs the previous quarter<br>5 of 6 metrics, 90% of the weight``."""
    if row is None:
        return "no data"
    covered = chart_text(row.get("coverage") or "no metric weighted")
    points = _compared(row)
    if points is None:
        return f"not scored ({covered})"
    change = f", {format.change(row['change'])} vs the previous quarter" if _number(row.get("change")) is not None \
        else ""
    thin = " · thin coverage" if row["status"] == "thin coverage" else ""
    return f"{format.points(points)} points{change}<br>{covered}{thin}"
