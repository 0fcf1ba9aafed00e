"""Property-based tests: any bytes give a report (never an uncaught exception), and any valid table
survives CSV -> Parquet -> JSON without losing a value, a type, a null or a character."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pyarrow.parquet as pq
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli import cli
from pipeline.errors import Report
from pipeline.publish import typed, writers
from pipeline.schema import Package, build_table
from pipeline.validate import validate_package
from tests.conftest import copy_project

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_raw_table_give_a_report(tmp_path_factory, data):
    folder = copy_project(tmp_path_factory.mktemp("bytes"))
    header = (folder / "raw/norms.csv").read_bytes()
    (folder / "raw/norms.csv").write_bytes(header + data)
    import os

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, ["validate", "--format", "json"], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1, 2)
    if result.exit_code in (0, 1):
        doc = json.loads(result.output)
        assert doc["valid"] is (result.exit_code == 0)


@SETTINGS
@given(data=st.binary(max_size=500))
def test_any_bytes_as_a_whole_file_give_a_report(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("whole")
    (folder / "t.csv").write_bytes(data)
    (folder / "datapackage.json").write_text(json.dumps({"resources": [{"name": "t", "path": "t.csv", "schema": {
        "fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "date"}], "primaryKey": ["a"]}}]}))
    result = CliRunner().invoke(cli, ["validate", str(folder / "datapackage.json")], catch_exceptions=False)
    assert result.exit_code in (0, 1, 2)
    assert result.output.endswith("\n") or result.exit_code == 2


SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "text", "type": "string"},
        {"name": "number", "type": "number"},
        {"name": "flag", "type": "boolean"},
        {"name": "day", "type": "date"},
        {"name": "kind", "type": "string", "constraints": {"enum": ["alpha", "beta", "gamma"]}},
    ],
    "primaryKey": ["id"],
}

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=40)
rows = st.lists(
    st.tuples(
        texts,
        st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
        st.one_of(st.none(), st.booleans()),
        st.one_of(st.none(), st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(9999, 12, 31))),
        st.one_of(st.none(), st.sampled_from(["alpha", "beta", "gamma"])),
    ),
    max_size=30,
)


@SETTINGS
@given(values=rows)
def test_valid_tables_round_trip_losslessly(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("rt")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([f["name"] for f in SCHEMA["fields"]])
    expected = []
    for i, (text, number, flag, day, kind) in enumerate(values):
        text = text or None  # an empty cell is a missing value in Table Schema
        w.writerow([i, text or "", "" if number is None else repr(number), "" if flag is None else str(flag).lower(),
                    "" if day is None else day.isoformat(), kind or ""])
        expected.append({"id": i, "text": text, "number": number, "flag": flag, "day": day, "kind": kind})
    path = folder / "t.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    table = build_table("t", SCHEMA, path, {}, "test")
    report, states = validate_package(Package([table], {}), Report(), keep_typed=True)
    assert report.valid, [e.message for e in report.errors]
    arrow = typed.typed_table(table, states["t"].typed, {"name": "p", "version": "1.0.0"})
    writers.write_parquet(arrow, folder / "t.parquet")
    back = pq.read_table(folder / "t.parquet")
    assert back.schema.field("day").type == arrow.schema.field("day").type
    assert [dict(r, kind=r["kind"]) for r in back.to_pylist()] == expected
    writers.write_json(back, folder / "t.json", "p", "1.0.0", "t")
    doc = json.loads((folder / "t.json").read_text(encoding="utf-8"))
    as_json = [dict(r, day=r["day"].isoformat() if r["day"] else None) for r in expected]
    assert doc["rows"] == as_json
