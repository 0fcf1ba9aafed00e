"""The data dictionary (README.md of a release), generated from the schemas: never written by hand."""

from __future__ import annotations

from pipeline.schema import Package, Table


def _constraints(f) -> str:
    parts = []
    c = f.constraints
    if c.get("required"):
        parts.append("required")
    if c.get("unique"):
        parts.append("unique")
    if "enum" in c:
        parts.append("one of: " + ", ".join(f"`{v}`" for v in c["enum"]))
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    for key, word in (("minLength", "min length"), ("maxLength", "max length"), ("minimum", "min"), ("maximum", "max")):
        if key in c:
            parts.append(f"{word} {c[key]}")
    if f.x_check:
        parts.append({"partial-date": "a real YYYY, YYYY-MM or YYYY-MM-DD date",
                      "iso3166-alpha2": "an existing ISO 3166-1 alpha-2 code",
                      "iso3166-alpha3": "an existing ISO 3166-1 alpha-3 code",
                      "row-reference": "names an existing row as table/id"}[f.x_check])
    return "; ".join(parts)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _rules(table: Table) -> list[str]:
    out = []
    for fk in table.foreign_keys:
        out.append(f"- `{', '.join(fk.fields)}` refers to `{fk.resource}.{', '.join(fk.ref_fields)}`")
    for rule in table.rules:
        out.append(f"- {rule.get('description') or rule['rule']} (`{rule['rule']}`)")
    return out


def render(package: Package, counts: dict[str, int]) -> str:
    meta = package.metadata
    lines = [
        f"# {meta.get('title', meta['name'])} {meta['version']}",
        "",
        _cell(meta.get("description", "")),
        "",
        f"Released {meta.get('created', '')[:10]}. Data licence: "
        + ", ".join(lic.get("name", "") for lic in meta.get("licenses", []))
        + ". Every table comes as `csv/`, `parquet/` and `json/`; `datapackage.json` describes them all"
        " and `SHA256SUMS` lets you check what you downloaded (`cyberdip verify`).",
        "",
        "Dates marked *partial* carry their precision in their length: `2019` is a year, `2020-03` a month,"
        " `2020-03-05` a day. Nothing more precise than the source is ever recorded.",
        "",
        "| table | rows | what it holds |",
        "|---|---|---|",
    ]
    for t in package.tables:
        lines.append(f"| [{t.name}](#{t.name.replace('_', '-')}) | {counts.get(t.name, 0)} | {_cell(t.title)} |")
    for t in package.tables:
        lines += ["", f"## {t.name}", "", _cell(t.description), ""]
        if t.primary_key:
            lines.append(f"Primary key: `{', '.join(t.primary_key)}`. Rows: {counts.get(t.name, 0)}.")
            lines.append("")
        lines += ["| field | type | rules | description |", "|---|---|---|---|"]
        for f in t.fields:
            ftype = f.type + (" (partial date)" if f.x_check == "partial-date" else "")
            lines.append(f"| `{f.name}` | {ftype} | {_cell(_constraints(f))} | {_cell(f.description)} |")
        rules = _rules(t)
        if rules:
            lines += ["", "Links and rules:", ""] + rules
    return "\n".join(lines) + "\n"
