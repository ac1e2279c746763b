"""Reading files as they come: encodings, delimiters, quoting, XLSX sheets, zips, report footers."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from scorecard import readers
from scorecard.formats.values import parse_amounts, parse_booleans, parse_dates
from scorecard.readers import ReadError, ZipLimits, detect_encoding, read_path, sniff_delimiter

TEXT = "rep_id;rep_name\nU1;Mía Muñoz\nU2;\"Ben\nBrooks\"\n"


@pytest.mark.parametrize(("encoding", "data", "label"), [
    ("utf-8", TEXT.encode("utf-8"), "UTF-8"),
    ("utf-8-sig", TEXT.encode("utf-8-sig"), "UTF-8 with BOM"),
    ("cp1252", TEXT.encode("cp1252"), "Windows-1252"),
    ("utf-16", TEXT.encode("utf-16"), "UTF-16"),
    ("utf-16-le", TEXT.encode("utf-16-le"), "UTF-16"),
])
def test_every_encoding_reads_the_same_table(tmp_path: Path, encoding: str, data: bytes, label: str) -> None:
    path = tmp_path / f"reps-{encoding}.csv"
    path.write_bytes(data)
    [table] = read_path(path)
    assert table.encoding == label
    assert table.delimiter == ";"
    # The quoted newline stays inside Ben's name; the accents survive every encoding.
    assert table.frame.rows() == [("U1", "Mía Muñoz"), ("U2", "Ben\nBrooks")]


def test_detect_encoding_prefers_windows_1252_for_western_text() -> None:
    assert detect_encoding("Société Générale, Müller".encode("cp1252"), complete=True) == "cp1252"
    assert detect_encoding(b"plain ascii", complete=True) == "utf-8"


@pytest.mark.parametrize(("sample", "delimiter"), [
    ("a,b,c\n1,2,3\n", ","), ("a;b;c\n1;2,5;3\n", ";"), ("a\tb\tc\n1\t2\t3\n", "\t"), ("a|b\n1|2\n", "|"),
])
def test_sniff_delimiter(sample: str, delimiter: str) -> None:
    assert sniff_delimiter(sample) == delimiter


def test_xlsx_every_sheet_is_a_table(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Reps"
    first.append(["rep_id", "rep_name"])
    first.append(["U1", "Ann"])
    second = book.create_sheet("Quotas")
    second.append(["rep_id", "quota_amount"])
    second.append(["U1", 125000.0])
    book.create_sheet("Empty")
    path = tmp_path / "plan.xlsx"
    book.save(path)
    tables = read_path(path)
    assert [(t.name, t.stem) for t in tables] == [("plan.xlsx[Reps]", "Reps"), ("plan.xlsx[Quotas]", "Quotas")]
    assert tables[1].frame.rows() == [("U1", "125000")]


def test_zip_members_and_report_footer(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    footer = 'Opportunity Owner,Amount\nAnn,100\nBen,200\n\n"Opportunities report"\n"Copyright (c) 2000-2026"\n'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.csv", footer)
        archive.writestr("__MACOSX/._report.csv", b"\x00\x05")
    [table] = read_path(path)
    assert table.name == "export.zip/report.csv"
    assert table.frame.rows() == [("Ann", "100"), ("Ben", "200")]  # footer block dropped


def test_unreadable_files_raise_a_read_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"   \n")
    with pytest.raises(ReadError, match="the file is empty"):
        read_path(empty)
    pdf = tmp_path / "deals.csv"
    pdf.write_bytes(b"%PDF-1.7 ...")
    with pytest.raises(ReadError, match="PDF document"):
        read_path(pdf)


def test_amounts_as_people_type_them() -> None:
    import polars as pl

    values = pl.Series(["1,234.50", "$1,234", "1.234,50", "(120)", "EUR 1.000", "12", "twelve", None])
    assert parse_amounts(values).to_list() == [1234.5, 1234.0, 1234.5, -120.0, 1000.0, 12.0, None, None]


def test_dates_us_european_iso_and_salesforce_midnight() -> None:
    import datetime as dt

    import polars as pl

    us = parse_dates(pl.Series(["3/1/2026", "12/31/2026"]))
    assert us.to_list() == [dt.date(2026, 3, 1), dt.date(2026, 12, 31)]
    # A first part above 12 can only be a day: the column is read day-first.
    eu = parse_dates(pl.Series(["01/03/2026", "31/12/2026"]))
    assert eu.to_list() == [dt.date(2026, 3, 1), dt.date(2026, 12, 31)]
    mixed = parse_dates(pl.Series(["01.03.2026", "2026-03-01 00:00:00", "2026-03-01T09:30:00.000Z", "soon"]),
                        with_time=True)
    assert mixed.to_list() == [dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 1),
                               dt.datetime(2026, 3, 1, 9, 30), None]


def test_booleans() -> None:
    import polars as pl

    assert parse_booleans(pl.Series(["1", "0", "TRUE", "no", "maybe"])).to_list() == [True, False, True, False, None]


def test_xlsx_header_written_twice_keeps_both(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["rep_id", "rep_name", "rep_name"])
    sheet.append(["U1", "Ann", "Anne"])
    path = tmp_path / "reps.xlsx"
    book.save(path)
    [table] = read_path(path)
    assert table.headers == ["rep_id", "rep_name", "rep_name_duplicated_0"]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_by_its_ratio_before_it_fills_memory(tmp_path: Path) -> None:
    # 21 MB of one repeated line packs to about 20 KB: a ratio near 1,000, over the limit of 200.
    # The sizes the archive declares say so: it is refused before a byte is unpacked.
    bomb = _zip(tmp_path / "export.zip", {"activities.csv": b"activity_id,rep_id\n" + b"A1,U1\n" * 3_500_000})
    with pytest.raises(ReadError, match="more than the limit of 200 times: refused as a possible zip bomb"
                                        " without unpacking it") as refused:
        read_path(bomb, zip_limits=ZipLimits(unpacked_bytes=800_000_000, ratio=200))
    assert refused.value.file == "export.zip/activities.csv"
    # the same file under a ratio limit it keeps is read
    [table] = read_path(bomb, zip_limits=ZipLimits(unpacked_bytes=800_000_000, ratio=5_000))
    assert table.rows == 3_500_000


def test_a_zip_is_refused_when_its_members_unpack_past_the_limit(tmp_path: Path) -> None:
    rows = b"rep_id,rep_name,manager_id\n" + b"".join(b"U%06d,Name %06d,\n" % (i, i) for i in range(60_000))
    archive = _zip(tmp_path / "two.zip", {"reps.csv": rows, "more/reps.csv": rows})  # 2 x 1.26 MB
    with pytest.raises(ReadError, match="says it unpacks to 3 MB, more than the limit of 2 MB"):
        read_path(archive, zip_limits=ZipLimits(unpacked_bytes=2_000_000, ratio=1_000))
    assert len(read_path(archive, zip_limits=ZipLimits(unpacked_bytes=3_000_000, ratio=1_000))) == 2


def test_a_file_named_for_another_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reps.csv.exe"
    path.write_text("rep_id,rep_name,manager_id\nU1,Ann,\n")
    with pytest.raises(ReadError, match=r"files of type \.exe are not read"):
        read_path(path)


def test_lines_ended_by_cr_alone_or_mixed_read_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "reps.csv"
    path.write_bytes(b"rep_id,rep_name,manager_id\r\nA,Ann,\rB,Bob,A\r\nC,Cy,A\n")
    [table] = read_path(path)
    assert table.frame.rows() == [("A", "Ann", None), ("B", "Bob", "A"), ("C", "Cy", "A")]


def _lie_about_size(path: Path, member: str, declared: int) -> None:
    """Make a zip say its member unpacks to ``declared`` bytes (in its local header and its
    directory), as a crafted bomb does to pass a check of declared sizes."""
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo(member)
    assert data[info.header_offset:info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(member.encode()))
    struct.pack_into("<I", data, entry + 24, declared)
    path.write_bytes(bytes(data))


_SHEET_XML_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet'
                   b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                   b'<row r="1"><c r="A1" t="inlineStr"><is><t>rep_id</t></is></c></row>')


def _padded_workbook(path: Path, padding: int) -> Path:
    """A valid one-sheet workbook whose sheet XML carries ``padding`` blanks (a workbook bomb)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "reps"
    sheet.append(["rep_id"])
    saved = tmp = path.with_suffix(".tmp.xlsx")
    book.save(saved)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = _SHEET_XML_HEAD + b" " * padding + b"</sheetData></worksheet>"
            out.writestr(info.filename, data)
    tmp.unlink()
    return path


