"""C99 emission: an arena-planned `cmsis` function becomes NAME.h / NAME.c calling CMSIS-NN.

    header, source = emit_c(module, "kws")

The generated code holds one static, aligned `int8_t` arena of exactly the
planned size (activations, graph inputs and outputs, kernel scratch, each at
its planned offset), `static const` weights and parameters (flash), and no
other state. Entry points: `NAME_input()` / `NAME_output()` (zero-copy
pointers into the arena; `_K` suffixed when there are several),
`NAME_invoke()` (0 or the first failing CMSIS-NN status) and `NAME_run()`.

`cmsis-opt -t c` prints both files into one stream, each after a marker line
(`// ----- NAME.h`, then `// ----- NAME.c`); `split_c_output` splits it.
`cmsis-compile` writes the two files itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Operation, SSAValue

from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.quant import UniformQuantizedType, format_float
from cmsis_opt.dialects.utils import ints, num_elements, shape_of, to_numpy
from cmsis_opt.errors import CompileError

DEFAULT_ALIGNMENT = 16
_MAX_LAYER_IDENT = 32
SOURCE_MARKER = "// ----- "
_WHERE = "C backend"


# -- the memory plan, as the backend sees it ------------------------------


@dataclass
class Region:
    offset: int
    size: int


@dataclass
class Layout:
    """Where every activation and scratch buffer lives in the arena."""

    size: int
    buffers: dict[SSAValue, Region] = field(default_factory=dict)
    scratch: dict[Operation, Region] = field(default_factory=dict)

    def of(self, value: SSAValue) -> Region:
        value = view_source(value)
        if value not in self.buffers:
            raise CompileError(f"no arena buffer for a value of type {value.type}", _WHERE)
        return self.buffers[value]


def view_source(value: SSAValue) -> SSAValue:
    """The value whose bytes `value` shares (through `cmsis.reshape` views)."""
    while isinstance(value.owner, cmsis.ReshapeOp):
        value = value.owner.input
    return value


def _align(n: int, alignment: int) -> int:
    return (n + alignment - 1) // alignment * alignment


def _fallback_scratch_bytes(op: Operation, target: str) -> int:
    """A safe upper bound of the kernel scratch, used only when the IR carries no arena.scratch."""
    try:
        from cmsis_opt.kernels import scratch_bytes  # the kernel models, when present
    except ImportError:
        scratch_bytes = None
    if scratch_bytes is not None:
        return int(scratch_bytes(op, target))
    if isinstance(op, cmsis.ConvOp | cmsis.DepthwiseConvOp):
        _, kh, kw, _ = op.filter.get_shape()
        channels = shape_of(op.input)[3] if isinstance(op, cmsis.ConvOp) else shape_of(op.output)[3]
        column = kh * kw * channels
        return max(4 * _align(column, 4), 4 * _align(column, 16)) + 4 * channels
    if isinstance(op, cmsis.AvgPoolOp):
        return 4 * shape_of(op.input)[3]
    if isinstance(op, cmsis.FullyConnectedOp):
        return 4 * shape_of(op.output)[1]
    return 0


def plan_layout(func: FuncOp, target: str, alignment: int) -> Layout:
    """The arena layout: the planned offsets if the IR has them, else every buffer in its own region."""
    buffers = [op for op in func.body.walk() if isinstance(op, arena.BufferOp)]
    scratches = [op for op in func.body.walk() if isinstance(op, arena.ScratchOp)]
    planned = buffers and all(op.get("offset") is not None for op in buffers + scratches)
    layout = Layout(0)
    if planned:
        from cmsis_opt.plan import read_plan

        plan = read_plan(func)
        for b in plan.buffers:
            region = Region(b.offset, b.size)
            if b.kind == "scratch":
                layout.scratch[b.value.owner] = region
            else:
                layout.buffers[view_source(b.value)] = region
        end = max(r.offset + r.size for r in [*layout.buffers.values(), *layout.scratch.values()])
        layout.size = plan.arena_size if plan.arena_size is not None else end
        if layout.size < end:
            raise CompileError(f"arena.size {layout.size} is smaller than the planned buffers' end {end}", _WHERE)
        return layout
    # trivial plan: graph inputs, then every op result and scratch, each in its own aligned region
    scratch_sizes = {op.value.owner: op.get("size") for op in scratches}
    offset = 0

    def place(size: int) -> Region:
        nonlocal offset
        region = Region(offset, size)
        offset = _align(offset + size, alignment)
        return region

    for arg in func.body.block.args:
        layout.buffers[arg] = place(_tensor_bytes(arg))
    for op in func.body.block.ops:
        if isinstance(op, cmsis.KERNEL_OPS):
            layout.buffers[op.results[0]] = place(_tensor_bytes(op.results[0]))
            size = scratch_sizes.get(op, _fallback_scratch_bytes(op, target))
            if size:
                layout.scratch[op] = place(size)
    layout.size = max(offset, 1)
    return layout


def _tensor_bytes(value: SSAValue) -> int:
    return num_elements(shape_of(value))


# -- C text helpers --------------------------------------------------------


def c_identifier(text: str) -> str:
    ident = re.sub(r"[^0-9A-Za-z_]", "_", text)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident


def _comment_text(text: str) -> str:
    return text.replace("*/", "* /").replace("\n", " ")


def _int_list(values: Sequence[int], per_line: int = 16) -> str:
    values = [str(int(v)) for v in values]
    lines = [", ".join(values[i : i + per_line]) for i in range(0, len(values), per_line)]
    return ",\n    ".join(lines)


def _shape_text(value: SSAValue) -> str:
    return "x".join(str(d) for d in shape_of(value))


def _quant(value: SSAValue) -> UniformQuantizedType:
    q = value.type.element_type  # type: ignore[union-attr]
    if not isinstance(q, UniformQuantizedType):
        raise CompileError(f"graph input/output of type {value.type} is not int8 quantized", _WHERE)
    return q


def _dims(values: Sequence[int]) -> str:
    n, h, w, c = values
    return f"{{.n = {n}, .h = {h}, .w = {w}, .c = {c}}}"


def _tile(hw: Sequence[int]) -> str:
    return f"{{.w = {hw[1]}, .h = {hw[0]}}}"


def _act(op: Operation) -> str:
    return f"{{.min = {op.act_min.value.data}, .max = {op.act_max.value.data}}}"


def _int(attr) -> int:
    return attr.value.data


# -- emission --------------------------------------------------------------


class _Emitter:
    def __init__(self, func: FuncOp, name: str, layout: Layout, alignment: int, target: str):
        self.func, self.name, self.layout, self.alignment, self.target = func, name, layout, alignment, target
        self.consts: list[str] = []
        self.body: list[str] = []
        self.used_names: set[str] = set()
        self.comment_at = 0

    # identifiers and data
    def layer_name(self, op: Operation, index: int) -> str:
        attr = op.attributes.get("layer")
        return attr.data if isinstance(attr, StringAttr) else f"{op.name.split('.')[1]}_{index}"

    def identifier_base(self, op: Operation, index: int) -> str:
        """The layer name when it is short enough to read in C, else `l<step>_<kind>`."""
        ident = c_identifier(self.layer_name(op, index))
        return ident if len(ident) <= _MAX_LAYER_IDENT else f"l{index}_{op.name.split('.')[1]}"

    def unique(self, base: str) -> str:
        ident, n = f"{self.name}_{c_identifier(base)}", 1
        while ident in self.used_names:
            n += 1
            ident = f"{self.name}_{c_identifier(base)}_{n}"
        self.used_names.add(ident)
        return ident

    def array(self, base: str, ctype: str, values: np.ndarray | Sequence[int]) -> str:
        ident = self.unique(base)
        flat = np.asarray(values).reshape(-1)
        self.consts.append(
            f"static const {ctype} {ident}[{max(flat.size, 1)}] {self.name.upper()}_ALIGNED = {{\n    {_int_list(flat)}\n}};"
        )
        return ident

    def struct(self, base: str, ctype: str, init: str) -> str:
        ident = self.unique(base)
        self.consts.append(f"static const {ctype} {ident} = {init};")
        return ident

    def ptr(self, value: SSAValue) -> str:
        offset = self.layout.of(value).offset
        return f"{self.name}_arena + {offset}"

    def ctx(self, op: Operation, base: str) -> str:
        region = self.layout.scratch.get(op)
        if region is None:
            init = "{.buf = NULL, .size = 0}"
        else:
            init = f"{{.buf = {self.name}_arena + {region.offset}, .size = {region.size}}}"
        return self.struct(base + "_ctx", "cmsis_nn_context", init)

    # calls
    def call(self, function: str, args: Sequence[str], returns_status: bool = True) -> None:
        joined = ", ".join(args)
        if len(joined) + len(function) > 90:
            joined = "\n        " + ",\n        ".join(args)
        if returns_status:
            self.body.append(f"    status = {function}({joined});")
            self.body.append("    if (status != ARM_CMSIS_NN_SUCCESS) {\n        return (int)status;\n    }")
        else:
            self.body.append(f"    {function}({joined});")

    def check_scratch(self, ctx: str, needed: str) -> None:
        """With CMSIS_OPT_CHECK_SCRATCH defined (host builds), fail if the kernel needs more scratch than planned."""
        self.before_comment(["#if defined(CMSIS_OPT_CHECK_SCRATCH)", f"    if ({needed} > {ctx}.size) {{",
                             "        return (int)ARM_CMSIS_NN_ARG_ERROR;", "    }", "#endif"])

    def before_comment(self, lines: list[str]) -> None:
        """Insert lines before the current op's comment, which stays right above its call."""
        self.body[self.comment_at:self.comment_at] = lines
        self.comment_at += len(lines)

    def comment(self, op: Operation, layer: str) -> None:
        ins = ", ".join(_shape_text(v) for v in op.operands)
        parts = [f"in @{'/'.join(str(self.layout.of(v).offset) for v in op.operands)}",
                 f"out @{self.layout.of(op.results[0]).offset}"]
        scratch = self.layout.scratch.get(op)
        if scratch is not None:
            parts.append(f"scratch @{scratch.offset} ({scratch.size} B)")
        text = f"{layer}: {op.name} {ins} -> {_shape_text(op.results[0])}; {', '.join(parts)}"
        self.comment_at = len(self.body)
        self.body.append(f"    /* {_comment_text(text)} */")

    def emit_op(self, op: Operation, index: int) -> None:
        self.comment(op, self.layer_name(op, index))
        _EMITTERS[type(op)](self, op, self.identifier_base(op, index))


