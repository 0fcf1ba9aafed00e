"""cyberdip validate"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipeline.cli.common import FORMAT_OPTION, usage_errors


@click.command()
@click.argument("descriptor", required=False, type=click.Path(path_type=Path))
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Check the CSV files in this folder instead of the project's raw/.")
@FORMAT_OPTION
@click.option("--max-errors", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Show at most this many errors (all are counted).")
@usage_errors
def validate(descriptor: Path | None, raw_dir: Path | None, fmt: str, max_errors: int) -> None:
    """Check tables against their schemas and report every error.

    With no DESCRIPTOR, checks the project's raw/ against schemas/. With DESCRIPTOR, checks any
    Frictionless data package (datapackage.json, .yaml or .yml) and its CSV resources.

    Each error names the file, line, column, value and the rule it breaks. Exit code 0 when
    valid, 1 when not, 2 when the files or schemas cannot be read.
    """
    from pipeline.errors import RENDERERS, Report, UsageError
    from pipeline.project import find_root
    from pipeline.schema import load_descriptor, load_project
    from pipeline.validate import validate_package

    if descriptor is not None:
        if raw_dir is not None:
            raise UsageError("give either a DESCRIPTOR or --raw, not both")
        if descriptor.is_dir():
            for name in ("datapackage.json", "datapackage.yaml", "datapackage.yml"):
                if (descriptor / name).is_file():
                    descriptor = descriptor / name
                    break
            else:
                raise UsageError(f"{descriptor}: no datapackage.json, .yaml or .yml in this folder")
        if not descriptor.is_file():
            raise UsageError(f"{descriptor}: no such file")
        package = load_descriptor(descriptor)
    else:
        package = load_project(find_root(), raw_dir=raw_dir)
    report, _ = validate_package(package, Report(max_errors=max_errors))
    click.echo(RENDERERS[fmt](report), nl=False)
    sys.exit(0 if report.valid else 1)
