"""Reading CRM files as they come: encodings, delimiters, quoting, XLSX sheets and zip archives.

Every table comes out as a Polars frame of strings: typing is the mapping's job, so a value that
does not parse can be reported with its raw text. The one exception is speed on large canonical
CSVs: the caller may name (``typed``) columns whose values are expected in ISO form; they are
parsed while the file is read, strictly, and if any value is not plain ISO the whole file is read
again as text and goes the general way. Encodings are detected with charset-normalizer, delimiters
with :class:`csv.Sniffer`, CSV parsing is Polars' (multi-threaded, quoted newlines), spreadsheets are
read with calamine (``fastexcel``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

SAMPLE_BYTES = 256 * 1024
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
SHEET_SUFFIXES = {".xlsx", ".xlsm"}
DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_BINARY_MAGIC = {
    b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image", b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Office file",
    b"\x7fELF": "a program", b"MZ": "a program", b"\x1f\x8b": "a gzip archive",
}
ReaderTypes = Callable[[str, list[str]], Mapping[str, str] | None]
"""``(stem, headers) -> {header: "DATE" | "TIMESTAMP" | "DOUBLE"}``: the columns of a text table to
parse while reading (ISO dates, ``YYYY-MM-DD HH:MM:SS`` times, plain numbers), or None for all text."""
_STRICT_FORMATS: dict[str, tuple[pl.Date | pl.Datetime, str]] = {
    "DATE": (pl.Date(), "%Y-%m-%d"), "TIMESTAMP": (pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")}
# Encodings tried when a file is not UTF-8: what Western CRMs and spreadsheets write.
_FALLBACK_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "mac_roman", "cp1250"]


class ReadError(Exception):
    """A file that cannot be read as a table; the message says why, in the analyst's words."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


@dataclass
class RawTable:
    """One table read from a file (a CSV, a sheet of a workbook, or a member of a zip)."""

    name: str
    """What the analyst sees: ``Opportunity.csv``, ``export.zip/User.csv``, ``plan.xlsx[Quotas]``."""
    path: Path
    """The file on disk it came from (archived with the load)."""
    stem: str
    """The object the file or sheet is named after: ``Opportunity``, ``Quotas``, ``reps``."""
    frame: pl.DataFrame
    encoding: str | None = None
    delimiter: str | None = None

    released_rows: int | None = None

    @classmethod
    def of_headers(cls, stem: str, headers: list[str]) -> RawTable:
        """A table known by its name and headers alone (what a format is told from before reading)."""
        return cls(name=stem, path=Path(stem), stem=stem, frame=pl.DataFrame(schema=dict.fromkeys(headers, pl.String)))

    @property
    def rows(self) -> int:
        return self.released_rows if self.released_rows is not None else self.frame.height

    def release(self) -> None:
        """Drop the text rows once they are mapped (the headers stay), to keep memory down."""
        if self.released_rows is None:
            self.released_rows = self.frame.height
            self.frame = self.frame.clear()

    @property
    def headers(self) -> list[str]:
        return list(self.frame.columns)

    def describe(self) -> str:
        bits = []
        if self.encoding:
            bits.append(self.encoding)
        if self.delimiter:
            bits.append(f"{_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated")
        return ", ".join(bits) or "spreadsheet"


@dataclass(frozen=True)
class ZipLimits:
    """How much a zip may unpack to, checked before and while it is unpacked (a zip bomb is
    refused with a verdict instead of filling memory)."""

    unpacked_bytes: int = 800_000_000
    ratio: float = 200.0
    """The most a member may unpack to, as a multiple of its packed size."""


def read_path(path: Path, *, limit_bytes: int | None = None, typed: ReaderTypes | None = None,
              zip_limits: ZipLimits | None = None) -> list[RawTable]:
    """Read every table in ``path`` (CSV/TSV, XLSX, or a zip of those). Raises :class:`ReadError`.

    ``typed`` says which columns of a text table may be parsed while reading (see the module doc).
    """
    path = Path(path)
    if not path.is_file():
        raise ReadError(path.name, "no such file")
    _refuse_unread_kinds(path.name, path.suffix.lower())
    size = path.stat().st_size
    if limit_bytes is not None and size > limit_bytes:
        raise ReadError(path.name, f"the file is {size / 1e6:,.1f} MB, larger than the upload limit of"
                                   f" {limit_bytes / 1e6:,.0f} MB; split it or raise SCORECARD_UPLOAD_LIMIT_MB")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() not in SHEET_SUFFIXES:
        return _read_zip(path, limit_bytes, typed, zip_limits or ZipLimits())
    if path.suffix.lower() in SHEET_SUFFIXES:
        return _read_workbook(path.name, path, path.read_bytes())
    return [_read_text(path.name, path, path.stem, source=path, typed=typed)]