def test_an_xlsx_bomb_is_refused_in_seconds_without_unpacking_it(tmp_path: Path) -> None:
    # An XLSX is a zip: a sheet of 30 MB of blanks packs to about 30 KB (a ratio near 1,000).
    bomb = _padded_workbook(tmp_path / "reps.xlsx", 30_000_000)
    assert bomb.stat().st_size < 100_000
    started = time.monotonic()
    with pytest.raises(ReadError, match=r"its part xl/worksheets/sheet1\.xml says it unpacks to 30 MB from 0\.03 MB"
                                        r" packed, [\d,]+ times its packed size, more than the limit of 200 times:"
                                        " refused as a possible zip bomb without unpacking it; raise"
                                        " SCORECARD_ZIP_RATIO_LIMIT") as refused:
        read_path(bomb)
    assert time.monotonic() - started < 20  # it takes a few milliseconds: no reading of the sheet
    assert refused.value.file == "reps.xlsx"
    # the same workbook inside a zip is held to the same limits once unpacked
    archive = _zip(tmp_path / "plan.zip", {"reps.xlsx": bomb.read_bytes()})
    with pytest.raises(ReadError, match="more than the limit of 200 times: refused as a possible zip bomb") as inner:
        read_path(archive)
    assert inner.value.file == "plan.zip/reps.xlsx"
    # and a workbook over the limit of the total is refused on that, naming the limit
    with pytest.raises(ReadError, match="the workbook says it unpacks to 30 MB, more than the limit of 10 MB"
                                        r" \(SCORECARD_ZIP_UNPACKED_LIMIT_MB\)"):
        read_path(bomb, zip_limits=ZipLimits(unpacked_bytes=10_000_000, ratio=5_000))


