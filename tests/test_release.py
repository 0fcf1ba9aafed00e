"""Releases: the bump each kind of change requires, refused understatements, tombstones,
immutability, zips, the index, and verify catching tampering."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest

from tests.conftest import append, copy_project, replace

SRC = 'src-mfa-ee-cyber-diplomacy,"§ x, para 1"'


@pytest.fixture
def released(project, run):
    result = run("release", "--date", "2026-11-01")
    assert result.exit_code == 0, result.output + result.stderr
    assert result.output == "released 0.1.0 (first release): dist/0.1.0/ and dist/cyber-diplomacy-facts-0.1.0.zip\n"
    return project


def bump_of(run) -> str:
    out = run("diff", "0.1.0").output
    return out.splitlines()[-1]


# --- each rule of the bump logic, each with a real change -----------------------------------

def test_corrected_value_is_a_patch(released, run):
    replace(released / "raw/events.csv", "formal Council meeting", "formal meeting of the Council")
    assert bump_of(run) == "required bump: patch"
    result = run("release", "--date", "2026-11-02")
    assert result.output.startswith("released 0.1.1 (patch release)")


def test_description_change_is_a_patch(released, run):
    replace(released / "schemas/tables/norms.yaml", "Short label for the norm, our paraphrase.", "A short label for the norm.")
    assert bump_of(run) == "required bump: patch"


def test_new_rows_are_minor(released, run):
    append(released / "raw/figures.csv", f"speakers-2020,,,,speakers,60,count,exact,2020-05,{SRC},")
    out = run("diff", "0.1.0").output
    assert "figures: +1 -0 ~0\n  + speakers-2020\n" in out
    assert out.endswith("required bump: minor\n")


def test_new_optional_field_is_minor(released, run):
    replace(released / "schemas/tables/norms.yaml", "  - use: note\nprimaryKey", "  - name: extra\n    type: string\n    description: An extra field.\n  - use: note\nprimaryKey")
    path = released / "raw/norms.csv"
    path.write_text("norm_id,instrument_id,label,title,description,source_id,locator,extra,note\n")
    out = run("diff", "0.1.0").output
    assert "[minor] norms.extra added" in out
    assert out.endswith("required bump: minor\n")


def test_looser_constraint_is_minor(released, run):
    replace(released / "schemas/tables/figures.yaml", "enum: [count, rank,", "enum: [count, tonnes, rank,")
    out = run("diff", "0.1.0").output
    assert "[minor] figures.unit: enum allows tonnes" in out
    assert out.endswith("required bump: minor\n")


def test_new_table_is_minor(released, run):
    schema = released / "schemas/tables/glossary.yaml"
    schema.write_text("name: glossary\ntitle: Glossary\ndescription: Terms.\nfields:\n  - use: id\n    name: term_id\n"
                      "  - name: text\n    type: string\n    description: The term.\nprimaryKey: [term_id]\n")
    replace(released / "schemas/package.yaml", "retired_ids]", "retired_ids, glossary]")
    (released / "raw/glossary.csv").write_text("term_id,text\ncbm,confidence-building measure\n")
    out = run("diff", "0.1.0").output
    assert "[minor] table glossary added" in out
    assert out.endswith("required bump: minor\n")


def test_stricter_constraint_is_major(released, run):
    replace(released / "schemas/fields.yaml", "    maxLength: 2000\n\nnote:", "    maxLength: 1500\n\nnote:")
    out = run("diff", "0.1.0").output
    assert "[major] events.summary: maxLength 2000 -> 1500" in out
    assert out.endswith("required bump: major\n")


def test_removed_enum_value_is_major(released, run):
    replace(released / "schemas/tables/figures.yaml", "enum: [count, rank,", "enum: [count,")
    assert "[major] figures.unit: enum no longer allows rank" in run("diff", "0.1.0").output


def test_type_change_is_major(released, run):
    replace(released / "schemas/tables/figures.yaml", "  - name: value\n    type: number", "  - name: value\n    type: integer")
    out = run("diff", "0.1.0").output
    assert "[major] figures.value: type number -> integer" in out


def test_removed_or_renamed_field_is_major(released, run):
    replace(released / "schemas/tables/events.yaml", "  - name: place\n", "  - name: venue\n")
    replace(released / "raw/events.csv", ",place,", ",venue,")
    out = run("diff", "0.1.0").output
    assert "[major] events.place removed (or renamed)" in out
    assert out.endswith("required bump: major\n")


def test_changed_key_is_major(released, run):
    replace(released / "schemas/tables/instrument_parties.yaml", "primaryKey: [instrument_id, actor_id, action, date]",
            "primaryKey: [instrument_id, actor_id, action]")
    assert "[major] instrument_parties: primary key" in run("diff", "0.1.0").output


def test_understated_bump_is_refused_naming_the_change(released, run):
    replace(released / "schemas/tables/figures.yaml", "enum: [count, rank,", "enum: [count,")
    before = (released / "schemas/package.yaml").read_bytes()
    result = run("release", "--bump", "minor")
    assert result.exit_code == 1
    assert result.stderr == ("refused: a minor release is not enough: these changes require a major release:\n"
                             "  - figures.unit: enum no longer allows rank\n")
    assert (released / "schemas/package.yaml").read_bytes() == before
    assert sorted(p.name for p in (released / "dist").iterdir() if not p.name.startswith(".")) == [
        "0.1.0", "LATEST", "cyber-diplomacy-facts-0.1.0.zip", "index.json"]


def test_nothing_to_release(released, run):
    result = run("release")
    assert result.exit_code == 2
    assert result.stderr == ("error: nothing to release: raw/ and schemas/ are the same as release 0.1.0 "
                             "(to republish the same data with a changed pipeline, give --bump patch)\n")


def test_same_data_can_be_republished_when_asked(released, run):
    result = run("release", "--bump", "patch", "--date", "2026-11-02")
    assert result.output.startswith("released 0.1.1 (patch release)")
    assert "No data or schema change: the same data, published again by a changed pipeline." in (
        released / "CHANGELOG.md").read_text()


# --- tombstones -------------------------------------------------------------------------------

def _remove_line(path, needle):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if needle not in line))


def test_removed_rows_need_a_reason_and_become_tombstones(released, run):
    _remove_line(released / "raw/figures.csv", "cybercrime-damages-2020")
    assert bump_of(run) == "required bump: major"
    result = run("release", "--date", "2026-11-03")
    assert result.exit_code == 2
    assert "1 published rows are removed (figures/cybercrime-damages-2020); say why with --reason" in result.stderr
    result = run("release", "--date", "2026-11-03", "--reason", "Figure withdrawn pending a better source.")
    assert result.output.startswith("released 1.0.0 (major release)")
    tomb = (released / "raw/retired_ids.csv").read_text()
    assert "figures,cybercrime-damages-2020,1.0.0,Figure withdrawn pending a better source.\n" in tomb
    changelog = (released / "dist/1.0.0/CHANGELOG.md").read_text()
    assert "- `figures/cybercrime-damages-2020`" in changelog
    changes = json.loads((released / "dist/1.0.0/changes.json").read_text())
    assert changes["tables"]["figures"]["removed_ids"] == ["cybercrime-damages-2020"]
    assert changes["retired"] == ["figures/cybercrime-damages-2020"]
    # reusing the retired ID is a validation error
    append(released / "raw/figures.csv", f"cybercrime-damages-2020,,,,damages,1,eur,exact,2020,{SRC},")
    out = run("validate").output
    assert ("raw/retired_ids.csv:2:2: retired-id [not-reused] id = 'cybercrime-damages-2020': this ID was retired "
            "and is in use again in table 'figures' (give the new row a new ID; retired IDs are never reused)") in out


# --- immutability, index, zip, reproducibility ------------------------------------------------

def test_released_version_is_not_rewritten_and_build_says_why(released, run):
    replace(released / "raw/events.csv", "formal Council meeting", "formal meeting of the Council")
    before = (released / "dist/0.1.0/csv/events.csv").read_bytes()
    result = run("build")
    assert result.exit_code == 2
    assert "version 0.1.0 is already released and there are unreleased changes (" in result.stderr
    assert "run 'cyberdip release' to publish them as a new version" in result.stderr
    assert (released / "dist/0.1.0/csv/events.csv").read_bytes() == before


def test_index_latest_and_zip(released, run):
    index = json.loads((released / "dist/index.json").read_text())
    assert index["latest"] == "0.1.0"
    entry = index["releases"][0]
    zip_path = released / "dist" / entry["zip"]
    assert entry["zip_sha256"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert entry["counts"]["actors"] == 6 and entry["rows"] == 15
    assert (released / "dist/LATEST").read_text() == "0.1.0\n"
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert "cyber-diplomacy-facts-0.1.0/datapackage.json" in names
        assert {i.date_time for i in zf.infolist()} == {(2026, 11, 1, 0, 0, 0)}
    desc = json.loads((released / "dist/0.1.0/datapackage.json").read_text())
    assert desc["version"] == "0.1.0" and desc["created"] == "2026-11-01T00:00:00Z"


def test_release_zip_is_byte_reproducible(tmp_path, run, monkeypatch):
    digests = []
    for name in ("a", "b"):
        folder = copy_project(tmp_path / name)
        monkeypatch.chdir(folder)
        assert run("release", "--date", "2026-11-01").exit_code == 0
        digests.append(hashlib.sha256((folder / "dist/cyber-diplomacy-facts-0.1.0.zip").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_diff_json(released, run):
    replace(released / "raw/events.csv", "formal Council meeting", "formal meeting of the Council")
    doc = json.loads(run("diff", "0.1.0", "working", "--format", "json").output)
    assert doc["required_bump"] == "patch"
    assert doc["tables"]["events"]["changed_ids"] == ["unsc-georgia-2020-03"]
    old, new = doc["tables"]["events"]["changed_cells"]["unsc-georgia-2020-03"]["summary"]
    assert old.endswith("formal Council meeting.") and new.endswith("formal meeting of the Council.")


def test_diff_between_two_releases(released, run):
    append(released / "raw/figures.csv", f"speakers-2020,,,,speakers,60,count,exact,2020-05,{SRC},")
    assert run("release", "--date", "2026-11-02").exit_code == 0
    out = run("diff", "0.1.0", "0.2.0").output
    assert out.startswith("diff 0.1.0 -> 0.2.0\n")
    assert "figures: +1 -0 ~0" in out


def test_diff_of_unknown_version(released, run):
    result = run("diff", "9.9.9")
    assert result.exit_code == 2
    assert result.stderr == "error: '9.9.9' is neither a released version in dist/, a release folder, nor 'working'\n"


# --- verify -------------------------------------------------------------------------------------

def test_verify_accepts_a_good_release_and_its_zip(released, run):
    result = run("verify", "dist/0.1.0")
    assert result.exit_code == 0
    assert result.output.startswith("verified dist/0.1.0: ")
    assert run("verify", "dist/cyber-diplomacy-facts-0.1.0.zip").exit_code == 0


def test_verify_catches_a_flipped_byte(released, run):
    path = released / "dist/0.1.0/parquet/actors.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    result = run("verify", "dist/0.1.0")
    assert result.exit_code == 1
    assert "changed: parquet/actors.parquet: its sha256 differs from SHA256SUMS" in result.output
    assert "hash: parquet/actors.parquet: its sha256 differs from datapackage.json" in result.output


def test_verify_catches_a_truncated_file(released, run):
    path = released / "dist/0.1.0/csv/events.csv"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:-10])
    out = run("verify", "dist/0.1.0").output
    assert f"size: csv/events.csv: truncated: {size - 10} bytes, datapackage.json says {size}" in out


def test_verify_catches_extra_and_missing_files(released, run):
    (released / "dist/0.1.0/notes.txt").write_text("hello")
    (released / "dist/0.1.0/json/norms.json").unlink()
    result = run("verify", "dist/0.1.0")
    assert result.exit_code == 1
    assert "extra: notes.txt: in the release but not listed in SHA256SUMS" in result.output
    assert "missing: json/norms.json: listed in SHA256SUMS but not in the release" in result.output


def test_verify_catches_tampering_inside_a_zip(released, run, tmp_path):
    src = released / "dist/cyber-diplomacy-facts-0.1.0.zip"
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("csv/actors.csv"):
                data = data.replace(b"Tanel Sepp", b"Tanel Sep")
            zout.writestr(info, data)
    result = run("verify", str(bad))
    assert result.exit_code == 1
    assert "changed: csv/actors.csv" in result.output


def test_pandera_checks_the_parquet_of_a_release(released, run):
    """The Parquet is checked by a second engine: a bad value that is consistent with the
    checksums (a re-signed release) is still caught."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.build import write_checksums
    from pipeline.pandera_schema import check_parquet

    folder = released / "dist/0.1.0"
    assert check_parquet(folder) == []
    path = folder / "parquet/events.parquet"
    table = pq.read_table(path)
    kinds = pa.array(["meetng"] * table.num_rows).dictionary_encode().cast(table.schema.field("kind").type)
    pq.write_table(table.set_column(table.schema.get_field_index("kind"), table.schema.field("kind"), kinds), path)
    assert check_parquet(folder) == [("parquet/events.parquet", "kind: isin(['cyber-operation', 'attribution', 'meeting', "
                                      "'debate', 'session', 'conference', 'summit', 'adoption', 'signature', 'entry-into-force', "
                                      "'sanctions-listing', 'sanctions-renewal', 'election', 'appointment', 'founding', 'launch', "
                                      "'publication', 'presidency', 'exercise', 'training', 'accession', 'decision', 'conviction']) "
                                      "fails for 'meetng'")]
    desc = json.loads((folder / "datapackage.json").read_text())
    for res in desc["resources"]:
        if res["path"] == "parquet/events.parquet":
            res["x-bytes"] = path.stat().st_size
            res["x-hash"] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "datapackage.json").write_text(json.dumps(desc))
    write_checksums(folder)
    result = run("verify", "dist/0.1.0")
    assert result.exit_code == 1
    assert "parquet: parquet/events.parquet: kind: isin([" in result.output
