"""The curated data itself: it validates, every checklist ID is in the built package, the EU
sanctions totals add up, and the questions the package exists to answer can be answered from it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pipeline.cli import cli
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The project's own raw/ and schemas/, built into a scratch folder."""
    folder = tmp_path_factory.mktemp("own")
    shutil.copytree(ROOT / "schemas", folder / "schemas")
    shutil.copytree(ROOT / "raw", folder / "raw")
    import os

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, ["build", "--dist", str(folder / "dist")])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    version = yaml.safe_load((ROOT / "schemas/package.yaml").read_text())["version"]
    return folder / "dist" / str(version)


def rows(release: Path, table: str) -> list[dict]:
    with open(release / "csv" / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def keys(release: Path, table: str) -> set[str]:
    schema = yaml.safe_load((ROOT / "schemas/tables" / f"{table}.yaml").read_text())
    pk = schema["primaryKey"]
    return {"|".join(r[k] for k in pk) for r in rows(release, table)}


def coverage_items():
    for path in sorted((ROOT / "coverage").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield path.name, item


def test_every_checklist_id_is_in_the_built_package(release):
    missing = []
    cache: dict[str, set] = {}
    for name, item in coverage_items():
        for ref in item["ids"]:
            table, _, key = ref.partition("/")
            if table not in cache:
                cache[table] = keys(release, table)
            if key not in cache[table]:
                missing.append(f"{name}: {item['ref']}: {ref}")
    assert missing == []


def test_every_checklist_item_records_something_or_says_why_not():
    empty = [f"{name}: {item['ref']}" for name, item in coverage_items() if not item["ids"] and not item.get("note")]
    assert empty == []


def test_the_checklist_covers_the_whole_mfa_page_and_the_facts_used():
    refs = [item["ref"] for name, item in coverage_items()]
    sections = ["Cyber diplomacy at the Ministry of Foreign Affairs", "International law and cyberspace",
                "Cyber stability and international security", "Fighting cybercrime",
                "Global internet governance and internet freedom", "The European Union", "OSCE",
                "Cooperation with third countries and development cooperation"]
    for section in sections:
        assert any(section in r for r in refs), section
    facts = {r for r in refs if r.startswith("F-")}
    for prefix in ("F-A", "F-B", "F-C", "F-D", "F-E", "F-F", "F-G", "F-H", "F-L", "F-M"):
        assert any(r.startswith(prefix) for r in facts), prefix


def _earliest(date: str) -> str:
    return {4: date + "-01-01", 7: date + "-01"}.get(len(date), date)


def test_eu_sanctions_totals_add_up_at_every_stated_date(release):
    actors = {r["actor_id"]: r for r in rows(release, "actors")}
    listings = {r["event_id"]: r for r in rows(release, "events") if r["kind"] == "sanctions-listing"}
    listed = [(listings[p["event_id"]]["start"], actors[p["actor_id"]]["kind"])
              for p in rows(release, "event_participants")
              if p["event_id"] in listings and p["role"] == "sanctioned"]
    totals = [f for f in rows(release, "figures")
              if f["instrument_id"] == "eu-cyber-sanctions-regulation-2019-796"
              and f["measure"] in ("listed-persons", "listed-entities")]
    assert len(totals) >= 8
    for f in totals:
        # a total stated for a month counts every listing up to the end of that month
        cutoff = f["date"] if len(f["date"]) == 10 else f["date"] + "-31"
        persons = sum(1 for date, kind in listed if _earliest(date) <= cutoff and kind == "person")
        entities = sum(1 for date, kind in listed if _earliest(date) <= cutoff and kind != "person")
        counted = persons if f["measure"] == "listed-persons" else entities
        assert counted == float(f["value"]), f"{f['figure_id']}: stated {f['value']}, listings add up to {counted}"
    final = {f["measure"]: float(f["value"]) for f in totals if f["date"] == "2025-01-27"}
    assert final == {"listed-persons": 17, "listed-entities": 4}


def test_who_is_estonias_ambassador_for_cyber_diplomacy_and_since_when(release):
    office = [r for r in rows(release, "relations")
              if r["object_id"] == "ee-ambassador-cyber-diplomacy" and r["kind"] == "holds-office"]
    by_source = {(r["subject_id"], r["start"], r["as_of"]) for r in office}
    assert ("tanel-sepp", "2022", "2022-06-13") in by_source


def test_which_states_sat_on_the_2014_2015_gge(release):
    actors = {r["actor_id"]: r for r in rows(release, "actors")}
    members = sorted({actors[r["subject_id"]]["iso2"] for r in rows(release, "relations")
                     if r["object_id"] == "un-gge-2014-2015" and r["kind"] == "member-of"
                     and actors[r["subject_id"]]["kind"] == "state"})
    assert members == sorted(["BY", "BR", "CN", "CO", "EG", "EE", "FR", "DE", "GH", "IL", "JP", "KE", "MY",
                              "MX", "PK", "KR", "RU", "ES", "GB", "US"])


def test_who_was_sanctioned_for_the_bundestag_hack_and_when(release):
    events = {r["event_id"]: r for r in rows(release, "events")}
    sanctioned = {p["actor_id"] for p in rows(release, "event_participants")
                  if p["event_id"] == "eu-cyber-sanctions-listing-2020-10-22" and p["role"] == "sanctioned"}
    assert events["eu-cyber-sanctions-listing-2020-10-22"]["start"] == "2020-10-22"
    assert len(sanctioned) == 3 and {"dmitry-badin", "igor-kostyukov"} <= sanctioned
    assert "bundestag" in events["eu-cyber-sanctions-listing-2020-10-22"]["summary"].lower()


def test_which_five_states_lead_osce_cbm_14_with_estonia(release):
    leads = {r["subject_id"] for r in rows(release, "relations")
             if r["instrument_id"] == "osce-cbm-14" and r["kind"] in ("leads", "co-leads")}
    assert leads == {"state-ee", "state-at", "state-be", "state-fi", "state-it", "state-se"}


def test_every_state_has_its_codes(release):
    for r in rows(release, "actors"):
        if r["kind"] == "state":
            assert r["iso2"] and r["iso3"] and r["wikidata"].startswith("Q"), r["actor_id"]
            assert r["actor_id"] == "state-" + r["iso2"].lower()


def test_names_keep_their_diacritics(release):
    names = {r["actor_id"]: r["name"] for r in rows(release, "actors")}
    assert names["markko-kunnapu"] == "Markko Künnapu"
    assert names["sven-jurgenson"] == "Sven Jürgenson"


def test_present_tense_statements_of_the_mfa_page_are_dated(release):
    undated = [r["relation_id"] for r in rows(release, "relations")
               if r["source_id"] == "src-mfa-ee-cyber-diplomacy" and not (r["as_of"] or r["start"] or r["end"])]
    assert undated == []


def test_disagreements_link_rows_with_different_sources(release):
    sources = {}
    for table in ("actors", "instruments", "events", "relations", "figures", "positions"):
        schema = yaml.safe_load((ROOT / "schemas/tables" / f"{table}.yaml").read_text())
        pk = schema["primaryKey"][0]
        for r in rows(release, table):
            sources[f"{table}/{r[pk]}"] = r["source_id"]
    pairs = rows(release, "disagreements")
    assert len(pairs) >= 10
    for d in pairs:
        if d["claim"] in sources and d["counter_claim"] in sources:
            assert sources[d["claim"]] != sources[d["counter_claim"]], d["disagreement_id"]
