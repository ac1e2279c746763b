"""PDF packs of the scorecard: the board pack for a period and the 1:1 pack of one leader.

    >>> from scorecard.api import Scorecard
    >>> from scorecard import reports
    >>> card = Scorecard.open("data/scorecard.duckdb")
    >>> pdf = reports.board_pack(card, "2026Q3")            # bytes of a PDF
    >>> pdf = reports.one_on_one_pack(card, "U0005")         # the quarter of the as-of date

Every number comes from :class:`scorecard.api.Scorecard` (``leaders``, ``explain``,
``coaching_priorities``, ``history``, ``leader_team``, ``org_median``, ``switched_off``) and the
Rep page's open deals (``drilldown.open_deals_of_reps``): nothing is computed here, so a pack says
what the pages say. A pack holds what the card's viewer may see, and the data's as-of date is
printed on every page. The card passed in is the caller's (the app's, with the org's scores it
keeps); a pack reads it once, through one connection (:func:`board_facts`,
:func:`one_on_one_facts`), then lays the pages out.

Layout is ReportLab's (the text is real text: it can be searched and copied). Charts are the
Plotly figures of :mod:`scorecard.charts`, the ones the pages draw, rendered to vector PDF in a
headless Chromium (Debian's ``/usr/bin/chromium``; nothing is downloaded) a batch at a time
(:class:`ChartRenderer`) and laid onto the pages with pypdf. ``docs/reports.md`` says why these
libraries.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import io
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from xml.sax.saxutils import escape

import polars as pl

from scorecard import charts, format
from scorecard.as_of import format_as_of
from scorecard.metrics import DIMENSIONS, METRICS, ROLES, SCORE_DESCRIPTIONS, SCORES
from scorecard.scoring import SCORE_KEYS

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Flowable

    from scorecard.api import Scorecard
    from scorecard.calendar import Period

HEATMAP_ROWS_PER_PAGE = 24
"""Leaders per heatmap page of the board pack (a taller heatmap would not be legible on paper)."""
DEALS_AT_RISK_SHOWN = 25
"""Deals at risk listed in a 1:1 pack, most urgent first (the Rep page lists every one)."""
ROLE_KEYS: tuple[str, ...] = ("overall", *ROLES)


# -- charts: Plotly figures to vector PDF --------------------------------------------------------

_CHART_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<style>@page { margin: 0 } html, body { margin: 0; padding: 0 }
.chart { overflow: hidden; break-after: page } .chart:last-child { break-after: auto }
img { display: block }</style>
<script src="%(plotly)s"></script>
<script>
// Each chart becomes an SVG (Plotly.toImage, as kaleido draws a PDF) shown as an image on a page of
// its own; the page is then printed once for the whole batch. The figures arrive as data, never code.
window.drawCharts = async function (charts, width, height) {
  document.body.replaceChildren();
  const loaded = [];
  for (const chart of charts) {
    const svg = await Plotly.toImage(
      {data: chart.figure.data || [], layout: chart.figure.layout || {}, config: {}},
      {format: "svg", width: chart.width, height: chart.height});
    const page = document.createElement("div");
    page.className = "chart";
    page.style.width = width + "px";
    page.style.height = height + "px";
    const image = new Image(chart.width, chart.height);
    loaded.push(new Promise((resolve, reject) => {
      image.onload = resolve;
      image.onerror = () => reject(new Error("a chart's image did not load"));
    }));
    image.src = svg;
    page.appendChild(image);
    document.body.appendChild(page);
  }
  await Promise.all(loaded);
  return charts.length;
};
</script></head><body></body></html>
"""


PRINT_TEMPLATE = "plotly"
"""The Plotly template every printed chart is drawn with. A figure takes the process's default
template when it is made, and a process that has shown a page has Streamlit's (which fixes the
margins, cutting long names off the axes); a pack looks the same whichever process prints it."""


