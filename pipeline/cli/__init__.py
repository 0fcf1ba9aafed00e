"""The `cyberdip` command line: a thin layer over the library, one module per command group."""

from __future__ import annotations

import sys

import click

from pipeline.cli.build import build
from pipeline.cli.release import diff, release, verify
from pipeline.cli.stats import stats
from pipeline.cli.validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cyberdip", prog_name="cyberdip")
def cli() -> None:
    """Validate the curated tables of Cyber Diplomacy Facts and publish them as a data package.

    Exit codes: 0 success, 1 invalid data, 2 usage or I/O problem.
    """


cli.add_command(validate)
cli.add_command(build)
cli.add_command(diff)
cli.add_command(release)
cli.add_command(verify)
cli.add_command(stats)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
