"""Read a CSV file as text, in record batches, with the CSV line number of every row.

Nothing is converted here: every cell arrives as a string ("NA" stays "NA", "007" stays "007");
casting is the checks' job. Structural problems (encoding, header, ragged and blank rows,
unparseable text) are reported as they are found."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.errors import Report, ValidationError
from pipeline.schema import Table

BLOCK_SIZE = 8 << 20  # bytes of CSV per record batch (larger blocks make pyarrow's reader hold far more memory)
SCAN_CHUNK = 16 << 20
BOM = codecs.BOM_UTF8


@dataclass
class Batch:
    columns: dict[str, pa.Array]  # field name -> string array (cells as written)
    lines: np.ndarray  # CSV line number of each row (int64)

    def __len__(self) -> int:
        return len(self.lines)


def _err(report: Report, table: Table, type_: str, rule: str, message: str, line=None, column=None,
         field=None, value=None, hint=None) -> None:
    report.add(ValidationError(type_, table.name, table.display_path, line, column, field, value, rule, message, hint))


def _bytes_look_clean(path) -> bool:
    """Fast path of scan_bytes: True when the file is non-empty, has no NUL byte and is valid UTF-8.
    Validates with Arrow (SIMD) a chunk at a time, cut at newlines so no character is split."""
    size = 0
    carry = b""
    buf = bytearray(SCAN_CHUNK)
    view = memoryview(buf)
    with open(path, "rb") as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            size += n
            chunk = view[:n]
            if buf.find(b"\x00", 0, n) >= 0:
                return False
            first = buf.find(b"\n", 0, n)
            last = buf.rfind(b"\n", 0, n)
            if first < 0:
                carry += bytes(chunk)
                if len(carry) > 4 * SCAN_CHUNK:
                    return False  # one enormous line: let the slow path look at it
                continue
            if not _utf8_ok(carry + bytes(chunk[:first + 1])):
                return False
            if last > first and not _utf8_ok(chunk[first + 1:last + 1]):
                return False
            carry = bytes(chunk[last + 1:])
    return size > 0 and (not carry or _utf8_ok(carry))


def _utf8_ok(data) -> bool:
    buf = pa.py_buffer(data)
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, buf]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def scan_bytes(table: Table, report: Report) -> bool:
    """Check the raw bytes: empty, BOM, NUL, valid UTF-8. Returns False when the file cannot be parsed."""
    path = table.path
    if _bytes_look_clean(path):
        with open(path, "rb") as fh:
            if fh.read(len(BOM)) == BOM:
                _err(report, table, "bom", "encoding",
                     "the file starts with a UTF-8 byte-order mark", line=1, column=1,
                     hint="save it as UTF-8 without BOM")
        return True
    # Something is wrong: the slow path below finds what, and where.
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    ok = True
    with open(path, "rb") as fh:
        first = True
        while True:
            chunk = fh.read(SCAN_CHUNK)
            if first:
                if not chunk:
                    _err(report, table, "empty-file", "structure", "the file is empty; it needs at least a header row", line=1)
                    return False
                if chunk.startswith(BOM):
                    _err(report, table, "bom", "encoding",
                         "the file starts with a UTF-8 byte-order mark", line=1, column=1,
                         hint="save it as UTF-8 without BOM")
                first = False
            if not chunk:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    _err(report, table, "encoding-error", "utf-8", "the file ends inside a multi-byte character", line=line)
                    return False
                return ok
            nul = chunk.find(b"\x00")
            if nul >= 0:
                at = line + chunk.count(b"\n", 0, nul)
                _err(report, table, "nul-byte", "encoding", "the file contains a NUL byte", line=at,
                     hint="remove the NUL byte; it is not text")
                return False
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                at = line + chunk.count(b"\n", 0, max(e.start, 0))
                bad = chunk[e.start:e.start + 4]
                _err(report, table, "encoding-error", "utf-8",
                     f"the bytes {bad!r} are not valid UTF-8", line=at,
                     hint="save the file as UTF-8 (it may be Latin-1 or Windows-1252)")
                return False
            line += chunk.count(b"\n")


def read_header(table: Table) -> tuple[list[str], int]:
    """The first CSV record and the number of physical lines it spans."""
    with open(table.path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return [], 0
        except csv.Error:
            return [], -1
        return header, reader.line_num


def check_header(table: Table, header: list[str], report: Report) -> dict[str, int]:
    """Compare the header with the schema. Returns field name -> column index for the fields found."""
    expected = table.field_names
    positions: dict[str, int] = {}
    seen: set[str] = set()
    for i, label in enumerate(header):
        col = i + 1
        if label.strip() == "":
            _err(report, table, "blank-header", "header", "a header cell is empty", line=1, column=col)
            continue
        if label != label.strip():
            _err(report, table, "incorrect-label", "header", "the column name has surrounding whitespace",
                 line=1, column=col, value=label, hint=f"write '{label.strip()}'")
            continue
        if label in seen:
            _err(report, table, "duplicate-label", "header", "this column name appears earlier in the header",
                 line=1, column=col, value=label)
            continue
        seen.add(label)
        if label not in expected:
            _err(report, table, "extra-label", "header", "the schema has no field with this name",
                 line=1, column=col, value=label, hint=_close(label, [n for n in expected if n not in header]))
            continue
        positions[label] = i
    for name in expected:
        if name not in positions and name not in seen:
            _err(report, table, "missing-label", "header", f"the schema's field '{name}' has no column",
                 line=1, field=name)
    found = [n for n in expected if n in positions]
    ordered = sorted(found, key=lambda n: positions[n])
    if found != ordered:
        _err(report, table, "incorrect-label", "header",
             "the columns are not in the schema's order", line=1,
             hint="expected order: " + ", ".join(expected))
    return positions


def _close(value: str, candidates) -> str | None:
    import difflib

    match = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


class _LineMap:
    """Maps data records (numbered from 1 after the header, as the parser counts them, blank lines
    included) to physical CSV lines, given the newlines embedded in quoted cells."""

    def __init__(self, header_lines: int):
        self.header_lines = header_lines
        self.next_record = 1
        self.skipped: set[int] = set()  # record numbers the parser dropped and not yet passed
        self._keys: list[int] = []  # records holding embedded newlines, ascending
        self._counts: list[int] = []
        self._cum = np.zeros(0, dtype=np.int64)
        self._keys_arr = np.zeros(0, dtype=np.int64)
        self._dirty = False

    def skip(self, record: int) -> None:
        self.skipped.add(record)

    def assign(self, n: int) -> np.ndarray:
        """Record numbers of the next n rows the parser accepted."""
        ahead = np.array(sorted(r for r in self.skipped if r >= self.next_record), dtype=np.int64)
        span = np.arange(self.next_record, self.next_record + n + len(ahead), dtype=np.int64)
        if len(ahead):
            span = span[~np.isin(span, ahead)]
        records = span[:n]
        if n:
            self.next_record = int(records[-1]) + 1
        return records

    def add_newlines(self, records: np.ndarray, counts: np.ndarray) -> None:
        nz = np.nonzero(counts)[0]
        if len(nz):
            # records arrive in ascending order overall, except skipped rows reported late
            for r, c in zip(records[nz].tolist(), counts[nz].tolist()):
                self._keys.append(int(r))
                self._counts.append(int(c))
            self._dirty = True

    def lines(self, records: np.ndarray) -> np.ndarray:
        if self._dirty:
            order = np.argsort(np.array(self._keys, dtype=np.int64), kind="stable")
            self._keys_arr = np.array(self._keys, dtype=np.int64)[order]
            self._cum = np.cumsum(np.array(self._counts, dtype=np.int64)[order])
            self._dirty = False
        base = records + self.header_lines
        if len(self._keys_arr) == 0:
            return base
        idx = np.searchsorted(self._keys_arr, records, side="left")  # records strictly before
        before = np.where(idx > 0, self._cum[np.maximum(idx - 1, 0)], 0)
        return base + before


def int_numpy(arr: pa.Array) -> np.ndarray:
    """A null-free integer Arrow array as a numpy view, without the pandas import that
    Array.to_numpy() triggers in pyarrow."""
    if isinstance(arr, pa.ChunkedArray):
        parts = [int_numpy(c) for c in arr.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=arr.type.to_pandas_dtype())
    dtype = np.dtype(arr.type.to_pandas_dtype())
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=arr.offset + len(arr))[arr.offset:]


def true_indices(mask) -> np.ndarray:
    """Positions where a boolean Arrow array is true (null counts as false), as int64 numpy."""
    import pyarrow.compute as pc

    return int_numpy(pc.indices_nonzero(mask)).astype(np.int64)


def _blank_rows(columns: list[pa.Array]):
    """Rows whose every cell is empty (a blank line, or only commas): a boolean Arrow mask, or None."""
    import pyarrow.compute as pc

    blank = None
    for col in columns:
        empty = pc.equal(pc.binary_length(col), 0)
        blank = empty if blank is None else pc.and_(blank, empty)
        if not pc.any(blank).as_py():
            return None
    return blank


def _string_bytes(col: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of a string array's cells, as a numpy view (no copy)."""
    bufs = col.buffers()
    if bufs[2] is None or len(col) == 0:
        return np.zeros(0, dtype=np.uint8)
    width = np.int64 if pa.types.is_large_string(col.type) else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width, count=col.offset + len(col) + 1)
    lo, hi = int(offsets[col.offset]), int(offsets[col.offset + len(col)])
    return np.frombuffer(bufs[2], dtype=np.uint8, count=hi)[lo:]