def _refuse_unread_kinds(name: str, suffix: str) -> None:
    """Only tables are read: a name that ends in anything else (``reps.csv.exe``) is refused."""
    if suffix not in TEXT_SUFFIXES | SHEET_SUFFIXES | {".zip"}:
        raise ReadError(name, f"files of type {suffix} are not read; send CSV, XLSX or zip files")


def _unpack(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, budget: int, ratio: float) -> bytes:
    """A member's bytes, read in pieces and refused as soon as it unpacks to more than ``budget``
    bytes or more than ``ratio`` times its packed size (the sizes a zip declares can lie)."""
    limit = min(budget, int(max(member.compress_size, 1) * ratio))
    parts: list[bytes] = []
    size = 0
    with archive.open(member) as fh:
        while chunk := fh.read(1 << 20):
            size += len(chunk)
            if size > limit:
                why = (f"more than {ratio:,.0f} times its packed size" if limit < budget
                       else f"more than the archive's limit of {budget / 1e6:,.0f} MB left")
                raise ReadError(name, f"unpacks to {why}: refused as a possible zip bomb; raise"
                                      " SCORECARD_ZIP_UNPACKED_LIMIT_MB or SCORECARD_ZIP_RATIO_LIMIT if it is real")
            parts.append(chunk)
    return b"".join(parts)


