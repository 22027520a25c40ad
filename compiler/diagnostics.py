"""The one channel for remarks: facts a pass reports that are not errors (a plan not proven minimal, a cost);
and for progress on long work (`progress`).

Passes never print. They call `remark(message, where)`; the tools show each
remark as one `remark: WHERE: MESSAGE` line on stderr (the default sink)
once they succeed (`remarks_on_success`: none with an error), and API users
collect them:

    with collect_remarks() as remarks:
        model.run("arena-alloc")
    print(remarks)        # [Remark(where='arena-alloc', message='...')]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Remark:
    where: str
    message: str

    def __str__(self) -> str:
        return f"remark: {self.where}: {self.message}"


def _to_stderr(item: Remark) -> None:
    print(item, file=sys.stderr)


_SINK: ContextVar[Callable[[Remark], None]] = ContextVar("remark_sink", default=_to_stderr)


def remark(message: str, where: str) -> None:
    """Report a remark about `where` (a pass, a layer) to the current sink."""
    _SINK.get()(Remark(where, message))


@contextmanager
def collect_remarks() -> Iterator[list[Remark]]:
    """Within the block, remarks go to the returned list instead of stderr."""
    found: list[Remark] = []
    token = _SINK.set(found.append)
    try:
        yield found
    finally:
        _SINK.reset(token)


@contextmanager
def remarks_on_success() -> Iterator[None]:
    """Within the block, remarks are held back; they reach the current sink when the block ends normally and
    are dropped when it raises: a remark about a compile that then fails (the C API it would have had) only
    misleads next to the error."""
    outer = _SINK.get()
    with collect_remarks() as found:
        yield
    for item in found:
        outer(item)


def _status_line(message: str | None) -> None:
    """On a terminal, `message` on one stderr line redrawn in place (None clears it), cut to the terminal's
    width so that it never wraps; in a log, or on a terminal without cursor control (TERM=dumb), nothing."""
    import os
    import shutil

    stream = sys.stderr
    if not getattr(stream, "isatty", lambda: False)() or os.environ.get("TERM") == "dumb":
        return
    width = shutil.get_terminal_size().columns - 1
    text = message or ""
    if len(text) > width:
        text = text[:max(width - 3, 0)] + "..."
    stream.write("\r\x1b[K" + text)  # carriage return, then erase to the end of the line
    stream.flush()


_PROGRESS: ContextVar[Callable[[str | None], None]] = ContextVar("progress_sink", default=_status_line)


def progress(message: str | None) -> None:
    """Report how far long work has got, e.g. `--patch auto: planned 3 of at most 117 candidate stages`;
    None when it is over. The default sink redraws one line on a terminal's stderr and prints nothing to a
    log (the work's remark says the outcome); `progress_to` sends the reports elsewhere."""
    _PROGRESS.get()(message)


@contextmanager
def progress_to(sink: Callable[[str | None], None]) -> Iterator[None]:
    """Within the block, progress reports go to `sink` (`lambda _: None` silences them, as --quiet does)."""
    token = _PROGRESS.set(sink)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and the noun in the number it takes, for messages: "1 transpose", "2 transposes"
    (`nouns`: an irregular plural)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
