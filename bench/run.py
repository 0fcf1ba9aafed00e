"""Benchmark: `cyberdip validate` and the core of `cyberdip build` against `frictionless validate`
and pyarrow's bare typed parse, on the same synthetic packages, side by side in one run.

    make bench                                   # = python bench/run.py (defaults below)
    python bench/run.py --sizes 10k,100k --runs 3
    python bench/run.py --sizes 1m --frictionless-runs 3
    python bench/run.py --memory-size none       # skip the 10M-row memory run

Every tool runs as its own process; the runs of all tools are interleaved (run 1 of each tool,
then run 2 of each..., the order rotated each round, with a sync and a short pause before each
run), so that a slow moment of the machine hits them alike. Wall time is the
median of the runs; peak memory is the largest maximum resident set size of the runs (from
os.wait4, i.e. getrusage of that one child). On the dirty packages each tool's report is read
back and every injected error (bench/data/*/injected.json) is looked for at its CSV line.
Writes bench/RESULTS.md (or --output)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate, package_dir, size_rows  # noqa: E402

BIN = Path(sys.executable).parent
OUT = HERE / "out"


@dataclass
class Tool:
    key: str
    label: str
    argv: list
    variant: str  # clean | dirty
    runs: int
    cwd: Path = ROOT


@dataclass
class Result:
    tool: Tool
    walls: list = field(default_factory=list)
    rss_kb: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    stdout: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def peak_mb(self) -> float:
        return max(self.rss_kb) / 1024 if self.rss_kb else float("nan")


def timed(argv: list, cwd: Path) -> tuple[float, int, int, str]:
    """Run one process; (wall seconds, max RSS in KB, exit code, stdout)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0")
    out_path = OUT / ".stdout"
    OUT.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, proc.returncode, out_path.read_text(encoding="utf-8", errors="replace")


def settle() -> None:
    """Let the machine calm down between two timed runs: write back what the last one wrote
    (a build writes about 1 GB at 1M rows), so the next run does not pay for it."""
    os.sync()
    time.sleep(0.5)


def tools_for(label: str, args) -> list[Tool]:
    rows = size_rows(label)
    clean = package_dir(label, False) / "datapackage.json"
    dirty = package_dir(label, True) / "datapackage.json"
    large = rows >= 1_000_000
    fr_runs = args.frictionless_runs if large else args.runs
    tools = [
        Tool("pyarrow", "pyarrow typed parse (floor)", [sys.executable, str(HERE / "bare_parse.py"), str(clean)],
             "clean", args.runs),
        Tool("validate", "cyberdip validate", [str(BIN / "cyberdip"), "validate", str(clean)], "clean", args.runs),
        Tool("validate", "cyberdip validate", [str(BIN / "cyberdip"), "validate", str(dirty), "--format", "json",
                                               "--max-errors", "100000"], "dirty", args.runs),
    ]
    if not args.no_build:
        tools.append(Tool("build", "cyberdip build core (validate + CSV + Parquet + JSON)",
                          [sys.executable, str(HERE / "build_package.py"), str(clean), str(OUT / f"build-{label}")],
                          "clean", min(args.build_runs, args.runs)))
    if rows <= size_rows(args.frictionless_max) and fr_runs > 0:
        tools += [
            Tool("frictionless", "frictionless validate", [str(BIN / "frictionless"), "validate", "--json",
                                                           str(clean)], "clean", fr_runs),
            Tool("frictionless", "frictionless validate", [str(BIN / "frictionless"), "validate", "--json",
                                                           str(dirty)], "dirty", fr_runs),
        ]
    return tools