@cache
def _print_template() -> dict[str, Any]:
    """:data:`PRINT_TEMPLATE` as the data Plotly ships it in: read, not built as a validated object
    (building and copying a template object is most of a fresh process's first chart)."""
    from importlib.resources import files

    text = (files("plotly") / "package_data" / "templates" / f"{PRINT_TEMPLATE}.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


def _printable(fig: go.Figure) -> dict[str, Any]:
    """The figure as data for the chart page, drawn on :data:`PRINT_TEMPLATE` (the figure itself is
    left as it is)."""
    import plotly.io as pio

    printed = cast(dict[str, Any], json.loads(pio.to_json(fig, validate=False)))
    printed.setdefault("layout", {})["template"] = _print_template()
    return printed


@dataclass(frozen=True)
class RenderJob:
    """Charts being drawn (:meth:`ChartRenderer.submit`); :meth:`ChartRenderer.collect` waits for them."""

    future: Future[list[RenderedChart]]
    timeout: float


@dataclass(frozen=True)
class RenderedChart:
    """One chart as vector PDF: page ``page`` of ``document`` holds it in its top-left corner,
    ``width`` by ``height`` points (a batch of charts shares one document)."""

    document: bytes
    page: int
    width: float
    height: float


class ChartRenderer:
    """Plotly figures to vector PDF, many at a time, in one headless Chromium kept open.

    The browser (Debian's ``/usr/bin/chromium``, driven by choreographer, the browser driver kaleido is
    built on) opens one page that loads the plotly.js of the installed ``plotly`` package; nothing is
    downloaded. A figure is drawn as kaleido draws a PDF (Plotly's own SVG, shown as an image, printed
    by Chromium, so it stays vector with real text), but a whole batch of figures is drawn at once,
    each on a page of its own, and printed once: no page reload between two charts, which is most of
    what a chart costs through kaleido.

    Starting Chromium costs seconds: :meth:`start` begins it in the background, so a pack reads its
    numbers meanwhile, and the browser is kept for the next packs (one renderer per process,
    :func:`shared_renderer`). The browser runs on an event loop of its own thread, so the callers (the
    app's script threads, the command line, a notebook with its own loop) only wait for results, each
    with a timeout instead of hanging if the browser dies. One batch is drawn at a time.
    """

    def __init__(self, chromium: Path | None = None, timeout: float = 90.0, batch: int = 24) -> None:
        self.chromium = chromium
        self.timeout = timeout
        self.batch = batch
        self._state_lock = threading.Lock()
        self._drawing: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started: Future[Any] | None = None
        self._browser: Any = None
        self._tab: Any = None
        self._window: str | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    # -- the browser ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start Chromium in the background if it is not running (returns at once)."""
        with self._state_lock:
            if self._started is not None:
                return
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="chart-renderer", daemon=True)
            self._thread.start()
            self._started = asyncio.run_coroutine_threadsafe(self._open(), self._loop)

    async def _send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response: dict[str, Any] = await asyncio.wait_for(self._tab.send_command(method, params=params),
                                                          self.timeout)
        if "error" in response:
            raise RuntimeError(f"Chromium refused {method}: {response['error']}")
        details = response.get("result", {}).get("exceptionDetails")
        if details:
            raise RuntimeError(f"drawing the charts failed: {details.get('exception', {}).get('description')}")
        return response

    async def _open(self) -> None:
        import choreographer
        import plotly

        plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        self._folder = tempfile.TemporaryDirectory(prefix="scorecard-charts-")
        page = Path(self._folder.name) / "charts.html"
        page.write_text(_CHART_PAGE % {"plotly": plotly_js.as_uri()}, encoding="utf-8")
        try:
            self._browser = choreographer.Browser(path=str(self.chromium) if self.chromium else None, headless=True)
        except Exception as exc:  # noqa: BLE001 - choreographer's errors for a missing browser vary
            raise RuntimeError(f"the PDF charts need Chromium ({self.chromium or 'none found'}): {exc}; set"
                               " SCORECARD_CHROMIUM to a Chromium or Chrome") from exc
        await asyncio.wait_for(self._browser.open(), self.timeout)
        self._tab = self._browser.get_tab() or await self._browser.create_tab()
        await self._send("Page.navigate", {"url": page.as_uri()})
        waited = 0.0
        while True:  # the page is ready once plotly.js has run and drawCharts is defined
            ready = await self._send("Runtime.evaluate", {
                "expression": "typeof Plotly === 'object' && typeof drawCharts === 'function' ? window : null"})
            self._window = ready["result"]["result"].get("objectId")
            if self._window is not None:
                break
            if waited > self.timeout:
                raise RuntimeError(f"plotly.js did not load in Chromium from {plotly_js}")
            await asyncio.sleep(0.05)
            waited += 0.05

    async def _draw(self, charts: list[dict[str, Any]], width: int, height: int) -> bytes:
        await self._send("Runtime.callFunctionOn", {
            "functionDeclaration": "function (charts, width, height) { return drawCharts(charts, width, height); }",
            "objectId": self._window,
            "arguments": [{"value": charts}, {"value": width}, {"value": height}],
            "awaitPromise": True, "returnByValue": True,
        })
        printed = await self._send("Page.printToPDF", {
            "printBackground": True, "preferCSSPageSize": False, "paperWidth": width / 96,
            "paperHeight": height / 96, "marginTop": 0, "marginBottom": 0, "marginLeft": 0, "marginRight": 0,
        })
        return base64.b64decode(printed["result"]["data"])

    def submit(self, figures: Sequence[tuple[go.Figure, int, int]]) -> RenderJob:
        """Start drawing each (figure, width, height in CSS pixels) and return at once: the caller lays
        its pages out while Chromium draws; :meth:`collect` waits for the charts. Jobs are drawn one
        after the other, in the order they were submitted."""
        charts = [{"figure": _printable(fig), "width": w, "height": h} for fig, w, h in figures]
        if not charts:
            nothing: Future[list[RenderedChart]] = Future()
            nothing.set_result([])
            return RenderJob(nothing, 0.0)
        self.start()
        with self._state_lock:
            loop, started = self._loop, self._started
        assert loop is not None and started is not None
        batches = max(1, -(-len(charts) // self.batch))
        return RenderJob(asyncio.run_coroutine_threadsafe(self._draw_all(charts, started), loop),
                         self.timeout * (2 + batches))

    async def _draw_all(self, charts: list[dict[str, Any]], started: Future[Any]) -> list[RenderedChart]:
        await asyncio.wrap_future(started)
        if self._drawing is None:
            self._drawing = asyncio.Lock()
        out: list[RenderedChart] = []
        async with self._drawing:
            for first in range(0, len(charts), self.batch):
                part = charts[first:first + self.batch]
                width, height = max(c["width"] for c in part), max(c["height"] for c in part)
                document = await self._draw(part, width, height)
                out += [RenderedChart(document, n, c["width"] * 0.75, c["height"] * 0.75) for n, c in enumerate(part)]
        return out

    def collect(self, job: RenderJob) -> list[RenderedChart]:
        """The charts of a job, in the order they were given (waits for them)."""
        try:
            return job.future.result(job.timeout)
        except BaseException:
            self.close()  # a browser that failed once is not trusted with the next charts
            raise

    def render(self, figures: Sequence[tuple[go.Figure, int, int]]) -> list[RenderedChart]:
        """Each (figure, width, height in CSS pixels) as vector PDF, in the order given."""
        return self.collect(self.submit(figures)) if figures else []

    def close(self) -> None:
        with self._state_lock:
            loop, thread, started, browser = self._loop, self._thread, self._started, self._browser
            folder = self._folder
            self._loop = self._thread = self._started = self._browser = self._tab = self._window = None
            self._folder = self._drawing = None
        if loop is None:
            return
        if started is not None:
            with contextlib.suppress(BaseException):  # a browser that never opened
                started.result(self.timeout)
        if browser is not None:
            with contextlib.suppress(BaseException):  # a browser that already died
                asyncio.run_coroutine_threadsafe(browser.close(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10)
        if not loop.is_running():
            loop.close()
        if folder is not None:
            try:
                folder.cleanup()
            except OSError:  # Chromium still writing its profile as it exits (a loaded machine)
                time.sleep(0.5)
                shutil.rmtree(folder.name, ignore_errors=True)


_shared: ChartRenderer | None = None
_shared_lock = threading.Lock()


def shared_renderer() -> ChartRenderer:
    """The process's chart renderer (its Chromium is closed when the process exits)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            from scorecard.settings import get_settings

            _shared = ChartRenderer(chromium=get_settings().resolved_chromium())
            atexit.register(_shared.close)
        return _shared


# -- layout ---------------------------------------------------------------------------------------

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
_fonts_lock = threading.Lock()
_font_names: tuple[str, str] | None = None


def _fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu Sans from Debian's fonts-dejavu-core when present (names
    in any Latin, Greek or Cyrillic script), else the Bitstream Vera that ships with ReportLab."""
    global _font_names
    with _fonts_lock:
        if _font_names is None:
            import reportlab
            from reportlab.pdfbase import pdfmetrics
            from reportlab.pdfbase.ttfonts import TTFont

            bundled = Path(reportlab.__file__).parent / "fonts"
            candidates = [(d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf") for d in _FONT_DIRS]
            candidates.append((bundled / "Vera.ttf", bundled / "VeraBd.ttf"))
            regular, bold = next((r, b) for r, b in candidates if r.is_file() and b.is_file())
            pdfmetrics.registerFont(TTFont("PackSans", str(regular)))
            pdfmetrics.registerFont(TTFont("PackSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("PackSans", normal="PackSans", bold="PackSans-Bold",
                                          italic="PackSans", boldItalic="PackSans-Bold")
            _font_names = ("PackSans", "PackSans-Bold")
        return _font_names


@dataclass
class _Styles:
    body: Any
    small: Any
    title: Any
    heading: Any
    subheading: Any
    cell: Any
    cell_bold: Any


def _styles() -> _Styles:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _fonts()
    ink = colors.HexColor("#1f2937")
    grey = colors.HexColor("#4b5563")
    return _Styles(
        body=ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, textColor=ink, spaceAfter=4),
        small=ParagraphStyle("small", fontName=regular, fontSize=8, leading=10.5, textColor=grey, spaceAfter=3),
        title=ParagraphStyle("title", fontName=bold, fontSize=20, leading=25, textColor=ink, spaceAfter=6),
        heading=ParagraphStyle("heading", fontName=bold, fontSize=14, leading=18, textColor=ink, spaceBefore=4,
                               spaceAfter=6),
        subheading=ParagraphStyle("subheading", fontName=bold, fontSize=11, leading=14, textColor=ink,
                                  spaceBefore=6, spaceAfter=4),
        cell=ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10, textColor=ink),
        cell_bold=ParagraphStyle("cell_bold", fontName=bold, fontSize=8, leading=10, textColor=ink),
    )


def _p(text: object, style: Any) -> Any:
    """A paragraph of plain text: CRM text is data, so ``<``, ``&`` and the like are printed as they are,
    never read as ReportLab's markup."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape("" if text is None else str(text)), style)


def _cell(value: object, style: Any, width: float) -> Any:
    """A table cell of plain text: a string when it fits on one line (ReportLab draws a string cell as it
    is, never reading it as markup, and lays it out far faster than a paragraph), else a paragraph that
    wraps (escaped, :func:`_p`)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = "" if value is None else str(value)
    if "\n" not in text and stringWidth(text, style.fontName, style.fontSize) <= width:
        return text
    return _p(text, style)


_CELL_PADDING = 4.0


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float], st: _Styles) -> Any:
    """A table with a header row; every cell is plain text (wrapped when long)."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    room = [w - 2 * _CELL_PADDING for w in widths]
    data = [[_cell(h, st.cell_bold, w) for h, w in zip(header, room, strict=True)]]
    data += [[_cell(v, st.cell, w) for v, w in zip(row, room, strict=True)] for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), st.cell_bold.fontName, st.cell_bold.fontSize, st.cell_bold.leading),
        ("FONT", (0, 1), (-1, -1), st.cell.fontName, st.cell.fontSize, st.cell.leading),
        ("TEXTCOLOR", (0, 0), (-1, -1), st.cell.textColor),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#9ca3af")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f9fafb")]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PADDING),
    ]))
    return table


@dataclass
class _Slot:
    figure: Any
    width_px: int
    height_px: int
    page: int = 0
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


def _chart_slot(slots: list[_Slot], figure: go.Figure, width: float, height: float,
                min_height: float | None = None) -> Flowable:
    """Room on the page for a chart: ReportLab lays it out and records where it landed; the chart's
    vector PDF is drawn there afterwards (:func:`_stamp_charts`). With ``min_height``, the chart
    shrinks to the room left on the page down to that height before it moves to the next page."""
    from reportlab.platypus import Flowable

    slot = _Slot(figure, int(width * 4 / 3), int(height * 4 / 3))  # points to CSS pixels (96 per inch)
    slots.append(slot)

    class ChartSlot(Flowable):
        def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
            fits = min_height is not None and min_height <= available_height < height
            self.height_used = available_height - 1 if fits else height
            return width, self.height_used

        def draw(self) -> None:
            x, y = self.canv.absolutePosition(0, 0)
            slot.page = self.canv.getPageNumber()
            slot.box = (x, y, width, self.height_used)
            slot.height_px = int(self.height_used * 4 / 3)

    return ChartSlot()


def _stamp_charts(document: bytes, slots: Sequence[_Slot], charts: Sequence[RenderedChart]) -> bytes:
    """Draw each chart into the room its slot kept, scaled to fit, keeping it vector.

    Each chart becomes a form (a PDF XObject: its own drawing with its own fonts, clipped to the chart)
    that the pack's page draws where the slot is; the fonts a batch of charts shares are copied once.
    Nothing of either page's drawing is parsed or rewritten, so a chart costs the same on a page of
    any length."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject
    from pypdf.generic import ContentStream as Content

    if not slots:
        return document
    writer = PdfWriter(clone_from=io.BytesIO(document))
    sources: dict[int, PdfReader] = {}
    drawn: dict[int, list[str]] = {}
    for number, (slot, chart) in enumerate(zip(slots, charts, strict=True)):
        source = sources.setdefault(id(chart.document), PdfReader(io.BytesIO(chart.document))).pages[chart.page]
        top = float(source.mediabox.top)
        content = source.get_contents()
        if content is None:
            continue
        drawing = Content(None, writer)
        drawing.set_data(content.get_data())
        form = drawing.flate_encode()
        form.update({
            NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(FloatObject(v) for v in (0, top - chart.height, chart.width, top)),
            NameObject("/Resources"): source["/Resources"].clone(writer),
        })
        name = f"/PackChart{number}"
        page = writer.pages[slot.page - 1]
        resources = cast(DictionaryObject, page["/Resources"].get_object())
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        forms = cast(DictionaryObject, resources["/XObject"].get_object())
        forms[NameObject(name)] = writer._add_object(form)  # a stream is an indirect object of its own
        x, y, w, h = slot.box
        scale = min(w / chart.width, h / chart.height)
        drawn.setdefault(slot.page, []).append(
            f"q {scale:.6f} 0 0 {scale:.6f} {x:.3f} {y + h - top * scale:.3f} cm {name} Do Q")
    for number, operations in drawn.items():
        page = writer.pages[number - 1]
        content = page.get_contents()
        original = content.get_data() if content is not None else b""
        stream = Content(None, writer)
        stream.set_data(b"q\n" + original + b"\nQ\n" + "\n".join(operations).encode() + b"\n")
        page.replace_contents(stream.flate_encode())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@dataclass
class _Document:
    """A pack being written: its title for the running header, its as-of line for every footer."""

    kind: str
    heading: str
    as_of: str
    styles: _Styles = field(default_factory=_styles)
    story: list[Any] = field(default_factory=list)
    slots: list[_Slot] = field(default_factory=list)

    def text(self, value: object, style: str = "body") -> None:
        self.story.append(_p(value, getattr(self.styles, style)))

    def chart(self, figure: go.Figure, width: float, height: float, min_height: float | None = None) -> None:
        self.story.append(_chart_slot(self.slots, figure, width, height, min_height))

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float]) -> None:
        self.story.append(_table(header, rows, widths, self.styles))

    def space(self, points: float = 6) -> None:
        from reportlab.platypus import Spacer

        self.story.append(Spacer(1, points))

    def page_break(self) -> None:
        from reportlab.platypus import PageBreak

        self.story.append(PageBreak())

    def keep(self, items: Callable[[], None]) -> None:
        """Keep what ``items`` adds on one page."""
        from reportlab.platypus import KeepTogether

        start = len(self.story)
        items()
        block = self.story[start:]
        del self.story[start:]
        self.story.append(KeepTogether(block))

    def build(self, renderer: ChartRenderer | None) -> bytes:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import mm
        from reportlab.platypus import SimpleDocTemplate

        regular, bold = _fonts()

        def furniture(canvas: Canvas, doc: Any) -> None:
            width, height = doc.pagesize
            canvas.saveState()
            canvas.setFont(bold, 8)
            canvas.setFillColor(colors.HexColor("#4b5563"))
            canvas.drawString(doc.leftMargin, height - 10 * mm, f"Sales-leadership scorecard · {self.kind}")
            canvas.setFont(regular, 8)
            canvas.drawRightString(width - doc.rightMargin, height - 10 * mm, self.heading)
            canvas.drawString(doc.leftMargin, 8 * mm, self.as_of)
            canvas.drawRightString(width - doc.rightMargin, 8 * mm, f"page {doc.page}")
            canvas.setStrokeColor(colors.HexColor("#d1d5db"))
            canvas.line(doc.leftMargin, height - 11.5 * mm, width - doc.rightMargin, height - 11.5 * mm)
            canvas.restoreState()

        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=14 * mm, rightMargin=14 * mm,
                                topMargin=16 * mm, bottomMargin=14 * mm, title=f"{self.kind}: {self.heading}",
                                author="Sales-leadership scorecard", subject=self.as_of,
                                creator="Sales-leadership scorecard")
        renderer = renderer or shared_renderer()
        asked = [(s.width_px, s.height_px) for s in self.slots]
        job = renderer.submit([(s.figure, s.width_px, s.height_px) for s in self.slots])  # drawn during the layout
        doc.build(self.story, onFirstPage=furniture, onLaterPages=furniture)
        drawn = renderer.collect(job)
        resized = [n for n, (s, size) in enumerate(zip(self.slots, asked, strict=True))
                   if (s.width_px, s.height_px) != size]  # a chart that shrank to the room left on its page
        for n, chart in zip(resized, renderer.render([(self.slots[n].figure, self.slots[n].width_px,
                                                       self.slots[n].height_px) for n in resized]), strict=True):
            drawn[n] = chart
        placed = [(s, c) for s, c in zip(self.slots, drawn, strict=True) if s.page]
        return _stamp_charts(buffer.getvalue(), [s for s, _ in placed], [c for _, c in placed])

    @property
    def width(self) -> float:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import mm

        return float(landscape(A4)[0] - 28 * mm)


