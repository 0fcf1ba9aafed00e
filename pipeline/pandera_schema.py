"""The same schemas as pandera DataFrameSchemas, for tables loaded into pandas (e.g. from a
release's Parquet files). pandera is the second, independent engine: `cyberdip verify` runs it over
every Parquet table of a release, and researchers can use it on what they load:

    import pandas as pd
    from pipeline.pandera_schema import schema_for_release
    schemas = schema_for_release("dist/0.2.1")
    schemas["actors"].validate(pd.read_parquet("dist/0.2.1/parquet/actors.parquet"), lazy=True)

It is not on the hot path of `cyberdip validate` (importing pandera alone costs about 0.7 s, and it
converts dates value by value on failure): that path is pyarrow compute."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.schema import Field, Table, build_table


def _column(f: Field, unique: bool):
    import pandera.pandas as pa

    checks = []
    c = f.constraints
    if f.enum:
        checks.append(pa.Check.isin([str(v) for v in f.enum] if f.type in ("string", "any") else f.enum))
    if f.type in ("string", "any"):
        if "pattern" in c:
            checks.append(pa.Check.str_matches(f"^(?:{c['pattern']})$"))
        if "minLength" in c or "maxLength" in c:
            checks.append(pa.Check.str_length(c.get("minLength"), c.get("maxLength")))
    if f.type in ("integer", "number", "year"):
        if "minimum" in c:
            checks.append(pa.Check.ge(c["minimum"]))
        if "maximum" in c:
            checks.append(pa.Check.le(c["maximum"]))
    dtype = {"integer": "Int64", "year": "Int64", "number": "float64"}.get(f.type)
    if f.type == "boolean":
        checks.append(pa.Check.isin([True, False]))
    return pa.Column(dtype, checks=checks, nullable=not f.required, unique=unique, coerce=False,
                     description=f.description or None, required=True)


def schema_for(table: Table):
    """A pandera DataFrameSchema that checks a pandas frame of this table (as read from its Parquet)."""
    import pandera.pandas as pa

    single_key = table.primary_key if len(table.primary_key) == 1 else []
    columns = {f.name: _column(f, unique=bool(f.constraints.get("unique")) or f.name in single_key)
               for f in table.fields}
    unique = table.primary_key if len(table.primary_key) > 1 else None
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=unique, name=table.name,
                              description=table.description or None)


def schema_for_release(folder: str | Path) -> dict:
    """One pandera schema per table of a release, read from its datapackage.json."""
    folder = Path(folder)
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    out = {}
    for res in desc["resources"]:
        if res.get("format") == "parquet":
            name = res["name"].removesuffix("-parquet")
            out[name] = schema_for(build_table(name, res["schema"], folder / res["path"], {}, res["path"]))
    return out


def check_parquet(folder: Path) -> list[tuple[str, str]]:
    """(path, message) for every failure pandera finds in the release's Parquet tables."""
    import pandas as pd
    import pandera.errors

    problems = []
    for name, schema in schema_for_release(folder).items():
        rel = f"parquet/{name}.parquet"
        frame = pd.read_parquet(folder / rel)
        try:
            schema.validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as e:
            cases = e.failure_cases
            for _, row in cases.head(20).iterrows():
                problems.append((rel, f"{row['column']}: {row['check']} fails for {row['failure_case']!r}"))
            if len(cases) > 20:
                problems.append((rel, f"... and {len(cases) - 20} more pandera failures"))
    return problems
