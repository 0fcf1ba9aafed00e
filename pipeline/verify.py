"""Check a downloaded release (folder or zip): every file against SHA256SUMS and against the sizes
and hashes in datapackage.json, nothing missing or extra, and the data still valid."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from pipeline.errors import Report, UsageError
from pipeline.publish.descriptor import sha256

MAX_ZIP_BYTES = 2 << 30  # refuse to unpack archives that claim more than this


@dataclass
class Problem:
    kind: str  # changed, missing, extra, size, hash, unlisted, invalid, parquet
    path: str
    message: str


@dataclass
class Verification:
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    report: Report | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and (self.report is None or self.report.valid)


@contextmanager
def opened(path: Path):
    """A release folder as is, or a zip unpacked into a temporary folder (never outside it)."""
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path}: neither a release folder nor a zip file")
    tmp = Path(tempfile.mkdtemp(prefix="cyberdip-verify-"))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
                raise UsageError(f"{path}: the archive unpacks to more than {MAX_ZIP_BYTES} bytes")
            tops = set()
            for info in infos:
                name = PurePosixPath(info.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise UsageError(f"{path}: the archive holds an unsafe path '{info.filename}'")
                tops.add(name.parts[0])
            zf.extractall(tmp)
        root = tmp / tops.pop() if len(tops) == 1 and (tmp / next(iter(tops))).is_dir() else tmp
        yield root
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def verify(path: Path, check_data: bool = True) -> Verification:
    result = Verification()
    with opened(path) as folder:
        sums_path = folder / "SHA256SUMS"
        if not sums_path.is_file():
            raise UsageError(f"{path}: no SHA256SUMS: not a cyberdip release")
        listed = {}
        for n, line in enumerate(sums_path.read_text(encoding="utf-8").splitlines(), 1):
            digest, sep, rel = line.partition("  ")
            if not sep or len(digest) != 64:
                result.problems.append(Problem("unlisted", "SHA256SUMS", f"line {n} is not '<sha256>  <path>'"))
                continue
            listed[rel] = digest
        present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
        result.files = len(present)
        for rel in sorted(set(listed) - present):
            result.problems.append(Problem("missing", rel, "listed in SHA256SUMS but not in the release"))
        for rel in sorted(present - set(listed)):
            result.problems.append(Problem("extra", rel, "in the release but not listed in SHA256SUMS"))
        for rel in sorted(present & set(listed)):
            if sha256(folder / rel) != listed[rel]:
                result.problems.append(Problem("changed", rel, "its sha256 differs from SHA256SUMS"))
        desc_path = folder / "datapackage.json"
        try:
            desc = json.loads(desc_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            result.problems.append(Problem("invalid", "datapackage.json", f"cannot be read: {e}"))
            return result
        for res in desc.get("resources", []):
            rel = res.get("path")
            file = folder / rel if isinstance(rel, str) else None
            if file is None or not file.is_file():
                continue  # already reported as missing
            size = res.get("bytes", res.get("x-bytes"))
            digest = res.get("hash", res.get("x-hash"))
            actual = file.stat().st_size
            if size is not None and size != actual:
                what = "truncated" if actual < size else "longer than published"
                result.problems.append(Problem("size", rel, f"{what}: {actual} bytes, datapackage.json says {size}"))
            if digest and digest.removeprefix("sha256:") != sha256(file):
                result.problems.append(Problem("hash", rel, "its sha256 differs from datapackage.json"))
        if check_data and not result.problems:
            from pipeline.schema import load_descriptor
            from pipeline.validate import validate_package

            report, _ = validate_package(load_descriptor(desc_path), Report())
            result.report = report
            if (folder / "parquet").is_dir():
                # The CSV is checked by our engine above; the Parquet by pandera, independently.
                from pipeline.pandera_schema import check_parquet

                for rel, message in check_parquet(folder):
                    result.problems.append(Problem("parquet", rel, message))
    return result


def render(result: Verification, label: str) -> str:
    lines = [f"{p.kind}: {p.path}: {p.message}" for p in result.problems]
    if result.report is not None and not result.report.valid:
        from pipeline.errors import render_text

        lines.append(render_text(result.report).rstrip("\n"))
    if result.ok:
        lines.append(f"verified {label}: {result.files} files match SHA256SUMS and datapackage.json; the data is valid")
    else:
        lines.append(f"{label} does NOT verify: {len(result.problems)} file problem(s)"
                     + ("" if result.report is None or result.report.valid else f", {result.report.count} data error(s)"))
    return "\n".join(lines) + "\n"