# -- formatting -----------------------------------------------------------------------------------

def change(value: float | None) -> str:
    """Against the previous period, as the packs and e-mails print it: ``+4``, ``-2``, ``0``; ``new``
    when there is nothing to compare with (the pages draw arrows, which the PDF's fonts lack)."""
    return format.delta(value) or "new"


def _name(row: dict[str, Any], name: str = "leader_name", key: str = "leader_id") -> str:
    return str(row.get(name) or row.get(key) or "")


# -- what a pack says -----------------------------------------------------------------------------

def _period_line(period: Period, status: str) -> str:
    line = f"{period.label}, {format.day(period.start)} to {format.day(period.end)} ({status})."
    if status != "complete":
        line += (" Scores measure the quarter up to the as-of date; each change is against the previous"
                 " quarter at the same share elapsed.")
    return line


def _scores_rows(row: dict[str, Any], keys: Sequence[str]) -> list[list[object]]:
    return [[SCORES[k], format.points(row.get(k)), change(row.get(f"{k}_change")),
             format.share(row.get(f"{k}_coverage"))]
            for k in keys]


def _top_metrics(explanation: pl.DataFrame, n: int) -> pl.DataFrame:
    """The metrics that weigh most in the overall score (the five roles' metrics), scored ones first."""
    return (explanation.filter(pl.col("score").is_in(list(ROLES)))
            .sort(["effective_weight", "weight"], descending=True, nulls_last=True).head(n))


