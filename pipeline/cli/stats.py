"""cyberdip stats"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from pipeline.cli.common import usage_errors


def compute(package, states) -> dict:
    """Rows per table, facts per source (rows of every other table citing it), events per year."""
    from pipeline.publish import typed

    tables = {t.name: typed.typed_table(t, states[t.name].typed, package.metadata) for t in package.tables}
    rows = {name: t.num_rows for name, t in tables.items()}
    per_source: Counter = Counter()
    titles = {}
    if "sources" in tables and "source_id" in tables["sources"].column_names:
        src = tables["sources"]
        title_col = src.column("title").to_pylist() if "title" in src.column_names else [None] * src.num_rows
        for sid, title in zip(src.column("source_id").to_pylist(), title_col):
            per_source[sid] += 0
            titles[sid] = title or ""
    for name, t in tables.items():
        if name == "sources" or "source_id" not in t.column_names:
            continue
        per_source.update(v for v in t.column("source_id").to_pylist() if v)
    per_year: Counter = Counter()
    if "events" in tables and "start" in tables["events"].column_names:
        for start in tables["events"].column("start").to_pylist():
            text = str(start or "")
            per_year[text[:4] if text[:4].isdigit() else "undated"] += 1
    return {
        "rows": rows,
        "total_rows": sum(rows.values()),
        "facts_per_source": [{"source_id": s, "facts": n, "title": titles.get(s, "")}
                             for s, n in sorted(per_source.items(), key=lambda kv: (-kv[1], kv[0]))],
        "events_per_year": dict(sorted(per_year.items())),
    }


def render_text(stats: dict) -> str:
    out = ["rows per table"]
    width = max([len(n) for n in stats["rows"]] + [5])
    digits = max(len(str(stats["total_rows"])), 4)
    for name, n in stats["rows"].items():
        out.append(f"  {name:<{width}}  {n:>{digits}}")
    out.append(f"  {'total':<{width}}  {stats['total_rows']:>{digits}}")
    out += ["", "facts per source"]
    if stats["facts_per_source"]:
        sw = max(len(s["source_id"]) for s in stats["facts_per_source"])
        fd = max(len(str(s["facts"])) for s in stats["facts_per_source"])
        for s in stats["facts_per_source"]:
            out.append(f"  {s['source_id']:<{sw}}  {s['facts']:>{fd}}  {s['title']}".rstrip())
    else:
        out.append("  (no sources)")
    out += ["", "events per year"]
    if stats["events_per_year"]:
        yd = max(len(str(n)) for n in stats["events_per_year"].values())
        for year, n in stats["events_per_year"].items():
            out.append(f"  {year:<7}  {n:>{yd}}")
    else:
        out.append("  (no events)")
    return "\n".join(out) + "\n"


@click.command()
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Count the CSV files in this folder instead of the project's raw/.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A summary for people (text) or programs (json).")
@usage_errors
def stats(raw_dir: Path | None, fmt: str) -> None:
    """Print rows per table, facts per source and events per year.

    Counts the validated tables of raw/ (or --raw DIR). A fact is a row of any table other than
    sources that cites a source; sources no fact cites are listed with 0. Exit 1 if the tables
    are invalid (run 'cyberdip validate' to see why), 2 if they cannot be read.
    """
    from pipeline.errors import Report
    from pipeline.project import find_root
    from pipeline.schema import load_project
    from pipeline.validate import validate_package

    package = load_project(find_root(), raw_dir=raw_dir)
    report, states = validate_package(package, Report(max_errors=1), keep_typed=True)
    if not report.valid:
        click.echo("the tables are invalid, so nothing is counted: run 'cyberdip validate' to see the errors", err=True)
        sys.exit(1)
    result = compute(package, states)
    if fmt == "json":
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result), nl=False)
