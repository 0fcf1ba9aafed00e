"""Typed Arrow tables from validated batches: the one in-memory form every writer reads."""

from __future__ import annotations

import json

import pyarrow as pa

from pipeline.schema import Field, Table

ARROW_TYPES = {
    "string": pa.string(),
    "any": pa.string(),
    "integer": pa.int64(),
    "year": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("s"),
}


def arrow_field(f: Field) -> pa.Field:
    typ = ARROW_TYPES[f.type]
    if f.enum and f.type in ("string", "any"):
        typ = pa.dictionary(pa.int32(), pa.string())
    meta = {"description": f.description, "frictionless_type": f.type}
    if f.x_check == "partial-date":
        meta["precision"] = "YYYY, YYYY-MM or YYYY-MM-DD: the length of the value is its precision"
    return pa.field(f.name, typ, nullable=not f.required, metadata=meta)


def arrow_schema(table: Table, package_meta: dict) -> pa.Schema:
    fields = [arrow_field(f) for f in table.fields]
    meta = {
        "cyberdip.package": package_meta.get("name", ""),
        "cyberdip.version": str(package_meta.get("version", "")),
        "cyberdip.table": table.name,
        "description": table.description or "",
        "primary_key": json.dumps(table.primary_key),
    }
    return pa.schema(fields, metadata=meta)


def typed_table(table: Table, batches: list[pa.RecordBatch], package_meta: dict) -> pa.Table:
    schema = arrow_schema(table, package_meta)
    if not batches:
        return schema.empty_table()
    plain = pa.Table.from_batches(batches)
    columns = []
    for f, target in zip(table.fields, schema):
        col = plain.column(f.name)
        if pa.types.is_dictionary(target.type):
            col = col.dictionary_encode()
            col = col.cast(target.type)
        elif col.type != target.type:
            col = col.cast(target.type)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=schema)
