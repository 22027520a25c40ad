"""The C of cmsis-opt's own kernels (runtime/src/cmsis_opt_*.c), as the generated sources carry it.

A kernel CMSIS-NN v7.0.0 lacks is written once, in runtime/src, between
the two marker comments `BEGIN` and `END`; the C backend copies that text
into every generated source that calls it, with the public function made
`static` (`CEmitter.function`), so a build linked with Arm's CMSIS-NN has
it too and runtime builds never see two external definitions. Helpers
several kernels share live in runtime/src/cmsis_opt_*.h, marked the same
way, and are copied once, before the first kernel that includes them.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Protocol

BEGIN, END = "/* cmsis-opt: emitted definition begins */", "/* cmsis-opt: emitted definition ends */"
_HELPER_INCLUDE = re.compile(r'^#include "(cmsis_opt_\w+)\.h"$', re.MULTILINE)


class FunctionSink(Protocol):
    """Where definitions go: `CEmitter.function` keeps the first text given per name, in order."""

    def function(self, name: str, definition: str) -> None: ...


def _source(file: str) -> str:
    return resources.files("cmsis_opt.runtime").joinpath("src", file).read_text()


def _marked(text: str, file: str) -> str:
    if BEGIN not in text or END not in text:
        raise ValueError(f"runtime/src/{file} has no '{BEGIN}' ... '{END}' block")
    return text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip()


def static_definition(function: str) -> str:
    """The text between the markers of runtime/src/FUNCTION.c, with `arm_cmsis_nn_status FUNCTION(` made static."""
    signature = f"arm_cmsis_nn_status {function}("
    body = _marked(_source(f"{function}.c"), f"{function}.c")
    if signature not in body:
        raise ValueError(f"runtime/src/{function}.c defines no '{signature}...)' between its markers")
    return body.replace(signature, "static " + signature, 1)


def define(c: FunctionSink, function: str) -> None:
    """Give `c` the definition of runtime/src/FUNCTION.c, preceded by the shared helpers it includes.

    A helper is a header in runtime/src (not runtime/include, which only declares), cmsis_opt_NAME.h,
    included by `#include "cmsis_opt_NAME.h"`; its marked text is already static. Raises ValueError
    when a file lacks its markers.
    """
    source_dir = resources.files("cmsis_opt.runtime").joinpath("src")
    for helper in _HELPER_INCLUDE.findall(_source(f"{function}.c")):
        if source_dir.joinpath(f"{helper}.h").is_file():
            c.function(helper, _marked(_source(f"{helper}.h"), f"{helper}.h"))
    c.function(function, static_definition(function))
