"""Progress of long commands on a terminal: one line per step and table, redrawn in place.
Quiet when stderr is not a terminal (piped, redirected) or under CI, unless asked for."""

from __future__ import annotations

import os
import sys
import time

VERBS = {"validate": "validating", "publish": "writing"}


def wanted(flag: bool | None, stream=None) -> bool:
    """--progress / --no-progress win; otherwise only on a terminal and never under CI."""
    if flag is not None:
        return flag
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        return False
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """A progress(label) callback: label is '<step> <name>', e.g. 'validate actors', 'publish site'."""

    def __init__(self, total: int, stream=None):
        self.total = total
        self.n = 0
        self.start = time.monotonic()
        self.stream = stream or sys.stderr
        self.redraw = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, label: str) -> None:
        self.n += 1
        step, _, name = label.partition(" ")
        total = max(self.total, self.n)
        text = f"[{self.n:>{len(str(total))}}/{total}] {VERBS.get(step, step)} {name}".rstrip()
        if self.redraw:
            text += f"  {time.monotonic() - self.start:.1f}s"
            self.stream.write("\r\x1b[K" + text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.redraw and self.n:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
