"""The page furniture: pickers whose value lives in the URL, what a click on a chart or a table
selected, the CSV download, and the message a page stops with when the data it needs is not loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import polars as pl
import streamlit as st

from scorecard import format
from scorecard.access import Viewer
from scorecard.ui import cache, state, tables
from scorecard.ui.cache import PeriodChoice
from scorecard.ui.text import plain

# -- pickers whose value lives in the URL --------------------------------------------------------------


def choose(label: str, options: list[str], key: str, *, default: str | None = None,
           format_func: Callable[[str], str] = str, sidebar: bool = False,
           help: str | None = None, placeholder: str | None = None,
           unknown: Callable[[str], str] | None = None) -> str | None:
    """A selectbox whose value is the URL parameter ``key``, read again on every run.

    The URL is the view (``state``): a pasted link, the browser's Back and Forward and a page opened
    with parameters all set the selectbox, whatever it showed before. Picking a value writes it to
    the URL, one step in the browser's history; showing the default writes nothing, so opening a
    page adds no step. Returns the chosen option, or None when nothing is chosen.

    Without the parameter the selectbox shows ``default`` (the first option when there is none,
    nothing chosen when there is a ``placeholder``). A value that is not among ``options`` is said,
    never replaced silently (``unknown`` words the message): with a ``placeholder`` the selectbox
    shows nothing chosen and offers the options, otherwise it shows the default."""
    if not options:
        return None
    fallback = default if default in options else (None if placeholder else options[0])
    asked = state.param(key)
    value = asked if asked in options else None if asked is not None and placeholder else fallback
    widget = f"url_{key}"
    # The URL outranks what the selectbox showed before. Set on every run, even to the value it holds:
    # a selectbox drawn again after a run without it (the TV view, another page) would otherwise
    # show its first option while its state holds the URL's value.
    st.session_state[widget] = value
    where = st.sidebar if sidebar else st
    chosen: str | None = where.selectbox(
        label, options, index=None if placeholder else 0, format_func=format_func, key=widget, help=help,
        placeholder=placeholder, on_change=_write_choice, args=(key, widget))
    if asked is not None and asked not in options:
        where.warning(plain(unknown(asked) if unknown else
                            f"No {label.lower()} {asked} here: showing {format_func(value) if value else 'none'}."),
                      icon=":material/link_off:")
    return chosen


def _write_choice(key: str, widget: str) -> None:
    """A value picked in a selectbox of :func:`choose`: write it to the URL (as picked, the default too:
    a default such as the running quarter changes with the data, a link keeps what was picked)."""
    state.set_params(**{key: st.session_state.get(widget)})


def person_picker(label: str, frame: pl.DataFrame, key: str, *, id_col: str = "rep_id",
                  name_col: str = "rep_name", sidebar: bool = False, ask: bool = False,
                  among: str = "in your part of the organisation") -> str | None:
    """Pick a person by name; the chosen id lives in the URL parameter ``key`` (:func:`choose`).

    Without the parameter, the first person, or with ``ask`` no one: the page asks to pick. An id
    that is not in ``frame`` (unknown, or someone the viewer may not see) is said ("No leader NOPE
    in your part of the organisation"), no one is shown in their place, and the list is offered."""
    ids = frame[id_col].to_list()
    names = dict(zip(ids, frame[name_col].fill_null(frame[id_col]).to_list(), strict=True))
    noun = label.lower()
    picked = choose(label, ids, key, format_func=lambda i: f"{names.get(i, i)} ({i})", sidebar=sidebar,
                    default=None if ask else (ids[0] if ids else None), placeholder=f"Pick a {noun}",
                    unknown=lambda i: f"No {noun} {i} {among}: pick one from the list.")
    if picked is None and state.param(key) is None and ids:
        (st.sidebar if sidebar else st).info(f"Pick a {noun} from the list.", icon=":material/person_search:")
    return picked


def page_person(label: str, frame: pl.DataFrame, key: str, *, id_col: str = "rep_id",
                name_col: str = "rep_name") -> str | None:
    """The person a page is about (the Rep and Leader pages), a :func:`person_picker` in the URL
    parameter ``key``. Without it, the page asks whom to show when the viewer may see more than one
    person in ``frame`` (nothing is drawn in their place), and shows the only one otherwise (a rep or
    a first-line leader viewing themself)."""
    return person_picker(label, frame, key, id_col=id_col, name_col=name_col, ask=frame.height > 1)


def period_picker(choice: PeriodChoice, key: str = "period", *, sidebar: bool = False) -> str | None:
    """Pick a quarter (newest first, the quarter of the as-of date by default); the label lives in
    the URL parameter ``period``. The quarter that runs reads "2023Q4 (in progress)"."""
    default = choice.current if choice.current in choice.labels else None
    return choose("Period", choice.labels, key, default=default, sidebar=sidebar, format_func=choice.name,
                  unknown=lambda p: f"No period {p} in the data: showing {choice.name(default or choice.labels[0])}.")


def view_link(page: str, label: str, *, icon: str | None = None, where: Any = st, key: str | None = None,
              **params: object) -> None:
    """A link to a view: ``page`` showing ``params`` (its whole view), one step in the browser's history.

    To another page, a page link. To another view of the page it is on, a button that writes the URL:
    Streamlit's link to the page it is on changes the view but leaves the address as it was, so Back
    would skip the view and a copied address would not show it."""
    if state.current_page() == page:
        where.button(label, icon=icon, type="tertiary", key=key or f"view_link_{label}",
                     on_click=state.show_view, kwargs=params)
    else:
        where.page_link(state.script(page), label=label, icon=icon, query_params=state.query(**params))


def options(frame: pl.DataFrame, column: str) -> list[str]:
    """The distinct non-blank values of a column, as strings, sorted."""
    if column not in frame.columns:
        return []
    return sorted({str(v) for v in frame[column].drop_nulls().to_list() if str(v).strip()})


# -- what a click selected -------------------------------------------------------------------------

def selected_id(event: Any, kind: str = "points") -> str | None:
    """The id a click on a chart (``customdata``) selected, or None."""
    try:
        points = event.selection[kind] if kind != "points" else event.selection.points
    except (AttributeError, KeyError, TypeError):
        return None
    for point in points or []:
        data = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(data, list | tuple):
            data = data[0] if data else None
        if data:
            return str(data)
    return None


def clicked(widget: str, selected: str | None) -> str | None:
    """``selected`` (what the selection of the chart or table keyed ``widget`` names) when it is a new
    click, else None. A selection stays on the chart after its click, through Back too: counted on
    every run, an old click would set its view again over the URL's (Back would go nowhere). So a
    click that changes the view counts on the run it happens, never again. What counts is the widget's
    selection itself (row or point), not what it names: when the table's rows change under a selection
    that stays in place (another score), nothing was clicked."""
    memory = f"clicked_before_{widget}"
    selection = repr(st.session_state.get(widget))
    before = st.session_state.get(memory)
    st.session_state[memory] = selection
    return selected if selected is not None and selection != before else None


def selected_row(event: Any) -> int | None:
    """The row index a click on a dataframe selected, or None."""
    try:
        rows = event.selection.rows
    except AttributeError:
        return None
    return int(rows[0]) if rows else None


def selected_value(event: Any, frame: pl.DataFrame, column: str) -> str | None:
    """``column`` of the dataframe row a click selected, or None."""
    index = selected_row(event)
    if index is None or index >= frame.height:
        return None
    value = frame[column][index]
    return None if value is None else str(value)


# -- tables ---------------------------------------------------------------------------------------------

def table(frame: pl.DataFrame, key: str, *, order: list[str] | None = None,
          config: Mapping[str, Any] | None = None, select: bool = False,
          widths: Mapping[str, int] | None = None, row_height: int | None = None,
          height: Literal["auto", "content"] = "auto") -> Any:
    """A dataframe as every page shows one: each column headed and formatted from its name and type
    (``tables.columns``; ``config`` overrides), codes in words, a missing value as "–" (never "None"),
    no index. With ``select``, a click selects one row (the page reads it with :func:`selected_row`
    on the same ``frame``: the rows keep their order). ``widths``: pixels of some columns, their
    heading and format kept; ``row_height``: pixels a row (text wraps in rows taller than 64);
    ``height="content"``: every row shown, no scroll bar (``auto``: a scroll bar past about ten rows)."""
    shown, columns = tables.shown(frame, cache.currency())  # converted once per cached frame
    column_config = {**columns, **(config or {})}
    for name, width in (widths or {}).items():
        base = column_config.get(name)
        column_config[name] = ({**base, "width": width} if isinstance(base, Mapping)
                               else st.column_config.Column(base, width=width))
    return st.dataframe(shown, hide_index=True, key=key, column_order=order, column_config=column_config,
                        placeholder=format.MISSING, on_select="rerun" if select else "ignore",
                        selection_mode="single-row", row_height=row_height, height=height)


# -- downloads ------------------------------------------------------------------------------------------

def download_csv(frame: pl.DataFrame | bytes, file_name: str, key: str, label: str = "Download as CSV") -> None:
    """A download button for ``frame`` as CSV, every formula-looking cell neutralised
    (``scorecard.export``), or for the CSV already made of it (``export.csv_bytes``). The file is
    made when the button is pressed (Streamlit calls the function it is given then), never on a page
    run, and holds the rows of ``frame`` as this run has them: the viewer's. The tables' own export
    is switched off (``client.disableDataExport``) because it writes cells as they are."""
    from scorecard.export import csv_bytes

    def made() -> bytes:
        return frame if isinstance(frame, bytes) else csv_bytes(frame)

    st.download_button(label, data=made, file_name=file_name, mime="text/csv", key=key,
                       icon=":material/download:", on_click="ignore")


# -- empty or partial databases ----------------------------------------------------------------------

def _rows_per_extract() -> dict[str, int]:
    rows = cache.extract_rows()
    return dict(zip(rows["extract"].to_list(), rows["rows"].to_list(), strict=True))


def require_data(who: Viewer, needed: tuple[str, ...] = ("reps",)) -> None:
    """Stop the page with what to upload when the extracts it needs are empty."""
    counts = _rows_per_extract()
    missing = [name for name in needed if not counts.get(name)]
    if missing:
        st.info(
            "Nothing to show yet: upload the "
            + ", ".join(f"**{name}**" for name in missing)
            + " extract" + ("s" if len(missing) > 1 else "")
            + " (canonical CSV, Salesforce or HubSpot export) on the Upload page, or run"
            " `scorecard ingest FILE...`, or build the demo with `scorecard demo`.",
            icon=":material/upload_file:",
        )
        if who.can_upload and state.upload_page_exists():
            st.page_link(state.script("upload"), label="Go to Upload", icon=":material/upload:")
        st.stop()
    if not who.visible_reps:
        st.warning("Your login is not linked to anyone in the reps extract, so there is nothing to show."
                   " Ask sales ops to add your e-mail address to the reps extract.")
        st.stop()


def missing_optional(needed: tuple[str, ...]) -> list[str]:
    """The optional extracts among ``needed`` that are not loaded."""
    counts = _rows_per_extract()
    return [name for name in needed if not counts.get(name)]


# -- several values in one URL parameter ------------------------------------------------------------------

def choose_several(label: str, options: list[str], key: str, *, format_func: Callable[[str], str] = str,
                   max_selections: int | None = None, placeholder: str | None = None,
                   unknown: Callable[[list[str]], str] | None = None) -> list[str]:
    """A multiselect whose value is the URL parameter ``key`` (the values in order, separated by
    commas), read again on every run: :func:`choose` for several values, by the same rule.

    The URL is the view: a pasted link, Back and Forward set the multiselect, whatever it showed
    before; adding or removing a value writes the URL, one step in the browser's history. Values of
    the URL that are not among ``options`` are said (``unknown`` words the message) and left out of
    the multiselect, never replaced by others; beyond ``max_selections``, the first ones are shown.
    Returns the values shown."""
    asked = _url_list(state.param(key))
    value = [v for v in asked if v in options][:max_selections]
    widget = f"url_{key}"
    st.session_state[widget] = value  # the URL outranks what the multiselect showed before
    chosen: list[str] = st.multiselect(label, options, format_func=format_func, key=widget,
                                       max_selections=max_selections, placeholder=placeholder,
                                       on_change=_write_several, args=(key, widget))
    strangers = [v for v in asked if v not in options]
    if strangers:
        st.warning(plain(unknown(strangers) if unknown else
                         f"Not among the options here: {', '.join(strangers)}. Pick from the list."),
                   icon=":material/link_off:")
    return chosen


def _url_list(text: str | None) -> list[str]:
    """``"U0005,U0006"`` (as a URL parameter of :func:`choose_several` carries it) -> ``["U0005",
    "U0006"]``; blanks and repeats dropped."""
    return list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


def _write_several(key: str, widget: str) -> None:
    """Values picked in a multiselect of :func:`choose_several`: write them to the URL."""
    state.set_params(**{key: ",".join(st.session_state.get(widget) or []) or None})
