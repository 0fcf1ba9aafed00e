"""cyberdip build: a release that frictionless accepts, typed Parquet and JSON, reproducible bytes,
and nothing half-written on failure."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import copy_project, replace


def _tree(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def built(project, run):
    result = run("build")
    assert result.exit_code == 0, result.output
    assert result.output == "published dist/0.1.0 (12 tables, 15 rows)\n"
    return project / "dist" / "0.1.0"


def test_release_layout(built):
    names = set(_tree(built))
    for table in ("sources", "actors", "events", "relations", "disagreements"):
        assert {f"csv/{table}.csv", f"parquet/{table}.parquet", f"json/{table}.json"} <= names
    assert {"datapackage.json", "README.md", "LICENSE", "SHA256SUMS"} <= names


def test_frictionless_accepts_the_release(built):
    import frictionless

    report = frictionless.validate(str(built / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "type", "note"])


def test_datapackage_describes_every_file(built):
    desc = json.loads((built / "datapackage.json").read_text())
    assert desc["version"] == "0.1.0" and desc["created"] == "2026-11-28T00:00:00Z"
    assert len(desc["resources"]) == 38
    assert {r["path"] for r in desc["resources"] if r["type"] == "file"} == {
        "cyber-diplomacy-facts.sqlite", "cyber-diplomacy-facts.xlsx"}
    for res in desc["resources"]:
        data = (built / res["path"]).read_bytes()
        size = res.get("bytes", res.get("x-bytes"))
        digest = res.get("hash", res.get("x-hash"))
        assert size == len(data)
        assert digest == "sha256:" + hashlib.sha256(data).hexdigest()
        if res["type"] != "file":
            assert all(f["description"] for f in res["schema"]["fields"])
    actors = next(r for r in desc["resources"] if r["name"] == "actors-parquet")
    assert {"fields": ["parent_id"], "reference": {"resource": "actors-parquet", "fields": ["actor_id"]}} in actors["schema"]["foreignKeys"]


def test_checksums_cover_every_file(built):
    lines = (built / "SHA256SUMS").read_text().splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in lines}
    tree = _tree(built)
    del tree["SHA256SUMS"]
    assert listed == tree


def test_parquet_types_and_metadata(built):
    rel = pq.read_table(built / "parquet/relations.parquet")
    assert rel.schema.field("kind").type == pa.dictionary(pa.int32(), pa.string())
    assert rel.schema.field("start").type == pa.string()  # partial dates keep their precision
    assert rel.schema.metadata[b"cyberdip.version"] == b"0.1.0"
    assert rel.schema.field("as_of").metadata[b"description"].startswith(b"The date at which the source states")
    src = pq.read_table(built / "parquet/sources.parquet")
    assert src.schema.field("accessed").type == pa.date32()
    fig = pq.read_table(built / "parquet/figures.parquet")
    assert fig.schema.field("value").type == pa.float64()
    assert fig.column("value").to_pylist() == [5.5e12]
    ins = pq.read_table(built / "parquet/instruments.parquet")
    assert ins.column("binding").type == pa.bool_() and ins.column("binding").to_pylist() == [True]
    assert pq.ParquetFile(built / "parquet/actors.parquet").metadata.row_group(0).column(0).compression == "ZSTD"


def test_pandas_and_duckdb_read_the_declared_types(built):
    import duckdb
    import pandas as pd

    df = pd.read_parquet(built / "parquet/actors.parquet")
    assert str(df["kind"].dtype) == "category"
    assert df.loc[df.actor_id == "state-ee", "iso3"].item() == "EST"
    con = duckdb.connect()
    row = con.execute(f"select typeof(accessed), typeof(kind) from '{built}/parquet/sources.parquet'").fetchone()
    assert row == ("DATE", "VARCHAR")
    n = con.execute(
        f"select count(*) from '{built}/parquet/relations.parquet' r join '{built}/parquet/actors.parquet' a "
        "on r.subject_id = a.actor_id where a.kind = 'person'").fetchone()[0]
    assert n == 1


def test_json_is_typed(built):
    doc = json.loads((built / "json/figures.json").read_text())
    assert doc["version"] == "0.1.0" and doc["table"] == "figures"
    row = doc["rows"][0]
    assert row["value"] == 5500000000000.0 and row["subject_id"] is None
    ins = json.loads((built / "json/instruments.json").read_text())["rows"][0]
    assert ins["binding"] is True


def test_csv_is_the_raw_file(built, project):
    assert (built / "csv/events.csv").read_bytes() == (project / "raw/events.csv").read_bytes()


def test_data_dictionary_is_generated_from_the_schemas(built):
    readme = (built / "README.md").read_text()
    assert "| [relations](#relations) | 2 |" in readme
    assert "| `as_of` | string (partial date) |" in readme
    assert "- `parent_id` refers to `actors.actor_id`" in readme


def test_two_builds_in_different_folders_are_byte_identical(tmp_path, run, monkeypatch):
    trees = []
    for name in ("one", "two"):
        folder = copy_project(tmp_path / name)
        monkeypatch.chdir(folder)
        assert run("build").exit_code == 0
        trees.append(_tree(folder / "dist/0.1.0"))
    assert trees[0] == trees[1]


def test_rebuild_is_a_no_op(built, run):
    before = _tree(built)
    result = run("build")
    assert result.output == "dist/0.1.0 is up to date (12 tables, 15 rows)\n"
    assert _tree(built) == before


def test_invalid_data_publishes_nothing(project, run):
    replace(project / "raw/events.csv", ",meeting,2020-03,", ",meetng,2020-03,")
    result = run("build")
    assert result.exit_code == 1
    assert "constraint-error [enum] kind = 'meetng'" in result.output
    assert not (project / "dist" / "0.1.0").exists()


def test_invalid_data_leaves_an_existing_release_alone(built, project, run):
    before = _tree(built)
    replace(project / "raw/events.csv", ",meeting,2020-03,", ",meetng,2020-03,")
    assert run("build").exit_code == 1
    assert _tree(built) == before
    assert [p.name for p in (project / "dist").iterdir() if p.name.startswith(".tmp")] == []


def test_a_released_version_is_never_rewritten(built, project, run):
    (project / "dist/index.json").write_text(json.dumps({"releases": [{"version": "0.1.0"}]}))
    before = _tree(built)
    replace(project / "raw/events.csv", "formal Council meeting", "formal meeting of the Council")
    result = run("build")
    assert result.exit_code == 2
    assert "version 0.1.0 is already released" in result.stderr
    assert "csv/events.csv" in result.stderr
    assert _tree(built) == before


def test_build_writes_the_row_counts_into_the_readme(project, run):
    readme = project / "README.md"
    readme.write_text("# x\n\n<!-- counts:start -->\nSTALE\n<!-- counts:end -->\n\nrest\n")
    assert run("build").exit_code == 0
    text = readme.read_text()
    assert "| `actors` | 6 | Actors |" in text and "| **total** | 15 | |" in text
    assert "STALE" not in text and text.endswith("<!-- counts:end -->\n\nrest\n")
