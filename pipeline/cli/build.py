"""cyberdip build"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline.cli.common import FORMAT_OPTION, usage_errors


@click.command()
@click.option("--dist", "dist_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Publish into this folder instead of the project's dist/.")
@FORMAT_OPTION
@click.option("--max-errors", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Show at most this many errors (all are counted).")
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Show each step and table on stderr. Default: on a terminal, off when piped or under CI.")
@usage_errors
def build(dist_dir: Path | None, fmt: str, max_errors: int, show_progress: bool | None) -> None:
    """Validate raw/ and publish dist/<version>/.

    Writes CSV, Parquet and JSON for every table, datapackage.json (with sizes, sha256 hashes and
    the full schemas), a data dictionary (README.md), LICENSE and SHA256SUMS. The release is
    written to a temporary folder and moved into place only when complete: on invalid data
    (exit 1) or any failure (exit 2) dist/ is left as it was.
    """
    from pipeline.build import build as run_build
    from pipeline.build import refresh_readme_counts
    from pipeline.errors import RENDERERS, Report
    from pipeline.project import find_root
    from pipeline.schema import load_project

    root = find_root()
    package = load_project(root)
    report = Report(max_errors=max_errors)
    from pipeline.cli.progress import Progress, wanted

    progress = Progress(2 * len(package.tables) + 3) if wanted(show_progress) else None  # + sqlite, xlsx, site
    try:
        result = run_build(package, root, dist_dir or root / "dist", report, progress=progress)
    finally:
        if progress:
            progress.done()
    if result is None:
        click.echo(RENDERERS[fmt](report), nl=False)
        click.echo("nothing was published", err=True)
        sys.exit(1)
    if dist_dir is None:
        refresh_readme_counts(root / "README.md", package, result.version, result.counts)
    rows = sum(result.counts.values())
    where = result.path.relative_to(Path.cwd()) if result.path.is_relative_to(Path.cwd()) else result.path
    if result.status == "unchanged":
        click.echo(f"{where} is up to date ({len(result.counts)} tables, {rows} rows)")
    else:
        click.echo(f"published {where} ({len(result.counts)} tables, {rows} rows)")
