"""Where the project lives: the folder holding schemas/package.yaml (this one or a parent)."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import UsageError


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "schemas" / "package.yaml").is_file():
            return folder
    raise UsageError(
        "no schemas/package.yaml here or in any parent folder: run this inside the project, "
        "or give a datapackage descriptor"
    )