def _emit_conv(e: _Emitter, op: cmsis.ConvOp, layer: str) -> None:
    n, h, w, c = shape_of(op.input)
    out = shape_of(op.output)
    filt = op.filter.get_shape()
    weights = e.array(layer + "_weights", "int8_t", to_numpy(op.filter))
    bias = e.array(layer + "_bias", "int32_t", to_numpy(op.bias)) if op.bias is not None else None
    mult = e.array(layer + "_multiplier", "int32_t", ints(op.multiplier))
    shift = e.array(layer + "_shift", "int32_t", ints(op.shift))
    params = e.struct(layer + "_params", "cmsis_nn_conv_params",
                      f"{{.input_offset = {_int(op.input_offset)}, .output_offset = {_int(op.output_offset)}, "
                      f".stride = {_tile(ints(op.stride))}, .padding = {_tile(ints(op.padding))}, "
                      f".dilation = {_tile(ints(op.dilation))}, .activation = {_act(op)}}}")
    quant = e.struct(layer + "_quant", "cmsis_nn_per_channel_quant_params",
                     f"{{.multiplier = (int32_t *){mult}, .shift = (int32_t *){shift}}}")
    dims = {k: e.struct(f"{layer}_{k}_dims", "cmsis_nn_dims", _dims(v)) for k, v in
            (("input", (n, h, w, c)), ("filter", filt), ("bias", (1, 1, 1, out[3])), ("output", out))}
    ctx = e.ctx(op, layer)
    args = [f"&{ctx}", f"&{params}", f"&{quant}", f"&{dims['input']}", e.ptr(op.input),
            f"&{dims['filter']}", weights, f"&{dims['bias']}", bias or "NULL"]
    if op.kernel is not None and op.kernel.data == "generic":
        upscale = e.struct(layer + "_upscale_dims", "cmsis_nn_dims", _dims((1, 1, 1, 1)))
        e.check_scratch(ctx, f"arm_convolve_s8_get_buffer_size(&{dims['input']}, &{dims['filter']})")
        e.call("arm_convolve_s8", [*args, f"&{upscale}", f"&{dims['output']}", e.ptr(op.output)])
    else:
        e.check_scratch(ctx, f"arm_convolve_wrapper_s8_get_buffer_size(&{params}, &{dims['input']}, "
                             f"&{dims['filter']}, &{dims['output']})")
        e.call("arm_convolve_wrapper_s8", [*args, f"&{dims['output']}", e.ptr(op.output)])


