"""The floor: pyarrow's own typed CSV parse of every table of a package, with no checks at all.

    python bench/bare_parse.py bench/data/1m-clean/datapackage.json

Each column is read as the Arrow type of its Table Schema type (strings, int64, float64, date32,
bool), with pyarrow's defaults (several threads). On a file with one bad cell it stops with an
error and no row number: that is why it is the floor, not a validator."""

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

TYPES = {"string": pa.string(), "any": pa.string(), "integer": pa.int64(), "year": pa.int64(),
         "number": pa.float64(), "date": pa.date32(), "boolean": pa.bool_(), "datetime": pa.timestamp("s")}


def main(descriptor: Path) -> int:
    desc = json.loads(descriptor.read_text(encoding="utf-8"))
    rows = 0
    for res in desc["resources"]:
        fields = res["schema"]["fields"]
        types = {f["name"]: TYPES[f.get("type", "string")] for f in fields}
        table = pacsv.read_csv(descriptor.parent / res["path"],
                               convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))
        rows += table.num_rows
    print(f"parsed {rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
