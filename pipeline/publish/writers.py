"""One function per output format. Each writes bytes that depend only on its input."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def write_csv(source: Path, target: Path) -> None:
    """The published CSV is the validated raw file, byte for byte: what curators wrote is what users get."""
    shutil.copyfile(source, target)


def write_formats(table: pa.Table, source_csv: Path, folder: Path, package: str, version: str,
                  name: str) -> None:
    """csv/NAME.csv, parquet/NAME.parquet and json/NAME.json under folder, written at the same time
    (each writer spends its time in Arrow code that releases the GIL). The bytes are those of
    write_csv, write_parquet and write_json called one after the other."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(write_parquet, table, folder / "parquet" / f"{name}.parquet"),
                pool.submit(write_csv, source_csv, folder / "csv" / f"{name}.csv")]
        write_json(table, folder / "json" / f"{name}.json", package, version, name)
        for job in jobs:
            job.result()


def write_parquet(table: pa.Table, target: Path) -> None:
    pq.write_table(table, target, compression="zstd", compression_level=9, use_dictionary=True,
                   write_statistics=True, store_schema=True)


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


JSON_CHUNK_ROWS = 65536


def write_json(table: pa.Table, target: Path, package: str, version: str, name: str) -> None:
    """Typed records (numbers, booleans, null, ISO dates) with the release they belong to.

    The bytes are exactly those of json.dump(doc, ensure_ascii=False, indent=1) (see
    _write_json_records), but every cell is encoded by a vectorised Arrow kernel and each chunk of
    rows is written as one buffer: no Python object per cell."""
    names = table.column_names
    if not names or table.num_rows == 0:
        _write_json_records(table, target, package, version, name)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    head = json.dumps({"package": package, "version": version, "table": name}, ensure_ascii=False, indent=1)
    keys = [json.dumps(n, ensure_ascii=False) for n in names]
    # Text columns without nulls get their quotes from the row template, not cell by cell.
    bare = [_is_text(table.column(n).type) and table.column(n).null_count == 0 for n in names]
    template = []  # literal text before each column's cells
    for i, key in enumerate(keys):
        text = ("  {\n   " if i == 0 else ",\n   ") + key + ": " + ('"' if bare[i] else "")
        if i and bare[i - 1]:
            text = '"' + text
        template.append(text)
    tail = ('"' if bare[-1] else "") + "\n  },\n"

    def encode(start: int) -> list:
        part = table.slice(start, JSON_CHUNK_ROWS)
        args = []
        for i, n in enumerate(names):
            args.append(template[i])
            args.append(_json_cells(part.column(n), quoted=not bare[i]))
        args.append(tail)
        rows = pc.binary_join_element_wise(*args, "")
        return rows.chunks if isinstance(rows, pa.ChunkedArray) else [rows]

    # Arrow kernels release the GIL: two threads encode chunks of rows while this one writes them in order.
    with open(target, "wb") as fh, ThreadPoolExecutor(max_workers=2) as pool:
        fh.write((head[:-2] + ',\n "rows": [\n').encode("utf-8"))
        pending: deque = deque()
        for start in range(0, table.num_rows, JSON_CHUNK_ROWS):
            pending.append(pool.submit(encode, start))
            if len(pending) > 2:
                for chunk in pending.popleft().result():
                    fh.write(_string_buffer(chunk))
        while pending:
            for chunk in pending.popleft().result():
                fh.write(_string_buffer(chunk))
        fh.seek(-2, 1)  # the last row takes no comma
        fh.write(b"\n ]\n}\n")
        fh.truncate()


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _string_buffer(arr: pa.Array) -> memoryview:
    """The UTF-8 bytes of all cells of a string array, back to back (no copy)."""
    import numpy as np

    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=arr.offset + len(arr) + 1)
    lo, hi = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    return memoryview(arr.buffers()[2])[lo:hi]


def _json_string(col, quoted: bool = True) -> pa.Array:
    col = pc.cast(col, pa.string()) if not pa.types.is_string(col.type) else col
    import numpy as np

    data = np.frombuffer(_string_buffer(col), dtype=np.uint8) if len(col) else np.zeros(0, np.uint8)
    text = col
    if len(data) and (data == 0x5C).any():
        text = pc.replace_substring(text, "\\", "\\\\")
    if len(data) and (data == 0x22).any():
        text = pc.replace_substring(text, '"', '\\"')
    # one SIMD pass says whether any cell holds a control character (below U+0020)
    if len(data) and int(data.min()) < 0x20:
        controls = pc.fill_null(pc.match_substring_regex(col, "[\\x00-\\x1f]"), False)
    else:
        controls = None
    if controls is not None and pc.any(controls).as_py():  # rare: Python's own encoder for those cells
        odd = [json.dumps(v, ensure_ascii=False)[1:-1] for v in pc.filter(col, controls).to_pylist()]
        text = pc.replace_with_mask(text, controls, pa.array(odd, pa.string()))
    return pc.binary_join_element_wise('"', text, '"', "") if quoted else text


def _json_cells(col, quoted: bool = True) -> pa.Array:
    """Each cell of a column as the JSON text json.dumps(value, ensure_ascii=False) gives it
    (quoted=False: text without its surrounding quotes; only for columns without nulls)."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    t = col.type
    if pa.types.is_dictionary(t):  # each distinct value once, then spread over the cells
        values = _json_cells(col.dictionary, quoted)
        return pc.fill_null(pc.take(values, col.indices), "null")
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = _json_string(col, quoted)
    elif pa.types.is_integer(t):
        out = pc.cast(col, pa.string())
    elif pa.types.is_boolean(t):
        out = pc.if_else(col, "true", "false")
    elif pa.types.is_date32(t) or pa.types.is_date64(t):
        out = pc.binary_join_element_wise('"', pc.cast(col, pa.string()), '"', "")
    else:  # floats (Python's repr), timestamps and anything else: Python's encoder, cell by cell
        out = pa.array([json.dumps(_jsonable(v), ensure_ascii=False) for v in col.to_pylist()], pa.string())
    return pc.fill_null(out, "null")


def _write_json_records(table: pa.Table, target: Path, package: str, version: str, name: str) -> None:
    names = table.column_names
    columns = [table.column(n).to_pylist() for n in names]
    rows = [dict(zip(names, map(_jsonable, values))) for values in zip(*columns)]
    doc = {"package": package, "version": version, "table": name, "rows": rows}
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1, sort_keys=False)
        fh.write("\n")
