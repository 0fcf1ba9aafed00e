"""The SQLite database of a release: every table, typed columns, keys, indexes, field descriptions,
a datasette metadata file, and the same bytes from the same data."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.richdata import build_rich_release, make_rich_project


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build_rich_release(make_rich_project(tmp_path_factory.mktemp("rich")))


@pytest.fixture
def db(release):
    con = sqlite3.connect(f"file:{release / 'cyber-diplomacy-facts.sqlite'}?mode=ro", uri=True)
    yield con
    con.close()


def test_every_table_with_its_rows(db, release):
    dp = json.loads((release / "datapackage.json").read_text())
    tables = [r["name"] for r in dp["resources"] if r["format"] == "csv"]
    for name in tables:
        rows = json.loads((release / "json" / f"{name}.json").read_text())["rows"]
        assert db.execute(f'select count(*) from "{name}"').fetchone()[0] == len(rows), name
    assert [r[0] for r in db.execute("select name from _tables order by position")] == tables


def test_foreign_keys_hold_and_are_declared(db):
    db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    fks = {(r[3], r[2], r[4]) for r in db.execute("PRAGMA foreign_key_list(relations)")}
    assert {("subject_id", "actors", "actor_id"), ("object_id", "actors", "actor_id"),
            ("source_id", "sources", "source_id")} <= fks
    assert ("parent_id", "actors", "actor_id") in {(r[3], r[2], r[4]) for r in db.execute("PRAGMA foreign_key_list(actors)")}


def test_primary_keys_and_indexes_on_keys(db):
    pk = [r[1] for r in sorted(db.execute("PRAGMA table_info(event_participants)"), key=lambda r: r[5]) if r[5]]
    assert pk == ["event_id", "actor_id", "role"]
    indexed = set()
    for (name,) in db.execute("select name from sqlite_master where type = 'index' and tbl_name = 'relations'"):
        indexed |= {r[2] for r in db.execute(f'PRAGMA index_info("{name}")')}
    assert {"relation_id", "subject_id", "object_id", "source_id", "instrument_id"} <= indexed
    plan = " ".join(r[3] for r in db.execute("explain query plan select * from relations where object_id = 'unsc'"))
    assert "USING INDEX" in plan


def test_typed_columns(db):
    types = {r[1]: r[2] for r in db.execute("PRAGMA table_info(figures)")}
    assert types["value"] == "REAL" and types["figure_id"] == "TEXT"
    assert db.execute("select typeof(value), value from figures").fetchone() == ("real", 5.5e12)
    assert db.execute("select typeof(binding), binding from instruments").fetchone() == ("integer", 1)
    assert db.execute("select start from relations where relation_id = 'ee-unsc-member-2020-2021'").fetchone() == ("2020",)
    copy = sqlite3.connect(":memory:")
    db.backup(copy)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):  # enums are CHECK constraints
        copy.execute("insert into events (event_id, name, kind, start, summary, source_id, locator) "
                   "values ('x', 'x', 'meetng', '2020', 's', 'src-mfa-ee-cyber-diplomacy', 'l1')")


def test_field_descriptions(db):
    row = db.execute("select type, sqlite_type, required, description from _fields "
                     "where table_name = 'relations' and field_name = 'as_of'").fetchone()
    assert row[0] == "string (partial date)" and row[1] == "TEXT" and row[2] == 0
    assert row[3].startswith("The date at which the source states")
    assert db.execute("select count(*) from _fields where description is null or description = ''").fetchone()[0] == 0
    assert dict(db.execute("select key, value from _package"))["version"] == "0.1.0"


def test_datasette_metadata(release, db):
    meta = json.loads((release / "datasette-metadata.json").read_text())
    assert meta["license"] == "CC-BY-4.0" and meta["title"] == "Cyber Diplomacy Facts 0.1.0"
    tables = meta["databases"]["cyber-diplomacy-facts"]["tables"]
    cols = {r[1] for r in db.execute("PRAGMA table_info(actors)")}
    assert set(tables["actors"]["columns"]) == cols
    assert tables["actors"]["columns"]["iso2"] == "ISO 3166-1 alpha-2 country code (states only)."


def test_same_data_same_bytes(release, tmp_path):
    again = build_rich_release(make_rich_project(tmp_path / "again"))
    for name in ("cyber-diplomacy-facts.sqlite", "datasette-metadata.json"):
        assert (again / name).read_bytes() == (release / name).read_bytes(), name
    assert not list(release.glob("*-journal")) and not list(release.glob("*-wal"))
