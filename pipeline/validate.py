"""Validate a package: every table read once, in record batches; cell rules per batch; keys kept as
compact columns across batches and checked at the end (uniqueness, primary and foreign keys,
references, cycles)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.checks import PARTIAL_DATE_RE, CellChecker, _missing_mask, _null_where
from pipeline.errors import Report, UsageError, ValidationError
from pipeline.readcsv import BLOCK_SIZE, Batch, NeedsScan, int_numpy, read_batches, true_indices
from pipeline.schema import Package, Table

SEP = "\x1f"  # joins the parts of a composite key


@dataclass
class KeyColumn:
    """The values of some fields of one table, collected across batches, with their lines."""

    values: list = field(default_factory=list)
    lines: list = field(default_factory=list)

    def add(self, values: pa.Array, lines: np.ndarray) -> None:
        self.values.append(values)
        self.lines.append(lines)

    def arrays(self) -> tuple[pa.ChunkedArray, np.ndarray]:
        if not self.values:
            return pa.chunked_array([], pa.string()), np.zeros(0, dtype=np.int64)
        return pa.chunked_array(self.values), np.concatenate(self.lines)


@dataclass
class TableState:
    table: Table
    keys: dict = field(default_factory=dict)  # tuple of field names -> KeyColumn
    typed: list = field(default_factory=list)  # typed record batches, when kept
    rows: int = 0
    complete: bool = True  # False when a needed column was missing from the file
    fk_checked: set = field(default_factory=set)  # foreign keys (by position) checked batch by batch


def _needed_keys(package: Package, fk_children: bool = True) -> dict[str, set]:
    """Key columns to keep for the checks at the end. fk_children=False leaves out the referring
    side of foreign keys (kept only when the referenced table is not read first)."""
    need: dict[str, set] = {t.name: set() for t in package.tables}
    for t in package.tables:
        if t.primary_key:
            need[t.name].add(tuple(t.primary_key))
        for f in t.fields:
            if f.constraints.get("unique"):
                need[t.name].add((f.name,))
            if f.x_check == "row-reference":
                need[t.name].add((f.name,))
                for other in package.tables:  # any table may be referenced, by its primary key
                    if other.primary_key:
                        need[other.name].add(tuple(other.primary_key))
        for fk in t.foreign_keys:
            if fk_children:
                need[t.name].add(tuple(fk.fields))
            need[fk.resource].add(tuple(fk.ref_fields))
        for rule in t.rules:
            if rule["rule"] == "no-cycle":
                need[t.name].add((rule["field"],))
            if rule["rule"] == "referenced-by":
                need[rule["resource"]].add((rule["field"],))
            if rule["rule"] == "not-reused":
                need[t.name].add((rule["table"], rule["id"]))
    return need


def _key_values(batch: Batch, names: tuple, missing_values) -> pa.Array | None:
    cols = [batch.columns.get(n) for n in names]
    if any(c is None for c in cols):
        return None
    if len(cols) == 1:
        col = cols[0]
        m = _missing_mask(col, missing_values)
        return _null_where(col, m, pc.invert(m))
    # A composite key with any part missing is no key at all (null), as Table Schema treats it.
    any_missing = None
    for c in cols:
        m = _missing_mask(c, missing_values)
        any_missing = m if any_missing is None else pc.or_(any_missing, m)
    joined = pc.binary_join_element_wise(*cols, SEP)
    return pc.if_else(any_missing, pa.scalar(None, pa.string()), joined)


_WARMED = False
WARM_UP_BYTES = 8 << 20  # below this much CSV, warming up in the background gains nothing


def _warm_up() -> None:
    """One-time costs of pyarrow, paid on a helper thread while this one scans and parses: the
    first conversion of a Python value imports pandas (about 0.2 s, inside pyarrow), and the first
    cast builds Arrow's cast tables (about 0.2 s). Both would otherwise wait for the first batch."""
    global _WARMED
    if _WARMED:
        return
    _WARMED = True

    def work() -> None:
        try:
            pc.cast(pc.equal(pa.array([1], pa.int32()), 0), pa.int64())
        except Exception:  # noqa: BLE001 - only a warm-up; the real call will report any problem
            pass

    import threading

    threading.Thread(target=work, name="pyarrow-warm-up", daemon=True).start()


