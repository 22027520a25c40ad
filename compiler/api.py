"""The Python API for experiments: the same passes and options as `cmsis-opt`, plans as objects.

    from cmsis_opt.api import Model

    model = Model.load("kws_dscnn.qdq.onnx")          # .onnx, .tflite, .net or .mlir
    model.run("quantize").run("inplace-alias", target="cortex-m55").run("arena-alloc", strategy="optimal")
    plan = model.plan()                                # buffers, offsets, intervals, arena size
    print(plan.arena_size, [(b.name, b.offset, b.size, b.first, b.last) for b in plan.buffers])
    header, source = model.emit_c()

A placement heuristic of your own only needs the plan's buffers: see
examples/custom_allocator.py, which tries one against the built-in strategies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from cmsis_opt.context import make_context
from cmsis_opt.errors import CompileError
from cmsis_opt.ir import SourceModule, parse_ir, print_ir
from cmsis_opt.passes import ALL_PASSES
from cmsis_opt.plan import Plan, read_plan


def load_module(path: str | Path) -> ModuleOp:
    """Any input the tools accept: a model file or textual IR."""
    path = str(path)
    suffix = Path(path).suffix.lower()
    if suffix in (".mlir", ".ir"):
        try:
            text = Path(path).read_text()
        except OSError as error:
            raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
        return parse_ir(text, path).module
    from cmsis_opt.frontends import import_model

    return import_model(path)


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
        """Apply one pass by its `cmsis-opt` name; options as keywords (dashes become underscores)."""
        if pass_name not in ALL_PASSES:
            raise CompileError(f"unknown pass '{pass_name}' (known: {', '.join(ALL_PASSES)})", "api")
        cls = ALL_PASSES[pass_name]()
        instance = cls(**{key.replace("-", "_"): value for key, value in options.items()})
        instance.apply(make_context(), self.module)
        SourceModule(self.module, {}, self.name).verify(stage=f"pass '{pass_name}'")
        return self

    def plan(self) -> Plan:
        return read_plan(self.module)

    def ir(self) -> str:
        return print_ir(self.module)

    def interpret(self, *inputs: np.ndarray) -> list[np.ndarray]:
        from cmsis_opt.interpreter import run_function

        return run_function(self.module, list(inputs))

    def emit_c(self, name: str | None = None) -> tuple[str, str]:
        """(header, source) of the planned module."""
        from cmsis_opt.backend.c import emit_c

        return emit_c(self.module, name or self.name)