def _may_hold_newline(col: pa.Array) -> bool:
    data = _string_bytes(col)
    if not len(data):
        return False
    low = int(data.min())  # one SIMD pass; text rarely holds any byte below 0x0B
    if low > 10:
        return False
    return low == 10 or bool((data == 10).any())


def _newline_counts(columns: list[pa.Array]) -> np.ndarray | None:
    import pyarrow.compute as pc

    total = None
    for col in columns:
        if not _may_hold_newline(col):
            continue
        counts = pc.count_substring(col, "\n")
        total = counts if total is None else pc.add(total, counts)
    if total is None:
        return None
    arr = int_numpy(total)
    return arr if arr.any() else None


_DONE = object()


class NeedsScan(Exception):
    """Raised by read_batches(optimistic=True) when the bytes of the file may be broken (invalid
    UTF-8, a NUL byte, an unreadable header) or the parser failed: the caller discards what it
    did with the batches so far and reads the table again with optimistic=False, which scans the
    bytes first and reports exactly what is wrong and where."""


def _low_bytes(columns: list[pa.Array]) -> list[int]:
    """The smallest byte in each string column's cells (255 for an empty column)."""
    return [low for low, _ in _byte_range(columns)]


def _byte_range(columns: list[pa.Array]) -> list[tuple[int, int]]:
    """(smallest, largest) byte in each string column's cells; (255, 0) for an empty column."""
    out = []
    for col in columns:
        data = _string_bytes(col)
        out.append((int(data.min()), int(data.max())) if len(data) else (255, 0))
    return out


