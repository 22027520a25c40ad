"""`cmsis-compile` (being built)."""

import sys

from cmsis_opt.errors import CompileError
from cmsis_opt.tools import run_tool


def _main(argv):
    raise CompileError("cmsis-compile is not implemented yet", "cmsis-compile")


def main(argv=None) -> int:
    return run_tool("cmsis-compile", lambda: _main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
