"""The core of `cyberdip build` for any data package, as the issue defines it for the benchmark:
validate, then write every table as CSV, Parquet and JSON into a new folder, with the library
functions of `cyberdip build` (pipeline.validate, pipeline.publish.typed, and
pipeline.publish.writers.write_formats, which runs write_csv, write_parquet and write_json at
the same time and writes the same bytes).

    python bench/build_package.py bench/data/1m-clean/datapackage.json bench/out/1m

The full `cyberdip build` of our own project also writes datapackage.json, the data dictionary,
checksums and the other formats (SQLite, XLSX, site); those are not timed here."""

import shutil
import sys
from pathlib import Path

from pipeline.errors import Report, render_text
from pipeline.publish import typed, writers
from pipeline.schema import load_descriptor
from pipeline.validate import validate_package


def main(descriptor: Path, out: Path) -> int:
    package = load_descriptor(descriptor)
    report, states = validate_package(package, Report(max_errors=20), keep_typed=True)
    if not report.valid:
        sys.stdout.write(render_text(report))
        return 1
    if out.exists():
        shutil.rmtree(out)
    meta = package.metadata
    for sub in ("csv", "parquet", "json"):
        (out / sub).mkdir(parents=True)
    rows = 0
    for table in package.tables:
        t = typed.typed_table(table, states[table.name].typed, meta)
        states[table.name].typed = []  # the typed table holds the data now
        writers.write_formats(t, table.path, out, meta.get("name", ""), str(meta.get("version", "")), table.name)
        rows += t.num_rows
    print(f"wrote {out} ({len(package.tables)} tables, {rows} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