class _Parse:
    """A table's CSV being parsed on a helper thread (see read_batches)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def close(self) -> None:
        import queue

        if self.worker is not None:
            self.stop.set()
            while self.worker.is_alive():
                try:
                    self.handoff.get(timeout=0.05)
                except queue.Empty:
                    pass
            self.worker.join()
            self.worker = None


def start_parse(table: Table, block_size: int = BLOCK_SIZE, optimistic: bool = False) -> _Parse:
    """Start parsing a table's CSV on a helper thread; it parses up to two blocks ahead and waits.
    Hand the result to read_batches(started=...) to consume it, or close() it."""
    import queue
    import threading

    # The parser starts at once, on its own thread; the byte scan runs meanwhile on this one, and
    # nothing is reported or yielded before the scan has passed.
    try:
        header, header_lines = read_header(table)
    except UnicodeDecodeError:  # the scan says where
        header, header_lines = [], -2
    parseable = header_lines > 0 and bool(header) and header != [""]
    width = len(header)
    # Column names for the parser must be unique even when the header is not.
    parser_names = [f"c{i}" for i in range(width)]
    linemap = _LineMap(max(header_lines, 0))
    pending: list[tuple[int, int, str]] = []  # rows the parser dropped, reported once their line is known

    def on_invalid(row) -> str:
        try:
            text = row.text
        except UnicodeDecodeError:
            return "error"  # not UTF-8: the parse fails, and the byte scan says where
        # The parser numbers records from 1 with the header as record 1 (single-threaded only).
        number = row.number - 1 if row.number is not None else None
        pending.append((number, row.actual_columns, text))
        if number is not None:
            linemap.skip(number)
            nl = text.count("\n")
            if nl:
                linemap.add_newlines(np.array([number]), np.array([nl]))
        return "skip"

    def take_dropped(final: bool) -> list:
        """Dropped rows whose line is now known, as (line, cells, text); the rest stay pending."""
        keep, out = [], []
        for number, actual, text in pending:
            if not final and number is not None and number >= linemap.next_record:
                keep.append((number, actual, text))
                continue
            line = int(linemap.lines(np.array([number]))[0]) if number is not None else None
            out.append((line, actual, text))
        pending[:] = keep
        return out

    read_options = pacsv.ReadOptions(column_names=parser_names, skip_rows=1, block_size=block_size, use_threads=False)
    parse_options = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=on_invalid)
    convert_options = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in parser_names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        null_values=[],
        check_utf8=False,  # scan_bytes checks the whole file, or (optimistic) the caller each batch
    )
    handoff: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        # Only this thread touches linemap and pending while the file is read.
        try:
            reader = pacsv.open_csv(table.path, read_options=read_options, parse_options=parse_options,
                                    convert_options=convert_options)
            for rb in reader:
                if stop.is_set():
                    return
                n = rb.num_rows
                if not n:
                    continue
                records = linemap.assign(n)
                columns = [rb.column(i) for i in range(width)]
                ranges = _byte_range(columns)
                counts = _newline_counts([c for c, (low, _) in zip(columns, ranges) if low <= 10])
                if counts is not None:
                    linemap.add_newlines(records, counts)
                dropped = take_dropped(final=False)
                suspect = min((low for low, _ in ranges), default=255) == 0  # a NUL byte
                if optimistic and not suspect:
                    try:  # every cell is valid UTF-8 (a column of ASCII bytes only is)
                        for col, (_, high) in zip(columns, ranges):
                            if high >= 0x80:
                                col.validate(full=True)
                    except pa.ArrowInvalid:
                        suspect = True
                if not put((rb, linemap.lines(records), dropped, suspect)):
                    return
            put((None, None, take_dropped(final=True), False))
            put(_DONE)
        except BaseException as e:  # handed to the caller's thread and raised there
            put(e)

    worker = None
    if parseable:
        worker = threading.Thread(target=produce, name=f"csv-{table.name}", daemon=True)
        worker.start()
    return _Parse(header=header, header_lines=header_lines, parseable=parseable, width=width, handoff=handoff,
                  stop=stop, worker=worker, optimistic=optimistic, block_size=block_size)


def read_batches(table: Table, report: Report, block_size: int = BLOCK_SIZE,
                 optimistic: bool = False, started: _Parse | None = None) -> Iterator[Batch]:
    """Yield the table's rows in batches of string columns. Reports structural errors on the way.

    The CSV is parsed on a helper thread, one block ahead of the caller, so that parsing (which
    releases the GIL) overlaps with the checks the caller runs on the previous batch.

    By default the bytes of the whole file are scanned (UTF-8, NUL, BOM) before anything is
    yielded. With optimistic=True there is no separate scan: each batch's cells are checked as
    UTF-8 and for NUL bytes as they arrive, and any doubt raises NeedsScan (see there).

    started: the same table's start_parse(), begun earlier (with the same options) to overlap."""
    import pyarrow.compute as pc

    if started is None or started.optimistic != optimistic or started.block_size != block_size:
        if started is not None:
            started.close()
        started = start_parse(table, block_size, optimistic)
    parse = started
    header, header_lines, parseable, width = parse.header, parse.header_lines, parse.parseable, parse.width
    handoff = parse.handoff
    if optimistic and not parseable:
        parse.close()
        raise NeedsScan(table.name)


    def report_dropped(dropped: list) -> None:
        for line, actual, text in dropped:
            if actual <= 1 and text.strip() == "":
                _err(report, table, "blank-row", "structure", "the row is empty", line=line,
                     hint="delete the empty line")
            elif actual > width:
                _err(report, table, "extra-cell", "structure",
                     f"the row has {actual} cells, the header has {width}", line=line, column=width + 1,
                     value=text[:200], hint=_quote_hint(text, extra=True))
            else:
                _err(report, table, "missing-cell", "structure",
                     f"the row has {actual} cells, the header has {width}", line=line, column=actual + 1,
                     value=text[:200], hint=_quote_hint(text))

    try:
        if optimistic:
            with open(table.path, "rb") as fh:
                if fh.read(len(BOM)) == BOM:
                    _err(report, table, "bom", "encoding", "the file starts with a UTF-8 byte-order mark",
                         line=1, column=1, hint="save it as UTF-8 without BOM")
        elif not scan_bytes(table, report):
            return
        if header_lines == -2:
            header, header_lines = read_header(table)
        if header_lines < 0:
            _err(report, table, "source-error", "csv", "the header row cannot be parsed as CSV", line=1)
            return
        if not header or header == [""]:
            _err(report, table, "blank-header", "header", "the first line is empty; it must be the header row", line=1)
            return
        positions = check_header(table, header, report)
        while True:
            item = handoff.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                if optimistic:
                    raise NeedsScan(table.name) from item
                raise item
            rb, lines, dropped, suspect = item
            if optimistic and suspect:
                raise NeedsScan(table.name)
            report_dropped(dropped)
            if rb is None:
                continue
            blank = _blank_rows([rb.column(i) for i in range(width)])
            if blank is not None:
                for line in lines[true_indices(blank)].tolist():
                    _err(report, table, "blank-row", "structure", "the row is empty", line=int(line),
                         hint="delete the empty line")
                keep = pc.invert(blank)
                rb = rb.filter(keep)
                lines = lines[true_indices(keep)]
                if not rb.num_rows:
                    continue
            columns = {name: rb.column(i) for name, i in positions.items()}
            yield Batch(columns=columns, lines=lines)
    except pa.ArrowInvalid as e:
        line = _locate_parse_error(table)
        _err(report, table, "source-error", "csv", f"the CSV text cannot be parsed: {_arrow_message(e)}",
             line=line, hint="check for an unclosed double quote")
    finally:
        parse.close()


def _quote_hint(text: str, extra: bool = False) -> str | None:
    if text.count('"') % 2:
        return "an odd number of double quotes: check for an unclosed quote"
    if extra and '"' not in text:
        return "a cell that contains a comma must be in double quotes"
    return None


def _arrow_message(e: Exception) -> str:
    msg = str(e).splitlines()[0]
    return msg.replace("CSV parse error: ", "")


def _locate_parse_error(table: Table) -> int | None:
    """Slow path, only after a parse failure: find the line where the CSV breaks."""
    with open(table.path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        last = 1
        try:
            for _ in reader:
                last = reader.line_num
        except csv.Error:
            return last + 1
    return None


def read_text(path) -> str:
    return io.open(path, encoding="utf-8").read()