def validate_package(package: Package, report: Report | None = None, keep_typed: bool = False,
                     block_size: int = BLOCK_SIZE, progress=None) -> tuple[Report, dict[str, TableState]]:
    report = report or Report()
    try:
        if sum(t.path.stat().st_size for t in package.tables if t.path.is_file()) > WARM_UP_BYTES:
            _warm_up()
    except OSError:
        pass
    need = _needed_keys(package, fk_children=False)
    states: dict[str, TableState] = {}
    parent_sets: dict = {}
    for table in package.tables:
        _validate_one(table, package, states, need, parent_sets, report, keep_typed, block_size, progress, None)
    _check_keys(package, states, report)
    return report, states


def _validate_one(table: Table, package: Package, states: dict, need: dict, parent_sets: dict, report: Report,
                  keep_typed: bool, block_size: int, progress, started) -> None:
    if progress:
        progress(table.name)
    state = TableState(table)
    # A foreign key into a table already read is checked batch by batch, against that table's
    # set of keys; only the other foreign keys keep their values for the end.
    immediate = []
    keep = set(need[table.name])
    for i, fk in enumerate(table.foreign_keys):
        parent = states.get(fk.resource)
        if parent is not None and fk.resource != table.name:
            pk = parent.keys.get(tuple(fk.ref_fields))
            if pk is None or not parent.complete and not parent.rows:
                state.fk_checked.add(i)  # nothing to check against, as at the end
                continue
            immediate.append((i, fk, _ParentSet(parent_sets, fk, pk)))
            state.fk_checked.add(i)
        else:
            keep.add(tuple(fk.fields))
    states[table.name] = state
    for names in keep:
        state.keys[names] = KeyColumn()
    if not table.path.is_file():
        if started is not None:
            started.close()
        raise UsageError(f"{table.display_path}: the CSV file of table '{table.name}' does not exist")
    _validate_table(table, state, report, keep_typed, block_size, immediate, started)
    report.tables[table.name] = state.rows


class _ParentSet:
    """The distinct keys of a table already read, built on first use and shared between tables."""

    def __init__(self, cache: dict, fk, pk: KeyColumn):
        self.cache, self.key, self.pk = cache, (fk.resource, tuple(fk.ref_fields)), pk

    def values(self) -> pa.Array:
        if self.key not in self.cache:
            vals = self.pk.values
            if not vals:
                self.cache[self.key] = pa.array([], pa.string())
            else:
                self.cache[self.key] = pc.unique(pc.drop_null(pa.chunked_array(vals, pa.string())))
        return self.cache[self.key]

    def candidates(self) -> list:
        key = ("candidates",) + self.key
        if key not in self.cache:
            parent = self.values()
            self.cache[key] = parent.to_pylist() if len(parent) <= 20000 else []
        return self.cache[key]


def _check_fk_batch(table: Table, fk, parent: _ParentSet, values: pa.Array, lines: np.ndarray,
                    report: Report, column: int) -> None:
    missing = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=parent.values())))
    if not pc.any(missing).as_py():
        return
    idx = true_indices(missing)
    candidates = parent.candidates()
    label = ", ".join(fk.fields)
    _report_rows(report, table, idx, values, lines, "foreign-key", "foreign-key",
                 f"no row of '{fk.resource}' has {'/'.join(fk.ref_fields)} equal to this value",
                 field=label, column=column, hint=lambda i, v: _did_you_mean(v, candidates))


def _validate_table(table: Table, state: TableState, report: Report, keep_typed: bool, block_size: int,
                    immediate=(), started=None) -> None:
    """Read the table once, checking its bytes on the way; only when they may be broken is the
    table read again, bytes first, after undoing what the first reading reported."""
    errors, count = len(report.errors), report.count
    try:
        _read_and_check(table, state, report, keep_typed, block_size, immediate, optimistic=True, started=started)
    except NeedsScan:
        del report.errors[errors:]
        report.count = count
        state.rows, state.typed, state.complete = 0, [], True
        state.keys = {names: KeyColumn() for names in state.keys}
        _read_and_check(table, state, report, keep_typed, block_size, immediate, optimistic=False)


