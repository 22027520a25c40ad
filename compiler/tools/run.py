"""`cmsis-run` (being built)."""

import sys

from cmsis_opt.errors import CompileError
from cmsis_opt.tools import run_tool


def _main(argv):
    raise CompileError("cmsis-run is not implemented yet", "cmsis-run")


def main(argv=None) -> int:
    return run_tool("cmsis-run", lambda: _main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
