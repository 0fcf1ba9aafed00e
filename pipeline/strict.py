"""Checks for hand-curated text that Table Schema has no words for. A package opts in with
`x-strict-text: true` (ours does); a field opts in to `x-not-after: created` (a date that cannot
lie after the release, e.g. when something happened). Vectorised like every other check."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# Invisible or look-alike characters that break identifiers and joins without being seen.
INVISIBLE = "\u00a0\u200b\u200c\u200d\u2060\ufeff\u202f\u2007"
CONTROL = "".join(chr(c) for c in range(32) if chr(c) not in "\n\t") + "\x7f"
# A spreadsheet treats a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = r"^[=+\-@\t\r]"
NUMBER_LIKE = r"^[+-]?[0-9.,]+$"


def _char_class(chars: str) -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


def text_problems(col: pa.Array, ok: pa.Array):
    """Yield (mask, rule, message, hint) for each problem found in a string column."""
    fill = lambda m: pc.fill_null(m, False)  # noqa: E731
    stripped = pc.utf8_trim_whitespace(col)
    yield (pc.and_(ok, pc.not_equal(stripped, col)), "whitespace",
           "has whitespace at the start or end", "remove the surrounding whitespace")
    yield (pc.and_(ok, fill(pc.match_substring_regex(col, _char_class(INVISIBLE)))), "invisible-character",
           "contains an invisible character (non-breaking or zero-width space)",
           "retype the value; replace the invisible character by a plain space or nothing")
    yield (pc.and_(ok, fill(pc.match_substring_regex(col, _char_class(CONTROL)))), "control-character",
           "contains a control character", "remove the control character")
    yield (pc.and_(ok, pc.not_equal(pc.utf8_normalize(col, "NFC"), col)), "unicode-nfc",
           "is not in Unicode normal form NFC (a letter and its accent stored apart)",
           "save the text in NFC; most editors do so when the accented letter is retyped")
    formula = pc.and_(fill(pc.match_substring_regex(col, FORMULA_START)),
                      pc.invert(fill(pc.match_substring_regex(col, NUMBER_LIKE))))
    yield (pc.and_(ok, formula), "formula-injection",
           "starts with =, +, -, @, a tab or a carriage return, which spreadsheets run as a formula",
           "reword the value so that it starts with a letter, digit or quote")


def earliest_day(text: pa.Array) -> pa.Array:
    """The first day a partial date (YYYY, YYYY-MM, YYYY-MM-DD) can mean, as YYYY-MM-DD text."""
    length = pc.utf8_length(text)
    return pc.if_else(pc.equal(length, 4), pc.binary_join_element_wise(text, "01-01", "-"),
                      pc.if_else(pc.equal(length, 7), pc.binary_join_element_wise(text, "01", "-"), text))


def after(col: pa.Array, ok: pa.Array, limit: str) -> pa.Array:
    """True where a date (full or partial) certainly lies after the limit day (YYYY-MM-DD)."""
    return pc.and_(ok, pc.fill_null(pc.greater(earliest_day(col), pa.scalar(limit[:10])), False))
