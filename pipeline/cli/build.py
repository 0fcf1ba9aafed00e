"""cyberdip build"""

from __future__ import annotations

import click


@click.command()
def build() -> None:
    """Validate raw/ and publish dist/<version>/ (CSV, Parquet, JSON, datapackage.json)."""
    raise SystemExit("not yet")
