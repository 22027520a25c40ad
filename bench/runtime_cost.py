"""Runtime cost of in-place: instructions per inference of the host program, counted by callgrind."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
from common import figures, planned
from xdsl.dialects.builtin import StringAttr

from cmsis_opt.api import Model
from cmsis_opt.backend.c import emit_c
from cmsis_opt.dialects import cmsis
from cmsis_opt.dialects.utils import num_elements, shape_of
from cmsis_opt.hostbuild import HostModel, build_host, build_runtime
from cmsis_opt.plan import the_function


def host_program(model: Model, name: str, workdir: Path, runtime: list[Path]) -> Path:
    """Emit the planned model's C and build the host program (stdin: raw int8 input, stdout: output)."""
    header, source = emit_c(model.module, name)  # the target is the planned module's
    (workdir / f"{name}.h").write_text(header)
    (workdir / f"{name}.c").write_text(source)
    func = the_function(model.module)
    inputs = [num_elements(shape_of(a)) for a in func.body.block.args]
    outputs = [num_elements(shape_of(v)) for v in func.body.block.last_op.operands]
    build_host([workdir / f"{name}.c"], [HostModel(name, inputs, outputs)], workdir / f"{name}_host", runtime)
    return workdir / f"{name}_host"


def instructions(program: Path, name: str, data: bytes) -> tuple[int, bytes]:
    """Instructions executed inside NAME_invoke (one inference) and the program's output."""
    out_file = program.with_suffix(".callgrind")
    result = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                             f"--toggle-collect={name}_invoke", str(program)], input=data, capture_output=True,
                            timeout=600)
    found = re.search(rb"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"callgrind run of {program.name} failed: {result.stderr[-300:]!r}")
    return int(found.group(1)), result.stdout


def input_bytes(model: Model, seed: int = 0) -> bytes:
    func = the_function(model.module)
    rng = np.random.default_rng(seed)
    return b"".join(rng.integers(-128, 128, num_elements(shape_of(a)), dtype=np.int8).tobytes()
                    for a in func.body.block.args)


def _with_switches(base: Model, layers: set[str], target: str) -> Model:
    """Full in-place with exactly the 1x1 convolutions named in `layers` lowered to the generic kernel."""
    model = base.copy()
    for op in the_function(model.module).body.block.ops:
        if isinstance(op, cmsis.ConvOp) and "layer" in op.attributes and op.attributes["layer"].data in layers:
            op.properties["kernel"] = StringAttr("generic")
    return planned(model, inplace="full", target=target, kernel_switch="never")


def runtime_cost(models: dict[str, Model], workdir: Path, target: str = "cortex-m4") -> list[dict]:
    """Per model: instructions with in-place off, on (kernel-switch=never) and on (peak), and per switched layer."""
    workdir.mkdir(parents=True, exist_ok=True)
    runtime = build_runtime(workdir)
    rows = []
    for name, base in models.items():
        data = input_bytes(base)
        variants = {"off": planned(base, inplace="off", target=target),
                    "never": planned(base, inplace="full", target=target, kernel_switch="never"),
                    "peak": planned(base, inplace="full", target=target, kernel_switch="peak")}
        switched = figures(variants["peak"]).switched
        for layer in switched:
            variants[f"switch {layer}"] = _with_switches(base, {layer}, target)
        counted = {}
        for index, (key, model) in enumerate(variants.items()):
            cname = f"{re.sub(r'[^A-Za-z0-9]', '_', name)}_v{index}"
            program = host_program(model, cname, workdir, runtime)
            count, output = instructions(program, cname, data)
            counted[key] = {"instructions": count, "arena": figures(model).arena, "output": output}
        reference = counted["off"]
        row = {"model": name, "switched": switched,
               "outputs_equal": all(v["output"] == reference["output"] for v in counted.values())}
        for key, v in counted.items():
            row[key] = {"instructions": v["instructions"], "arena": v["arena"],
                        "ratio_vs_off": v["instructions"] / reference["instructions"],
                        "bytes_saved_vs_never": counted["never"]["arena"] - v["arena"],
                        "extra_instructions_vs_never": v["instructions"] - counted["never"]["instructions"]}
        rows.append(row)
    return rows