def _explanation_rows(frame: pl.DataFrame) -> list[list[object]]:
    status_words = {"scored": "scored", "not_enough_data": "not enough data", "switched_off": "switched off"}
    rows: list[list[object]] = []
    for r in frame.iter_rows(named=True):
        status = status_words.get(r["status"], r["status"])
        reason = r.get("reason") or ""
        why = status if r["status"] == "scored" or not reason else (
            reason if reason.startswith(status) else f"{status}: {reason}")
        rows.append([r["score_label"], r["metric_label"], format.value(r["value"], r["unit"]),
                     format.points(r["points"]),
                     format.share(r.get("effective_weight")), why])
    return rows


def _priority_rows(priorities: pl.DataFrame) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in priorities.iter_rows(named=True):
        unit = METRICS[r["metric"]].unit if r["metric"] in METRICS else ""
        rows.append([r["metric_label"], format.value(r["value"], unit), format.value(r["target"], unit),
                     f"+{r['gain']:.1f}"])
    return rows


def _history_keys() -> list[str]:
    return list(ROLE_KEYS)


def _history_rows(history: pl.DataFrame) -> list[list[object]]:
    """The overall and role scores by quarter (``Scorecard.history``), a quarter in progress marked."""
    return [[r["period"] + (" (to date)" if r["in_progress"] else ""), *[format.points(r.get(k)) for k in ROLE_KEYS]]
            for r in history.iter_rows(named=True)]