def _emit_depthwise(e: _Emitter, op: cmsis.DepthwiseConvOp, layer: str) -> None:
    in_shape, out = shape_of(op.input), shape_of(op.output)
    filt = op.filter.get_shape()
    weights = e.array(layer + "_weights", "int8_t", to_numpy(op.filter))
    bias = e.array(layer + "_bias", "int32_t", to_numpy(op.bias)) if op.bias is not None else None
    mult = e.array(layer + "_multiplier", "int32_t", ints(op.multiplier))
    shift = e.array(layer + "_shift", "int32_t", ints(op.shift))
    params = e.struct(layer + "_params", "cmsis_nn_dw_conv_params",
                      f"{{.input_offset = {_int(op.input_offset)}, .output_offset = {_int(op.output_offset)}, "
                      f".ch_mult = {op.channel_multiplier}, .stride = {_tile(ints(op.stride))}, "
                      f".padding = {_tile(ints(op.padding))}, .dilation = {_tile(ints(op.dilation))}, "
                      f".activation = {_act(op)}}}")
    quant = e.struct(layer + "_quant", "cmsis_nn_per_channel_quant_params",
                     f"{{.multiplier = (int32_t *){mult}, .shift = (int32_t *){shift}}}")
    dims = {k: e.struct(f"{layer}_{k}_dims", "cmsis_nn_dims", _dims(v)) for k, v in
            (("input", in_shape), ("filter", filt), ("bias", (1, 1, 1, out[3])), ("output", out))}
    ctx = e.ctx(op, layer)
    e.check_scratch(ctx, f"arm_depthwise_conv_wrapper_s8_get_buffer_size(&{params}, &{dims['input']}, "
                         f"&{dims['filter']}, &{dims['output']})")
    e.call("arm_depthwise_conv_wrapper_s8",
           [f"&{ctx}", f"&{params}", f"&{quant}", f"&{dims['input']}", e.ptr(op.input), f"&{dims['filter']}",
            weights, f"&{dims['bias']}", bias or "NULL", f"&{dims['output']}", e.ptr(op.output)])


