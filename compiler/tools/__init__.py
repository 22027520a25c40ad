"""Command-line tools. Each `main` returns an exit status and never shows a traceback."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

from cmsis_opt.errors import CompileError, report


def run_tool(name: str, body: Callable[[], int | None]) -> int:
    """Run a tool body: user errors become one `error:` line; bugs too (traceback with CMSIS_OPT_DEBUG=1)."""
    try:
        return body() or 0
    except CompileError as error:
        return report(error)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as error:  # a bug in the compiler, not in the input
        if os.environ.get("CMSIS_OPT_DEBUG"):
            traceback.print_exc()
        detail = str(error).splitlines()[0] if str(error) else ""
        print(f"error: internal error in {name}: {type(error).__name__}: {detail} "
              "(please report it with the input; set CMSIS_OPT_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1
