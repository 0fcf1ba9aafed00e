"""cyberdip stats (exact output on the fixture) and the progress of cyberdip build."""

from __future__ import annotations

import io
import json

from tests.conftest import append

STATS = """\
rows per table
  sources                1
  actors                 6
  instruments            1
  events                 1
  event_participants     2
  relations              2
  instrument_parties     0
  norms                  0
  figures                1
  positions              1
  disagreements          0
  retired_ids            0
  total                 15

facts per source
  src-mfa-ee-cyber-diplomacy  14  Cyber diplomacy

events per year
  2020     1
"""


def test_stats_text(project, run):
    result = run("stats")
    assert result.exit_code == 0, result.output
    assert result.output == STATS


def test_stats_counts_unused_sources_and_years(project, run):
    append(project / "raw/sources.csv", "src-unused,Unused,Someone,https://example.org,2020,,web-page,en,")
    append(project / "raw/events.csv", 'ev-2007,Attack,cyber-operation,2007-04,,,Something happened.,,'
                                       'src-mfa-ee-cyber-diplomacy,"§ x, para 1",')
    append(project / "raw/event_participants.csv", 'ev-2007,state-ee,target,src-mfa-ee-cyber-diplomacy,"§ x, para 1",')
    result = run("stats", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rows"]["events"] == 2 and data["total_rows"] == 18
    assert data["facts_per_source"] == [
        {"source_id": "src-mfa-ee-cyber-diplomacy", "facts": 16, "title": "Cyber diplomacy"},
        {"source_id": "src-unused", "facts": 0, "title": "Unused"},
    ]
    assert data["events_per_year"] == {"2007": 1, "2020": 1}


def test_stats_on_invalid_tables(project, run):
    append(project / "raw/events.csv", "broken")
    result = run("stats")
    assert result.exit_code == 1
    assert "run 'cyberdip validate'" in result.stderr


def test_build_is_quiet_when_piped(project, run):
    result = run("build")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_build_shows_each_step_and_table(project, run):
    import yaml

    tables = yaml.safe_load((project / "schemas/package.yaml").read_text())["resources"]
    n, total = len(tables), 2 * len(tables) + 3
    result = run("build", "--progress")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    w = len(str(total))
    assert lines == ([f"[{i + 1:>{w}}/{total}] validating {t}" for i, t in enumerate(tables)]
                     + [f"[{n + i + 1:>{w}}/{total}] writing {t}" for i, t in enumerate(tables)]
                     + [f"[{2 * n + i + 1:>{w}}/{total}] writing {s}" for i, s in enumerate(("sqlite", "xlsx", "site"))])
    assert result.stdout.startswith("published dist/0.1.0 (")


def test_progress_only_on_a_terminal_and_never_in_ci(monkeypatch):
    from pipeline.cli.progress import Progress, wanted

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("CI", raising=False)
    assert wanted(None, Tty()) is True
    assert wanted(None, io.StringIO()) is False
    assert wanted(False, Tty()) is False and wanted(True, io.StringIO()) is True
    monkeypatch.setenv("CI", "true")
    assert wanted(None, Tty()) is False
    out = Tty()
    p = Progress(3, out)
    p("validate actors")
    p("publish site")
    p.done()
    assert out.getvalue().startswith("\r\x1b[K[1/3] validating actors  ")
    assert "\r\x1b[K[2/3] writing site  " in out.getvalue() and out.getvalue().endswith("\r\x1b[K")
