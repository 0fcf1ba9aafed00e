"""cyberdip validate: exact messages and exit codes, one fixture per error type."""

from __future__ import annotations

import json

import pytest

from tests.conftest import append, replace

VALID = "valid: 12 tables, 15 rows, no errors\n"
SRC = 'src-mfa-ee-cyber-diplomacy,"§ x, para 1"'


def test_valid_fixture(project, run):
    result = run("validate")
    assert result.exit_code == 0
    assert result.output == VALID


def test_enum_error_names_file_line_column_value_rule_and_hint(project, run):
    replace(project / "raw/events.csv", ",meeting,2020-03,", ",meetng,2020-03,")
    result = run("validate")
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("raw/events.csv:2:3: constraint-error [enum] kind = 'meetng': not one of the allowed values:")
    assert first.endswith("(did you mean 'meeting'?)")
    assert result.output.splitlines()[-1] == "invalid: 1 error in 12 tables, 15 rows"


@pytest.mark.parametrize(
    "table, old, new, expected",
    [
        ("figures", ",5500000000000,", ",5.500.000,",
         "raw/figures.csv:2:6: type-error [number] value = '5.500.000': not a number (use a dot for decimals, no thousands separators)"),
        ("sources", ",2022-06-13,,", ",2022-06-13,2021-02-30,",
         "raw/sources.csv:2:6: type-error [date] accessed = '2021-02-30': not a real date of the form YYYY-MM-DD"),
        ("relations", ",2020,2021,", ",2020,2019-13,",
         "raw/relations.csv:2:8: constraint-error [partial-date] end = '2019-13': not a real date of the form YYYY, YYYY-MM or YYYY-MM-DD"),
        ("relations", ",2020,2021,", ",2020-05,2020-04,",
         "raw/relations.csv:2:8: date-order [date-order] end = '2020-04': ends before it starts (start is later) (end must not be before start)"),
        ("actors", ",EE,EST,", ",XE,EST,",
         "raw/actors.csv:4:6: constraint-error [iso3166-alpha2] iso2 = 'XE': not an ISO 3166-1 alpha2 country code"),
        ("actors", "tanel-sepp,Tanel Sepp", "Tanel-Sepp,Tanel Sepp",
         "raw/actors.csv:6:1: constraint-error [pattern] actor_id = 'Tanel-Sepp': does not match the pattern [a-z0-9]+(-[a-z0-9]+)* (identifiers are lowercase: 'tanel-sepp'?)"),
        ("instruments", ",ETS No. 185,true,", ",ETS No. 185,yes,",
         "raw/instruments.csv:2:7: type-error [boolean] binding = 'yes': not a boolean (true or false)"),
        ("positions", ",state-ee,international-law-in-cyberspace,", ",state-eee,international-law-in-cyberspace,",
         "raw/positions.csv:2:2: foreign-key [foreign-key] actor_id = 'state-eee': no row of 'actors' has actor_id equal to this value (did you mean 'state-ee'?)"),
        ("relations", ",2022,,2022-06-13,", ",,,2022-06-13,",
         "raw/relations.csv:3:7: required-when [required-when] start = '': a value is required when kind is holds-office (A person's time in office has a start.)"),
        ("actors", "Estonia's foreign ministry.", "Estonia's foreign ministry." + "x" * 2000,
         "raw/actors.csv:3:9: constraint-error [maxLength] description = \"Estonia's foreign ministry.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\": longer than the maximum length 2000"),
    ],
)
def test_cell_errors(project, run, table, old, new, expected):
    replace(project / f"raw/{table}.csv", old, new)
    result = run("validate")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == expected


def test_required_and_missing_source(project, run):
    line = append(project / "raw/figures.csv", "users-2022,,,,internet-users,4000000000,count,more-than,2022,,,")
    result = run("validate")
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        f"raw/figures.csv:{line}:10: constraint-error [required] source_id = '': a value is required",
        f"raw/figures.csv:{line}:11: constraint-error [required] locator = '': a value is required",
    ]


def test_duplicate_primary_key_reports_the_first_line(project, run):
    line = append(project / "raw/sources.csv",
                  "src-mfa-ee-cyber-diplomacy,Copy,Someone,https://example.org,,,web-page,en,")
    result = run("validate")
    assert result.output.splitlines()[0] == (
        f"raw/sources.csv:{line}:1: primary-key [primary-key] source_id = 'src-mfa-ee-cyber-diplomacy': "
        "(source_id) repeats the value first used on line 2")


