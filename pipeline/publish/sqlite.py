"""The release as one SQLite database (standard library sqlite3), ready for datasette.

Every table with typed columns, its primary key, foreign keys and an index on every foreign key;
the field descriptions in `_fields`, the tables in `_tables`, the package in `_package`; and a
datasette metadata file beside it. Reproducible: rows go in in file order, the page size is fixed,
the file is VACUUMed and nothing records the clock, so the same data gives the same bytes."""

from __future__ import annotations

import datetime
import json
import sqlite3
from pathlib import Path

import pyarrow as pa

from pipeline.schema import Package, Table

SQL_TYPES = {
    "string": "TEXT", "any": "TEXT", "date": "TEXT", "datetime": "TEXT",
    "integer": "INTEGER", "year": "INTEGER", "boolean": "INTEGER", "number": "REAL",
}
PAGE_SIZE = 4096


def q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def column_sql(table: Table, f) -> str:
    parts = [q(f.name), SQL_TYPES.get(f.type, "TEXT")]
    if f.required:
        parts.append("NOT NULL")
    checks = []
    if f.type == "boolean":
        checks.append(f"{q(f.name)} IN (0, 1)")
    if f.enum and f.type in ("string", "any"):
        checks.append(f"{q(f.name)} IN ({', '.join(sql_literal(v) for v in f.enum)})")
    if checks:
        parts.append("CHECK (" + " AND ".join(checks) + ")")
    return " ".join(parts)


def referable(package: Package, fk) -> bool:
    """SQLite needs the referenced columns to be the primary key or unique."""
    target = package.table(fk.resource)
    if list(fk.ref_fields) == list(target.primary_key):
        return True
    return len(fk.ref_fields) == 1 and bool(target.field(fk.ref_fields[0]).constraints.get("unique"))


def create_sql(package: Package, table: Table) -> list[str]:
    lines = [column_sql(table, f) for f in table.fields]
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(q(n) for n in table.primary_key)})")
    for fk in table.foreign_keys:
        if referable(package, fk):
            lines.append(f"FOREIGN KEY ({', '.join(q(n) for n in fk.fields)}) "
                         f"REFERENCES {q(fk.resource)} ({', '.join(q(n) for n in fk.ref_fields)})")
    stmts = [f"CREATE TABLE {q(table.name)} (\n  " + ",\n  ".join(lines) + "\n)"]
    done = set()
    for fk in table.foreign_keys:
        cols = tuple(fk.fields)
        if cols in done or list(cols) == table.primary_key[:len(cols)]:
            continue  # the primary key's own index already serves a prefix of it
        done.add(cols)
        stmts.append(f"CREATE INDEX {q('idx_' + table.name + '_' + '_'.join(cols))} "
                     f"ON {q(table.name)} ({', '.join(q(n) for n in cols)})")
    for fk in table.foreign_keys:  # referenced unique columns that are not a primary key
        target = package.table(fk.resource)
        if referable(package, fk) and list(fk.ref_fields) != list(target.primary_key):
            stmts.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {q('uq_' + target.name + '_' + '_'.join(fk.ref_fields))} "
                         f"ON {q(target.name)} ({', '.join(q(n) for n in fk.ref_fields)})")
    return stmts


def sql_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def write_sqlite(package: Package, tables: dict[str, pa.Table], target: Path, counts: dict[str, int] | None = None) -> None:
    """Write the database to target (which must not exist) and the datasette metadata beside it."""
    meta = package.metadata
    con = sqlite3.connect(target, isolation_level=None)
    try:
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        con.execute("PRAGMA journal_mode = MEMORY")
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("BEGIN")
        con.execute("CREATE TABLE _package (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.execute("CREATE TABLE _tables (name TEXT PRIMARY KEY, position INTEGER NOT NULL, title TEXT, "
                    "description TEXT, primary_key TEXT, rows INTEGER NOT NULL)")
        con.execute("CREATE TABLE _fields (table_name TEXT NOT NULL REFERENCES _tables (name), field_name TEXT NOT NULL, "
                    "position INTEGER NOT NULL, type TEXT NOT NULL, sqlite_type TEXT NOT NULL, required INTEGER NOT NULL, "
                    "description TEXT, constraints TEXT, PRIMARY KEY (table_name, field_name))")
        licences = ", ".join(lic.get("name", "") for lic in meta.get("licenses", []))
        for key, value in (("name", meta.get("name")), ("title", meta.get("title")), ("version", str(meta.get("version", ""))),
                           ("created", meta.get("created")), ("description", meta.get("description")),
                           ("homepage", meta.get("homepage")), ("licenses", licences)):
            if value:
                con.execute("INSERT INTO _package VALUES (?, ?)", (key, str(value)))
        for pos, table in enumerate(package.tables, 1):
            for stmt in create_sql(package, table):
                con.execute(stmt)
            t = tables.get(table.name)
            nrows = t.num_rows if t is not None else 0
            con.execute("INSERT INTO _tables VALUES (?, ?, ?, ?, ?, ?)",
                        (table.name, pos, table.title, table.description, json.dumps(table.primary_key), nrows))
            for fpos, f in enumerate(table.fields, 1):
                con.execute("INSERT INTO _fields VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (table.name, f.name, fpos, f.type + (" (partial date)" if f.x_check == "partial-date" else ""),
                             SQL_TYPES.get(f.type, "TEXT"), int(f.required), f.description,
                             json.dumps(f.constraints, sort_keys=True, ensure_ascii=False) if f.constraints else None))
            if t is None or not nrows:
                continue
            names = [f.name for f in table.fields]
            columns = [t.column(n).to_pylist() for n in names]
            sql = f"INSERT INTO {q(table.name)} VALUES ({', '.join('?' for _ in names)})"
            con.executemany(sql, ([sql_value(v) for v in row] for row in zip(*columns)))
        con.execute("COMMIT")
        problems = con.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"SQLite foreign key check failed: {problems[:5]}")
        con.execute("VACUUM")
    finally:
        con.close()
    metadata = datasette_metadata(package, counts or {n: t.num_rows for n, t in tables.items()})
    (target.parent / "datasette-metadata.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")


def datasette_metadata(package: Package, counts: dict[str, int]) -> dict:
    """datasette's metadata.json: titles, descriptions, licence and a description of every column."""
    meta = package.metadata
    lic = (meta.get("licenses") or [{}])[0]
    db = {"tables": {}}
    for table in package.tables:
        db["tables"][table.name] = {
            "title": table.title or table.name,
            "description": f"{table.description} ({counts.get(table.name, 0)} rows)".strip(),
            "columns": {f.name: f.description for f in table.fields},
        }
        if table.primary_key:
            db["tables"][table.name]["sort"] = table.primary_key[0]
    for hidden in ("_package", "_tables", "_fields"):
        db["tables"][hidden] = {"description": {
            "_package": "The package: name, version, release date, licence.",
            "_tables": "Every table of the package, with its title, description and row count.",
            "_fields": "Every field of every table, with its type and description (the data dictionary).",
        }[hidden]}
    out = {
        "title": f"{meta.get('title', meta['name'])} {meta.get('version', '')}".strip(),
        "description": meta.get("description", ""),
        "license": lic.get("name", ""),
        "license_url": lic.get("path", ""),
        "source": meta.get("title", meta["name"]),
        "source_url": meta.get("homepage", ""),
        "databases": {meta["name"]: db},
    }
    return {k: v for k, v in out.items() if v != ""}
