"""Reading files as they come: encodings, delimiters, quoting, XLSX sheets, zips, report footers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

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
    # 20 MB of one repeated line packs to about 20 KB: a ratio near 1,000, over the limit of 200
    bomb = _zip(tmp_path / "export.zip", {"activities.csv": b"activity_id,rep_id\n" + b"A1,U1\n" * 3_500_000})
    with pytest.raises(ReadError, match="more than 200 times its packed size: refused as a possible zip bomb"):
        read_path(bomb, zip_limits=ZipLimits(unpacked_bytes=800_000_000, ratio=200))
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