def _on_paper(figure: go.Figure) -> go.Figure:
    """A page's chart for paper: the invisible click targets the Scorecard page lays over the heatmap's
    cells are left out (nothing is clicked on paper, and each one would be drawn)."""
    figure.data = tuple(t for t in figure.data
                        if not (t.type == "scatter" and t.marker.opacity is not None and t.marker.opacity < 0.05))
    return figure


def as_of_line(card: Scorecard) -> str:
    """"Data as of 20 May 2026": the data's as-of date, or the date the card was opened at (``--as-of``);
    never the machine's clock."""
    return format_as_of(card.today if card.data_as_of() is not None else None)


# -- reading the card once --------------------------------------------------------------------------

_HISTORY_SCHEMA: dict[str, Any] = {"period": pl.String, "period_start": pl.Date,
                                   **dict.fromkeys(SCORE_KEYS, pl.Float64), "in_progress": pl.Boolean,
                                   "coverage": pl.String}


def score_histories(card: Scorecard, period: str | Period | None = None,
                    quarters: int = 8) -> dict[str, pl.DataFrame]:
    """``Scorecard.history`` of every leader the card's viewer may see, in one pass: each quarter is
    read once for all of them (the last ``quarters`` quarters ending with ``period``, those with
    data). Leader id -> the frame ``Scorecard.history`` gives for that leader."""
    last = card.period(period)
    fiscal = card.settings.fiscal_year_start_month
    with_data = {p.label for p in card.periods()}
    frames = []
    for back in range(quarters - 1, -1, -1):
        p = last.shifted(-back, fiscal)
        if p.label not in with_data:
            continue
        result = card.scored(p)
        assert result.coverage is not None
        words = result.coverage.filter(pl.col("score") == "overall").select("leader_id", "coverage")
        frames.append(result.scores.join(words, on="leader_id", how="left").select(
            "leader_id", pl.lit(p.label).alias("period"), pl.lit(p.start).alias("period_start"), *SCORE_KEYS,
            pl.lit(result.in_progress).alias("in_progress"), pl.col("coverage").cast(pl.String)))
    if not frames:
        return {}
    every = pl.concat(frames)
    return {str(key[0]): part.drop("leader_id").cast(_HISTORY_SCHEMA)  # type: ignore[arg-type]
            for key, part in every.partition_by("leader_id", as_dict=True, maintain_order=True).items()}


def _no_history() -> pl.DataFrame:
    return pl.DataFrame(schema=_HISTORY_SCHEMA)


@dataclass(frozen=True)
class LeaderFacts:
    """What a pack says of one leader, read once: their row of ``Scorecard.leaders``, every metric
    behind their scores (``Scorecard.explain``), their coaching priorities and their score history."""

    row: dict[str, Any]
    explanation: pl.DataFrame
    priorities: pl.DataFrame
    history: pl.DataFrame

    @property
    def leader_id(self) -> str:
        return str(self.row["leader_id"])

    @property
    def name(self) -> str:
        return _name(self.row)


def _leader_facts(card: Scorecard, row: dict[str, Any], period: Period,
                  histories: dict[str, pl.DataFrame]) -> LeaderFacts:
    leader_id = row["leader_id"]
    return LeaderFacts(row, card.explain(leader_id, period), card.coaching_priorities(leader_id, period),
                       histories.get(leader_id, _no_history()))


def _every_leaders_facts(card: Scorecard, leaders: pl.DataFrame, period: Period,
                         histories: dict[str, pl.DataFrame]) -> list[LeaderFacts]:
    """:func:`_leader_facts` of many leaders: what ``Scorecard.explain`` and
    ``Scorecard.coaching_priorities`` give, by the same functions, on the period's scores read once
    and split by leader."""
    from scorecard.explain import explanation
    from scorecard.scoring import coaching_priorities

    scored, rubric = card.scored(period), card.rubric
    assert scored.coverage is not None
    assessed = scored.assessed.partition_by("leader_id", as_dict=True)
    coverage = scored.coverage.partition_by("leader_id", as_dict=True)
    out = []
    for row in leaders.iter_rows(named=True):
        leader_id = row["leader_id"]
        mine = assessed.get((leader_id,), scored.assessed.clear())
        covered = coverage.get((leader_id,), scored.coverage.clear())
        out.append(LeaderFacts(row, explanation(mine, rubric, leader_id, None, covered),
                               coaching_priorities(mine, leader_id, rubric), histories.get(leader_id, _no_history())))
    return out


@dataclass(frozen=True)
class OneOnOneFacts:
    """Everything a leader's 1:1 pack (and their weekly digest) says, read once."""

    period: Period
    today: date
    """The as-of date the pack measures at."""
    status: str
    """``Scorecard.period_status``: "complete", or how much of the period is measured."""
    as_of: str
    period_line: str
    currency: str
    leader: LeaderFacts
    team: pl.DataFrame
    deals: pl.DataFrame
    """The deals at risk of the reps who report to the leader directly, most urgent first (``deals_at_risk``)."""


