"""Vectorised cell checks: one pyarrow compute call per field and rule over a whole batch, never a
Python loop over cells. Python only touches the cells that fail (to build their error messages)."""

from __future__ import annotations

import difflib
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.errors import Report, ValidationError
from pipeline.readcsv import Batch, true_indices
from pipeline.schema import Field, Table

INTEGER_RE = r"^[+-]?[0-9]{1,18}$"
NUMBER_RE = r"^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|INF|-INF)$"
DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
YEAR_RE = r"^[0-9]{4}$"
DATETIME_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z?$"
PARTIAL_DATE_RE = r"^[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?$"


@lru_cache(maxsize=None)
def country_codes(kind: str) -> pa.Array:
    import pycountry

    attr = "alpha_2" if kind == "iso3166-alpha2" else "alpha_3"
    return pa.array(sorted(getattr(c, attr) for c in pycountry.countries))


def _np(mask) -> np.ndarray:
    out = np.zeros(len(mask), dtype=bool)
    out[true_indices(mask)] = True
    return out


def _fill(mask) -> pa.Array:
    return pc.fill_null(mask, False)


def real_dates(text: pa.Array) -> pa.Array:
    """True where a YYYY-MM-DD string is a date that exists (no 30 February, no month 13)."""
    return _real_dates(text, _fill(pc.match_substring_regex(text, DATE_RE)))[0]


