"""Every command has help text and is documented; the module entry point works."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from tests.conftest import ROOT

COMMANDS = sorted(cli.commands)


def test_expected_commands_exist():
    assert {"validate", "build", "diff", "release", "verify"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name):
    command = cli.commands[name]
    assert command.help and len(command.help.strip()) > 40, f"{name} lacks a real help text"
    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"{name} option {param.opts} lacks help"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: cli {name}")


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented_in_readme(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`cyberdip {name}" in readme, f"README.md does not document cyberdip {name}"


def test_python_dash_m_pipeline():
    result = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0
    assert "validate" in result.stdout and "Exit codes: 0 success, 1 invalid data, 2 usage or I/O problem." in result.stdout


def test_unknown_option_is_a_usage_error():
    result = CliRunner().invoke(cli, ["validate", "--frobnicate"])
    assert result.exit_code == 2
    assert "Error: No such option '--frobnicate'. Did you mean '--format'?" in result.output


def test_every_error_type_is_documented_in_readme():
    from pipeline.errors import ERROR_TYPES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [slug for slug in ERROR_TYPES if f"`{slug}`" not in readme] == []


def test_every_schema_rule_is_documented_in_readme():
    from pipeline.schema import X_CHECKS, X_RULES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [r for r in sorted(X_CHECKS | X_RULES) if f"`{r}`" not in readme] == []