def _emit_fully_connected(e: _Emitter, op: cmsis.FullyConnectedOp, layer: str) -> None:
    batches, depth = shape_of(op.input)
    _, rows = shape_of(op.output)
    weights = e.array(layer + "_weights", "int8_t", to_numpy(op.filter))
    bias = e.array(layer + "_bias", "int32_t", to_numpy(op.bias)) if op.bias is not None else None
    params = e.struct(layer + "_params", "cmsis_nn_fc_params",
                      f"{{.input_offset = {_int(op.input_offset)}, .filter_offset = 0, "
                      f".output_offset = {_int(op.output_offset)}, .activation = {_act(op)}}}")
    quant = e.struct(layer + "_quant", "cmsis_nn_per_tensor_quant_params",
                     f"{{.multiplier = {_int(op.multiplier)}, .shift = {_int(op.shift)}}}")
    dims = {k: e.struct(f"{layer}_{k}_dims", "cmsis_nn_dims", _dims(v)) for k, v in
            (("input", (batches, 1, 1, depth)), ("filter", (depth, 1, 1, rows)), ("bias", (1, 1, 1, rows)),
             ("output", (batches, 1, 1, rows)))}
    ctx = e.ctx(op, layer)
    e.check_scratch(ctx, f"arm_fully_connected_s8_get_buffer_size(&{dims['filter']})")
    if op in e.layout.scratch and e.target == "cortex-m55":
        # the MVE kernel reads precomputed kernel sums from its scratch (CMSIS-NN's arm_vector_sum_s8)
        e.before_comment(["#if defined(ARM_MATH_MVEI)",
                          f"    /* {_comment_text(layer)}: kernel sums of the weights for the MVE fully connected kernel */",
                          f"    status = arm_vector_sum_s8((int32_t *){ctx}.buf, {depth}, {rows}, {weights}, "
                          f"{_int(op.input_offset)}, 0, {bias or 'NULL'});",
                          "    if (status != ARM_CMSIS_NN_SUCCESS) {", "        return (int)status;", "    }", "#endif"])
    e.call("arm_fully_connected_s8",
           [f"&{ctx}", f"&{params}", f"&{quant}", f"&{dims['input']}", e.ptr(op.input), f"&{dims['filter']}",
            weights, f"&{dims['bias']}", bias or "NULL", f"&{dims['output']}", e.ptr(op.output)])