def _real_dates(text: pa.Array, shaped: pa.Array):
    """(real, parsed): real is True where text, already known to be shaped YYYY-MM-DD where
    `shaped` is True, names a date that exists; parsed is the timestamp (null where not real)."""
    safe = pc.if_else(shaped, text, "2000-01-01")
    parsed = pc.strptime(safe, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2021-02-30 over to 2021-03-02: a real date keeps the month and day it was written with.
    month = pc.cast(pc.utf8_slice_codeunits(safe, 5, 7), pa.int64())
    day = pc.cast(pc.utf8_slice_codeunits(safe, 8, 10), pa.int64())
    same = pc.and_(pc.equal(pc.month(parsed), month), pc.equal(pc.day(parsed), day))
    real = pc.and_(shaped, _fill(same))
    return real, parsed


def partial_dates_ok(text: pa.Array) -> pa.Array:
    """True where YYYY, YYYY-MM or YYYY-MM-DD names a real year, month or day."""
    shape = _fill(pc.match_substring_regex(text, PARTIAL_DATE_RE))
    length = pc.binary_length(text)
    padded = pc.if_else(pc.equal(length, 4), pc.binary_join_element_wise(text, "01-01", "-"),
                        pc.if_else(pc.equal(length, 7), pc.binary_join_element_wise(text, "01", "-"), text))
    return _real_dates(padded, shape)[0]


def _missing_mask(col: pa.Array, missing_values) -> pa.Array:
    if tuple(missing_values) == ("",):
        return pc.equal(pc.binary_length(col), 0)
    return pc.is_in(col, value_set=pa.array(list(missing_values), pa.string()))


def _null_where(col: pa.Array, missing: pa.Array, present: pa.Array) -> pa.Array:
    """col with null where missing is true; shares col's text buffers (no copy of the cells)."""
    if not pc.any(missing).as_py():
        return col
    if (isinstance(col, pa.StringArray) and col.null_count == 0 and present.null_count == 0
            and col.offset == 0 and present.offset == 0):
        bufs = col.buffers()
        return pa.Array.from_buffers(col.type, len(col), [present.buffers()[1], bufs[1], bufs[2]])
    return pc.if_else(present, col, pa.scalar(None, col.type))


DISTINCT_MIN_ROWS = 4096  # smaller batches are checked cell by cell
DISTINCT_RATIO = 0.3  # evaluate on distinct values when at most this share of the cells differ
DISTINCT_RATIO_TYPED = 0.6  # the same for fields whose checks cost more (types, partial dates)
PROBE_EVERY = 16  # batches between two looks at how much a field's values repeat


class _Domain:
    """The values a rule is evaluated on: the cells themselves, or their distinct values (then
    `indices` maps every cell to its value and expand() spreads a result back over the cells)."""

    __slots__ = ("values", "indices")

    def __init__(self, values: pa.Array, indices: pa.Array | None):
        self.values, self.indices = values, indices

    def expand(self, result: pa.Array) -> pa.Array:
        return result if self.indices is None else pc.take(result, self.indices)


class CellChecker:
    """Checks one field's column of one batch; emits errors into the report."""

    def __init__(self, table: Table, report: Report, typed: bool = True):
        self.table = table
        self.report = report
        self.typed = typed  # False: text fields need no typed column (validation only)
        self._distinct: dict[str, bool] = {}  # field -> its values repeat enough to check them once each
        self._batches: dict[str, int] = {}  # field -> batches seen

    def emit(self, mask, batch: Batch, field: Field, column: int | None, type_: str, rule: str,
             message, hint=None) -> None:
        if not pc.any(mask).as_py():
            return
        idx = true_indices(mask)
        room = self.report.room()
        col = batch.columns.get(field.name)
        for i in idx[:room].tolist():
            value = col[i].as_py() if col is not None else None
            self.report.add(ValidationError(
                type=type_, table=self.table.name, path=self.table.display_path,
                line=int(batch.lines[i]), column=column, field=field.name, value=value, rule=rule,
                message=message(value) if callable(message) else message,
                hint=hint(value) if callable(hint) else hint,
            ))
        if len(idx) > room:
            self.report.skip(len(idx) - room)

    def _domain(self, field: Field, col: pa.Array) -> _Domain:
        """Where to evaluate the field's rules: on its distinct values when they are few (IDs of a
        parent table, dates, codes, enums repeat), else on every cell."""
        n = len(col)
        if n < DISTINCT_MIN_ROWS:
            return _Domain(col, None)
        # Probe the first batch and every PROBE_EVERY-th after it: encoding costs one hash pass,
        # which pays off only when values repeat; a field whose values do not is checked cell by cell.
        seen = self._batches.get(field.name, 0)
        self._batches[field.name] = seen + 1
        if seen % PROBE_EVERY and not self._distinct.get(field.name):
            return _Domain(col, None)
        encoded = pc.dictionary_encode(col)
        # Dates and numbers cost many kernels a cell; a pattern or a code list one or two.
        ratio = DISTINCT_RATIO_TYPED if field.type != "string" or field.x_check else DISTINCT_RATIO
        self._distinct[field.name] = len(encoded.dictionary) <= ratio * n
        return _Domain(encoded.dictionary, encoded.indices)

    def check(self, field: Field, batch: Batch, column: int | None) -> pa.Array:
        """Run every cell rule of the field; return the typed column (null where missing or invalid)."""
        col = batch.columns[field.name]
        missing = _missing_mask(col, self.table.missing_values)
        present = pc.invert(missing)
        if field.required:
            self.emit(missing, batch, field, column, "constraint-error", "required", "a value is required")
        dom = self._domain(field, col) if field.type != "string" or self._string_rules(field) else _Domain(col, None)
        typed, bad = self._cast(field, col, present, missing, dom)
        if bad is not None:
            self.emit(bad, batch, field, column, "type-error", field.type, _type_message(field))
            ok = pc.and_(present, pc.invert(bad))
        else:
            ok = present
        self._constraints(field, col, typed, ok, batch, column, dom)
        self._strict(field, col, ok, batch, column, dom)
        return typed

    def _string_rules(self, field: Field) -> bool:
        c = field.constraints
        return bool("enum" in c or "pattern" in c or field.x_check or field.not_after or self.table.strict_text)

    def _strict(self, field: Field, col, ok, batch: Batch, column, dom: _Domain | None = None) -> None:
        from pipeline import strict

        dom = dom or _Domain(col, None)
        everywhere = pc.is_valid(dom.values) if dom.indices is not None else ok
        if self.table.strict_text and field.type in ("string", "any"):
            for mask, rule, message, hint in strict.text_problems(dom.values, everywhere):
                self.emit(pc.and_(ok, dom.expand(mask)), batch, field, column, "constraint-error", rule, message, hint)
        if field.not_after:
            self.emit(pc.and_(ok, dom.expand(strict.after(dom.values, everywhere, field.not_after))), batch, field,
                      column, "constraint-error",
                      "not-after", f"lies after {field.not_after[:10]}, the date of this release",
                      "a past event cannot be dated after the data's as-of date; check the year")

    def _cast(self, field: Field, col: pa.Array, present: pa.Array, missing: pa.Array | None = None,
              dom: _Domain | None = None):
        t = field.type
        if t in ("string", "any"):
            if not self.typed:
                return None, None
            if missing is None:
                missing = pc.invert(present)
            return _null_where(col, missing, present), None
        dom = dom or _Domain(col, None)
        values = dom.values
        if t == "boolean":
            is_true = pc.is_in(values, value_set=pa.array(list(field.true_values)))
            is_false = pc.is_in(values, value_set=pa.array(list(field.false_values)))
            typed = pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))
            bad = pc.and_(present, pc.invert(dom.expand(pc.or_(is_true, is_false))))
            return dom.expand(typed), bad
        pattern = {"integer": INTEGER_RE, "number": NUMBER_RE, "date": DATE_RE, "year": YEAR_RE,
                   "datetime": DATETIME_RE}[t]
        good = _fill(pc.match_substring_regex(values, pattern))
        parsed = None
        if t == "date":
            good, parsed = _real_dates(values, good)
        safe = pc.if_else(good, values, pa.scalar(None, pa.string()))
        if t in ("integer", "year"):
            typed = pc.cast(safe, pa.int64())
        elif t == "number":
            typed = pc.cast(safe, pa.float64())
        elif t == "date":
            typed = pc.cast(pc.if_else(good, parsed, pa.scalar(None, parsed.type)), pa.date32())
        else:
            typed = pc.strptime(pc.replace_substring(safe, "Z", ""), format="%Y-%m-%dT%H:%M:%S", unit="s")
        bad = pc.and_(present, pc.invert(dom.expand(good)))
        return dom.expand(typed), bad

    def _constraints(self, field: Field, col, typed, ok, batch: Batch, column, dom: _Domain | None = None) -> None:
        c = field.constraints
        dom = dom or _Domain(col, None)
        if "enum" in c:
            allowed = c["enum"]
            if field.type in ("string", "any"):
                inside = dom.expand(pc.is_in(dom.values, value_set=pa.array([str(v) for v in allowed])))
            else:
                inside = pc.is_in(typed, value_set=pa.array(allowed, typed.type))
            shown = ", ".join(str(v) for v in allowed[:12]) + (", ..." if len(allowed) > 12 else "")
            self.emit(pc.and_(ok, pc.invert(inside)), batch, field, column, "constraint-error", "enum",
                      f"not one of the allowed values: {shown}",
                      lambda v: _closest(v, [str(a) for a in allowed]))
        if "pattern" in c and field.type in ("string", "any"):
            matches = dom.expand(_fill(pc.match_substring_regex(dom.values, f"^(?:{c['pattern']})$")))
            self.emit(pc.and_(ok, pc.invert(matches)), batch, field, column, "constraint-error", "pattern",
                      f"does not match the pattern {c['pattern']}", _pattern_hint)
        if ("minLength" in c or "maxLength" in c) and field.type in ("string", "any"):
            nbytes = pc.binary_length(col)
            # A cell of n bytes holds between n/4 and n characters: count characters only when needed.
            need_max = "maxLength" in c and pc.any(pc.greater(nbytes, c["maxLength"])).as_py()
            need_min = "minLength" in c and pc.any(pc.less(nbytes, 4 * c["minLength"])).as_py()
            length = pc.utf8_length(col) if need_max or need_min else nbytes
            if "minLength" in c:
                self.emit(pc.and_(ok, pc.less(length, c["minLength"])), batch, field, column, "constraint-error",
                          "minLength", f"shorter than the minimum length {c['minLength']}")
            if "maxLength" in c:
                self.emit(pc.and_(ok, pc.greater(length, c["maxLength"])), batch, field, column,
                          "constraint-error", "maxLength", f"longer than the maximum length {c['maxLength']}")
        for key, op, words in (("minimum", pc.less, "below the minimum"), ("maximum", pc.greater, "above the maximum")):
            if key in c and field.type in ("integer", "number", "year", "date"):
                bound = c[key]
                if field.type == "date":
                    bound = pa.scalar(np.datetime64(str(bound), "D"), pa.date32())
                self.emit(pc.and_(ok, _fill(op(typed, bound))), batch, field, column, "constraint-error", key,
                          f"{words} {c[key]}")
        check = field.x_check
        if check == "partial-date":
            self.emit(pc.and_(ok, pc.invert(dom.expand(partial_dates_ok(dom.values)))), batch, field, column,
                      "constraint-error", "partial-date", "not a real date of the form YYYY, YYYY-MM or YYYY-MM-DD")
        elif check in ("iso3166-alpha2", "iso3166-alpha3"):
            known = dom.expand(pc.is_in(dom.values, value_set=country_codes(check)))
            self.emit(pc.and_(ok, pc.invert(known)), batch, field, column, "constraint-error", check,
                      f"not an ISO 3166-1 {check[-6:]} country code")


def _type_message(field: Field) -> str:
    return {
        "integer": "not an integer (digits only, no thousands separators)",
        "number": "not a number (use a dot for decimals, no thousands separators)",
        "boolean": "not a boolean (true or false)",
        "date": "not a real date of the form YYYY-MM-DD",
        "year": "not a year (four digits)",
        "datetime": "not a date and time of the form YYYY-MM-DDTHH:MM:SSZ",
    }.get(field.type, f"not a valid {field.type}")


def _closest(value, candidates) -> str | None:
    if value is None or len(candidates) > 20000:
        return None
    match = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def _pattern_hint(value) -> str | None:
    if value is None:
        return None
    if value != value.strip():
        return "remove the surrounding whitespace"
    invisible = [ch for ch in value if ch in "\u00a0\u200b\u200c\u200d\u2060\ufeff"]
    if invisible:
        return f"remove the invisible character U+{ord(invisible[0]):04X}"
    if value.lower() != value and value.lower() == value.lower().strip():
        return f"identifiers are lowercase: '{value.lower()}'?"
    return None