def run_size(label: str, args) -> list[Result]:
    rows = size_rows(label)
    for dirty in (False, True):
        t = time.perf_counter()
        generate(package_dir(label, dirty), rows, dirty=dirty)
        log(f"  {label} {'dirty' if dirty else 'clean'}: ready ({time.perf_counter() - t:.1f} s)")
    results = [Result(t) for t in tools_for(label, args)]
    for i in range(max(r.tool.runs for r in results)):
        # Rotate the order each round, so that no tool always follows the same one.
        for r in results[i % len(results):] + results[:i % len(results)]:
            if i >= r.tool.runs:
                continue
            settle()
            if r.tool.key == "build":  # start from nothing, and do not time the removal
                shutil.rmtree(OUT / f"build-{label}", ignore_errors=True)
            wall, rss, code, stdout = timed(r.tool.argv, r.tool.cwd)
            r.walls.append(wall)
            r.rss_kb.append(rss)
            r.codes.append(code)
            r.stdout = stdout
            log(f"  {label} {r.tool.key:12s} {r.tool.variant}: {wall:6.2f} s  {rss / 1024:6.0f} MB  exit {code}")
    shutil.rmtree(OUT / f"build-{label}", ignore_errors=True)
    return results


def memory_run(label: str) -> Result:
    rows = size_rows(label)
    t = time.perf_counter()
    generate(package_dir(label, False), rows)
    log(f"  {label} clean: ready ({time.perf_counter() - t:.1f} s)")
    tool = Tool("validate", "cyberdip validate", [str(BIN / "cyberdip"), "validate",
                                                  str(package_dir(label, False) / "datapackage.json")], "clean", 1)
    r = Result(tool)
    settle()
    wall, rss, code, stdout = timed(tool.argv, tool.cwd)
    r.walls.append(wall)
    r.rss_kb.append(rss)
    r.codes.append(code)
    r.stdout = stdout
    log(f"  {label} validate clean: {wall:6.2f} s  {rss / 1024:6.0f} MB  exit {code}")
    return r


# --- which injected errors each tool reported at their line --------------------------------------

CYBERDIP_TYPES = {
    "bad-date": {("type-error", "date")},
    "bad-partial-date": {("constraint-error", "partial-date")},
    "enum": {("constraint-error", "enum")},
    "duplicate-key": {("primary-key", "primary-key"), ("unique-error", "unique")},
    "dangling-fk": {("foreign-key", "foreign-key")},
    "pattern": {("constraint-error", "pattern")},
    "integer": {("type-error", "integer")},
}
FRICTIONLESS_TYPES = {
    "bad-date": {"type-error"}, "bad-partial-date": {"constraint-error"}, "enum": {"constraint-error"},
    "duplicate-key": {"primary-key", "unique-error"}, "dangling-fk": {"foreign-key"},
    "pattern": {"constraint-error"}, "integer": {"type-error"},
}


def cyberdip_found(stdout: str) -> set:
    doc = json.loads(stdout)
    return {(e["table"], e["line"], e["field"], e["type"], e["rule"]) for e in doc["errors"]}


def frictionless_found(stdout: str) -> set:
    doc = json.loads(stdout)
    out = set()
    for task in doc.get("tasks", []):
        for e in task.get("errors", []):
            out.add((task.get("name"), e.get("rowNumber"), e.get("fieldName"), e.get("type")))
    return out


def detection(label: str, results: list[Result]) -> dict:
    injected = json.loads((package_dir(label, True) / "injected.json").read_text())
    out = {}
    for r in results:
        if r.tool.variant != "dirty" or not r.stdout.strip():
            continue
        try:
            if r.tool.key == "validate":
                found = cyberdip_found(r.stdout)
                hit = lambda inj, found=found: any(  # noqa: E731
                    t == inj["table"] and ln == inj["line"] and (ty, ru) in CYBERDIP_TYPES[inj["kind"]]
                    for t, ln, f, ty, ru in found)
                lines = {(t, ln) for t, ln, *_ in found}
            else:
                found = frictionless_found(r.stdout)
                hit = lambda inj, found=found: any(  # noqa: E731
                    t == inj["table"] and ln == inj["line"] and ty in FRICTIONLESS_TYPES[inj["kind"]]
                    for t, ln, f, ty in found)
                lines = {(t, ln) for t, ln, *_ in found}
        except (json.JSONDecodeError, KeyError):
            out[r.tool.key] = "report unreadable"
            continue
        expected = [i for i in injected if r.tool.key == "validate" or i["frictionless"]]
        got = sum(1 for i in expected if hit(i))
        stray = len(lines - {(i["table"], i["line"]) for i in injected})
        text = f"{got}/{len(expected)} at their line"
        if r.tool.key == "frictionless":
            text += f" (+{len(injected) - len(expected)} it cannot see)"
        if stray:
            text += f"; {stray} other lines flagged"
        out[r.tool.key] = text
    return out


