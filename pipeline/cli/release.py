"""cyberdip diff, cyberdip release, cyberdip verify"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.cli.common import usage_errors


@click.command()
@click.argument("old")
@click.argument("new", default="working")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Changes for people (text) or programs (json).")
@usage_errors
def diff(old: str, new: str, fmt: str) -> None:
    """Show what changed between two releases, or a release and the working tables.

    OLD and NEW are versions released in dist/ (e.g. 0.1.0), release folders, or 'working'
    (raw/ and schemas/ as they are now; the default NEW). Lists rows added, removed and changed per
    table (keyed by primary key, with the changed cells), schema changes, and the version bump the
    change requires.
    """
    from pipeline.diff import compare, render_text, resolve
    from pipeline.errors import UsageError
    from pipeline.project import find_root

    try:
        root = find_root()
    except UsageError:
        root = None
    result = compare(resolve(old, root), resolve(new, root))
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(result), nl=False)


@click.command()
@click.option("--bump", type=click.Choice(["auto", "major", "minor", "patch"]), default="auto", show_default=True,
              help="The version bump; auto takes the least the change requires. A smaller bump is refused.")
@click.option("--reason", help="Why rows were removed (required when any published row is removed).")
@click.option("--date", "date", help="Release date YYYY-MM-DD (default: today).")
@usage_errors
def release(bump: str, reason: str | None, date: str | None) -> None:
    """Publish a new version of the package.

    Compares raw/ and schemas/ with the latest release, computes the version bump the change
    requires (major: a removed or renamed table or field, a type change, a stricter constraint, a
    changed key, removed rows; minor: new tables, fields or rows, a looser constraint; patch:
    corrected values and metadata), refuses a smaller one, retires removed IDs, writes the version
    into schemas/package.yaml, adds a CHANGELOG.md entry and a change list, builds
    dist/<version>/, zips it and updates dist/index.json and dist/LATEST.
    """
    import datetime

    from pipeline.build import build as run_build
    from pipeline.errors import RENDERERS, Report, UsageError
    from pipeline.project import find_root
    from pipeline.release import (
        ReleaseRefused,
        changelog_entry,
        changes_document,
        plan_release,
        prepend_changelog,
        retire,
        set_package_fields,
        today,
        update_index,
        zip_release,
    )
    from pipeline.schema import load_project

    root = find_root()
    if date is not None:
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            raise UsageError(f"--date {date!r} is not a date of the form YYYY-MM-DD") from None
    try:
        plan = plan_release(root, bump)
    except ReleaseRefused as e:
        click.echo(f"refused: {e}", err=True)
        sys.exit(1)
    created = f"{date or today()}T00:00:00Z"
    touched = [root / "schemas/package.yaml", root / "CHANGELOG.md", root / "raw/retired_ids.csv",
               root / "changes" / f"{plan.version}.json"]
    saved = {p: p.read_bytes() if p.exists() else None for p in touched}
    try:
        retired = retire(root, plan.diff, plan.version, reason) if plan.diff else []
        set_package_fields(root / "schemas/package.yaml", plan.version, created)
        prepend_changelog(root / "CHANGELOG.md", changelog_entry(plan, created, retired))
        (root / "changes").mkdir(exist_ok=True)
        (root / "changes" / f"{plan.version}.json").write_text(
            json.dumps(changes_document(plan, created, retired), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        package = load_project(root)
        report = Report()
        result = run_build(package, root, root / "dist", report)
        if result is None:
            click.echo(RENDERERS["text"](report), nl=False)
            raise ReleaseRefused("the data is invalid; nothing was released")
    except BaseException as e:
        for p, data in saved.items():
            if data is None:
                p.unlink(missing_ok=True)
            else:
                p.write_bytes(data)
        if isinstance(e, ReleaseRefused):
            click.echo(f"refused: {e}", err=True)
            sys.exit(1)
        raise
    from pipeline.build import refresh_readme_counts

    refresh_readme_counts(root / "README.md", package, plan.version, result.counts)
    name = package.metadata["name"]
    zip_path = zip_release(root / "dist", name, plan.version, created)
    update_index(root / "dist", name, plan.version, created, result.counts, zip_path)
    what = f"{plan.bump} release" if plan.bump else "first release"
    click.echo(f"released {plan.version} ({what}): dist/{plan.version}/ and dist/{zip_path.name}")


@click.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@usage_errors
def verify(path: Path) -> None:
    """Check a downloaded release, a folder or a zip.

    Every file must match SHA256SUMS and the bytes and hash in datapackage.json; nothing may be
    missing or extra; the data must still be valid against its schemas. Exit 1 names each file
    that differs, is missing, or is extra.
    """
    from pipeline.verify import render
    from pipeline.verify import verify as run_verify

    result = run_verify(path)
    click.echo(render(result, str(path)), nl=False)
    sys.exit(0 if result.ok else 1)