def _read_and_check(table: Table, state: TableState, report: Report, keep_typed: bool, block_size: int,
                    immediate=(), optimistic: bool = False, started=None) -> None:
    checker = CellChecker(table, report, typed=keep_typed)
    batches_seen = False
    colnums = {name: i + 1 for i, name in enumerate(table.field_names)}
    for batch in read_batches(table, report, block_size=block_size, optimistic=optimistic, started=started):
        batches_seen = True
        state.rows += len(batch)
        typed = {}
        for f in table.fields:
            if f.name in batch.columns:
                typed[f.name] = checker.check(f, batch, colnums[f.name])
        _row_rules(table, batch, typed, checker, colnums)
        for names, keycol in state.keys.items():
            values = _key_values(batch, names, table.missing_values)
            if values is None:
                state.complete = False
                continue
            keycol.add(values, batch.lines)
        for _, fk, parent in immediate:
            values = _key_values(batch, tuple(fk.fields), table.missing_values)
            if values is None:
                state.complete = False
                continue
            _check_fk_batch(table, fk, parent, values, batch.lines, report, colnums[fk.fields[0]])
        if keep_typed:
            arrays = [typed[f.name] if typed.get(f.name) is not None else pa.nulls(len(batch), pa.string())
                      for f in table.fields]
            state.typed.append(pa.RecordBatch.from_arrays(arrays, names=table.field_names))
    if not batches_seen:
        state.complete = state.complete and table.path.exists()


def _pad(text: pa.Array, year_tail: str, month_tail: str) -> pa.Array:
    length = pc.utf8_length(text)
    return pc.if_else(pc.equal(length, 4), pc.binary_join_element_wise(text, year_tail, "-"),
                      pc.if_else(pc.equal(length, 7), pc.binary_join_element_wise(text, month_tail, "-"), text))


def _row_rules(table: Table, batch: Batch, typed: dict, checker: CellChecker, colnums: dict) -> None:
    """Rules between the cells of one row, declared in the schema's x-rules."""
    for rule in table.rules:
        kind = rule["rule"]
        if kind == "date-order":
            start, end = rule["start"], rule["end"]
            if start not in batch.columns or end not in batch.columns:
                continue
            s, e = batch.columns[start], batch.columns[end]
            shaped = pc.and_(pc.fill_null(pc.match_substring_regex(s, PARTIAL_DATE_RE), False),
                             pc.fill_null(pc.match_substring_regex(e, PARTIAL_DATE_RE), False))
            # A partial date is a span: the end's latest day must not fall before the start's earliest.
            earliest = _pad(s, "01-01", "01")
            latest = _pad(e, "12-31", "31")
            broken = pc.and_(shaped, pc.less(latest, earliest))
            f = table.field(end)
            checker.emit(broken, batch, f, colnums[end], "date-order", "date-order",
                         lambda v, s=s, start=start: f"ends before it starts ({start} is later)",
                         hint=f"{end} must not be before {start}")
        elif kind == "required-when":
            target = rule["field"]
            if target not in batch.columns:
                continue
            cond = None
            for other, allowed in rule.get("when", {}).items():
                if other not in batch.columns:
                    cond = None
                    break
                if isinstance(allowed, dict) and "not-in" in allowed:
                    c = pc.invert(pc.is_in(batch.columns[other], value_set=pa.array(allowed["not-in"])))
                else:
                    c = pc.is_in(batch.columns[other], value_set=pa.array(list(allowed)))
                cond = c if cond is None else pc.and_(cond, c)
            if cond is None:
                continue
            empty = pc.is_in(batch.columns[target], value_set=pa.array(list(table.missing_values), pa.string()))
            condition = ", ".join(f"{k} {'not in' if isinstance(v, dict) else 'is'} "
                                  f"{'/'.join(v['not-in'] if isinstance(v, dict) else v)}"
                                  for k, v in rule.get("when", {}).items())
            checker.emit(pc.and_(cond, empty), batch, table.field(target), colnums[target], "required-when",
                         "required-when", f"a value is required when {condition}",
                         hint=rule.get("description"))