# --- start-up ---------------------------------------------------------------------------------------

def startup(runs: int) -> dict:
    out = {}
    cmds = {"cyberdip --help": ([str(BIN / "cyberdip"), "--help"], ROOT)}
    own = ROOT / "raw"
    if any(own.glob("*.csv")):
        cmds["cyberdip validate (our package, raw/)"] = ([str(BIN / "cyberdip"), "validate"], ROOT)
    else:
        cmds["cyberdip validate (our package, tests/fixtures/raw)"] = (
            [str(BIN / "cyberdip"), "validate", "--raw", str(ROOT / "tests/fixtures/raw")], ROOT)
    for name, (argv, cwd) in cmds.items():
        walls = []
        for _ in range(runs):
            settle()
            walls.append(timed(argv, cwd)[0])
        out[name] = statistics.median(walls)
        log(f"  {name}: {out[name]:.3f} s")
    return out


# --- report -----------------------------------------------------------------------------------------

def fmt_rate(rows: int, seconds: float) -> str:
    r = rows / seconds
    return f"{r / 1e6:.2f} M" if r >= 1e6 else f"{r / 1e3:.0f} k"


def render(all_results: dict, detections: dict, mem: Result | None, start: dict, args, elapsed: float) -> str:
    import pyarrow

    try:
        import frictionless

        fr_version = frictionless.__version__
    except Exception:  # noqa: BLE001
        fr_version = "?"
    lines = [
        "# Benchmark results",
        "",
        "Written by `bench/run.py` (do not edit by hand). Reproduce with `make bench`; this run: "
        f"`python bench/run.py{''.join(' ' + a for a in sys.argv[1:])}`.",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"pyarrow {pyarrow.__version__}, frictionless {fr_version}. Run took {elapsed / 60:.1f} min, "
        f"{time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "Synthetic packages from `bench/generate.py`: `events` (N rows, 10 columns, ~325 bytes a row) plus "
        "`sources` (1,000) and `actors` (500); the dirty copy has injected errors at known lines. "
        "Wall time is the median of the runs (whole process, including start-up); peak memory is the "
        "largest max RSS of the runs. Ratios are taken against the medians of the same run.",
        "",
    ]
    for label, results in all_results.items():
        rows = size_rows(label) + 1500
        floor = next((r.median for r in results if r.tool.key == "pyarrow"), None)
        fr = {r.tool.variant: r.median for r in results if r.tool.key == "frictionless"}
        lines += [f"## {label} rows ({rows:,} rows in all)", "",
                  "| tool | data | runs | median wall | fastest–slowest | rows/s | peak memory | × bare parse "
                  "| frictionless ÷ this | injected errors found |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in results:
            vs_floor = f"{r.median / floor:.2f}" if floor else "–"
            vs_fr = f"{fr[r.tool.variant] / r.median:.1f}" if r.tool.variant in fr and r.tool.key != "frictionless" else "–"
            found = detections.get(label, {}).get(r.tool.key, "–") if r.tool.variant == "dirty" else "–"
            lines.append(f"| {r.tool.label} | {r.tool.variant} | {len(r.walls)} | {r.median:.2f} s | "
                         f"{min(r.walls):.2f}–{max(r.walls):.2f} s | {fmt_rate(rows, r.median)} | "
                         f"{r.peak_mb:.0f} MB | {vs_floor} | {vs_fr} | {found} |")
        lines.append("")
    if mem is not None:
        label = args.memory_size
        lines += [f"## {label} rows, memory", "",
                  "| tool | data | runs | wall | rows/s | peak memory | exit |", "|---|---|---|---|---|---|---|",
                  f"| cyberdip validate | clean | 1 | {mem.median:.1f} s | {fmt_rate(size_rows(label) + 1500, mem.median)} | "
                  f"{mem.peak_mb:.0f} MB | {mem.codes[0]} |", ""]
    lines += ["## Start-up", "", "| command | median wall |", "|---|---|"]
    lines += [f"| `{k}` | {v:.3f} s |" for k, v in start.items()]
    lines += ["", "## Targets", ""]
    lines += targets(all_results, detections, mem, start)
    return "\n".join(lines) + "\n"


def targets(all_results: dict, detections: dict, mem: Result | None, start: dict) -> list[str]:
    out = ["| target | measured | met |", "|---|---|---|"]

    def row(name, value, ok):
        out.append(f"| {name} | {value} | {'yes' if ok else '**no**'} |")

    res = all_results.get("1m")
    if res:
        get = lambda key, variant: next((r for r in res if r.tool.key == key and r.tool.variant == variant), None)  # noqa: E731
        floor, val_c, val_d = get("pyarrow", "clean"), get("validate", "clean"), get("validate", "dirty")
        fr_c, fr_d, build = get("frictionless", "clean"), get("frictionless", "dirty"), get("build", "clean")
        if fr_c and val_c:
            x = fr_c.median / val_c.median
            row("1M validate ≥ 20× faster than frictionless (clean)", f"{x:.1f}×", x >= 20)
        if fr_d and val_d:
            x = fr_d.median / val_d.median
            row("1M validate ≥ 20× faster than frictionless (dirty)", f"{x:.1f}×", x >= 20)
        if floor and val_c:
            x = val_c.median / floor.median
            row("1M validate within 2× of the bare parse (clean)", f"{x:.2f}×", x <= 2)
        if floor and val_d:
            x = val_d.median / floor.median
            row("1M validate within 2× of the bare parse (dirty)", f"{x:.2f}×", x <= 2)
        if floor and val_c:  # the bare parse's time swings most when the machine is busy
            x = min(val_c.walls) / min(floor.walls)
            row("1M validate within 2× of the bare parse, fastest run ÷ fastest run (for reference)",
                f"{x:.2f}×", x <= 2)
        found = detections.get("1m", {}).get("validate")
        if found:
            got, total = found.split(" ")[0].split("/")
            row("1M dirty: every injected error at its line", found, got == total and "other lines" not in found)
        if floor and build:
            x = build.median / floor.median
            row("1M build core within 4× of the bare parse", f"{x:.2f}×", x <= 4)
            x = min(build.walls) / min(floor.walls)
            row("1M build core within 4× of the bare parse, fastest runs (for reference)", f"{x:.2f}×", x <= 4)
    if mem is not None:
        row(f"{mem.tool.argv[2].split('/')[-2].split('-')[0]} validate peak memory < 2 GB",
            f"{mem.peak_mb:.0f} MB", mem.peak_mb < 2048 and mem.codes[0] == 0)
    for k, v in start.items():
        limit = 0.3 if "--help" in k else 1.5
        row(f"`{k}` < {limit} s", f"{v:.3f} s", v < limit)
    return out


def log(msg: str) -> None:
    print(msg, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma-separated sizes to time (10k, 100k, 1m, 10m or a row count)")
    ap.add_argument("--runs", type=int, default=5, help="runs of each tool per size (default 5)")
    ap.add_argument("--build-runs", type=int, default=3, help="runs of the build core per size (default 3)")
    ap.add_argument("--frictionless-runs", type=int, default=1,
                    help="runs of frictionless at 1M rows and more (~40 s each; default 1)")
    ap.add_argument("--frictionless-max", default="1m", help="largest size frictionless runs at (default 1m)")
    ap.add_argument("--memory-size", default="10m", help="size for the memory run of cyberdip validate, or 'none' (default 10m)")
    ap.add_argument("--no-build", action="store_true", help="do not time the build core")
    ap.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()
    t0 = time.perf_counter()
    all_results, detections = {}, {}
    for label in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        log(f"{label}:")
        all_results[label] = run_size(label, args)
        detections[label] = detection(label, all_results[label])
        for k, v in detections[label].items():
            log(f"  {k}: {v}")
    mem = None
    if args.memory_size.lower() != "none":
        log(f"{args.memory_size} (memory):")
        mem = memory_run(args.memory_size)
    log("start-up:")
    start = startup(max(args.runs, 5))
    text = render(all_results, detections, mem, start, args, time.perf_counter() - t0)
    args.output.write_text(text, encoding="utf-8")
    log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