def one_on_one_facts(card: Scorecard, leader_id: str, period: str | Period | None = None) -> OneOnOneFacts:
    """The numbers of a leader's 1:1 pack, from the card, on one connection. Raises ``KeyError`` when
    the card's viewer may not see the leader."""
    with card.held() as held:
        target = held.period(period)
        found = held.leaders(target).filter(pl.col("leader_id") == leader_id)
        if found.is_empty():
            raise KeyError(f"no leader {leader_id!r} among the leaders this viewer may see")
        history = held.history(leader_id, period=target)
        leader = _leader_facts(held, found.row(0, named=True), target, {leader_id: history})
        team = held.leader_team(leader_id, target)
        status = held.period_status(target)
        return OneOnOneFacts(target, held.today, status, as_of_line(held), _period_line(target, status),
                             held.settings.reporting_currency, leader, team,
                             deals_at_risk(held, leader_id, target, team=team))


@dataclass(frozen=True)
class BoardFacts:
    """Everything the board pack says, read once."""

    period: Period
    as_of: str
    period_line: str
    leaders: pl.DataFrame
    median: dict[str, float]
    pages: list[LeaderFacts]
    switched_off: pl.DataFrame
    coverage_thin_below: float


def board_facts(card: Scorecard, period: str | Period | None = None) -> BoardFacts:
    """The numbers of the board pack for what the card's viewer may see, on one connection; each
    quarter of the score histories is read once for every leader."""
    with card.held() as held:
        target = held.period(period)
        leaders = held.leaders(target)
        histories = score_histories(held, target)
        pages = _every_leaders_facts(held, leaders, target, histories)
        return BoardFacts(target, as_of_line(held), _period_line(target, held.period_status(target)), leaders,
                          held.org_median(target),
                          pages, held.switched_off(target), held.rubric.coverage.thin_below)


_DEALS_SCHEMA: dict[str, Any] = {"rep_id": pl.String, "rep_name": pl.String, "opportunity_id": pl.String,
                                 "account": pl.String, "stage": pl.String, "amount": pl.Float64,
                                 "close_date": pl.Date, "risk_flags": pl.String, "risk_reasons": pl.String}


def deals_at_risk(card: Scorecard, leader_id: str, period: str | Period | None = None, *,
                  team: pl.DataFrame | None = None) -> pl.DataFrame:
    """The open deals with a risk flag (the Rep page's deals, ``drilldown.open_deals``) of the reps who
    report to the leader directly, most urgent first (``drilldown.most_urgent_first``): rep_id,
    rep_name, opportunity_id, account, stage, amount, close_date, risk_flags, risk_reasons (why, in
    words). Members who lead teams are left out: their deals are in their own pack. ``team`` is
    ``Scorecard.leader_team`` when the caller has it already."""
    from scorecard import drilldown

    with card.held() as held:
        members = team if team is not None else held.leader_team(leader_id, period)
        direct = members.filter((pl.col("depth") == 1) & ~pl.col("leads_team"))
        names = {r["rep_id"]: _name(r, "rep_name", "rep_id") for r in direct.iter_rows(named=True)}
        rows: list[dict[str, Any]] = []
        if names:
            with held.store.reader() as con:
                deals = drilldown.open_deals_of_reps(con, list(names), held.viewer.visible_reps, held.today)
            for d in drilldown.at_risk(deals).iter_rows(named=True):
                rows.append({"rep_id": d["owner_rep_id"], "rep_name": names[d["owner_rep_id"]],
                             "opportunity_id": d["opportunity_id"],
                             "account": d.get("account_name") or d["opportunity_id"],
                             "stage": d.get("stage") or "", "amount": d.get("amount"),
                             "close_date": d.get("close_date"), "risk_flags": d.get("risk_flags") or "",
                             "risk_reasons": d.get("risk_reasons") or ""})
    return pl.DataFrame(rows, schema=_DEALS_SCHEMA)


# -- the packs ----------------------------------------------------------------------------------------

_HISTORY_HEADINGS = {"organization_architect": "Org architect"}
"""Role names in the narrow columns of a leader's score history (every other role name fits as it is)."""
_ROLE_SHORT = {"company_leader": "Company", "customer_champion": "Customer", "process_guru": "Process",
               "organization_architect": "Org architect", "course_corrector": "Course"}


def board_pack(card: Scorecard, period: str | Period | None = None, *,
               renderer: ChartRenderer | None = None) -> bytes:
    """The board pack of a period (default: the quarter of the as-of date) for the card's viewer:
    the scorecard (ranking with changes, heatmap, org median), one page per leader the viewer may
    see (scores with coverage, the explanation's top metrics, coaching priorities, score history),
    the methodology in brief and the data's as-of date on every page. Returns the PDF's bytes.

    ``card`` is an open :class:`scorecard.api.Scorecard` (the app passes its cached one, so the
    org's scores are not computed again); Chromium starts while the numbers are read."""
    renderer = renderer or shared_renderer()
    renderer.start()
    facts = board_facts(card, period)
    return _board_document(facts).build(renderer)


