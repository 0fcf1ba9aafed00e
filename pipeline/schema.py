"""Load table schemas: our own YAML tree (shared field definitions resolved) or any
Frictionless data package descriptor. Everything downstream sees the same plain structures."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import UsageError

FIELD_TYPES = {"string", "integer", "number", "boolean", "date", "year", "datetime", "any"}
X_CHECKS = {"partial-date", "iso3166-alpha2", "iso3166-alpha3", "row-reference"}
X_RULES = {"date-order", "required-when", "no-cycle", "referenced-by", "not-reused"}
# A descriptor is read into memory whole; refuse absurd ones before parsing them.
MAX_DESCRIPTOR_BYTES = 5_000_000
MAX_DESCRIPTOR_DEPTH = 40


@dataclass
class Field:
    name: str
    type: str
    description: str = ""
    constraints: dict = field(default_factory=dict)
    format: str | None = None
    x_check: str | None = None
    not_after: str | None = None  # a date (YYYY-MM-DD): values must not lie after it
    true_values: tuple = ("true", "True", "TRUE", "1")
    false_values: tuple = ("false", "False", "FALSE", "0")

    @property
    def enum(self):
        return self.constraints.get("enum")

    @property
    def required(self):
        return bool(self.constraints.get("required"))


@dataclass
class ForeignKey:
    fields: list[str]
    resource: str  # name of the referenced table ("" never: self-references are resolved)
    ref_fields: list[str]


@dataclass
class Table:
    name: str
    path: Path  # the CSV file
    fields: list[Field]
    title: str = ""
    description: str = ""
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)
    missing_values: tuple = ("",)
    schema_path: Path | None = None
    strict_text: bool = False  # whitespace, invisible characters, NFC, formula injection

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def display_path(self) -> str:
        return _display(self.path)


@dataclass
class Package:
    tables: list[Table]
    metadata: dict
    descriptor_path: Path | None = None

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: a few lines of aliases can expand to billions of nodes (a 'YAML bomb')."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases (*name) are not allowed in descriptors")
        return super().compose_node(parent, index)


def _read_mapping(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UsageError(f"{_display(path)}: cannot read: {e.strerror or e}") from None
    if len(raw) > MAX_DESCRIPTOR_BYTES:
        raise UsageError(
            f"{_display(path)}: descriptor is {len(raw)} bytes, over the {MAX_DESCRIPTOR_BYTES} byte limit"
        )
    try:
        text = raw.decode("utf-8")
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as e:
        raise UsageError(f"{_display(path)}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {e}") from None
    except RecursionError:
        raise UsageError(f"{_display(path)}: descriptor nested too deeply") from None
    if not isinstance(data, dict):
        raise UsageError(f"{_display(path)}: expected a mapping at the top, found {type(data).__name__}")
    if _depth(data) > MAX_DESCRIPTOR_DEPTH:
        raise UsageError(f"{_display(path)}: descriptor nested deeper than {MAX_DESCRIPTOR_DEPTH} levels")
    return data


def _depth(obj, level=0) -> int:
    if level > MAX_DESCRIPTOR_DEPTH:
        return level
    if isinstance(obj, dict):
        return max((_depth(v, level + 1) for v in obj.values()), default=level)
    if isinstance(obj, list):
        return max((_depth(v, level + 1) for v in obj), default=level)
    return level


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key == "use":
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def resolve_fields(descriptor_fields: list, shared: dict, where: str) -> list[dict]:
    """Expand `- use: NAME` entries with the shared definition they name."""
    out = []
    for entry in descriptor_fields:
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: each field must be a mapping, found {entry!r}")
        if "use" in entry:
            name = entry["use"]
            if name not in shared:
                raise UsageError(f"{where}: field uses '{name}', which schemas/fields.yaml does not define")
            entry = _merge({"name": name, **shared[name]}, entry)
        out.append(entry)
    return out


def _field(desc: dict, where: str) -> Field:
    name = desc.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"{where}: a field has no name")
    ftype = desc.get("type", "string")
    if ftype not in FIELD_TYPES:
        raise UsageError(f"{where}: field '{name}' has unknown type '{ftype}' (known: {', '.join(sorted(FIELD_TYPES))})")
    constraints = desc.get("constraints") or {}
    if not isinstance(constraints, dict):
        raise UsageError(f"{where}: field '{name}': constraints must be a mapping")
    if "pattern" in constraints:
        try:
            re.compile(constraints["pattern"])
        except (re.error, TypeError) as e:
            raise UsageError(f"{where}: field '{name}': invalid pattern {constraints['pattern']!r}: {e}") from None
    if "enum" in constraints and not isinstance(constraints["enum"], list):
        raise UsageError(f"{where}: field '{name}': enum must be a list")
    x_check = desc.get("x-check")
    if x_check is not None and x_check not in X_CHECKS:
        raise UsageError(f"{where}: field '{name}': unknown x-check '{x_check}' (known: {', '.join(sorted(X_CHECKS))})")
    f = Field(
        name=name,
        type=ftype,
        description=desc.get("description", ""),
        constraints=constraints,
        format=desc.get("format"),
        x_check=x_check,
    )
    not_after = desc.get("x-not-after")
    if not_after is not None:
        f.not_after = str(not_after)
    if "trueValues" in desc:
        f.true_values = tuple(desc["trueValues"])
    if "falseValues" in desc:
        f.false_values = tuple(desc["falseValues"])
    return f


def _as_list(value) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def build_table(name: str, schema: dict, csv_path: Path, shared: dict, where: str, meta: dict | None = None) -> Table:
    meta = meta or {}
    if not isinstance(schema, dict):
        raise UsageError(f"{where}: schema must be a mapping")
    fields_desc = schema.get("fields")
    if not isinstance(fields_desc, list) or not fields_desc:
        raise UsageError(f"{where}: schema has no fields")
    fields = [_field(d, where) for d in resolve_fields(fields_desc, shared, where)]
    names = [f.name for f in fields]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"{where}: field names repeated: {', '.join(dupes)}")
    pk = _as_list(schema.get("primaryKey"))
    for n in pk:
        if n not in names:
            raise UsageError(f"{where}: primary key names field '{n}', which the schema does not have")
    fks = []
    for fk in schema.get("foreignKeys") or []:
        ffields = _as_list(fk.get("fields"))
        ref = fk.get("reference") or {}
        resource = ref.get("resource") or name  # "" or absent: a self-reference
        rfields = _as_list(ref.get("fields"))
        for n in ffields:
            if n not in names:
                raise UsageError(f"{where}: foreign key names field '{n}', which the schema does not have")
        if len(ffields) != len(rfields) or not ffields:
            raise UsageError(f"{where}: foreign key {ffields} -> {rfields}: field counts differ")
        fks.append(ForeignKey(ffields, resource, rfields))
    rules = schema.get("x-rules") or []
    for rule in rules:
        kind = rule.get("rule") if isinstance(rule, dict) else None
        if kind not in X_RULES:
            raise UsageError(f"{where}: unknown x-rule {kind!r} (known: {', '.join(sorted(X_RULES))})")
        for key in ("field", "start", "end", "table", "id"):
            if key in rule and rule[key] not in names:
                raise UsageError(f"{where}: x-rule {kind} names field '{rule[key]}', which the schema does not have")
    for f in fields:
        if f.name in pk:
            f.constraints = {**f.constraints, "required": True}
    return Table(
        name=name,
        path=csv_path,
        fields=fields,
        title=schema.get("title", meta.get("title", "")),
        description=schema.get("description", meta.get("description", "")),
        primary_key=pk,
        foreign_keys=fks,
        rules=rules,
        missing_values=tuple(schema.get("missingValues", [""])),
        schema_path=None,
    )


def _check_references(tables: list[Table], where: str) -> None:
    by_name = {t.name: t for t in tables}
    for t in tables:
        for fk in t.foreign_keys:
            target = by_name.get(fk.resource)
            if target is None:
                raise UsageError(f"{where}: table '{t.name}' has a foreign key to table '{fk.resource}', "
                                 "which the package does not have")
            for n in fk.ref_fields:
                if n not in target.field_names:
                    raise UsageError(
                        f"{where}: table '{t.name}' has a foreign key to '{fk.resource}.{n}', which that table does not have"
                    )
        for rule in t.rules:
            if rule.get("rule") == "referenced-by":
                other = by_name.get(rule.get("resource"))
                if other is None or rule.get("field") not in (other.field_names if other else []):
                    raise UsageError(f"{where}: table '{t.name}': x-rule referenced-by names a missing table or field")


def load_project(root: Path, raw_dir: Path | None = None) -> Package:
    """Our own package: schemas/package.yaml, schemas/fields.yaml, schemas/tables/*.yaml, raw/*.csv."""
    schemas = root / "schemas"
    raw_dir = raw_dir or root / "raw"
    meta = _read_mapping(schemas / "package.yaml")
    shared = _read_mapping(schemas / "fields.yaml")
    order = meta.get("resources")
    if not isinstance(order, list) or not order:
        raise UsageError("schemas/package.yaml: 'resources' must list the tables in order")
    tables = []
    for name in order:
        path = schemas / "tables" / f"{name}.yaml"
        where = _display(path)
        schema = _read_mapping(path)
        if schema.get("name", name) != name:
            raise UsageError(f"{where}: name '{schema.get('name')}' differs from the file name '{name}'")
        table = build_table(name, schema, raw_dir / f"{name}.csv", shared, where)
        table.schema_path = path
        table.strict_text = bool(meta.get("x-strict-text"))
        for f in table.fields:
            if f.not_after == "created":
                f.not_after = str(meta.get("created", ""))[:10] or None
        tables.append(table)
    _check_references(tables, "schemas/")
    return Package(tables=tables, metadata=meta, descriptor_path=schemas / "package.yaml")


def safe_resource_path(base: Path, rel, where: str) -> Path:
    """Resolve a resource path inside the package folder, refusing anything that could reach outside it."""
    if not isinstance(rel, str) or not rel:
        raise UsageError(f"{where}: resource path must be a non-empty string")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", rel):
        raise UsageError(f"{where}: resource path '{rel}' is a URL; only local files inside the package folder are read")
    if rel.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", rel):
        raise UsageError(f"{where}: resource path '{rel}' is absolute; paths must be relative to the package folder")
    if ".." in Path(rel).parts:
        raise UsageError(f"{where}: resource path '{rel}' contains '..'; paths must stay inside the package folder")
    base_real = base.resolve()
    full = (base / rel).resolve()
    if full != base_real and base_real not in full.parents:
        raise UsageError(f"{where}: resource path '{rel}' resolves outside the package folder (through a symlink)")
    return base / rel


def load_descriptor(path: Path) -> Package:
    """Any Frictionless data package descriptor (datapackage.json or .yaml/.yml) with CSV resources."""
    desc = _read_mapping(path)
    where = _display(path)
    base = path.parent
    resources = desc.get("resources")
    if not isinstance(resources, list) or not resources:
        raise UsageError(f"{where}: the descriptor has no resources")
    tables = []
    for i, res in enumerate(resources):
        if not isinstance(res, dict):
            raise UsageError(f"{where}: resource {i + 1} is not a mapping")
        name = res.get("name") or f"resource{i + 1}"
        rwhere = f"{where} (resource '{name}')"
        rel = res.get("path")
        if isinstance(rel, list):
            raise UsageError(f"{rwhere}: multipart resources are not supported")
        csv_path = safe_resource_path(base, rel, rwhere)
        fmt = (res.get("format") or Path(rel).suffix.lstrip(".")).lower()
        if fmt not in ("csv", ""):
            continue  # only CSV resources are validated cell by cell
        schema = res.get("schema")
        if isinstance(schema, str):
            schema = _read_mapping(safe_resource_path(base, schema, rwhere))
        if not isinstance(schema, dict):
            raise UsageError(f"{rwhere}: resource has no table schema")
        dialect = res.get("dialect") or {}
        if isinstance(dialect, dict) and dialect.get("delimiter", ",") != ",":
            raise UsageError(f"{rwhere}: only comma-delimited CSV is supported")
        table = build_table(name, schema, csv_path, {}, rwhere, meta=res)
        table.strict_text = bool(desc.get("x-strict-text"))
        for f in table.fields:
            if f.not_after == "created":
                f.not_after = str(desc.get("created", ""))[:10] or None
        tables.append(table)
    if not tables:
        raise UsageError(f"{where}: the descriptor has no CSV resources to validate")
    _check_references(tables, where)
    return Package(tables=tables, metadata=desc, descriptor_path=path)
