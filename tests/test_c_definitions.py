"""The emitted definitions of cmsis-opt's own kernels: shared helpers copied once, before their users."""

import subprocess
import shutil

import pytest

from cmsis_opt.dialects.c_definitions import define


class Sink:
    def __init__(self) -> None:
        self.functions: dict[str, str] = {}

    def function(self, name: str, definition: str) -> None:
        self.functions.setdefault(name, definition)


def test_shared_helper_comes_once_and_first():
    sink = Sink()
    define(sink, "cmsis_opt_mean_s8")
    define(sink, "cmsis_opt_requantize_s8")
    define(sink, "cmsis_opt_lut_s8")
    assert list(sink.functions) == ["cmsis_opt_fixed_point", "cmsis_opt_mean_s8", "cmsis_opt_requantize_s8",
                                    "cmsis_opt_lut_s8"]
    text = "\n".join(sink.functions.values())
    assert text.count("cmsis_opt_multiply_by_quantized_multiplier(int32_t") == 1
    assert "static arm_cmsis_nn_status cmsis_opt_mean_s8(" in text
    assert "#include" not in text


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_emitted_text_compiles_strict(tmp_path):
    """Both users of the shared helper in one translation unit, as a generated source carries them:
    C99 -Werror clean (a helper copied twice would be a redefinition)."""
    from cmsis_opt.runtime import __file__ as runtime_init
    from pathlib import Path

    sink = Sink()
    for function in ("cmsis_opt_requantize_s8", "cmsis_opt_mean_s8"):
        define(sink, function)
    source = tmp_path / "unit.c"
    source.write_text('#include "arm_nnfunctions.h"\n' + "\n".join(sink.functions.values()) + """
int use(int8_t *x);
int use(int8_t *x)
{
    const cmsis_nn_dims dims = {1, 1, 1, 1};
    return (int)cmsis_opt_mean_s8(&dims, x, 0, 0, 1 << 30, 0, -128, 127, x)
        + (int)cmsis_opt_requantize_s8(x, 1, 0, 0, 1 << 30, 0, -128, 127, x);
}
""")
    include = Path(runtime_init).parent / "include"
    subprocess.run(["gcc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror", "-c",
                    f"-I{include}", str(source), "-o", str(tmp_path / "unit.o")], check=True)