def test_composite_primary_key(project, run):
    line = append(project / "raw/event_participants.csv", f"unsc-georgia-2020-03,state-ee,raised,{SRC},")
    result = run("validate")
    assert result.output.splitlines()[0] == (
        f"raw/event_participants.csv:{line}: primary-key [primary-key] event_id, actor_id, role = "
        "'unsc-georgia-2020-03, state-ee, raised': (event_id, actor_id, role) repeats the value first used on line 2")


def test_unique_field(project, run):
    replace(project / "raw/actors.csv", ",GE,GEO,", ",EE,GEO,")
    result = run("validate")
    assert result.output.splitlines()[0] == (
        "raw/actors.csv:5:6: unique-error [unique] iso2 = 'EE': (iso2) repeats the value first used on line 4")


def test_event_without_participant(project, run):
    append(project / "raw/events.csv", f"lonely-event,Lonely,meeting,2020,,,Nobody took part.,,{SRC},")
    result = run("validate")
    assert result.output.splitlines()[0] == (
        "raw/events.csv:3:1: unreferenced-row [referenced-by] event_id = 'lonely-event': no row of "
        "'event_participants' refers to this row through event_id (Every event has at least one participant.)")


def test_parent_cycle(project, run):
    replace(project / "raw/actors.csv", "ee-mfa,Ministry of Foreign Affairs,agency,,", "ee-mfa,Ministry of Foreign Affairs,agency,ee-ambassador-cyber-diplomacy,")
    result = run("validate")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "raw/actors.csv:2:4: cycle [no-cycle] parent_id = 'ee-mfa': following the parent links leads back "
        "here: ee-ambassador-cyber-diplomacy -> ee-mfa -> ee-ambassador-cyber-diplomacy")


def test_row_reference(project, run):
    append(project / "raw/disagreements.csv", "d1,Topic,relations/no-such-row,positions/ee-international-law-applies,They differ.")
    result = run("validate")
    assert result.output.splitlines()[0] == (
        "raw/disagreements.csv:2:3: row-reference [row-reference] claim = 'relations/no-such-row': "
        "no such row: the reference must be table/id of an existing row")


@pytest.mark.parametrize(
    "header, expected",
    [
        ("source_id,title,publisher,url,published,accessed,kind,language",
         "raw/sources.csv:1: missing-label [header] note: the schema's field 'note' has no column"),
        ("source_id,title,publisher,url,published,accessed,kind,language,note,extra",
         "raw/sources.csv:1:10: extra-label [header] = 'extra': the schema has no field with this name"),
        ("source_id,title,publisher,url,published,accessed,kind,note,language",
         "raw/sources.csv:1: incorrect-label [header]: the columns are not in the schema's order (expected order: source_id, title, publisher, url, published, accessed, kind, language, note)"),
        ("source_id,title,title,url,published,accessed,kind,language,note",
         "raw/sources.csv:1:3: duplicate-label [header] = 'title': this column name appears earlier in the header"),
    ],
)
def test_header_errors(project, run, header, expected):
    path = project / "raw/sources.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] = header
    path.write_text("\n".join(lines), encoding="utf-8")
    result = run("validate")
    assert result.exit_code == 1
    assert expected in result.output.splitlines()


def test_structure_errors(project, run):
    path = project / "raw/norms.csv"
    path.write_text(path.read_text(encoding="utf-8") + "a,b\n\n" + ",,,,,,,\n", encoding="utf-8")
    out = run("validate").output.splitlines()
    assert "raw/norms.csv:2:3: missing-cell [structure] = 'a,b': the row has 2 cells, the header has 8" in out
    assert "raw/norms.csv:3: blank-row [structure]: the row is empty (delete the empty line)" in out
    assert "raw/norms.csv:4: blank-row [structure]: the row is empty (delete the empty line)" in out


def test_line_numbers_count_newlines_inside_quoted_cells(project, run):
    path = project / "raw/figures.csv"
    replace(path, '"§ Fighting cybercrime, para 1",', '"§ Fighting cybercrime,\npara 1",')
    line = append(path, "bad,,,,x,1,parsecs,exact,2020," + SRC + ",")
    out = run("validate").output.splitlines()
    assert line == 4
    assert out[0].startswith("raw/figures.csv:4:7: constraint-error [enum] unit = 'parsecs'")


def test_bom_and_invalid_utf8(project, run):
    path = project / "raw/norms.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert "raw/norms.csv:1:1: bom [encoding]: the file starts with a UTF-8 byte-order mark (save it as UTF-8 without BOM)" in run("validate").output
    path = project / "raw/figures.csv"
    path.write_bytes(path.read_bytes() + "x,,,,m,1,count,exact,2020,src,caf\xe9\n".encode("latin-1"))
    out = run("validate").output
    assert "raw/figures.csv:3: encoding-error [utf-8]: the bytes b'\\xe9\\n' are not valid UTF-8" in out


