"""The Excel workbook of a release: an About sheet, one sheet per table with typed cells and a
frozen header, formula-like text kept as text, and the same bytes from the same data."""

from __future__ import annotations

import datetime
import json
import zipfile

import openpyxl
import pyarrow as pa
import pytest

from tests.richdata import build_rich_release, make_rich_project

NAME = "cyber-diplomacy-facts.xlsx"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build_rich_release(make_rich_project(tmp_path_factory.mktemp("rich")))


@pytest.fixture(scope="module")
def wb(release):
    return openpyxl.load_workbook(release / NAME)


def test_one_sheet_per_table_after_about(wb, release):
    dp = json.loads((release / "datapackage.json").read_text())
    tables = [r["name"] for r in dp["resources"] if r["format"] == "csv"]
    assert wb.sheetnames == ["About", *tables]
    for name in tables:
        rows = json.loads((release / "json" / f"{name}.json").read_text())["rows"]
        ws = wb[name]
        assert ws.max_row == len(rows) + 1, name
        assert ws.freeze_panes == "A2"
        assert [c.value for c in ws[1]] == [f["name"] for f in next(
            r for r in dp["resources"] if r["name"] == name)["schema"]["fields"]]
        assert all(c.font.bold for c in ws[1])


def test_typed_cells(wb):
    fig = wb["figures"]
    head = [c.value for c in fig[1]]
    value = fig.cell(row=2, column=head.index("value") + 1)
    assert value.data_type == "n" and value.value == 5.5e12
    ins = wb["instruments"]
    binding = ins.cell(row=2, column=[c.value for c in ins[1]].index("binding") + 1)
    assert binding.data_type == "b" and binding.value is True
    rel = wb["relations"]
    start = rel.cell(row=2, column=[c.value for c in rel[1]].index("start") + 1)
    assert start.value == "2020" and start.data_type == "s"  # partial dates stay text


def test_dates_are_dates(tmp_path):
    import shutil

    from tests.conftest import append

    root = make_rich_project(tmp_path / "p")
    path = root / "raw" / "sources.csv"
    text = path.read_text().replace(",2022-06-13,,web-page,", ",2022-06-13,2026-11-20,web-page,")
    path.write_text(text)
    append(root / "raw" / "sources.csv", "src-other,Other,Someone,https://example.org/x,2020,2021-02-03,web-page,en,")
    release = build_rich_release(root)
    ws = openpyxl.load_workbook(release / NAME)["sources"]
    col = [c.value for c in ws[1]].index("accessed") + 1
    cells = [ws.cell(row=r, column=col) for r in (2, 3)]
    assert [c.value for c in cells] == [datetime.datetime(2026, 11, 20), datetime.datetime(2021, 2, 3)]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in cells)
    shutil.rmtree(root)


def test_about_sheet_explains_package_and_every_field(wb, release):
    ws = wb["About"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0] == "Cyber Diplomacy Facts 0.1.0"
    labels = {row[0]: row[1] for row in values if row[0]}
    assert labels["Licence"] == "Creative Commons Attribution 4.0"
    assert labels["How to cite"].startswith("Cyber Diplomacy Facts curators (2026). Cyber Diplomacy Facts, version 0.1.0")
    fields = {(row[0], row[1]): row for row in values if row[0] and row[1] and row[2]}
    dp = json.loads((release / "datapackage.json").read_text())
    for res in dp["resources"]:
        if res["format"] != "csv":
            continue
        for f in res["schema"]["fields"]:
            assert fields[(res["name"], f["name"])][4] == f["description"], (res["name"], f["name"])
    assert fields[("relations", "as_of")][2] == "string (partial date)"
    assert "refers to actors.actor_id" in fields[("relations", "subject_id")][3]


FORMULAS = ['=HYPERLINK("http://example.org","click")', "=1+1", "+1 note", "-2 minus", "@SUM(A1)",
            "\tstarts with a tab", "\rstarts with a return", "plain"]


def test_formula_like_text_is_stored_as_text(tmp_path):
    from pipeline.publish import xlsx
    from pipeline.schema import Field, Package, Table

    table = Table(name="notes", path=tmp_path / "notes.csv",
                  fields=[Field("note_id", "string", "id"), Field("text", "string", "text")], primary_key=["note_id"])
    package = Package(tables=[table], metadata={"name": "p", "title": "P", "version": "1.0.0",
                                                "created": "2026-11-28T00:00:00Z"})
    data = pa.table({"note_id": [f"n{i}" for i in range(len(FORMULAS))], "text": FORMULAS})
    target = tmp_path / "p.xlsx"
    xlsx.write_xlsx(package, {"notes": data}, target)
    ws = openpyxl.load_workbook(target)["notes"]
    cells = [ws.cell(row=r, column=2) for r in range(2, len(FORMULAS) + 2)]
    # XML reads a carriage return as a line feed; the text is otherwise kept as written
    assert [c.value for c in cells] == [f.replace("\r", "\n") for f in FORMULAS]
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * (len(FORMULAS) - 1) + [False]
    with zipfile.ZipFile(target) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert all("<f>" not in z.read(n).decode() and "<f " not in z.read(n).decode() for n in sheets)


def test_same_data_same_bytes(release, tmp_path):
    again = build_rich_release(make_rich_project(tmp_path / "again"))
    assert (again / NAME).read_bytes() == (release / NAME).read_bytes()
    with zipfile.ZipFile(release / NAME) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 11, 28, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert ">2026-11-28T00:00:00Z</dcterms:created>" in core and ">2026-11-28T00:00:00Z</dcterms:modified>" in core