def _report_rows(report: Report, table: Table, idx: np.ndarray, values, lines, type_, rule, message,
                 field=None, column=None, hint=None) -> None:
    """Report the rows at positions idx; message and hint may be callables of (position, value)."""
    room = report.room()
    for i in idx[:room].tolist():
        v = values[i].as_py() if values is not None else None
        v = v.replace(SEP, ", ") if isinstance(v, str) else v
        report.add(ValidationError(type_, table.name, table.display_path, int(lines[i]), column, field, v, rule,
                                   message(i, v) if callable(message) else message,
                                   hint(i, v) if callable(hint) else hint))
    if len(idx) > room:
        report.skip(len(idx) - room)


def _duplicates(values: pa.ChunkedArray, lines: np.ndarray):
    """Rows whose key already appeared on an earlier line: (keys, lines, lines of first appearance).
    One hash pass (dictionary encoding) answers the usual case, no duplicates; only when there are
    some are their positions worked out."""
    present = len(values) - values.null_count
    if present == 0:
        return None
    if len(pc.unique(values)) - (1 if values.null_count else 0) == present:
        return None  # the usual case, answered by the cheapest hash pass
    encoded = pc.dictionary_encode(values)
    distinct = len(encoded.chunks[-1].dictionary) if encoded.num_chunks else 0
    codes = np.concatenate([int_numpy(pc.fill_null(c.indices, -1)) for c in encoded.chunks])
    rows = np.nonzero(codes >= 0)[0]
    _, first = np.unique(codes[rows], return_index=True)  # first occurrence of each distinct key
    first_row = np.empty(distinct, dtype=np.int64)
    first_row[codes[rows[first]]] = rows[first]
    earlier = first_row[codes[rows]]
    dup = rows[earlier != rows]  # ascending, hence in line order
    if not len(dup):
        return None
    return values.take(pa.array(dup)), lines[dup], lines[first_row[codes[dup]]]


def _check_keys(package: Package, states: dict[str, TableState], report: Report) -> None:
    for t in package.tables:
        st = states[t.name]
        colnums = {name: i + 1 for i, name in enumerate(t.field_names)}
        # Primary key first; a unique field that is the whole primary key is reported once.
        checks = []
        if t.primary_key:
            checks.append(("primary-key", tuple(t.primary_key)))
        for f in t.fields:
            if f.constraints.get("unique") and [f.name] != t.primary_key:
                checks.append(("unique-error", (f.name,)))
        for type_, names in checks:
            kc = st.keys.get(names)
            if kc is None:
                continue
            values, lines = kc.arrays()
            found = _duplicates(values, lines) if len(lines) else None
            if found is not None:
                dup_values, dup_lines, first_lines = found
                label = ", ".join(names)
                _report_rows(report, t, np.arange(len(dup_lines)), dup_values, dup_lines, type_,
                             "primary-key" if type_ == "primary-key" else "unique",
                             lambda i, v, label=label, first_lines=first_lines:
                             f"({label}) repeats the value first used on line {first_lines[i]}",
                             field=label, column=colnums[names[0]] if len(names) == 1 else None)
        for i, fk in enumerate(t.foreign_keys):
            if i in st.fk_checked:
                continue
            parent = states.get(fk.resource)
            kc = st.keys.get(tuple(fk.fields))
            pk = parent.keys.get(tuple(fk.ref_fields)) if parent else None
            if kc is None or pk is None or not parent.complete and not parent.rows:
                continue
            values, lines = kc.arrays()
            if not len(lines):
                continue
            parent_values = pa.chunked_array(pk.values, pa.string()) if pk.values else pa.array([], pa.string())
            parent_set = pc.unique(pc.drop_null(parent_values)) if len(parent_values) else pa.array([], pa.string())
            missing = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=parent_set)))
            idx = true_indices(missing)
            if len(idx):
                candidates = parent_set.to_pylist() if len(parent_set) <= 20000 else []
                label = ", ".join(fk.fields)
                _report_rows(report, t, idx, values, lines, "foreign-key", "foreign-key",
                             f"no row of '{fk.resource}' has {'/'.join(fk.ref_fields)} equal to this value",
                             field=label, column=colnums[fk.fields[0]],
                             hint=lambda i, v, candidates=candidates: _did_you_mean(v, candidates))
        for f in t.fields:
            if f.x_check == "row-reference":
                _check_row_references(t, f.name, st, states, report, colnums[f.name])
        for rule in t.rules:
            if rule["rule"] == "no-cycle":
                _check_cycles(t, rule["field"], st, report, colnums[rule["field"]])
            elif rule["rule"] == "referenced-by":
                _check_referenced(t, rule, st, states, report)
            elif rule["rule"] == "not-reused":
                _check_not_reused(t, rule, st, states, report, colnums[rule["id"]])


