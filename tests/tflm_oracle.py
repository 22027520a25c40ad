"""TensorFlow Lite Micro (PyPI tflite-micro) as the oracle, and host programs of single-op TFLite models checked
against it.

    programs, models = tflite_programs(tmp, {"q0": (data, (1, 10))})
    check_program_against_tflm(program_for(programs, "runtime"), models, rng, count=5)

A test module that uses it calls `pytest.importorskip("tflite_micro")` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from host_programs import build_programs, run_program

from cmsis_opt.frontends import import_model


def tflm_outputs(data: bytes, inputs: Iterable[np.ndarray]) -> list[np.ndarray]:
    """Output 0 of the .tflite `data` under TFLite Micro's interpreter, one per input (input 0)."""
    from tflite_micro.python.tflite_micro import runtime

    tflm = runtime.Interpreter.from_bytes(data)
    outputs = []
    for x in inputs:
        tflm.set_input(x, 0)
        tflm.invoke()
        outputs.append(tflm.get_output(0).copy())
    return outputs


Models = Mapping[str, tuple[bytes, Sequence[int]]]
"""{name: (.tflite bytes, input shape)}."""


def tflite_programs(tmp: Path, models: Models, core: str = "cortex-m0") -> tuple[dict[str, Path], Models]:
    """({library: host program}, models): every model written to TMP/NAME.tflite, imported and built into one
    program per library (see host_programs.build_programs)."""
    modules = {}
    for name, (data, _) in models.items():
        (tmp / f"{name}.tflite").write_bytes(data)
        modules[name] = import_model(str(tmp / f"{name}.tflite"))
    return build_programs(tmp, modules, core=core), models


def check_program_against_tflm(program: Path, models: Models, rng: np.random.Generator, count: int) -> None:
    """Each model run in `program` on `count` random int8 inputs equals TFLite Micro bit for bit."""
    for name, (data, shape) in models.items():
        inputs = [rng.integers(-128, 128, tuple(shape)).astype(np.int8) for _ in range(count)]
        for x, want in zip(inputs, tflm_outputs(data, inputs), strict=True):
            assert np.array_equal(run_program(program, name, [x]), want.reshape(-1)), name
