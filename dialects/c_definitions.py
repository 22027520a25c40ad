"""The C of cmsis-opt's own kernels (runtime/src/cmsis_opt_*.c), as the generated sources carry it.

A kernel CMSIS-NN v7.0.0 lacks is written once, in runtime/src, between
the two marker comments `BEGIN` and `END`; the C backend copies that text
into every generated source that calls it, with the public function made
`static` (`CEmitter.function`), so a build linked with Arm's CMSIS-NN has
it too and runtime builds never see two external definitions.
"""

from __future__ import annotations

from importlib import resources

BEGIN, END = "/* cmsis-opt: emitted definition begins */", "/* cmsis-opt: emitted definition ends */"


def static_definition(function: str) -> str:
    """The text between the markers of runtime/src/FUNCTION.c, with `arm_cmsis_nn_status FUNCTION(` made static."""
    text = resources.files("cmsis_opt.runtime").joinpath("src", f"{function}.c").read_text()
    begin, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    signature = f"arm_cmsis_nn_status {function}("
    body = text[begin:end].strip()
    if signature not in body:
        raise ValueError(f"runtime/src/{function}.c defines no '{signature}...)' between its markers")
    return body.replace(signature, "static " + signature, 1)
