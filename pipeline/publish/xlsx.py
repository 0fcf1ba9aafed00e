"""The release as one Excel workbook (openpyxl): a first sheet explaining the package and every
field, then one sheet per table with typed cells (dates as dates, numbers as numbers, booleans),
a frozen header row and a filter on it.

Text that looks like a formula (starting with =, +, -, @, a tab or a carriage return) is stored as
text with Excel's quote prefix, never as a formula. openpyxl stamps the wall clock into
docProps/core.xml and into every zip entry; both are replaced with the release's `created`, so the
same data gives the same bytes."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from pathlib import Path

import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipeline.publish.dictionary import _constraints
from pipeline.schema import Package

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
MAX_WIDTH = 60


def release_time(meta: dict) -> datetime.datetime:
    """The release's `created` as a naive UTC datetime (1980-01-01 if absent: the zip epoch)."""
    text = str(meta.get("created") or "1980-01-01T00:00:00Z")
    try:
        dt = datetime.datetime.fromisoformat(text)
    except ValueError:
        dt = datetime.datetime(1980, 1, 1)
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.UTC).replace(tzinfo=None)
    return max(dt.replace(microsecond=0), datetime.datetime(1980, 1, 1))


def sheet_title(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "table"
    title, n = base, 1
    while title.lower() in taken:
        n += 1
        suffix = f"_{n}"
        title = base[:31 - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def put(ws, row: int, col: int, value, number_format: str | None = None):
    """Write one cell; strings are always strings, whatever they start with."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        cell.value = value
        cell.data_type = "s"  # openpyxl would make '=...' a formula
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def header(ws, names: list[str]) -> None:
    for col, name in enumerate(names, 1):
        c = put(ws, 1, col, name)
        c.font, c.fill = HEADER_FONT, HEADER_FILL
    ws.freeze_panes = "A2"


def widths(ws, lengths: list[int]) -> None:
    for col, n in enumerate(lengths, 1):
        ws.column_dimensions[get_column_letter(col)].width = max(8, min(MAX_WIDTH, n + 2))


def about_sheet(ws, package: Package, counts: dict[str, int], titles: dict[str, str]) -> None:
    meta = package.metadata
    lic = ", ".join(lic.get("title") or lic.get("name", "") for lic in meta.get("licenses", []))
    authors = ", ".join(c.get("title", "") for c in meta.get("contributors", []) if c.get("title"))
    title = meta.get("title", meta["name"])
    created = str(meta.get("created", ""))
    cite = f"{authors or title} ({created[:4]}). {title}, version {meta['version']} [data set]. {meta.get('homepage', '')}".strip()
    ws.title = "About"
    c = put(ws, 1, 1, f"{title} {meta['version']}")
    c.font = TITLE_FONT
    lines = [
        ("What it is", meta.get("description", "")),
        ("Version", f"{meta['version']}, released {created[:10]}"),
        ("Licence", lic),
        ("How to cite", cite),
        ("Sheets", ("This sheet explains every table and field; each other sheet is one table, one row per fact. "
                    "Every fact row names its source (source_id, see the sources sheet) and where in it the fact "
                    "stands (locator).")),
        ("Dates", ("Full dates are Excel dates. Dates marked 'partial date' are text and keep the precision of "
                   "their source: 2019 is a year, 2020-03 a month, 2020-03-05 a day; no day is ever made up.")),
    ]
    row = 3
    for label, text in lines:
        put(ws, row, 1, label).font = HEADER_FONT
        put(ws, row, 2, text).alignment = WRAP
        row += 1
    row += 1
    for col, name in enumerate(("sheet", "rows", "title", "description"), 1):
        cc = put(ws, row, col, name)
        cc.font, cc.fill = HEADER_FONT, HEADER_FILL
    row += 1
    for t in package.tables:
        put(ws, row, 1, titles[t.name])
        put(ws, row, 2, counts.get(t.name, 0))
        put(ws, row, 3, t.title)
        put(ws, row, 4, t.description).alignment = WRAP
        row += 1
    row += 1
    fields_header = ("sheet", "field", "type", "rules", "description")
    for col, name in enumerate(fields_header, 1):
        cc = put(ws, row, col, name)
        cc.font, cc.fill = HEADER_FONT, HEADER_FILL
    row += 1
    for t in package.tables:
        refs = {fk.fields[0]: f"{fk.resource}.{fk.ref_fields[0]}" for fk in t.foreign_keys if len(fk.fields) == 1}
        for f in t.fields:
            rules = _constraints(f)
            if f.name in t.primary_key:
                rules = "primary key" + ("; " + rules if rules else "")
            if f.name in refs:
                rules = (rules + "; " if rules else "") + f"refers to {refs[f.name]}"
            put(ws, row, 1, titles[t.name])
            put(ws, row, 2, f.name)
            put(ws, row, 3, f.type + (" (partial date)" if f.x_check == "partial-date" else ""))
            put(ws, row, 4, rules).alignment = WRAP
            put(ws, row, 5, f.description).alignment = WRAP
            row += 1
    for col, width in zip("ABCDE", (22, 24, 22, 40, 80)):
        ws.column_dimensions[col].width = width


def table_sheet(ws, table, t: pa.Table | None) -> None:
    names = [f.name for f in table.fields]
    header(ws, names)
    lengths = [len(n) for n in names]
    if t is not None and t.num_rows:
        formats = []
        for f in table.fields:
            typ = t.schema.field(f.name).type
            formats.append("yyyy-mm-dd" if pa.types.is_date(typ) else
                           "yyyy-mm-dd hh:mm:ss" if pa.types.is_timestamp(typ) else None)
        columns = [t.column(n).to_pylist() for n in names]
        for r, values in enumerate(zip(*columns), 2):
            for c, (value, fmt) in enumerate(zip(values, formats), 1):
                if value is None:
                    continue
                put(ws, r, c, value, fmt)
                n = 10 if fmt else len(str(value))
                lengths[c - 1] = max(lengths[c - 1], n)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(names))}{t.num_rows + 1}"
    widths(ws, lengths)


def deterministic_zip(data: bytes, when: datetime.datetime) -> bytes:
    """Re-pack the workbook with fixed entry times and attributes, and the release time in core.xml."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                              lambda m: m.group(1) + stamp + m.group(3), text)
                content = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            dst.writestr(zi, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def write_xlsx(package: Package, tables: dict[str, pa.Table], target: Path, counts: dict[str, int] | None = None) -> None:
    meta = package.metadata
    counts = counts or {n: t.num_rows for n, t in tables.items()}
    when = release_time(meta)
    wb = Workbook()
    taken = {"about"}
    titles = {t.name: sheet_title(t.name, taken) for t in package.tables}
    about_sheet(wb.active, package, counts, titles)
    for table in package.tables:
        table_sheet(wb.create_sheet(titles[table.name]), table, tables.get(table.name))
    props = wb.properties
    props.creator = meta.get("title", meta["name"])
    props.title = f"{meta.get('title', meta['name'])} {meta['version']}"
    props.description = meta.get("description", "")
    props.created = props.modified = when
    props.lastModifiedBy = None
    buf = io.BytesIO()
    wb.save(buf)
    target.write_bytes(deterministic_zip(buf.getvalue(), when))