def _read_zip(path: Path, limit_bytes: int | None, typed: ReaderTypes | None, limits: ZipLimits) -> list[RawTable]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ReadError(path.name, f"not a readable zip archive ({exc})") from exc
    tables: list[RawTable] = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()
                   and not m.filename.startswith("__MACOSX/") and not PurePosixPath(m.filename).name.startswith(".")]
        total = sum(m.file_size for m in members)
        if total > limits.unpacked_bytes:
            raise ReadError(path.name, f"the archive says it unpacks to {total / 1e6:,.0f} MB, more than the limit"
                                       f" of {limits.unpacked_bytes / 1e6:,.0f} MB (SCORECARD_ZIP_UNPACKED_LIMIT_MB)")
        if not members:
            raise ReadError(path.name, "the zip archive holds no files")
        budget = limits.unpacked_bytes
        for member in members:
            inner = PurePosixPath(member.filename)
            name = f"{path.name}/{inner.name}"
            suffix = inner.suffix.lower()
            _refuse_unread_kinds(name, suffix)
            data = _unpack(archive, member, name, budget, limits.ratio)
            budget -= len(data)
            if suffix in SHEET_SUFFIXES:
                tables.extend(_read_workbook(name, path, data))
            elif suffix in TEXT_SUFFIXES:
                tables.append(_read_text(name, path, inner.stem, data=data, typed=typed))
            else:
                raise ReadError(name, f"files of type {suffix or 'without extension'} are not read;"
                                      " send CSV or XLSX files")
    return tables


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """The encoding of a text sample: BOMs first, then strict UTF-8, then charset-normalizer."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample[:4096]:
        # UTF-16 without a BOM: ASCII text leaves every other byte zero.
        evens, odds = sample[0:4096:2], sample[1:4096:2]
        if odds.count(0) > 0.4 * len(odds) and evens.count(0) < 0.1 * len(evens):
            return "utf-16-le"
        if evens.count(0) > 0.4 * len(evens) and odds.count(0) < 0.1 * len(odds):
            return "utf-16-be"
        raise UnicodeError("binary content")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # On short Western texts several single-byte code pages fit equally well (charset-normalizer
    # often says cp1250 for "Muñoz"); the one CRMs and Excel write is Windows-1252, so it wins
    # whenever it decodes the sample, and charset-normalizer decides the rest.
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=_FALLBACK_ENCODINGS).best()
    return best.encoding if best is not None else "cp1252"


def sniff_delimiter(text: str) -> str:
    """The field delimiter of a CSV sample (comma, semicolon, tab or pipe)."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    sample = "\n".join(lines)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        if dialect.delimiter in DELIMITERS and lines[0].count(dialect.delimiter) > 0:
            return dialect.delimiter
    except csv.Error:
        pass
    # The Sniffer gives up on some files (e.g. a single data row): the header line decides.
    counts = {d: lines[0].count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _binary_kind(head: bytes) -> str | None:
    for magic, kind in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive or Office file"
    return None


_LONE_CR = re.compile(rb"\r(?!\n)")


def _read_text(name: str, path: Path, stem: str, *, data: bytes | None = None,
               source: Path | None = None, typed: ReaderTypes | None = None) -> RawTable:
    if data is None:
        assert source is not None
        with source.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        complete = len(sample) < SAMPLE_BYTES
    else:
        sample = data[:SAMPLE_BYTES]
        complete = len(data) <= SAMPLE_BYTES
    if not sample.strip():
        raise ReadError(name, "the file is empty")
    kind = _binary_kind(sample)
    if kind:
        raise ReadError(name, f"this is {kind}, not a CSV file")
    try:
        encoding = detect_encoding(sample, complete=complete)
    except UnicodeError:
        raise ReadError(name, "this is a binary file, not a CSV file") from None

    utf8 = encoding in ("utf-8", "utf-8-sig")
    lone_cr = _LONE_CR.search(sample) is not None
    if utf8 and data is None and source is not None and not lone_cr:
        text_sample = sample.decode("utf-8", errors="ignore")
        csv_source: Path | bytes = source
    else:
        raw = data if data is not None else (source.read_bytes() if source else b"")
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            if utf8:  # a UTF-8 file with a stray byte further down: keep what decodes, report it
                raise ReadError(name, "the file is mostly UTF-8 but has bytes that are not; save it again"
                                      " as UTF-8") from None
            text = raw.decode("cp1252", errors="replace")
            encoding = "cp1252"
        if text.startswith("\ufeff"):
            text = text[1:]
        if lone_cr:  # lines ended by CR alone (old Mac exports), or mixed with CRLF: one kind of end
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        text_sample = text[:SAMPLE_BYTES]
        csv_source = text.encode("utf-8")
    delimiter = sniff_delimiter(text_sample)
    frame = _typed_csv(csv_source, delimiter, stem, typed) if typed is not None else None
    if frame is None:
        try:
            frame = _polars_csv(csv_source, delimiter)
        except pl.exceptions.PolarsError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ReadError(name, f"the CSV cannot be parsed ({first[:200]})") from exc
        frame = _tidy(frame)
    if frame.width == 1 and any(ch in frame.columns[0] for ch in ":/ .#~^"):
        raise ReadError(name, f"only one column was found (header {frame.columns[0][:60]!r}): separate the"
                              " columns with commas, semicolons or tabs")
    return RawTable(name=name, path=path, stem=stem, frame=frame, encoding=_encoding_label(encoding),
                    delimiter=delimiter)


def _polars_csv(source: Path | bytes, delimiter: str) -> pl.DataFrame:
    return pl.read_csv(
        source if isinstance(source, Path) else io.BytesIO(source),
        separator=delimiter, infer_schema=False, quote_char='"', encoding="utf8",
        raise_if_empty=False,
    )


def _typed_csv(source: Path | bytes, delimiter: str, stem: str, typed: ReaderTypes) -> pl.DataFrame | None:
    """The table with the columns ``typed`` names already parsed, blanks as nulls; None when
    ``typed`` names none or any value is not in the strict form (the caller then reads text).

    Parsing in the scan saves holding every date and number of a 10-million-row file as text
    (a third less memory) and a second pass over them.
    """
    try:
        lazy = pl.scan_csv(source if isinstance(source, Path) else io.BytesIO(source), separator=delimiter,
                           infer_schema=False, quote_char='"', encoding="utf8", raise_if_empty=False)
        names = lazy.collect_schema().names()
    except pl.exceptions.PolarsError:
        return None
    headers = [str(c).strip().lstrip("\ufeff") for c in names]
    if len(set(headers)) != len(headers):
        return None
    types = typed(stem, headers) or {}
    if not any(t in _STRICT_FORMATS or t in ("DOUBLE", "INTEGER") for t in types.values()):
        return None
    exprs: list[pl.Expr] = []
    for raw, header in zip(names, headers, strict=True):
        kind = types.get(header)
        stripped = pl.col(raw).str.strip_chars()
        if kind in _STRICT_FORMATS:
            dtype, fmt = _STRICT_FORMATS[kind]
            expr = pl.when(stripped != "").then(stripped).str.strptime(dtype, fmt, strict=True)
        elif kind in ("DOUBLE", "INTEGER"):
            expr = pl.when(stripped != "").then(stripped).cast(pl.Float64, strict=True)
        else:
            expr = pl.when(stripped != "").then(pl.col(raw))
        exprs.append(expr.alias(header))
    try:
        frame = lazy.select(exprs).collect()
    except pl.exceptions.PolarsError:
        return None
    return _drop_footer(frame)


def _encoding_label(encoding: str) -> str:
    labels = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
              "utf-16-be": "UTF-16", "cp1252": "Windows-1252", "latin_1": "ISO-8859-1",
              "iso8859_15": "ISO-8859-15"}
    return labels.get(encoding.lower().replace("-", "_").replace("utf_", "utf-"), labels.get(encoding, encoding))


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim header names, turn blank cells into nulls, and drop a report footer block."""
    names = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    if frame.height == 0:
        return frame
    frame = frame.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in frame.columns
    )
    return _drop_footer(frame)


def _drop_footer(frame: pl.DataFrame) -> pl.DataFrame:
    if 0 < frame.height < 2_000_000:
        # Salesforce report exports end with a blank line and a few one-cell footer lines.
        filled = frame.select(pl.sum_horizontal(pl.all().is_not_null().cast(pl.Int32))).to_series()
        empty_rows = (filled == 0).arg_true()
        if len(empty_rows):
            first_blank = int(empty_rows[0])
            if bool((filled[first_blank:] <= 1).all()):
                frame = frame.head(first_blank)
    return frame


def _read_workbook(name: str, path: Path, data: bytes) -> list[RawTable]:
    """Every sheet with data as a table of text, read by calamine (through fastexcel, the reader
    Polars' ``calamine`` engine uses): 0.9 s against openpyxl's 17 s on a 50,000-row sheet.
    Numbers come as written (``1234``, ``12.5``), dates and times as ISO text (a time of midnight
    dropped), a header written twice is kept twice (``Amount_duplicated_0``), as for a CSV."""
    import fastexcel

    try:
        book = fastexcel.read_excel(data)
        sheets = [(sheet_name, book.load_sheet(sheet_name, header_row=None, dtypes="string").to_polars())
                  for sheet_name in book.sheet_names]
    except Exception as exc:  # the reader raises its own kinds for a damaged workbook
        raise ReadError(name, f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    tables: list[RawTable] = []
    for title, raw in sheets:
        if raw.width == 0:
            continue
        cells = raw.select(pl.all().str.strip_suffix(" 00:00:00").replace("", None))
        rows = cells.filter(~pl.all_horizontal(pl.all().is_null()))
        if rows.is_empty():
            continue
        header = [h.strip() if h and h.strip() else f"column_{i + 1}" for i, h in enumerate(rows.row(0))]
        body = rows.slice(1)
        while header and header[-1].startswith("column_") and body[body.columns[len(header) - 1]].is_null().all():
            header.pop()
        seen: dict[str, int] = {}
        for i, h in enumerate(header):  # a header written twice: keep both, as Polars does for CSV
            if h in seen:
                header[i] = f"{h}_duplicated_{seen[h]}"
                seen[h] += 1
            else:
                seen[h] = 0
        frame = body.select(body.columns[:len(header)]).rename(dict(zip(body.columns[:len(header)], header,
                                                                        strict=True)))
        tables.append(RawTable(name=f"{name}[{title}]", path=path, stem=title, frame=_tidy(frame)))
    if not tables:
        raise ReadError(name, "the workbook has no sheet with data")
    return tables