def test_text_is_never_coerced(project, run):
    """'NA' and leading zeros are text, not null or numbers: a name 'NA' is valid, not missing."""
    replace(project / "raw/actors.csv", "Tanel Sepp,person", "NA,person")
    assert run("validate").exit_code == 0


def test_max_errors_says_how_many_more(project, run):
    path = project / "raw/norms.csv"
    path.write_text(path.read_text(encoding="utf-8") + "".join(f"N{i},x,a,t,,{SRC},\n" for i in range(5)), encoding="utf-8")
    out = run("validate", "--max-errors", "3").output.splitlines()
    assert len(out) == 4
    assert out[-1].startswith("invalid: ")
    assert out[-1].endswith("more not shown; raise --max-errors to see them)")


def test_json_format(project, run):
    replace(project / "raw/events.csv", ",meeting,2020-03,", ",meetng,2020-03,")
    result = run("validate", "--format", "json")
    doc = json.loads(result.output)
    assert result.exit_code == 1
    assert doc["valid"] is False and doc["error_count"] == 1
    assert doc["errors"][0] == {
        "type": "constraint-error", "table": "events", "path": "raw/events.csv", "line": 2, "column": 3,
        "field": "kind", "value": "meetng", "rule": "enum",
        "message": doc["errors"][0]["message"], "hint": "did you mean 'meeting'?",
    }
    assert doc["errors"][0]["message"].startswith("not one of the allowed values: cyber-operation")


def test_github_format(project, run):
    replace(project / "raw/events.csv", ",meeting,2020-03,", ",meetng,2020-03,")
    out = run("validate", "--format", "github").output.splitlines()
    assert out[0].startswith("::error file=raw/events.csv,line=2,col=3,title=constraint-error enum::kind: not one of")
    assert out[0].endswith("(value 'meetng') (did you mean 'meeting'?)")


def test_missing_table_file_is_an_io_problem(project, run):
    (project / "raw/norms.csv").unlink()
    result = CliRunnerErr().invoke(["validate"])
    assert result.exit_code == 2
    assert result.stderr == "error: raw/norms.csv: the CSV file of table 'norms' does not exist\n"


def test_outside_a_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunnerErr().invoke(["validate"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no schemas/package.yaml here or in any parent folder")


class CliRunnerErr:
    def invoke(self, args):
        from click.testing import CliRunner

        from pipeline.cli import cli

        return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_a_package_that_is_not_ours(tmp_path, run):
    (tmp_path / "data").mkdir()
    (tmp_path / "data/groups.csv").write_text("group_id,name\napt28,Fancy Bear\napt29,Cozy Bear\n")
    (tmp_path / "data/incidents.csv").write_text(
        "incident_id,group_id,date,victims\n1,apt28,2015-05-01,1\n2,apt30,2016-02-30,x\n")
    desc = {"name": "incidents", "resources": [
        {"name": "groups", "path": "data/groups.csv",
         "schema": {"fields": [{"name": "group_id", "type": "string"}, {"name": "name", "type": "string"}],
                    "primaryKey": "group_id"}},
        {"name": "incidents", "path": "data/incidents.csv",
         "schema": {"fields": [{"name": "incident_id", "type": "integer"}, {"name": "group_id", "type": "string"},
                               {"name": "date", "type": "date"},
                               {"name": "victims", "type": "integer", "constraints": {"minimum": 0}}],
                    "primaryKey": ["incident_id"],
                    "foreignKeys": [{"fields": "group_id", "reference": {"resource": "groups", "fields": "group_id"}}]}},
    ]}
    (tmp_path / "datapackage.json").write_text(json.dumps(desc))
    result = run("validate", str(tmp_path / "datapackage.json"))
    assert result.exit_code == 1
    path = str(tmp_path / "data/incidents.csv")
    assert result.output.splitlines()[:3] == [
        f"{path}:3:2: foreign-key [foreign-key] group_id = 'apt30': no row of 'groups' has group_id equal to this value (did you mean 'apt29'?)",
        f"{path}:3:3: type-error [date] date = '2016-02-30': not a real date of the form YYYY-MM-DD",
        f"{path}:3:4: type-error [integer] victims = 'x': not an integer (digits only, no thousands separators)",
    ]
    lines = result.output.splitlines()
    assert lines[-1] == "invalid: 3 errors in 2 tables, 4 rows"
    (tmp_path / "data/incidents.csv").write_text("incident_id,group_id,date,victims\n1,apt28,2015-05-01,1\n")
    result = run("validate", str(tmp_path))
    assert result.exit_code == 0 and result.output == "valid: 2 tables, 3 rows, no errors\n"