def _emit_pool(function: str) -> Callable[[_Emitter, Operation, str], None]:
    def emit(e: _Emitter, op: cmsis.MaxPoolOp | cmsis.AvgPoolOp, layer: str) -> None:
        params = e.struct(layer + "_params", "cmsis_nn_pool_params",
                          f"{{.stride = {_tile(ints(op.stride))}, .padding = {_tile(ints(op.padding))}, "
                          f".activation = {_act(op)}}}")
        kh, kw = ints(op.kernel)
        dims = {k: e.struct(f"{layer}_{k}_dims", "cmsis_nn_dims", _dims(v)) for k, v in
                (("input", shape_of(op.input)), ("filter", (1, kh, kw, 1)), ("output", shape_of(op.output)))}
        ctx = e.ctx(op, layer)
        if function == "arm_avgpool_s8":
            out = shape_of(op.output)
            e.check_scratch(ctx, f"arm_avgpool_s8_get_buffer_size({out[2]}, {out[3]})")
        e.call(function, [f"&{ctx}", f"&{params}", f"&{dims['input']}", e.ptr(op.input), f"&{dims['filter']}",
                          f"&{dims['output']}", e.ptr(op.output)])

    return emit


def _emit_softmax(e: _Emitter, op: cmsis.SoftmaxOp, layer: str) -> None:
    shape = shape_of(op.input)
    row = shape[-1]
    e.call("arm_softmax_s8",
           [e.ptr(op.input), str(num_elements(shape) // row), str(row), str(_int(op.input_multiplier)),
            str(_int(op.input_left_shift)), str(_int(op.diff_min)), e.ptr(op.output)], returns_status=False)


def _emit_add(e: _Emitter, op: cmsis.AddOp, layer: str) -> None:
    e.call("arm_elementwise_add_s8",
           [e.ptr(op.lhs), e.ptr(op.rhs),
            *(str(_int(getattr(op, f))) for f in ("input1_offset", "input1_multiplier", "input1_shift",
                                                 "input2_offset", "input2_multiplier", "input2_shift", "left_shift")),
            e.ptr(op.output),
            *(str(_int(getattr(op, f))) for f in ("output_offset", "output_multiplier", "output_shift", "act_min", "act_max")),
            str(num_elements(shape_of(op.output)))])


def _emit_mul(e: _Emitter, op: cmsis.MulOp, layer: str) -> None:
    e.call("arm_elementwise_mul_s8",
           [e.ptr(op.lhs), e.ptr(op.rhs), str(_int(op.input1_offset)), str(_int(op.input2_offset)), e.ptr(op.output),
            *(str(_int(getattr(op, f))) for f in ("output_offset", "output_multiplier", "output_shift", "act_min", "act_max")),
            str(num_elements(shape_of(op.output)))])


def _emit_pad(e: _Emitter, op: cmsis.PadOp, layer: str) -> None:
    dims = {k: e.struct(f"{layer}_{k}_dims", "cmsis_nn_dims", _dims(v)) for k, v in
            (("input", shape_of(op.input)), ("pre_pad", ints(op.pre_pad)), ("post_pad", ints(op.post_pad)))}
    pad_value = _quant(op.output).zero_point
    e.call("arm_pad_s8", [e.ptr(op.input), e.ptr(op.output), f"(int8_t){pad_value}",
                          f"&{dims['input']}", f"&{dims['pre_pad']}", f"&{dims['post_pad']}"])


_CONCAT_FUNCTIONS = {3: "x", 2: "y", 1: "z", 0: "w"}  # NHWC axis -> CMSIS-NN axis (x innermost)


def _emit_concat(e: _Emitter, op: cmsis.ConcatOp, layer: str) -> None:
    axis = _int(op.axis)
    letter = _CONCAT_FUNCTIONS[axis]
    out = shape_of(op.output)
    offset = 0
    for value in op.inputs:
        n, h, w, c = shape_of(value)
        args = [e.ptr(value), str(c), str(w), str(h), str(n), e.ptr(op.output)]
        if letter != "w":
            args.append(str(out[axis]))
        args.append(str(offset))
        e.call(f"arm_concatenation_s8_{letter}", args, returns_status=False)
        offset += shape_of(value)[axis]


_EMITTERS: dict[type, Callable] = {
    cmsis.ConvOp: _emit_conv,
    cmsis.DepthwiseConvOp: _emit_depthwise,
    cmsis.FullyConnectedOp: _emit_fully_connected,
    cmsis.MaxPoolOp: _emit_pool("arm_max_pool_s8"),
    cmsis.AvgPoolOp: _emit_pool("arm_avgpool_s8"),
    cmsis.SoftmaxOp: _emit_softmax,
    cmsis.AddOp: _emit_add,
    cmsis.MulOp: _emit_mul,
    cmsis.PadOp: _emit_pad,
    cmsis.ConcatOp: _emit_concat,
}


# -- the two files ----------------------------------------------------------


def _entry_names(kind: str, count: int) -> list[str]:
    return [kind] if count == 1 else [f"{kind}_{k}" for k in range(count)]


def _io_macros(prefix: str, value: SSAValue) -> list[str]:
    q = _quant(value)
    shape = shape_of(value)
    return [
        f"#define {prefix}_RANK {len(shape)}",
        f"#define {prefix}_SHAPE {{{', '.join(str(d) for d in shape)}}}",
        f"#define {prefix}_SIZE {num_elements(shape)}",
        f"#define {prefix}_SCALE {format_float(q.scale)}f",
        f"#define {prefix}_ZERO_POINT ({q.zero_point})",
    ]


def find_function(module: ModuleOp) -> FuncOp:
    funcs = [op for op in module.ops if isinstance(op, FuncOp)]
    if len(funcs) != 1:
        raise CompileError(f"expected one func.func in the module, found {len(funcs)}", _WHERE)
    return funcs[0]


def emit_c(module: ModuleOp, name: str | None = None, target: str | None = None,
           alignment: int | None = None) -> tuple[str, str]:
    """(header text, source text) of the C code for the module's one function."""
    func = find_function(module)
    name = c_identifier(name or func.sym_name.data)
    attr_target = func.attributes.get("arena.target")
    target = target or (attr_target.data if isinstance(attr_target, StringAttr) else "cortex-m4")
    if alignment is None:
        attr_align = func.attributes.get("arena.alignment")
        alignment = attr_align.value.data if isinstance(attr_align, IntegerAttr) else DEFAULT_ALIGNMENT
    alignment = max(int(alignment), 1)
    layout = plan_layout(func, target, alignment)
    emitter = _Emitter(func, name, layout, alignment, target)
    index = 0
    for op in func.body.block.ops:
        if isinstance(op, cmsis.KERNEL_OPS):
            emitter.emit_op(op, index)
            index += 1
        elif isinstance(op, cmsis.ReshapeOp | arena.BufferOp | arena.ScratchOp | arena.AliasOp | ReturnOp):
            continue
        else:
            raise CompileError(f"cannot emit C for '{op.name}': lower the model to the cmsis dialect first", _WHERE)
    inputs = list(func.body.block.args)
    ret = func.body.block.last_op
    outputs = list(ret.operands) if isinstance(ret, ReturnOp) else []
    return _header(name, layout, inputs, outputs, alignment), _source(emitter, inputs, outputs, index)


def _header(name: str, layout: Layout, inputs: list[SSAValue], outputs: list[SSAValue], alignment: int) -> str:
    up = name.upper()
    in_names, out_names = _entry_names("input", len(inputs)), _entry_names("output", len(outputs))
    lines = [
        f"/* {name}.h: generated by cmsis-opt. The network runs in one static arena of {layout.size} bytes. */",
        f"#ifndef {up}_H",
        f"#define {up}_H",
        "",
        "#include <stdint.h>",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
        f"/* Bytes of RAM the network uses (activations, inputs, outputs, kernel scratch), aligned to {alignment}. */",
        f"#define {up}_ARENA_SIZE {layout.size}",
        f"#define {up}_ARENA_ALIGNMENT {alignment}",
        f"#define {up}_NUM_INPUTS {len(inputs)}",
        f"#define {up}_NUM_OUTPUTS {len(outputs)}",
        "",
    ]
    for entry, value in zip(in_names, inputs):
        lines += _io_macros(f"{up}_{entry.upper()}", value)
    for entry, value in zip(out_names, outputs):
        lines += _io_macros(f"{up}_{entry.upper()}", value)
    lines += [""]
    for entry in in_names:
        lines += [
            f"/* Where to write {entry} ({up}_{entry.upper()}_SIZE int8 values, NHWC) before {name}_invoke().",
            f"   {name}_invoke() consumes it: its bytes may be reused, so write it again before every call. */",
            f"int8_t *{name}_{entry}(void);",
        ]
    for entry in out_names:
        lines += [f"/* Where {name}_invoke() leaves {entry} ({up}_{entry.upper()}_SIZE int8 values). */",
                  f"int8_t *{name}_{entry}(void);"]
    run_args = [f"const int8_t *{e}" for e in in_names] + [f"int8_t *{e}" for e in out_names]
    lines += [
        "",
        "/* Run the network on the arena: 0 on success, else the first failing CMSIS-NN status (negative). */",
        f"int {name}_invoke(void);",
        "",
        "/* Copy the input(s) in, invoke, copy the output(s) out. Returns what invoke returns. */",
        f"int {name}_run({', '.join(run_args)});",
        "",
        "#ifdef __cplusplus",
        "}",
        "#endif",
        "",
        f"#endif /* {up}_H */",
        "",
    ]
    return "\n".join(lines)


def _source(e: _Emitter, inputs: list[SSAValue], outputs: list[SSAValue], steps: int) -> str:
    name, up = e.name, e.name.upper()
    in_names, out_names = _entry_names("input", len(inputs)), _entry_names("output", len(outputs))
    lines = [
        f"/* {name}.c: generated by cmsis-opt ({e.target}); {steps} kernel calls. */",
        "#include <stddef.h>",
        "#include <stdint.h>",
        "#include <string.h>",
        "",
        '#include "arm_nnfunctions.h"',
        f'#include "{name}.h"',
        "",
        "#if defined(__GNUC__) || defined(__clang__)",
        f"#define {up}_ALIGNED __attribute__((aligned({e.alignment})))",
        "#else",
        f"#define {up}_ALIGNED",
        "#endif",
        "",
        "/* The only RAM: every activation, input, output and scratch buffer, at its planned offset. */",
        f"static int8_t {name}_arena[{up}_ARENA_SIZE] {up}_ALIGNED;",
        "",
        *e.consts,
        "",
    ]
    for entry, value in zip(in_names + out_names, inputs + outputs):
        lines += [f"int8_t *{name}_{entry}(void)", "{", f"    return {e.ptr(value)};", "}", ""]
    uses_status = any("status = " in line for line in e.body)
    lines += [f"int {name}_invoke(void)", "{"]
    if uses_status:
        lines += ["    arm_cmsis_nn_status status;", ""]
    lines += [*e.body, "    return 0;", "}", ""]
    run_args = [f"const int8_t *{x}" for x in in_names] + [f"int8_t *{x}" for x in out_names]
    lines += [f"int {name}_run({', '.join(run_args)})", "{", "    int status;"]
    for entry in in_names:
        lines.append(f"    memcpy({name}_{entry}(), {entry}, {up}_{entry.upper()}_SIZE);")
    lines += [f"    status = {name}_invoke();", "    if (status != 0) {", "        return status;", "    }"]
    for entry in out_names:
        lines.append(f"    memcpy({entry}, {name}_{entry}(), {up}_{entry.upper()}_SIZE);")
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines)


def print_c(module: ModuleOp) -> str:
    """`cmsis-opt -t c`: the header, a `// ----- NAME.c` marker line, then the source."""
    func = find_function(module)
    name = c_identifier(func.sym_name.data)
    header, source = emit_c(module, name)
    return f"{SOURCE_MARKER}{name}.h\n{header}{SOURCE_MARKER}{name}.c\n{source}"


def split_c_output(text: str) -> dict[str, str]:
    """Split `cmsis-opt -t c` output back into {file name: text}."""
    files: dict[str, str] = {}
    current = None
    for line in text.splitlines(keepends=True):
        if line.startswith(SOURCE_MARKER) and line.rstrip().endswith((".c", ".h")):
            current = line[len(SOURCE_MARKER):].strip()
            files[current] = ""
        elif current is not None:
            files[current] += line
    return files
