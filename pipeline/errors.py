"""Validation errors: a small set of types with stable slugs, rendered the same way as text, JSON
and GitHub annotations."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

# slug -> what it means. The slugs are part of the public interface: never rename one.
ERROR_TYPES = {
    "encoding-error": "the file is not valid UTF-8",
    "bom": "the file starts with a byte-order mark",
    "nul-byte": "the file contains a NUL byte",
    "empty-file": "the file is empty",
    "source-error": "the CSV text cannot be parsed (e.g. an unclosed quote)",
    "blank-header": "a header cell is empty",
    "duplicate-label": "a column name appears twice in the header",
    "missing-label": "a column the schema defines is missing from the header",
    "extra-label": "the header has a column the schema does not define",
    "incorrect-label": "the header's columns are not in the schema's order",
    "blank-row": "a row is empty",
    "extra-cell": "a row has more cells than the header",
    "missing-cell": "a row has fewer cells than the header",
    "type-error": "a value cannot be read as the field's type",
    "constraint-error": "a value breaks a field constraint (required, enum, pattern, length, range, code list)",
    "unique-error": "a value of a unique field appears more than once",
    "primary-key": "a primary key appears more than once",
    "foreign-key": "a value refers to a row that does not exist",
    "row-reference": "a table/id reference names a row that does not exist",
    "date-order": "an end date lies before its start date",
    "required-when": "a value the row's other values make necessary is missing",
    "cycle": "a parent link leads back to the row itself",
    "unreferenced-row": "a row that must be referenced by another table is not",
    "retired-id": "an ID that was retired (removed from a release) is used again",
}


class UsageError(Exception):
    """A problem with how the command was called or with files it needs (exit 2)."""


@dataclass
class ValidationError:
    type: str
    table: str
    path: str
    line: int | None
    column: int | None
    field: str | None
    value: str | None
    rule: str
    message: str
    hint: str | None = None

    def location(self) -> str:
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc


class Report:
    """Collects errors up to a cap while counting all of them."""

    def __init__(self, max_errors: int = 1000):
        self.max_errors = max_errors
        self.errors: list[ValidationError] = []
        self.count = 0
        self.tables: dict[str, int] = {}  # table -> rows read

    def add(self, error: ValidationError) -> None:
        self.count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(error)

    def room(self) -> int:
        return max(self.max_errors - len(self.errors), 0)

    def skip(self, n: int) -> None:
        """Count n errors that are not kept (beyond the cap)."""
        self.count += n

    @property
    def valid(self) -> bool:
        return self.count == 0

    def sorted_errors(self) -> list[ValidationError]:
        return sorted(self.errors, key=lambda e: (e.path, e.line or 0, e.column or 0, e.type))


def _truncate(value: str | None, width: int = 60) -> str:
    if value is None:
        return ""
    shown = value if len(value) <= width else value[: width - 1] + "…"
    return repr(shown)


def render_text(report: Report) -> str:
    lines = []
    for e in report.sorted_errors():
        what = f"{e.type} [{e.rule}]"
        if e.field:
            what += f" {e.field}"
        if e.value is not None:
            what += f" = {_truncate(e.value)}"
        line = f"{e.location()}: {what}: {e.message}"
        if e.hint:
            line += f" ({e.hint})"
        lines.append(line)
    rows = sum(report.tables.values())
    if report.valid:
        lines.append(f"valid: {len(report.tables)} tables, {rows} rows, no errors")
    else:
        shown = len(report.errors)
        more = report.count - shown
        summary = f"invalid: {report.count} error{'s' if report.count != 1 else ''} in {len(report.tables)} tables, {rows} rows"
        if more:
            summary += f" ({more} more not shown; raise --max-errors to see them)"
        lines.append(summary)
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    doc = {
        "valid": report.valid,
        "error_count": report.count,
        "errors_shown": len(report.errors),
        "tables": report.tables,
        "errors": [asdict(e) for e in report.sorted_errors()],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: each error becomes an annotation on its file and line."""
    lines = []
    for e in report.sorted_errors():
        props = f"file={_gh_escape(e.path, True)}"
        if e.line is not None:
            props += f",line={e.line}"
        if e.column is not None:
            props += f",col={e.column}"
        props += f",title={_gh_escape(e.type + ' ' + e.rule, True)}"
        msg = e.message
        if e.field:
            msg = f"{e.field}: {msg}"
        if e.value is not None:
            msg += f" (value {_truncate(e.value)})"
        if e.hint:
            msg += f" ({e.hint})"
        lines.append(f"::error {props}::{_gh_escape(msg)}")
    rows = sum(report.tables.values())
    if report.valid:
        lines.append(f"valid: {len(report.tables)} tables, {rows} rows, no errors")
    else:
        more = report.count - len(report.errors)
        lines.append(f"invalid: {report.count} errors" + (f" ({more} more not shown)" if more else ""))
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}
