"""Releases: the version bump a change requires, the changelog, tombstones for removed IDs, the
zip of each release and the index of releases in dist/."""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.diff import BUMPS, Diff, compare, snapshot_of_project, snapshot_of_release
from pipeline.errors import UsageError

VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def bump_version(version: str, bump: str) -> str:
    m = VERSION_RE.match(version)
    if not m:
        raise UsageError(f"version '{version}' is not of the form MAJOR.MINOR.PATCH")
    major, minor, patch = map(int, m.groups())
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def read_index(dist: Path) -> dict:
    path = dist / "index.json"
    if not path.exists():
        return {"releases": []}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: cannot read the release index: {e}") from None


def latest_version(dist: Path) -> str | None:
    return read_index(dist).get("latest")


@dataclass
class Plan:
    previous: str | None
    version: str
    bump: str | None
    required: str | None
    diff: Diff | None


def plan_release(root: Path, requested: str = "auto") -> Plan:
    dist = root / "dist"
    previous = latest_version(dist)
    working = snapshot_of_project(root)
    if previous is None:
        return Plan(None, working.version, None, None, None)
    diff = compare(snapshot_of_release(dist / previous), working)
    required = diff.required_bump
    if required is None:
        if requested == "auto":
            raise UsageError(f"nothing to release: raw/ and schemas/ are the same as release {previous} "
                             "(to republish the same data with a changed pipeline, give --bump patch)")
        # Same data, new files (a new format, a writer fix): allowed when asked for explicitly.
        return Plan(previous, bump_version(previous, requested), requested, "patch", diff)
    bump = required if requested == "auto" else requested
    if BUMPS.index(bump) < BUMPS.index(required):
        reasons = [c.message for c in diff.changes if c.bump == required]
        raise ReleaseRefused(
            f"a {bump} release is not enough: these changes require a {required} release:\n"
            + "\n".join(f"  - {r}" for r in reasons[:20]))
    return Plan(previous, bump_version(previous, bump), bump, required, diff)


class ReleaseRefused(Exception):
    """The requested bump understates the change (exit 1)."""


def set_package_fields(path: Path, version: str, created: str) -> None:
    """Edit version and created in schemas/package.yaml in place, keeping comments and layout."""
    text = path.read_text(encoding="utf-8")
    text, n1 = re.subn(r"(?m)^version:.*$", f"version: {version}", text)
    text, n2 = re.subn(r"(?m)^created:.*$", f'created: "{created}"', text)
    if n1 != 1 or n2 != 1:
        raise UsageError(f"{path}: expected exactly one 'version:' and one 'created:' line")
    path.write_text(text, encoding="utf-8")


def retire(root: Path, diff: Diff, version: str, reason: str | None) -> list[tuple[str, str]]:
    """Add a tombstone to raw/retired_ids.csv for every published ID that the change removes."""
    removed = [(t, key) for t, d in sorted(diff.tables.items()) for key in d.removed if t != "retired_ids"]
    if not removed:
        return []
    if not reason:
        shown = ", ".join(f"{t}/{k}" for t, k in removed[:5])
        raise UsageError(f"{len(removed)} published rows are removed ({shown}{' ...' if len(removed) > 5 else ''}); "
                         "say why with --reason so that their IDs are retired, not silently dropped")
    path = root / "raw" / "retired_ids.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys()) if rows else None
    if fields is None:
        fields = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    for table, key in removed:
        rows.append({"table": table, "id": key, "retired_in": version, "reason": reason})
    rows.sort(key=lambda r: (r["table"], r["id"]))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return removed


def changelog_entry(plan: Plan, created: str, retired: list[tuple[str, str]]) -> str:
    lines = [f"## {plan.version} ({created[:10]})", ""]
    if plan.diff is None:
        lines += ["First release.", ""]
        return "\n".join(lines) + "\n"
    lines.append(f"Changes since {plan.previous}; version bump: {plan.bump} (the least the change requires: {plan.required}).")
    lines.append("")
    if not plan.diff.changes:
        lines += ["No data or schema change: the same data, published again by a changed pipeline.", ""]
    schema = [c for c in plan.diff.changes if not c.kind.startswith("rows-")]
    if schema:
        lines += ["Schema:", ""] + [f"- [{c.bump}] {c.message}" for c in schema] + [""]
    rows = [(n, d) for n, d in sorted(plan.diff.tables.items()) if d.added or d.removed or d.changed]
    if rows:
        lines += ["| table | added | removed | changed |", "|---|---|---|---|"]
        lines += [f"| {n} | {len(d.added)} | {len(d.removed)} | {len(d.changed)} |" for n, d in rows]
        lines.append("")
    if retired:
        lines += ["Retired IDs (they will never be reused):", ""]
        lines += [f"- `{t}/{k}`" for t, k in retired] + [""]
    lines.append("The full list of IDs added, removed and changed is in `changes.json` of the release.")
    lines.append("")
    return "\n".join(lines) + "\n"


def prepend_changelog(path: Path, entry: str) -> None:
    head = "# Changelog\n\nEvery release of Cyber Diplomacy Facts, newest first. Written by `cyberdip release`.\n\n"
    body = path.read_text(encoding="utf-8") if path.exists() else head
    if not body.startswith(head):
        body = head + body
    path.write_text(head + entry + body[len(head):], encoding="utf-8")


def changes_document(plan: Plan, created: str, retired) -> dict:
    doc = {"version": plan.version, "previous": plan.previous, "created": created,
           "bump": plan.bump, "required_bump": plan.required}
    if plan.diff is not None:
        d = plan.diff.to_json()
        doc["schema_changes"] = d["schema_changes"]
        doc["tables"] = d["tables"]
    doc["retired"] = [f"{t}/{k}" for t, k in retired]
    return doc


def zip_release(dist: Path, name: str, version: str, created: str) -> Path:
    """A byte-reproducible zip: entries sorted, fixed timestamps (the release date) and permissions."""
    folder = dist / version
    target = dist / f"{name}-{version}.zip"
    y, m, d = (int(x) for x in created[:10].split("-"))
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{name}-{version}/{path.relative_to(folder).as_posix()}", date_time=(y, m, d, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    tmp.replace(target)
    return target


def update_index(dist: Path, name: str, version: str, created: str, counts: dict, zip_path: Path) -> None:
    index = read_index(dist)
    releases = [r for r in index.get("releases", []) if r["version"] != version]
    releases.append({
        "version": version,
        "created": created,
        "counts": counts,
        "rows": sum(counts.values()),
        "path": f"{version}/",
        "zip": zip_path.name,
        "zip_sha256": hashlib.sha256(zip_path.read_bytes()).hexdigest(),
    })
    releases.sort(key=lambda r: tuple(int(x) for x in r["version"].split(".")))
    doc = {"package": name, "latest": releases[-1]["version"], "releases": releases}
    (dist / "index.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (dist / "LATEST").write_text(releases[-1]["version"] + "\n", encoding="utf-8")


def today() -> str:
    return datetime.date.today().isoformat()
