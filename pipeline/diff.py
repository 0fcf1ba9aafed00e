"""Compare two states of the package (two releases, or a release and the working raw/ + schemas/):
rows added, removed and changed per table, keyed by primary key, and schema changes, each
classified by the version bump it requires."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import UsageError
from pipeline.publish.descriptor import schema_descriptor
from pipeline.schema import load_project

BUMPS = ["patch", "minor", "major"]
KEY_SEP = "|"


@dataclass
class Snapshot:
    label: str
    version: str
    metadata: dict
    schemas: dict[str, dict]  # table -> Table Schema descriptor
    files: dict[str, Path]  # table -> CSV file

    def rows(self, table: str) -> dict[str, dict]:
        schema = self.schemas[table]
        pk = schema.get("primaryKey") or [schema["fields"][0]["name"]]
        out = {}
        with open(self.files[table], encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                out[KEY_SEP.join(row.get(k) or "" for k in pk)] = row
        return out


@dataclass
class Change:
    bump: str  # patch, minor or major
    kind: str  # e.g. field-removed, constraint-tightened, rows-added
    table: str | None
    message: str


@dataclass
class TableDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict] = field(default_factory=dict)  # id -> field -> [old, new]


@dataclass
class Diff:
    old: str
    new: str
    changes: list[Change]
    tables: dict[str, TableDiff]

    @property
    def required_bump(self) -> str | None:
        if not self.changes:
            return None
        return max((c.bump for c in self.changes), key=BUMPS.index)

    def to_json(self) -> dict:
        return {
            "old": self.old,
            "new": self.new,
            "required_bump": self.required_bump,
            "schema_changes": [c.__dict__ for c in self.changes if not c.kind.startswith("rows-")],
            "tables": {
                name: {"added": len(d.added), "removed": len(d.removed), "changed": len(d.changed),
                       "added_ids": d.added, "removed_ids": d.removed, "changed_ids": sorted(d.changed),
                       "changed_cells": d.changed}
                for name, d in sorted(self.tables.items())
            },
        }


def snapshot_of_release(folder: Path) -> Snapshot:
    desc_path = folder / "datapackage.json"
    try:
        desc = json.loads(desc_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{desc_path}: cannot read the release descriptor: {e}") from None
    schemas, files = {}, {}
    for res in desc.get("resources", []):
        if res.get("format") == "csv":
            schemas[res["name"]] = res["schema"]
            files[res["name"]] = folder / res["path"]
    meta = {k: v for k, v in desc.items() if k != "resources"}
    return Snapshot(str(folder), str(desc.get("version")), meta, schemas, files)


def snapshot_of_project(root: Path) -> Snapshot:
    package = load_project(root)
    schemas = {t.name: schema_descriptor(t, "csv") for t in package.tables}
    for t in package.tables:
        if not t.path.is_file():
            raise UsageError(f"{t.display_path}: the CSV file of table '{t.name}' does not exist")
    files = {t.name: t.path for t in package.tables}
    return Snapshot("working raw/ and schemas/", str(package.metadata.get("version")), package.metadata, schemas, files)


def resolve(spec: str, root: Path | None) -> Snapshot:
    """A version (looked up in dist/), a release folder, a release zip, or 'working'."""
    if spec == "working":
        if root is None:
            raise UsageError("'working' needs to be run inside the project")
        return snapshot_of_project(root)
    path = Path(spec)
    if path.is_dir():
        return snapshot_of_release(path)
    if root is not None and (root / "dist" / spec).is_dir():
        return snapshot_of_release(root / "dist" / spec)
    raise UsageError(f"'{spec}' is neither a released version in dist/, a release folder, nor 'working'")


# --- schema changes ---------------------------------------------------------------------------

_LOWER_IS_STRICTER = {"maxLength", "maximum"}
_HIGHER_IS_STRICTER = {"minLength", "minimum"}


def _constraint_changes(table: str, fname: str, old: dict, new: dict) -> list[Change]:
    out = []
    where = f"{table}.{fname}"
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key in ("required", "unique"):
            tighter = bool(b) and not a
        elif key == "enum":
            if a is None or b is None:
                tighter = b is not None
            else:
                removed = set(map(str, a)) - set(map(str, b))
                tighter = bool(removed)
                if not removed:
                    added = ", ".join(sorted(set(map(str, b)) - set(map(str, a))))
                    out.append(Change("minor", "constraint-loosened", table, f"{where}: enum allows {added}"))
                    continue
                out.append(Change("major", "constraint-tightened", table,
                                  f"{where}: enum no longer allows {', '.join(sorted(removed))}"))
                continue
        elif a is None:
            tighter = True
        elif b is None:
            tighter = False
        elif key in _HIGHER_IS_STRICTER:
            tighter = b > a
        elif key in _LOWER_IS_STRICTER:
            tighter = b < a
        else:  # a changed pattern: no way to tell it admits every old value
            tighter = True
        if tighter:
            out.append(Change("major", "constraint-tightened", table, f"{where}: {key} {a!r} -> {b!r}"))
        else:
            out.append(Change("minor", "constraint-loosened", table, f"{where}: {key} {a!r} -> {b!r}"))
    return out


def schema_changes(old: Snapshot, new: Snapshot) -> list[Change]:
    out = []
    for t in sorted(set(old.schemas) - set(new.schemas)):
        out.append(Change("major", "table-removed", t, f"table {t} removed"))
    for t in sorted(set(new.schemas) - set(old.schemas)):
        out.append(Change("minor", "table-added", t, f"table {t} added"))
    for t in sorted(set(old.schemas) & set(new.schemas)):
        a, b = old.schemas[t], new.schemas[t]
        fa = {f["name"]: f for f in a["fields"]}
        fb = {f["name"]: f for f in b["fields"]}
        for name in [f["name"] for f in a["fields"] if f["name"] not in fb]:
            out.append(Change("major", "field-removed", t, f"{t}.{name} removed (or renamed)"))
        for name in [f["name"] for f in b["fields"] if f["name"] not in fa]:
            required = (fb[name].get("constraints") or {}).get("required")
            out.append(Change("major" if required else "minor", "field-added", t,
                              f"{t}.{name} added" + (" as a required field" if required else "")))
        common_a = [n for n in fa if n in fb]
        common_b = [n for n in fb if n in fa]
        if common_a != common_b:
            out.append(Change("major", "fields-reordered", t, f"{t}: fields reordered"))
        for name in common_a:
            x, y = fa[name], fb[name]
            if x.get("type") != y.get("type"):
                out.append(Change("major", "field-retyped", t, f"{t}.{name}: type {x.get('type')} -> {y.get('type')}"))
            out += _constraint_changes(t, name, dict(x.get("constraints") or {}, **{"x-check": x.get("x-check")}),
                                       dict(y.get("constraints") or {}, **{"x-check": y.get("x-check")}))
            if x.get("description") != y.get("description"):
                out.append(Change("patch", "description-changed", t, f"{t}.{name}: description changed"))
        if a.get("primaryKey") != b.get("primaryKey"):
            out.append(Change("major", "key-changed", t, f"{t}: primary key {a.get('primaryKey')} -> {b.get('primaryKey')}"))
        if a.get("foreignKeys") != b.get("foreignKeys"):
            out.append(Change("major", "key-changed", t, f"{t}: foreign keys changed"))
        ra = [json.dumps(r, sort_keys=True) for r in a.get("x-rules", [])]
        rb = [json.dumps(r, sort_keys=True) for r in b.get("x-rules", [])]
        for r in sorted(set(rb) - set(ra)):
            out.append(Change("major", "rule-added", t, f"{t}: rule added {r}"))
        for r in sorted(set(ra) - set(rb)):
            out.append(Change("minor", "rule-removed", t, f"{t}: rule removed {r}"))
    for key in ("title", "description", "keywords", "licenses", "contributors", "homepage"):
        if old.metadata.get(key) != new.metadata.get(key):
            out.append(Change("patch", "metadata-changed", None, f"package {key} changed"))
    return out


def data_changes(old: Snapshot, new: Snapshot) -> tuple[dict[str, TableDiff], list[Change]]:
    tables, changes = {}, []
    for t in sorted(set(old.schemas) & set(new.schemas)):
        a, b = old.rows(t), new.rows(t)
        d = TableDiff(added=sorted(set(b) - set(a)), removed=sorted(set(a) - set(b)))
        for key in sorted(set(a) & set(b)):
            cells = {f: [a[key].get(f), b[key].get(f)] for f in sorted(set(a[key]) | set(b[key]))
                     if (a[key].get(f) or "") != (b[key].get(f) or "")}
            if cells:
                d.changed[key] = cells
        tables[t] = d
        if d.removed:
            shown = ", ".join(d.removed[:5]) + (" ..." if len(d.removed) > 5 else "")
            changes.append(Change("major", "rows-removed", t, f"{t}: {len(d.removed)} rows removed ({shown})"))
        if d.added:
            changes.append(Change("minor", "rows-added", t, f"{t}: {len(d.added)} rows added"))
        if d.changed:
            changes.append(Change("patch", "rows-changed", t, f"{t}: {len(d.changed)} rows changed"))
    for t in sorted(set(new.schemas) - set(old.schemas)):
        tables[t] = TableDiff(added=sorted(new.rows(t)))
    for t in sorted(set(old.schemas) - set(new.schemas)):
        tables[t] = TableDiff(removed=sorted(old.rows(t)))
    return tables, changes


def compare(old: Snapshot, new: Snapshot) -> Diff:
    tables, row_changes = data_changes(old, new)
    return Diff(old.version if old.label != "working raw/ and schemas/" else "working",
                new.version if new.label != "working raw/ and schemas/" else "working",
                schema_changes(old, new) + row_changes, tables)


def render_text(diff: Diff) -> str:
    lines = [f"diff {diff.old} -> {diff.new}"]
    schema = [c for c in diff.changes if not c.kind.startswith("rows-")]
    if schema:
        lines.append("schema:")
        lines += [f"  [{c.bump}] {c.message}" for c in schema]
    for name, d in sorted(diff.tables.items()):
        if not (d.added or d.removed or d.changed):
            continue
        lines.append(f"{name}: +{len(d.added)} -{len(d.removed)} ~{len(d.changed)}")
        lines += [f"  + {k}" for k in d.added]
        lines += [f"  - {k}" for k in d.removed]
        for k, cells in d.changed.items():
            lines.append(f"  ~ {k}")
            lines += [f"      {f}: {old!r} -> {new!r}" for f, (old, new) in cells.items()]
    bump = diff.required_bump
    lines.append(f"required bump: {bump}" if bump else "no changes")
    return "\n".join(lines) + "\n"
