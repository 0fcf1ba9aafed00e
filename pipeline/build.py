"""Build a release folder: validate, write every format into a temporary folder, then move it into
place in one step. A failed or killed build leaves dist/ as it was."""

from __future__ import annotations

import errno
import fcntl
import filecmp
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import Report, UsageError
from pipeline.publish import descriptor, dictionary, typed, writers
from pipeline.publish.extras import write_extras
from pipeline.schema import Package
from pipeline.validate import validate_package

LICENSE_TEXT = """Cyber Diplomacy Facts: data licence

The data in this release (every file under csv/, parquet/, json/ and site/, the SQLite database,
the Excel workbook and datapackage.json) is licensed under the Creative Commons Attribution 4.0 International licence (CC BY 4.0):
https://creativecommons.org/licenses/by/4.0/ (legal code:
https://creativecommons.org/licenses/by/4.0/legalcode).

You may share and adapt it for any purpose, provided you give appropriate credit ("Cyber
Diplomacy Facts, version {version}"), link to the licence, and indicate if changes were made.
Each fact cites its own source in the sources table; the sources' own terms apply to them.
"""


@dataclass
class BuildResult:
    version: str
    path: Path
    status: str  # "written", "unchanged"
    counts: dict


@contextmanager
def build_lock(dist: Path):
    dist.mkdir(parents=True, exist_ok=True)
    lock_path = dist / ".lock"
    fh = open(lock_path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise UsageError(f"another build is running in {dist} (it holds {lock_path}); wait for it to finish") from None
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def released_versions(dist: Path) -> set[str]:
    index = dist / "index.json"
    if not index.exists():
        return set()
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"{index}: cannot read the release index: {e}") from None
    return {r["version"] for r in data.get("releases", [])}


def same_tree(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two folders (missing on either side counts)."""
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    differ = sorted(files_a ^ files_b)
    for rel in sorted(files_a & files_b):
        if not filecmp.cmp(a / rel, b / rel, shallow=False):
            differ.append(rel)
    return sorted(differ)


def write_release(package: Package, states: dict, out: Path, changelog: Path | None = None,
                  changes: Path | None = None, progress=None) -> dict[str, int]:
    """Write every file of a release into the folder out (which must not exist)."""
    meta = package.metadata
    version = str(meta["version"])
    for sub in ("csv", "parquet", "json"):
        (out / sub).mkdir(parents=True)
    counts = {}
    sources = []
    typed_tables = {}
    for table in package.tables:
        if progress:
            progress(table.name)
        t = typed.typed_table(table, states[table.name].typed, meta)
        counts[table.name] = t.num_rows
        typed_tables[table.name] = t
        writers.write_formats(t, table.path, out, meta["name"], version, table.name)
        if table.name == "sources":
            sources = [{"title": r["title"], "path": r["url"]} for r in t.select(["title", "url"]).to_pylist()]
    write_extras(package, typed_tables, out, counts, progress)  # site/, .sqlite, .xlsx
    desc = descriptor.package_descriptor(package, out, sources)
    (out / "datapackage.json").write_text(descriptor.dump(desc), encoding="utf-8")
    (out / "README.md").write_text(dictionary.render(package, counts), encoding="utf-8")
    (out / "LICENSE").write_text(LICENSE_TEXT.format(version=version), encoding="utf-8")
    if changelog is not None and changelog.exists():
        shutil.copyfile(changelog, out / "CHANGELOG.md")
    if changes is not None and changes.exists():
        shutil.copyfile(changes, out / "changes.json")
    write_checksums(out)
    return counts


def _unreleased_message(version: str, differ: list[str], released: Path, rebuilt: Path) -> str:
    shown = ", ".join(differ[:5]) + (" ..." if len(differ) > 5 else "")
    msg = (f"version {version} is already released and there are unreleased changes ({shown} would differ); "
           "released versions are never rewritten: run 'cyberdip release' to publish them as a new version")
    data_same = all(not rel.startswith(("csv/", "json/")) for rel in differ)
    parquet = [rel for rel in differ if rel.endswith(".parquet")]
    if data_same and parquet:
        import pyarrow.parquet as pq

        old = pq.ParquetFile(released / parquet[0]).metadata.created_by
        new = pq.ParquetFile(rebuilt / parquet[0]).metadata.created_by
        msg += (f". The CSV and JSON are identical: {parquet[0]} differs because its bytes depend on the "
                f"writer library ({old!r} wrote the release, {new!r} this build); install the pinned "
                "versions with 'make install' (requirements.lock)")
    return msg


COUNTS_START = "<!-- counts:start -->"
COUNTS_END = "<!-- counts:end -->"


def refresh_readme_counts(readme: Path, package: Package, version: str, counts: dict[str, int]) -> bool:
    """Rewrite the row counts between the markers in the project README (numbers from the build,
    never typed by hand). Returns True when the file changed."""
    if not readme.exists():
        return False
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(COUNTS_START), text.find(COUNTS_END)
    if start < 0 or end < start:
        return False
    lines = [COUNTS_START, f"Rows per table in release {version} (written by `cyberdip build`):", "",
             "| table | rows | what it holds |", "|---|---|---|"]
    for t in package.tables:
        lines.append(f"| `{t.name}` | {counts.get(t.name, 0)} | {t.title} |")
    lines.append(f"| **total** | {sum(counts.values())} | |")
    new = text[:start] + "\n".join(lines) + "\n" + text[end:]
    if new != text:
        readme.write_text(new, encoding="utf-8")
        return True
    return False


def write_checksums(folder: Path) -> None:
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        lines.append(f"{descriptor.sha256(path)}  {path.relative_to(folder).as_posix()}")
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _labelled(progress, step: str):
    """progress(name) -> progress("<step> <name>"), so one callback can tell the steps apart."""
    return (lambda name: progress(f"{step} {name}")) if progress else None


def build(package: Package, root: Path, dist: Path, report: Report, progress=None) -> BuildResult | None:
    """Validate and publish. Returns None (and fills the report) when the data is invalid.
    progress, if given, is called with "validate <table>", then "publish <table>" and
    "publish sqlite|xlsx|site" as each step starts."""
    report, states = validate_package(package, report, keep_typed=True, progress=_labelled(progress, "validate"))
    if not report.valid:
        return None
    version = str(package.metadata["version"])
    target = dist / version
    try:
        with build_lock(dist):
            for stale in dist.glob(".tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)  # left by a killed build; we hold the lock
            tmp = dist / f".tmp-{version}-{os.getpid()}"
            try:
                counts = write_release(package, states, tmp, changelog=root / "CHANGELOG.md",
                                       changes=root / "changes" / f"{version}.json",
                                       progress=_labelled(progress, "publish"))
                if target.exists():
                    differ = same_tree(target, tmp)
                    if not differ:
                        shutil.rmtree(tmp)
                        return BuildResult(version, target, "unchanged", counts)
                    if version in released_versions(dist):
                        raise UsageError(_unreleased_message(version, differ, target, tmp))
                    old = dist / f".tmp-old-{version}-{os.getpid()}"
                    os.replace(target, old)
                    os.replace(tmp, target)
                    shutil.rmtree(old)
                else:
                    os.replace(tmp, target)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise UsageError(f"cannot write to {dist}: {e.strerror}") from None
        if e.errno == errno.ENOSPC:
            raise UsageError(f"no space left on the device holding {dist}; nothing was published") from None
        raise
    return BuildResult(version, target, "written", counts)
