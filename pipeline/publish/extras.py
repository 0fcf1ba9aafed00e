"""The formats for people who would rather look than read: the static site, SQLite and Excel.
Called by write_release once the tables are typed; each writer depends only on its input."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from pipeline.schema import Package


def write_extras(package: Package, tables: dict[str, pa.Table], out: Path, counts: dict[str, int],
                 progress=None) -> None:
    from pipeline.publish import site, sqlite, xlsx

    name = package.metadata["name"]
    steps = (
        ("sqlite", lambda: sqlite.write_sqlite(package, tables, out / f"{name}.sqlite", counts)),
        ("xlsx", lambda: xlsx.write_xlsx(package, tables, out / f"{name}.xlsx", counts)),
        ("site", lambda: site.write_site(package, tables, out, counts)),
    )
    for step, write in steps:
        if progress:
            progress(step)
        write()
