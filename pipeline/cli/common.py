"""Options and error handling shared by the commands."""

from __future__ import annotations

import functools
import sys

import click

from pipeline.errors import UsageError

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True,
    help="Report for people (text), programs (json) or GitHub Actions annotations (github).",
)


def usage_errors(func):
    """Turn a UsageError (bad path, bad schema, unreadable file) into a message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except UsageError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)
        except OSError as e:
            where = f"{e.filename}: " if getattr(e, "filename", None) else ""
            click.echo(f"error: {where}{e.strerror or e}", err=True)
            sys.exit(2)

    return wrapper
