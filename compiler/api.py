"""The Python API for experiments: the same passes and options as `cmsis-opt`, plans as objects.

    from cmsis_opt.api import Model

    model = Model.load("kws_dscnn.qdq.onnx")          # .onnx, .tflite, .net or .mlir
    model.run("attach-target", core="cortex-m55").run("quantize").run("inplace-alias")
    model.run("arena-alloc", strategy="optimal")
    plan = model.plan()                                # buffers, offsets, intervals, arena size
    print(plan.arena_size, [(b.name, b.offset, b.size, b.first, b.last) for b in plan.buffers])
    header, source = model.emit_c()

A float model is calibrated first: `Model.load("net.onnx").calibrate("samples.npz")`.
Remarks (a plan not proven minimal) go to stderr unless collected with
`cmsis_opt.diagnostics.collect_remarks()`. A placement heuristic of your own
only needs the plan's buffers: see examples/custom_allocator.py, which tries
one against the built-in strategies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.arg_spec import ArgSpec

from cmsis_opt.backend.c import emit_c
from cmsis_opt.calibrate import calibrate_module
from cmsis_opt.context import make_context
from cmsis_opt.frontends import load
from cmsis_opt.interpreter import run_function
from cmsis_opt.ir import SourceModule, parse_ir, print_ir
from cmsis_opt.passes import ALL_PASSES
from cmsis_opt.passes.common import build_pass
from cmsis_opt.plan import Plan, memory_plan


def load_module(path: str | Path) -> ModuleOp:
    """Any input the tools accept, as a verified module: a model file or textual IR."""
    return load(str(path)).module


class Model:
    """A module going through the pipeline, one named pass at a time."""

    def __init__(self, module: ModuleOp, name: str = "model"):
        self.module = module
        self.name = name

    @classmethod
    def load(cls, path: str | Path) -> Model:
        return cls(load_module(path), Path(path).name.split(".")[0])

    @classmethod
    def from_text(cls, text: str, name: str = "model") -> Model:
        return cls(parse_ir(text, name).module, name)

    def copy(self) -> Model:
        return Model(self.module.clone(), self.name)

    def run(self, pass_name: str, **options: Any) -> Model:
        """Apply one pass by its `cmsis-opt` name; options as keywords (underscores or dashes).

        Raises UsageError for an unknown pass or option, CompileError for what the pass refuses.
        """
        spec = ArgSpec(pass_name, {key.replace("_", "-"): (value,) for key, value in options.items()})
        instance = build_pass(spec, ALL_PASSES)
        instance.apply(make_context(), self.module)
        SourceModule(self.module, {}, self.name).verify(stage=f"pass '{pass_name}'")
        return self

    def calibrate(self, samples: str | Path, method: str = "minmax", percentile: float = 99.99) -> Model:
        """Record the float model's value ranges on the samples in `samples` (.npz), as `cmsis-calibrate` does."""
        calibrate_module(self.module, str(samples), method, percentile, show_progress=False)
        return self

    def plan(self) -> Plan:
        return memory_plan(self.module)

    def ir(self) -> str:
        return print_ir(self.module)

    def interpret(self, *inputs: np.ndarray) -> list[np.ndarray]:
        return run_function(self.module, list(inputs))

    def emit_c(self, name: str | None = None) -> tuple[str, str]:
        """(header, source) of the planned module."""
        return emit_c(self.module, name or self.name)