def _board_document(facts: BoardFacts) -> _Document:
    target, leaders, median = facts.period, facts.leaders, facts.median
    doc = _Document("Board pack", target.label, facts.as_of)

    doc.text(f"Sales-leadership scorecard: {target.label}", "title")
    doc.text(facts.as_of + " (what \"today\" means in this pack: periods, pace and stalled deals are measured at"
             " this date).")
    doc.text(facts.period_line)
    doc.text(f"{leaders.height} leaders in view. Org median overall score: {format.points(median.get('overall'))}."
             " Scores run 0-100; a blank (–) means not enough data, never zero.")
    thin = leaders.filter(pl.col("thin_coverage"))
    if thin.height:
        doc.text(f"{thin.height} leaders are scored on little of the weight (thin coverage): they are listed"
                 " after the others, without a rank.", "small")
    movers = leaders.filter(pl.col("overall_change").is_not_null()).sort("overall_change")
    if movers.height:
        down, up = movers.row(0, named=True), movers.row(-1, named=True)
        doc.text(f"Biggest fall: {_name(down)} ({change(down['overall_change'])} points). Biggest rise:"
                 f" {_name(up)} ({change(up['overall_change'])} points).")

    doc.text("Ranking", "heading")
    rank_rows: list[list[object]] = []
    rank = 0
    for r in leaders.iter_rows(named=True):
        rank += 0 if r["thin_coverage"] else 1
        rank_rows.append([
            "" if r["thin_coverage"] else str(rank), _name(r), format.points(r["overall"]), change(r["overall_change"]),
            *[format.points(r[k]) for k in ROLES], r.get("coverage") or "–" + (" (thin)" if r["thin_coverage"] else ""),
        ])
    rank_rows.append(["", "Org median", format.points(median.get("overall")), "",
                      *[format.points(median.get(k)) for k in ROLES],
                      ""])
    doc.table(["#", "Leader", "Overall", "Change", *[_ROLE_SHORT[k] for k in ROLES], "Overall scored on"],
              rank_rows, [22, 120, 46, 44, 52, 52, 52, 62, 52, 200])
    doc.text("Change: against the previous quarter (at the same share elapsed while this one runs), in points."
             " Company, Customer, Process, Org architect and Course are the five CSO roles (HBR R0607K); the"
             " overall score is their mean.", "small")

    for start in range(0, leaders.height, HEATMAP_ROWS_PER_PAGE):
        chunk = leaders.slice(start, HEATMAP_ROWS_PER_PAGE)
        last = start + HEATMAP_ROWS_PER_PAGE >= leaders.height
        doc.page_break()
        part = "" if leaders.height <= HEATMAP_ROWS_PER_PAGE else f" ({start + 1}-{start + chunk.height})"
        doc.text(f"The five CSO roles and SMART{part}", "heading")
        rows = chunk.height + (1 if last else 0)
        height = min(440.0, 30.0 + 17.0 * rows + 60)
        doc.chart(_on_paper(charts.score_heatmap(chunk, median=median if last else None, font_size=11, change=True)),
                  doc.width, height)

    doc.page_break()
    doc.text("Ranking by overall score", "heading")
    ranked = leaders.filter(pl.col("overall").is_not_null())
    doc.chart(charts.ranking_bars(ranked.head(40), font_size=11), doc.width,
              min(440.0, 60 + 12.0 * min(40, ranked.height)))
    if ranked.height > 40:
        doc.text(f"The 40 highest of {ranked.height}; the ranking table above lists everyone.", "small")

    for leader in facts.pages:
        doc.page_break()
        _leader_page(doc, leader)

    doc.page_break()
    _methodology(doc, facts)
    return doc


def _leader_page(doc: _Document, leader: LeaderFacts) -> None:
    """One leader of the board pack: scores with coverage, top metrics, priorities, history."""
    from reportlab.platypus import Table, TableStyle

    row = leader.row
    st = doc.styles
    doc.text(f"{leader.name} ({leader.leader_id})", "heading")
    level = row.get("level")
    doc.text(" · ".join(p for p in (f"level {level}" if level is not None else "", row.get("region") or "",
                                    f"team of {row.get('team_size') or 0}",
                                    f"overall scored on {row.get('coverage') or 'no metric'}") if p))
    if row.get("thin_coverage"):
        doc.text("Thin coverage: the data lacks what most of this leader's metrics need, so the score is not"
                 " ranked as if complete.", "small")
    left: list[Any] = [_table(["Score", "Points", "Change", "Weight scored"], _scores_rows(row, list(SCORES)),
                              [110, 42, 42, 62], st)]
    left.append(_p("Score history by quarter", st.subheading))
    if leader.history.height:
        left.append(_table(["Quarter", "Overall", *[_HISTORY_HEADINGS.get(k, SCORES[k]) for k in ROLES]],
                           _history_rows(leader.history), [50, 42, *[52] * len(ROLES)], st))
    else:
        left.append(_p("No quarter with data.", st.small))
    top = _top_metrics(leader.explanation, 6)
    right: list[Any] = [_p("What weighs most in the overall score", st.subheading),
                        _table(["Role", "Metric", "Value", "Points", "Share of role", "Status"], _explanation_rows(top),
                               [82, 112, 50, 40, 40, 86], st)]
    right.append(_p("Coaching priorities (overall points each would add at target)", st.subheading))
    if leader.priorities.height:
        right.append(_table(["Metric", "Now", "Target", "Gain"], _priority_rows(leader.priorities),
                            [200, 70, 70, 50], st))
    else:
        right.append(_p("Nothing to raise: every metric with enough data is at its target.", st.body))
    grid = Table([[left, right]], colWidths=[352, doc.width - 352], hAlign="LEFT")
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    doc.story.append(grid)


def _methodology(doc: _Document, facts: BoardFacts) -> None:
    doc.text("How the scores are made", "heading")
    doc.text("Each leader is scored 0-100 on the five roles of the chief sales officer (HBR reprint R0607K) and"
             " on the five SMART dimensions of a sales leader. Each metric's value becomes 0-100 points by its"
             " band in the rubric (0 at the floor, 100 at the target); a score is the weighted mean of its"
             " metrics' points, and the overall score is the mean of the five roles.")
    doc.text("A metric with too little data (fewer deals or reps than its minimum sample) is never scored 0: its"
             " weight is spread over the other metrics of the score, and each score says how much of its weight"
             f" was scored. A leader whose overall score rests on less than {facts.coverage_thin_below:.0%} of"
             " the weight is marked thin coverage and not ranked as if complete.")
    doc.text("While a quarter runs, it is measured up to the data's as-of date, and compared with the previous"
             " quarter cut at the same share elapsed, so a quarter in progress does not read as a drop.")
    rows = [[SCORES[k], SCORE_DESCRIPTIONS.get(k, "")] for k in ("overall", *ROLES, *DIMENSIONS)]
    doc.table(["Score", "What it rewards"], rows, [150, doc.width - 150])
    off = facts.switched_off
    if off.height:
        doc.text("Switched off for this period (the data cannot support them)", "subheading")
        doc.table(["Metric", "Why"], [[r["metric_label"], r["reason"]] for r in off.iter_rows(named=True)],
                  [200, doc.width - 200])


