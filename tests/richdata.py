"""A project with a few more rows than tests/fixtures/raw: two UN processes with members and a chair,
events in several years and kinds. Used by the site,
SQLite and Excel tests; the plain fixture stays as test_build.py expects it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import append, copy_project

SRC = "src-mfa-ee-cyber-diplomacy"
LOC = "\"§ Cyber stability and international security, para 3\""

ACTORS = [
    f'state-fr,France,state,,,FR,FRA,Q142,Sovereign state.,{SRC},{LOC},',
    f'un-gge-2014-2015,UN GGE 2014-2015,process,unsc,,,,,Fourth group of governmental experts.,{SRC},{LOC},',
    f'un-oewg-2019-2021,UN OEWG 2019-2021,process,,,,,,Open-ended working group.,{SRC},{LOC},',
    f'jane-chair,Jane Chair,person,,state-fr,,,,French diplomat.,{SRC},{LOC},',
]
RELATIONS = [
    f'ee-member-un-gge-2014-2015,state-ee,member-of,un-gge-2014-2015,,,2014,2015,,{SRC},{LOC},',
    f'ee-member-un-oewg-2019-2021,state-ee,member-of,un-oewg-2019-2021,,,2019,2021,,{SRC},{LOC},',
    f'fr-member-un-gge-2014-2015,state-fr,member-of,un-gge-2014-2015,,,2014,2015,,{SRC},{LOC},',
    f'jane-chair-un-oewg-2019-2021,jane-chair,chair-of,un-oewg-2019-2021,,,2019,2021,,{SRC},{LOC},',
]
EVENTS = [
    f'cyberattacks-on-estonia-2007,Cyber-attacks on Estonia,cyber-operation,2007-04,2007-05,,Attacks on Estonian sites.,,{SRC},{LOC},',
    f'gge-2015-report,2015 GGE report adopted,adoption,2015-06-26,,New York,The group adopted its report.,,{SRC},{LOC},',
    f'oewg-first-session,OEWG first session,session,2019-09,,New York,The group met for the first time.,,{SRC},{LOC},',
    f'oewg-second-session,OEWG second session,session,2020-02,,New York,The group met again.,,{SRC},{LOC},',
]
PARTICIPANTS = [
    f'cyberattacks-on-estonia-2007,state-ee,target,{SRC},{LOC},',
    f'gge-2015-report,un-gge-2014-2015,adopter,{SRC},{LOC},',
    f'oewg-first-session,state-ee,participant,{SRC},{LOC},',
    f'oewg-first-session,un-oewg-2019-2021,organiser,{SRC},{LOC},',
    f'oewg-second-session,state-fr,participant,{SRC},{LOC},',
]


def make_rich_project(root: Path) -> Path:
    copy_project(root)
    for table, lines in (("actors", ACTORS), ("relations", RELATIONS), ("events", EVENTS),
                         ("event_participants", PARTICIPANTS)):
        for line in lines:
            append(root / "raw" / f"{table}.csv", line)
    return root


def build_rich_release(root: Path) -> Path:
    """Validate and publish the rich project; returns dist/<version>/."""
    from pipeline.build import build
    from pipeline.errors import Report
    from pipeline.schema import load_project

    package = load_project(root)
    report = Report()
    result = build(package, root, root / "dist", report)
    assert result is not None, [str(e) for e in getattr(report, "errors", [])][:10]
    return result.path
