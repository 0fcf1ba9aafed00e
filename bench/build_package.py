"""`cyberdip build` for any data package: validate, then write the release (CSV, Parquet, JSON,
datapackage.json, data dictionary, SHA256SUMS) into a new folder, with the same library
functions the `build` command uses.

    python bench/build_package.py bench/data/1m-clean/datapackage.json bench/out/1m
"""

import shutil
import sys
from pathlib import Path

from pipeline.build import write_release
from pipeline.errors import Report, render_text
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
    counts = write_release(package, states, out)
    print(f"published {out} ({len(counts)} tables, {sum(counts.values())} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
