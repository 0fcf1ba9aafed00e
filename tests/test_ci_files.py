"""The CI files for curators parse and run the commands they promise, and those commands exist."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def _workflow(name):
    wf = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    wf["on"] = wf.get("on", wf.pop(True, None))  # YAML 1.1 reads a bare `on` key as true
    return wf


def _runs(wf):
    return [step.get("run", "") for job in wf["jobs"].values() for step in job["steps"]]


def test_validate_workflow_runs_on_pull_requests_touching_the_data():
    wf = _workflow("validate.yml")
    paths = wf["on"]["pull_request"]["paths"]
    assert set(paths) == {"raw/**", "schemas/**"}
    runs = _runs(wf)
    validate = [r for r in runs if "cyberdip validate --format github" in r]
    test = [r for r in runs if r.strip() == "make test"]
    assert validate and test
    assert runs.index(validate[0]) < runs.index(test[0])
    assert any(r.strip() == "make install" for r in runs[:runs.index(validate[0])])


def test_release_workflow_verifies_and_attaches_the_zip():
    wf = _workflow("release.yml")
    tags = wf["on"]["push"]["tags"]
    assert all(re.fullmatch(t.replace("[0-9]+", r"\d+").replace(".", r"\."), "v1.2.3") for t in tags)
    assert wf["permissions"]["contents"] == "write"
    runs = _runs(wf)
    assert any('VERSION=${GITHUB_REF_NAME#v}' in r for r in runs)
    verify = next(i for i, r in enumerate(runs) if "cyberdip verify dist/$VERSION" in r)
    attach = next(i for i, r in enumerate(runs) if "gh release create" in r)
    assert verify < attach
    assert '"dist/cyber-diplomacy-facts-$VERSION.zip"' in runs[attach]


def test_pre_commit_hook_runs_validate_on_the_data():
    cfg = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (repo,) = cfg["repos"]
    assert repo["repo"] == "local"
    (hook,) = repo["hooks"]
    assert hook["entry"] == ".venv/bin/cyberdip validate" and hook["language"] == "system"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("raw/events.csv") and files.search("schemas/tables/events.yaml")
    assert not files.search("pipeline/build.py")


def test_the_commands_exist():
    from pipeline.cli import cli

    assert {"validate", "build", "verify", "stats"} <= set(cli.commands)
    fmt = next(p for p in cli.commands["validate"].params if p.name == "fmt")
    assert "github" in fmt.type.choices


def test_ci_run_installs_chromium_and_ends_with_make_test():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert lines[-1] == "make test"
    text = "\n".join(lines)
    assert "apt-get install" in text and "chromium" in text and '"${CI:-}" = "true"' in text
