"""Helpers for the browser journeys: wait for Streamlit, click Plotly marks and dataframe rows."""

from __future__ import annotations

import time
from typing import Any

PAGE_TIMEOUT_MS = 45_000


def wait_for_text(page: Any, text: str, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until the page shows ``text``; text inside a dataframe counts too (its cells live in a
    hidden accessibility table beside the drawn grid, so presence is what is awaited)."""
    page.get_by_text(text, exact=False).first.wait_for(state="attached", timeout=timeout_ms)


def wait_for_path(page: Any, fragment: str, timeout_s: float = 20.0) -> str:
    """Wait until the URL contains ``fragment`` (Streamlit navigates with the history API)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        url = str(page.evaluate("() => window.location.href"))
        if fragment in url:
            return url
        time.sleep(0.2)
    url = page.evaluate("() => window.location.href")
    raise AssertionError(f"the URL never contained {fragment!r}; it is {url}")


def plot(page: Any, index: int = 0) -> Any:
    """The ``index``-th drawn Plotly chart on the page, scrolled into view."""
    chart = page.locator(".js-plotly-plot").nth(index)
    chart.locator(".nsewdrag").first.wait_for(timeout=PAGE_TIMEOUT_MS)
    chart.scroll_into_view_if_needed()
    return chart


def click_category(page: Any, chart: Any, x: str | None = None, y_index: int = 0,
                   x_value: float | None = None) -> None:
    """Click a Plotly mark: the cell in column ``x`` (category) or at ``x_value`` (number),
    row ``y_index`` of the y categories. Plotly only reports a click after a hover, so hover first."""
    rect = chart.bounding_box()
    px, py = chart.evaluate(
        """(gd, args) => {
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const x = args.x !== null ? xa.d2p(args.x) : xa.c2p(args.xv);
            return [xa._offset + x, ya._offset + ya.d2p(ya._categories[args.yi])];
        }""",
        {"x": x, "xv": x_value, "yi": y_index},
    )
    target_x, target_y = rect["x"] + px, rect["y"] + py
    page.mouse.move(target_x - 8, target_y - 8)
    page.mouse.move(target_x, target_y, steps=6)
    time.sleep(0.4)
    page.mouse.click(target_x, target_y)


def y_categories(chart: Any) -> list[str]:
    return list(chart.evaluate("(gd) => gd._fullLayout.yaxis._categories"))


def metric_value(page: Any, label: str) -> str:
    """The value shown by ``st.metric`` with this label."""
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return str(metric.locator("[data-testid='stMetricValue']").inner_text()).strip()


def click_bar(page: Any, chart: Any, index: int = 0) -> str:
    """Click the middle of the ``index``-th horizontal bar of a chart that has a length (a bar of zero,
    such as a rep with nothing won yet, has nothing to click); returns its category."""
    rect = chart.bounding_box()
    px, py, name = chart.evaluate(
        """(gd, i) => {
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, bar = gd.data[0];
            while (i < bar.x.length - 1 && !(bar.x[i] > 0)) i++;
            return [xa._offset + xa.c2p(bar.x[i] / 2), ya._offset + ya.d2p(bar.y[i]), bar.y[i]];
        }""",
        index,
    )
    target_x, target_y = rect["x"] + px, rect["y"] + py
    page.mouse.move(target_x - 8, target_y - 8)
    page.mouse.move(target_x, target_y, steps=6)
    time.sleep(0.4)
    page.mouse.click(target_x, target_y)
    return str(name)


def click_first_row(page: Any, grid: Any) -> None:
    """Click the selection cell of a dataframe's first row (header and rows are 35 px high)."""
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = grid.bounding_box()
    x, y = box["x"] + 20, box["y"] + 35 + 17
    page.mouse.move(x, y, steps=4)
    time.sleep(0.3)
    page.mouse.click(x, y)


# -- the view: rendered page, URL, chosen values -----------------------------------------------------

def wait_until_rendered(page: Any, heading: str | None = None, timeout_ms: int = PAGE_TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished the page's run (and, with ``heading``, shows that heading)."""
    page.wait_for_timeout(300)  # a run started by a click or Back flips the state a moment later
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=timeout_ms)
    if heading is not None:
        page.locator("[data-testid='stHeading']").filter(has_text=heading).first.wait_for(timeout=timeout_ms)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=timeout_ms)


def path_and_query(page: Any) -> str:
    """The URL without scheme and host: ``/leader?leader=U0005&period=2023Q4``."""
    return str(page.evaluate("() => window.location.pathname + window.location.search"))


def query(page: Any) -> dict[str, str]:
    """The URL's query parameters."""
    return dict(page.evaluate("() => Object.fromEntries(new URLSearchParams(window.location.search))"))


def selectbox(page: Any, label: str) -> Any:
    """The selectbox with this label."""
    return page.locator("[data-testid='stSelectbox']").filter(
        has=page.locator("[data-testid='stWidgetLabel']", has_text=label)).first


def chosen(page: Any, label: str) -> str:
    """The option a selectbox shows (empty when nothing is chosen)."""
    return str(selectbox(page, label).locator("input[role='combobox']").first.input_value())


def choose_option(page: Any, label: str, option: str) -> None:
    """Pick an option of a selectbox: type it (a long list shows only the options in view), then click it."""
    box = selectbox(page, label).locator("input[role='combobox']").first
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click()
