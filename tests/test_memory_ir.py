"""Small cmsis-IR graphs for the memory tests, written as text from a few lines of Python.

Every activation is a 2-D int8 tensor `1 x N` (N bytes), so a test states
buffer sizes directly: `fc("b", "a", 64)` is a fully connected layer reading
%a and writing 64 bytes; `add("c", "a", "b")` adds two equal-sized tensors.
Neither needs scratch on the default target (cortex-m4). `reshape` makes a
view of the same shape (a view all the same: it has no buffer).
"""

from __future__ import annotations

from cmsis_opt.ir import parse_ir
from cmsis_opt.plan import memory_plan

Q = "!quant.uniform<i8:f32, 0.5:0>"


def ty(size: int) -> str:
    return f"tensor<1x{size}x{Q}>"


class Graph:
    """A function under construction: inputs, layers, outputs; `text()` gives the IR."""

    def __init__(self, name: str = "net"):
        self.name = name
        self.sizes: dict[str, int] = {}
        self.inputs: list[str] = []
        self.lines: list[str] = []
        self.outputs: list[str] = []

    def input(self, name: str, size: int) -> Graph:
        self.inputs.append(name)
        self.sizes[name] = size
        return self

    def fc(self, name: str, src: str, size: int, layer: str | None = None) -> Graph:
        k = self.sizes[src]
        attrs = (f"filter = dense<1> : tensor<{size}x{k}xi8>, multiplier = 1073741824 : i32, shift = 0 : i32, "
                 f"input_offset = 0 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32")
        if layer is not False:
            attrs += f', layer = "{layer or name}"'
        self.lines.append(f"%{name} = cmsis.fully_connected %{src} {{{attrs}}} : ({ty(k)}) -> {ty(size)}")
        self.sizes[name] = size
        return self

    def add(self, name: str, a: str, b: str) -> Graph:
        size = self.sizes[a]
        attrs = ", ".join(
            [f"{k} = 0 : i32" for k in ("input1_offset", "input2_offset", "output_offset", "input1_shift", "input2_shift", "output_shift", "left_shift")]
            + [f"{k} = 1073741824 : i32" for k in ("input1_multiplier", "input2_multiplier", "output_multiplier")]
            + ["act_min = -128 : i32", "act_max = 127 : i32", f'layer = "{name}"']
        )
        self.lines.append(f"%{name} = cmsis.add %{a}, %{b} {{{attrs}}} : ({ty(size)}, {ty(size)}) -> {ty(size)}")
        self.sizes[name] = size
        return self

    def reshape(self, name: str, src: str) -> Graph:
        size = self.sizes[src]
        self.lines.append(f"%{name} = cmsis.reshape %{src} : ({ty(size)}) -> {ty(size)}")
        self.sizes[name] = size
        return self

    def output(self, *names: str) -> Graph:
        self.outputs.extend(names)
        return self

    def text(self) -> str:
        args = ", ".join(f"%{n}: {ty(self.sizes[n])}" for n in self.inputs)
        results = ", ".join(ty(self.sizes[n]) for n in self.outputs)
        body = "\n".join(f"  {line}" for line in self.lines)
        ret = f"  func.return {', '.join('%' + n for n in self.outputs)} : {results}"
        return f"func.func @{self.name}({args}) -> ({results}) {{\n{body}\n{ret}\n}}\n"


def chain(*sizes: int) -> Graph:
    """input (sizes[0] bytes) -> fc -> fc ... ; the last layer is the output."""
    g = Graph().input("x", sizes[0])
    prev = "x"
    for i, size in enumerate(sizes[1:]):
        g.fc(f"l{i}", prev, size)
        prev = f"l{i}"
    return g.output(prev)


def module_of(text: str):
    return parse_ir(text, "test.mlir").module


def test_a_chain_parses_and_has_one_kernel_per_layer():
    plan = memory_plan(module_of(chain(10, 20, 30).text()))
    assert len(plan.steps) == 2
    # the analysis derives one buffer per input and kernel result; none is recorded in the IR yet
    assert [(b.name, b.size, b.first, b.last, b.op, b.offset) for b in plan.buffers] == [
        ("input", 10, 0, 0, None, None), ("l0", 20, 0, 1, None, None), ("l1", 30, 1, 1, None, None)]


def test_reshape_views_and_adds_parse():
    g = Graph().input("x", 8).fc("a", "x", 16).fc("b", "x", 16).add("c", "a", "b").reshape("r", "c").output("r")
    plan = memory_plan(module_of(g.text()))
    assert [op.name for op in plan.steps] == ["cmsis.fully_connected"] * 2 + ["cmsis.add"]