def one_on_one_pack(card: Scorecard, leader_id: str, period: str | Period | None = None, *,
                    renderer: ChartRenderer | None = None, facts: OneOnOneFacts | None = None) -> bytes:
    """The 1:1 pack of one leader: their scores and why, their team's reps with attainment,
    pipeline, activity and deals at risk, and the coaching priorities; only what the card's viewer
    may see. Raises ``KeyError`` when the viewer may not see the leader.

    ``card`` is an open :class:`scorecard.api.Scorecard` (the app passes its cached one); ``facts``
    are the pack's numbers when the caller read them already (``one_on_one_facts``, as the digest
    does for the e-mail that carries the pack)."""
    renderer = renderer or shared_renderer()
    renderer.start()
    facts = facts or one_on_one_facts(card, leader_id, period)
    return _one_on_one_document(facts).build(renderer)


def _one_on_one_document(facts: OneOnOneFacts) -> _Document:
    leader = facts.leader
    row = leader.row
    doc = _Document("1:1 pack", f"{leader.name} · {facts.period.label}", facts.as_of)

    doc.text(f"1:1 pack: {leader.name}", "title")
    doc.text(facts.as_of + ". " + facts.period_line)
    level = row.get("level")
    doc.text(" · ".join(p for p in (f"level {level}" if level is not None else "", row.get("region") or "",
                                    f"team of {row.get('team_size') or 0}",
                                    f"overall scored on {row.get('coverage') or 'no metric'}") if p))
    doc.text("Scores", "subheading")
    doc.table(["Score", "Points", "Change", "Weight scored"], _scores_rows(row, list(SCORES)), [150, 50, 50, 80])
    doc.text("Change: against the previous quarter (at the same share elapsed while this one runs).", "small")

    def coaching() -> None:
        doc.text("Coaching priorities", "heading")
        doc.text("The metrics whose improvement to target would raise the overall score most.", "small")
        if leader.priorities.height:
            doc.table(["Metric", "Now", "Target", "Overall points to gain"], _priority_rows(leader.priorities),
                      [260, 90, 90, 120])
        else:
            doc.text("Nothing to raise: every metric with enough data is at its target.")

    doc.keep(coaching)

    doc.page_break()
    doc.text("Why the overall score is what it is", "heading")
    roles = leader.explanation.filter(pl.col("score").is_in(list(ROLES)))
    if roles.height:  # a bar per metric, tall enough for every label to show
        doc.chart(charts.explanation_bars(roles), doc.width, min(470.0, 40 + 18.0 * roles.height))
        doc.page_break()
    doc.table(["Role", "Metric", "Value", "Points", "Share of score", "Status"], _explanation_rows(roles),
              [120, 220, 80, 50, 70, doc.width - 540])

    if leader.history.height:
        doc.page_break()
        doc.text("Score history by quarter", "heading")
        doc.chart(charts.score_history(leader.history, _history_keys()), doc.width, 300)

    doc.page_break()
    _team_section(doc, facts)
    return doc


_TEAM_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("quota_attainment", "Attainment vs pace", "ratio"),
    ("attainment_full_period", "Attainment (quarter)", "share"),
    ("won_amount", "Won", "money"),
    ("period_quota", "Quota", "money"),
    ("open_pipeline", "Open pipeline", "money"),
    ("win_rate", "Win rate", "share"),
    ("activities_per_rep_day", "Activities / day", "per_rep_day"),
    ("stalled_deal_rate", "Stalled deals", "share"),
)


def _team_section(doc: _Document, facts: OneOnOneFacts) -> None:
    team, currency = facts.team, facts.currency
    doc.text("The team", "heading")
    if team.is_empty():
        doc.text("No one in this leader's team is visible.")
        return
    doc.text("Each figure is the metric the score counts, for the rep alone; a member who leads a team shows"
             " that team's figures. Attainment vs pace: 1.00x = on pace on the as-of date.", "small")
    figures = [(k, label, unit) for k, label, unit in _TEAM_FIGURES if k in team.columns]
    rows = []
    for r in team.iter_rows(named=True):
        name = _name(r, "rep_name", "rep_id") + (" (leads a team)" if r.get("leads_team") else "")
        rows.append([name, r.get("manager_name") or "",
                     *[format.value(r.get(k), unit, currency) for k, _, unit in figures]])
    widths = [140, 100, *[(doc.width - 240) / max(1, len(figures))] * len(figures)]
    doc.table(["Rep", "Manager", *[label for _, label, _ in figures]], rows, widths)
    with_attainment = team.filter(pl.col("attainment_full_period").is_not_null())
    if with_attainment.height:
        doc.page_break()
        doc.text("Attainment of the quarter's quota against pace", "heading")
        doc.chart(charts.team_attainment_bars(team), doc.width, min(420.0, 60 + 14.0 * with_attainment.height))

    direct = team.filter((pl.col("depth") == 1) & ~pl.col("leads_team"))
    doc.page_break()
    doc.text("Deals at risk", "heading")
    if direct.is_empty():
        doc.text("This leader's direct reports lead teams of their own: their deals at risk are in their own"
                 " 1:1 packs.")
        return
    from scorecard.drilldown import MOST_URGENT_FIRST

    deals = facts.deals
    doc.text("Deals open on the as-of date with at least one risk flag (stalled, slipped close date, no next step,"
             f" single-threaded), of the reps who report to this leader directly. {MOST_URGENT_FIRST}",
             "small")
    if deals.is_empty():
        doc.text("None: no open deal of these reps carries a risk flag.")
        return
    shown = deals.head(DEALS_AT_RISK_SHOWN)
    doc.table(["Rep", "Account", "Stage", "Amount", "Close date", "Why at risk"],
              [[r["rep_name"], r["account"], r["stage"], format.money(r["amount"], currency),
                format.day(r["close_date"]),
                r["risk_reasons"]] for r in shown.iter_rows(named=True)],
              [120, 170, 90, 70, 70, doc.width - 520])
    if deals.height > shown.height:
        doc.text(f"The {shown.height} most urgent of {deals.height} deals at risk; the Leader and Rep pages list"
                 " every one.", "small")


def pack_file_name(kind: str, period: str, leader_name: str | None = None) -> str:
    """``board-pack-2026Q3.pdf``, ``1-1-pack-farid-ueda-2026Q3.pdf``."""
    if kind == "board":
        return f"board-pack-{period}.pdf"
    import unicodedata

    plain = unicodedata.normalize("NFKD", leader_name or "leader").encode("ascii", "ignore").decode().lower()
    slug = "".join(c if c.isalnum() else "-" for c in plain).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"1-1-pack-{slug or 'leader'}-{period}.pdf"
