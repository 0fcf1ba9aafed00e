"""Shared test fixtures: a throw-away copy of the project (real schemas, small real raw tables)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_RAW = Path(__file__).parent / "fixtures" / "raw"


def copy_project(folder: Path, raw: Path = FIXTURE_RAW) -> Path:
    """A project folder with the real schemas and the given raw tables (the small fixture by default)."""
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    shutil.copytree(raw, folder / "raw")
    # Tests see a fixed version and date, whatever the project has released since.
    meta = folder / "schemas/package.yaml"
    text = re.sub(r"(?m)^version:.*$", "version: 0.1.0", meta.read_text(encoding="utf-8"))
    text = re.sub(r"(?m)^created:.*$", 'created: "2026-11-28T00:00:00Z"', text)
    meta.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project with the small fixture tables; the cwd during the test."""
    copy_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def run():
    def invoke(*args, **kwargs):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke


def append(path: Path, line: str) -> int:
    """Append a CSV line to a file; returns the line number it landed on."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    text += line + "\n"
    path.write_text(text, encoding="utf-8")
    return text.count("\n")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
