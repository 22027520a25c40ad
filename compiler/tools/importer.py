"""`cmsis-import` (being built)."""

import sys

from cmsis_opt.errors import CompileError
from cmsis_opt.tools import run_tool


def _main(argv):
    raise CompileError("cmsis-import is not implemented yet", "cmsis-import")


def main(argv=None) -> int:
    return run_tool("cmsis-import", lambda: _main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