def test_a_workbook_within_the_limits_is_read(tmp_path: Path) -> None:
    small = _padded_workbook(tmp_path / "reps.xlsx", 1_000)
    [table] = read_path(small)
    assert table.name == "reps.xlsx[reps]" and table.headers == ["rep_id"]


def test_a_zip_whose_declared_sizes_lie_is_refused_while_unpacked(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "export.zip", {"activities.csv": b"activity_id,rep_id\n" + b"A1,U1\n" * 3_500_000})
    _lie_about_size(bomb, "activities.csv", 5_000)  # says 5 KB: no declared ratio or total to refuse it on
    started = time.monotonic()
    with pytest.raises(ReadError, match="the archive is damaged") as refused:
        read_path(bomb)
    assert time.monotonic() - started < 20
    assert refused.value.file == "export.zip/activities.csv"
    # a workbook that lies about its sheet is refused before the spreadsheet reader sees it
    book = _padded_workbook(tmp_path / "reps.xlsx", 30_000_000)
    _lie_about_size(book, "xl/worksheets/sheet1.xml", 5_000)
    with pytest.raises(ReadError, match="the archive is damaged") as lied:
        read_path(book)
    assert lied.value.file == "reps.xlsx"


def test_a_big_member_is_read_from_a_file_not_from_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = b"rep_id,rep_name,manager_id\n" + b"".join(b"U%07d,Name %07d,\n" % (i, i) for i in range(600_000))
    assert len(rows) > 13_000_000
    archive = _zip(tmp_path / "export.zip", {"reps.csv": rows, "notes/readme.txt": bytes(range(256)) * 2})
    scratch = tmp_path / "staging"
    seen: list[tuple[Path, int]] = []
    read_text = readers._read_text

    def watched(name: str, path: Path, stem: str, *, source: Path, **kw: object) -> readers.RawTable:
        seen.append((source, source.stat().st_size))
        return read_text(name, path, stem, source=source, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(readers, "_read_text", watched)
    # the second member is binary: the read fails, and the unpacked files go all the same
    with pytest.raises(ReadError, match="binary") as refused:
        read_path(archive, unpack_dir=scratch)
    assert refused.value.file == "export.zip/readme.txt"
    assert [(p.parent.parent, size) for p, size in seen] == [(scratch, len(rows)), (scratch, 512)]
    assert list(scratch.iterdir()) == []
    # the member alone: read from its unpacked file, which is gone afterwards, with little Python memory
    seen.clear()
    archive = _zip(tmp_path / "reps.zip", {"reps.csv": rows})
    tracemalloc.start()
    try:
        [table] = read_path(archive, unpack_dir=scratch, zip_limits=ZipLimits(unpacked_bytes=20_000_000, ratio=200))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table.name == "reps.zip/reps.csv" and table.path == archive and table.rows == 600_000
    assert seen[0][1] == len(rows) and not seen[0][0].exists()
    assert list(scratch.iterdir()) == []
    assert peak < 4_000_000  # the 13.8 MB member was never held whole in Python


def test_a_nul_byte_in_text_is_data_for_the_checks_and_a_binary_file_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "reps.csv"
    text.write_bytes(b"rep_id,rep_name,email,manager_id\nU1,Ann,ann@x.com,\nU2,Bob,bo\x00b@x.com,U1\n")
    [table] = read_path(text)
    assert table.frame["email"].to_list() == ["ann@x.com", "bo\x00b@x.com"]
    assert detect_encoding(b"rep_id,email\n" + b"U1,a@x.com\n" * 20 + b"U2,b\x00@x.com\n") == "utf-8"
    # mostly NUL bytes, or NUL bytes among bytes no Western code page has: binary
    with pytest.raises(UnicodeError):
        detect_encoding(b"\x00\x00\x01\x00\x00\x02" * 100)
    with pytest.raises(UnicodeError):
        detect_encoding(b"rep_id\x00\x81\x8d\x8f\x90 and so on")
    blob = tmp_path / "reps2.csv"
    blob.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(ReadError, match="this is a binary file, not a CSV file"):
        read_path(blob)
