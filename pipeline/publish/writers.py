"""One function per output format. Each writes bytes that depend only on its input."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def write_csv(source: Path, target: Path) -> None:
    """The published CSV is the validated raw file, byte for byte: what curators wrote is what users get."""
    shutil.copyfile(source, target)


def write_parquet(table: pa.Table, target: Path) -> None:
    pq.write_table(table, target, compression="zstd", compression_level=9, use_dictionary=True,
                   write_statistics=True, store_schema=True)


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def write_json(table: pa.Table, target: Path, package: str, version: str, name: str) -> None:
    """Typed records (numbers, booleans, null, ISO dates) with the release they belong to."""
    names = table.column_names
    columns = [table.column(n).to_pylist() for n in names]
    rows = [dict(zip(names, map(_jsonable, values))) for values in zip(*columns)]
    doc = {"package": package, "version": version, "table": name, "rows": rows}
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1, sort_keys=False)
        fh.write("\n")