def _did_you_mean(value, candidates) -> str | None:
    if not candidates or value is None:
        return None
    match = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def _check_row_references(t: Table, name: str, st: TableState, states, report: Report, column: int) -> None:
    values, lines = st.keys[(name,)].arrays()
    ids_by_table = {}
    for i, v in enumerate(values.to_pylist()):
        if v is None:
            continue
        table_name, _, row_id = v.partition("/")
        other = states.get(table_name)
        if other is None or not other.table.primary_key:
            ok = False
        else:
            if table_name not in ids_by_table:
                kc = other.keys.get(tuple(other.table.primary_key))
                ids_by_table[table_name] = set(kc.arrays()[0].to_pylist()) if kc else set()
            ok = row_id.replace("|", SEP) in ids_by_table[table_name]
        if not ok:
            report.add(ValidationError("row-reference", t.name, t.display_path, int(lines[i]), column, name, v,
                                       "row-reference", "no such row: the reference must be table/id of an existing row"))


def _check_cycles(t: Table, name: str, st: TableState, report: Report, column: int) -> None:
    pk = tuple(t.primary_key)
    if len(pk) != 1 or pk not in st.keys or (name,) not in st.keys:
        return
    ids, lines = st.keys[pk].arrays()
    parents, _ = st.keys[(name,)].arrays()
    parent_of = {i: p for i, p in zip(ids.to_pylist(), parents.to_pylist()) if i is not None and p is not None}
    line_of = dict(zip(ids.to_pylist(), lines.tolist()))
    state: dict = {}  # id -> 1 visiting, 2 done
    reported = set()
    for start in parent_of:
        path = []
        node = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent_of.get(node)
        if node is not None and state.get(node) == 1 and node not in reported:
            cycle = path[path.index(node):]
            reported.update(cycle)
            first = min(cycle, key=lambda n: line_of.get(n, 0))
            report.add(ValidationError("cycle", t.name, t.display_path, line_of.get(first), column, name,
                                       parent_of[first], "no-cycle",
                                       "following the parent links leads back here: " + " -> ".join(cycle + [node])))
        for n in path:
            state[n] = 2


def _check_referenced(t: Table, rule: dict, st: TableState, states, report: Report) -> None:
    pk = tuple(t.primary_key)
    other = states.get(rule["resource"])
    if len(pk) != 1 or other is None or (rule["field"],) not in other.keys or not other.complete:
        return
    ids, lines = st.keys[pk].arrays()
    used = pc.unique(pc.drop_null(pa.chunked_array(other.keys[(rule["field"],)].values, pa.string())))
    missing = pc.and_(pc.is_valid(ids), pc.invert(pc.is_in(ids, value_set=used)))
    idx = true_indices(missing)
    _report_rows(report, t, idx, ids, lines, "unreferenced-row", "referenced-by",
                 f"no row of '{rule['resource']}' refers to this row through {rule['field']}",
                 field=pk[0], column=1, hint=rule.get("description"))


def _check_not_reused(t: Table, rule: dict, st: TableState, states, report: Report, column: int) -> None:
    """A tombstone's ID must not be in use again in its table."""
    kc = st.keys.get((rule["table"], rule["id"]))
    if kc is None:
        return
    values, lines = kc.arrays()
    live: dict[str, set] = {}
    for i, v in enumerate(values.to_pylist()):
        if v is None:
            continue
        table_name, _, row_id = v.partition(SEP)
        other = states.get(table_name)
        if other is None:
            continue
        if table_name not in live:
            pk = other.keys.get(tuple(other.table.primary_key))
            live[table_name] = set(pk.arrays()[0].to_pylist()) if pk else set()
        if row_id.replace("|", SEP) in live[table_name]:
            report.add(ValidationError("retired-id", t.name, t.display_path, int(lines[i]), column, rule["id"],
                                       row_id, "not-reused",
                                       f"this ID was retired and is in use again in table '{table_name}'",
                                       "give the new row a new ID; retired IDs are never reused"))
