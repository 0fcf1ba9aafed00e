"""Bad input never crashes the pipeline, never corrupts a release and never reaches outside the
project. Each test exercises the real CLI and fails if its protection is removed."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, append, replace

SRC = 'src-mfa-ee-cyber-diplomacy,"§ x, para 1"'


def first(run, *args) -> str:
    result = run("validate", *args)
    assert result.exit_code in (0, 1, 2)
    return result.output.splitlines()[0] if result.output else result.stderr.splitlines()[0]


# --- 1. malformed CSV -------------------------------------------------------------------------

def test_empty_file(project, run):
    (project / "raw/norms.csv").write_bytes(b"")
    assert first(run) == "raw/norms.csv:1: empty-file [structure]: the file is empty; it needs at least a header row"


def test_header_only_is_an_empty_table(project, run):
    (project / "raw/figures.csv").write_text("figure_id,subject_id,instrument_id,event_id,measure,value,unit,qualifier,date,source_id,locator,note\n")
    result = run("validate")
    assert result.exit_code == 0 and result.output == "valid: 12 tables, 14 rows, no errors\n"


def test_crlf_and_mixed_line_endings_keep_line_numbers(project, run):
    path = project / "raw/figures.csv"
    text = path.read_text().replace("\n", "\r\n")
    path.write_bytes((text + "bad,,,,m,1,furlongs,exact,2020," + SRC + ",\n").encode())
    assert first(run).startswith("raw/figures.csv:3:7: constraint-error [enum] unit = 'furlongs'")


def test_latin1_file(project, run):
    path = project / "raw/actors.csv"
    path.write_bytes(path.read_text().replace("Tanel Sepp", "Tõnu Sepp").encode("latin-1", errors="replace"))
    assert first(run) == ("raw/actors.csv:2: encoding-error [utf-8]: the bytes b'\\xa7 Cy' are not valid UTF-8 "
                          "(save the file as UTF-8 (it may be Latin-1 or Windows-1252))")


def test_nul_byte(project, run):
    path = project / "raw/actors.csv"
    path.write_bytes(path.read_bytes().replace(b"Tanel", b"Ta\x00nel"))
    assert first(run) == "raw/actors.csv:6: nul-byte [encoding]: the file contains a NUL byte (remove the NUL byte; it is not text)"


def test_unbalanced_quote(project, run):
    append(project / "raw/figures.csv", 'x,,,,m,1,count,exact,2020,src-mfa-ee-cyber-diplomacy,"unclosed,')
    result = run("validate")
    assert result.exit_code == 1
    assert ("raw/figures.csv:3:12: missing-cell [structure] = 'x,,,,m,1,count,exact,2020,src-mfa-ee-cyber-diplomacy,\"unclo…': "
            "the row has 11 cells, the header has 12 (an odd number of double quotes: check for an unclosed quote)") in result.output


def test_ragged_and_very_wide_rows(project, run):
    append(project / "raw/figures.csv", "x," * 5000)
    out = run("validate").output
    assert "raw/figures.csv:3:13: extra-cell [structure]" in out and "the row has 5001 cells, the header has 12" in out


def test_surrounding_whitespace_and_invisible_characters(project, run):
    replace(project / "raw/actors.csv", "Tanel Sepp,person", " Tanel Sepp,person")
    replace(project / "raw/events.csv", "unsc-georgia-2020-03,Cyber", "unsc-georgia-2020-03,Cyber\u00a0")
    replace(project / "raw/positions.csv", "ee-international-law-applies,", "ee-international\u200b-law-applies,")
    out = run("validate").output
    assert "raw/actors.csv:6:2: constraint-error [whitespace] name = ' Tanel Sepp': has whitespace at the start or end (remove the surrounding whitespace)" in out
    assert "raw/events.csv:2:2: constraint-error [invisible-character] name" in out
    assert ("raw/positions.csv:2:1: constraint-error [pattern] position_id = 'ee-international\\u200b-law-applies': does not match "
            "the pattern [a-z0-9]+(-[a-z0-9]+)* (remove the invisible character U+200B)") in out


def test_text_not_in_nfc(project, run):
    replace(project / "raw/actors.csv", "Tanel Sepp,person", "Ta\u0308nel Sepp,person")
    assert "raw/actors.csv:6:2: constraint-error [unicode-nfc] name" in run("validate").output


def test_a_ten_megabyte_field(project, run):
    replace(project / "raw/events.csv", "formal Council meeting.", "formal Council meeting." + "x" * 10_000_000)
    result = run("validate")
    assert result.exit_code == 1
    assert "raw/events.csv:2:7: constraint-error [maxLength] summary" in result.output


def test_thousands_separators(project, run):
    replace(project / "raw/figures.csv", ",5500000000000,", ',"5,500,000,000,000",')
    assert first(run) == "raw/figures.csv:2:6: type-error [number] value = '5,500,000,000,000': not a number (use a dot for decimals, no thousands separators)"


@pytest.mark.parametrize("bad, rule", [("2021-02-30", "partial-date"), ("2021-13", "partial-date"), ("2021-13-01", "partial-date")])
def test_impossible_dates(project, run, bad, rule):
    replace(project / "raw/events.csv", ",meeting,2020-03,", f",meeting,{bad},")
    assert first(run).startswith(f"raw/events.csv:2:4: constraint-error [{rule}] start = '{bad}'")


def test_a_past_event_dated_after_the_release(project, run):
    replace(project / "raw/events.csv", ",meeting,2020-03,", ",meeting,2027-03,")
    assert first(run) == ("raw/events.csv:2:4: constraint-error [not-after] start = '2027-03': lies after 2026-11-28, "
                          "the date of this release (a past event cannot be dated after the data's as-of date; check the year)")


# --- 2. formula injection ---------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+cmd", "-2+3", "@SUM(A1)"])
def test_formula_like_cells_are_refused_in_raw(project, run, cell):
    replace(project / "raw/actors.csv", "Estonia's foreign ministry.", cell.replace('"', '""') if '"' in cell else cell)
    if '"' in cell:
        replace(project / "raw/actors.csv", cell.replace('"', '""'), '"' + cell.replace('"', '""') + '"')
    out = run("validate").output
    assert "raw/actors.csv:3:9: constraint-error [formula-injection] description" in out


def test_negative_numbers_are_not_formulas(project, run):
    replace(project / "raw/figures.csv", ",5500000000000,", ",-1,")
    assert run("validate").exit_code == 0


# --- 3. bad schemas and descriptors ----------------------------------------------------------

@pytest.mark.parametrize("old, new, message", [
    ("  - name: value\n    type: number", "  - name: value\n    type: decimal",
     "field 'value' has unknown type 'decimal'"),
    ("pattern: \"[a-z0-9]+(-[a-z0-9]+)*\", maxLength: 80}", "pattern: \"[a-z(\", maxLength: 80}",
     "field 'measure': invalid pattern '[a-z('"),
    ("reference: {resource: events, fields: [event_id]}", "reference: {resource: happenings, fields: [event_id]}",
     "table 'figures' has a foreign key to table 'happenings', which the package does not have"),
    ("reference: {resource: events, fields: [event_id]}", "reference: {resource: events, fields: [id]}",
     "table 'figures' has a foreign key to 'events.id', which that table does not have"),
    ("primaryKey: [figure_id]", "primaryKey: [figure_key]",
     "primary key names field 'figure_key', which the schema does not have"),
])
def test_bad_schema(project, run, old, new, message):
    replace(project / "schemas/tables/figures.yaml", old, new)
    result = run("validate")
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_yaml_that_is_not_a_mapping(project, run):
    (project / "schemas/tables/norms.yaml").write_text("- just\n- a list\n")
    result = run("validate")
    assert result.exit_code == 2
    assert result.stderr == "error: schemas/tables/norms.yaml: expected a mapping at the top, found list\n"


def test_descriptor_too_deep_or_too_large(tmp_path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    deep = "[" * 200 + "]" * 200
    (tmp_path / "deep.json").write_text('{"resources": ' + deep + "}")
    result = run("validate", "deep.json")
    assert result.exit_code == 2 and "nested deeper than 40 levels" in result.stderr
    (tmp_path / "big.json").write_text('{"x": "' + "a" * 6_000_000 + '"}')
    result = run("validate", "big.json")
    assert result.exit_code == 2 and "over the 5000000 byte limit" in result.stderr


def test_yaml_bomb_is_refused(tmp_path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    lines.append("resources: *i")
    (tmp_path / "datapackage.yaml").write_text("\n".join(lines) + "\n")
    result = run("validate", "datapackage.yaml")
    assert result.exit_code == 2
    assert result.stderr == "error: datapackage.yaml: not valid YAML: aliases (*name) are not allowed in descriptors\n"


# --- 4. paths ------------------------------------------------------------------------------

def _package(tmp_path, path):
    (tmp_path / "pkg").mkdir(exist_ok=True)
    desc = {"resources": [{"name": "t", "path": path, "schema": {"fields": [{"name": "a", "type": "string"}]}}]}
    (tmp_path / "pkg/datapackage.json").write_text(json.dumps(desc))
    return str(tmp_path / "pkg/datapackage.json")


@pytest.mark.parametrize("path, message", [
    ("/etc/passwd", "resource path '/etc/passwd' is absolute"),
    ("data/../../secret.csv", "resource path 'data/../../secret.csv' contains '..'"),
    ("https://example.org/t.csv", "resource path 'https://example.org/t.csv' is a URL"),
])
def test_paths_outside_the_package_are_refused(tmp_path, run, path, message):
    result = run("validate", _package(tmp_path, path))
    assert result.exit_code == 2
    assert message in result.stderr


def test_symlink_outside_the_package_is_refused(tmp_path, run):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\nsecret\n")
    desc = _package(tmp_path, "data/t.csv")
    (tmp_path / "pkg/data").mkdir()
    os.symlink(secret, tmp_path / "pkg/data/t.csv")
    result = run("validate", desc)
    assert result.exit_code == 2
    assert "resource path 'data/t.csv' resolves outside the package folder (through a symlink)" in result.stderr


def test_yml_descriptor_is_read_not_passed_blindly(tmp_path, run):
    """frictionless treats datapackage.yml as a plain file and says VALID; we read it."""
    (tmp_path / "t.csv").write_text("a\nx\n")
    (tmp_path / "datapackage.yml").write_text(
        "resources:\n  - name: t\n    path: t.csv\n    schema:\n      fields:\n        - {name: a, type: integer}\n")
    result = run("validate", str(tmp_path / "datapackage.yml"))
    assert result.exit_code == 1
    assert "type-error [integer] a = 'x'" in result.output


# --- 6. faults ------------------------------------------------------------------------------

def test_concurrent_build_gets_a_clear_message(project, run):
    (project / "dist").mkdir()
    with open(project / "dist/.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        result = run("build")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: another build is running in ")
    assert not (project / "dist/0.1.0").exists()


@pytest.mark.parametrize("code, message", [
    (errno.EACCES, "cannot write to "),
    (errno.ENOSPC, "no space left on the device holding "),
])
def test_unwritable_or_full_dist(project, run, monkeypatch, code, message):
    from pipeline.publish import writers

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(writers, "write_parquet", fail)
    result = run("build")
    assert result.exit_code == 2
    assert message in result.stderr
    assert sorted(p.name for p in (project / "dist").iterdir()) == [".lock"]


def test_sigkill_at_any_point_leaves_only_complete_releases(project):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pipeline", "build"]
    for delay in (0.3, 0.6, 0.9, 1.2, 1.6):
        proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        release = project / "dist/0.1.0"
        if release.exists():  # the move into place is one rename: a release is whole or absent
            check = subprocess.run([sys.executable, "-m", "pipeline", "verify", "dist/0.1.0"], cwd=project, env=env,
                                   capture_output=True, text=True)
            assert check.returncode == 0, check.stdout
            import shutil

            shutil.rmtree(release)
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    leftovers = [p.name for p in (project / "dist").iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []
