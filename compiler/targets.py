"""The Cortex-M cores cmsis-opt compiles for: the one table that names them.

CMSIS-NN has three build paths, chosen by what the C compiler predefines for
the core (`Include/arm_nn_math_types.h`):

- ``"c"``: portable C, neither `ARM_MATH_DSP` nor `ARM_MATH_MVEI` (Armv6-M and
  Armv7-M without the DSP extension);
- ``"dsp"``: `ARM_MATH_DSP`, from `__ARM_FEATURE_DSP` (Armv7E-M, Armv8-M
  Mainline with the DSP extension);
- ``"mve"``: `ARM_MATH_MVEI`, from `__ARM_FEATURE_MVE` (Armv8.1-M with Helium).

Which function a CMSIS-NN wrapper dispatches to, how much scratch it needs
and the order it reads and writes memory in all depend on the path, so every
memory plan is made for one core. The module's target is the attribute
`#cmsis.target<"cortex-m55", path = "mve", cmsis_nn = "7.0.0">`
(`cmsis_opt.dialects.cmsis.TargetAttr`); this module is where its core names
and paths come from. A host build (x86, the tests) runs the portable C path.

The GCC flags select the path through the macros the compiler predefines
(checked with Debian's arm-none-eabi-gcc 12.2, each compiling all of
CMSIS-NN v7.0.0): no `__ARM_FEATURE_DSP` on Cortex-M0/M0+/M3;
`__ARM_FEATURE_DSP` on M4, M7, M33 and M35P; `__ARM_FEATURE_MVE` (and DSP) on
M55 with `-mfloat-abi=hard` (with the default soft-float ABI it defines no
MVE and silently builds the DSP path). GCC 12 does not know
`-mcpu=cortex-m85` (GCC 13 does), so M85 is given as its architecture,
Armv8.1-M with MVE and double-precision floating point. `qemu_board` names
the QEMU machine `make target-check` runs the core on, where the project has
a linker script for it (`runtime/qemu/BOARD.ld`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal, get_args

from cmsis_opt.errors import CompileError

BuildPath = Literal["c", "dsp", "mve"]
PATHS: tuple[BuildPath, ...] = ("c", "dsp", "mve")

CMSIS_NN_VERSION = "7.0.0"
"""The CMSIS-NN release the kernel models follow (dispatch, scratch sizes, access orders)."""

HOST_PATH: BuildPath = "c"
"""The path a host build of CMSIS-NN (or of `runtime/`) runs: neither DSP nor MVE."""


CoreName = Literal[
    "cortex-m0", "cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7",
    "cortex-m33", "cortex-m35p", "cortex-m55", "cortex-m85",
]
"""The names of `CORES`, as a type for pass options (checked against the table at import)."""


@dataclass(frozen=True)
class Core:
    """One Cortex-M core: its name (GCC's `-mcpu` spelling), CMSIS-NN path, GCC flags and QEMU board."""

    name: CoreName
    path: BuildPath
    gcc_flags: tuple[str, ...]
    qemu_board: str | None = None


CORES: dict[str, Core] = {
    core.name: core
    for core in (
        Core("cortex-m0", "c", ("-mcpu=cortex-m0", "-mthumb", "-mfloat-abi=soft")),
        Core("cortex-m0plus", "c", ("-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft")),
        Core("cortex-m3", "c", ("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft")),
        Core("cortex-m4", "dsp", ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"), "mps2-an386"),
        Core("cortex-m7", "dsp", ("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16")),
        Core("cortex-m33", "dsp", ("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16")),
        Core("cortex-m35p", "dsp", ("-mcpu=cortex-m35p", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16")),
        Core("cortex-m55", "mve", ("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"), "mps3-an547"),
        Core("cortex-m85", "mve", ("-march=armv8.1-m.main+mve.fp+fp.dp", "-mthumb", "-mfloat-abi=hard")),
    )
}

DEFAULT_CORE: CoreName = "cortex-m4"
"""The core planned for when nothing says otherwise."""

assert set(get_args(CoreName)) == set(CORES)


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """` (did you mean 'x'?)` for the closest of `choices`, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    extending = [c for c in close if c.startswith(word) or word.startswith(c)]  # a typo mostly drops a letter
    best = (extending or close)[:1]
    return f" (did you mean '{best[0]}'?)" if best else ""


def core(name: str) -> Core:
    """The core called `name`.

    Raises CompileError naming the known cores (and the closest one) when there is none.
    """
    found = CORES.get(name)
    if found is None:
        raise CompileError(
            f"unknown core '{name}'{did_you_mean(name, tuple(CORES))}; known: {', '.join(CORES)}", "target")
    return found


def cores_on(board_only: bool = False) -> list[Core]:
    """The cores, in table order; with `board_only`, those `make target-check` can run on QEMU."""
    return [c for c in CORES.values() if c.qemu_board or not board_only]
