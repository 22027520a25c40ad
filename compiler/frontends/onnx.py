"""ONNX -> `nn` dialect.

Reads float models and QDQ models as exporters write them (tf2onnx,
onnxruntime's quantizer): `DequantizeLinear -> op -> QuantizeLinear`
sandwiches, int8 weights with per-channel scales, int32 biases behind their
own `DequantizeLinear`, Transposes around NHWC graph inputs. Each node maps to
the `nn` op with the same semantics; constants (initializers, `Constant`
nodes, `DequantizeLinear` of a constant) become `nn.constant` ops where an op
needs them as operands, and are folded where an op needs their value (Reshape
shapes, Pad amounts, Clip bounds). Result shapes are computed here, op by op;
every shape must be static (a symbolic batch dimension is pinned to 1).

The forms PyTorch's exporters write around the layers are read as well
(`onnx_forms`): weights in an external data file beside the model, Reshape
targets computed by Shape / Gather / Concat chains (folded once every input
is a constant), the operator versions of opsets 13 to 21, and weight-only
quantized models (a float graph whose weights are DequantizeLinear of integer
constants), which import as float models with the dequantized weights.

CMSIS-NN window ops take the top/left padding only and imply the far side
from the output size (at most the near side + 1). Conv pads beyond that (say
[1, 0, 1, 2]) move to an explicit `nn.pad` of real 0 before the convolution
(`explicit_pad`: exact, and --fold-pads folds it back where the op can
express it); pool pads beyond it are refused, naming the node.

Whatever the importer does not handle exactly is a `CompileError` naming the
node: `node 'NAME' (OpType): <what> is not supported; supported: ...`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr, f32
from xdsl.ir import Attribute, Operation, SSAValue

from cmsis_opt import lut
from cmsis_opt.diagnostics import plural
from cmsis_opt.dialects import nn
from cmsis_opt.dialects.quant import UniformQuantizedType, quant_of
from cmsis_opt.dialects.utils import (
    broadcast_shape,
    conv_out_size,
    i64_array,
    num_elements,
    shape_of,
    window_expressible,
)
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends.graph import (
    I4,
    I8,
    I16,
    I32,
    GraphBuilder,
    QuantizationError,
    ceil_mode_end_pad,
    element_of,
    float_tensor,
    function_name,
    is_quantized,
    quant_element,
    same_padding,
    tensor_of,
)
from cmsis_opt.frontends.onnx_forms import FOLDABLE_OPS, evaluate, load_external_data

# ONNX TensorProto data types this importer accepts, by where they may appear.
_FLOAT, _INT8, _INT16, _INT32, _INT64, _INT4 = 1, 3, 5, 6, 7, 22
_DTYPE_NAMES = {
    1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
    9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128",
    16: "bfloat16", 17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz",
    21: "uint4", 22: "int4", 23: "float4e2m1",
}

# What to do about uint8 tensors in a QDQ model (onnxruntime's quantize_static defaults to uint8 activations).
_INT8_HINT = (" (with onnxruntime: quantize_static(..., activation_type=QuantType.QInt8, "
              "weight_type=QuantType.QInt8))")
# How onnxruntime writes int16 activations the s16 kernels take (A16W8: zero point 0, int8 weights).
_INT16_HINT = (" (with onnxruntime: quantize_static(..., activation_type=QuantType.QInt16, "
               "weight_type=QuantType.QInt8, extra_options={'ActivationSymmetric': True}))")
# Activation element types by their zero point's numpy type: int8, and int16 (A16W8, CMSIS-NN's s16 kernels).
_ACTIVATION_STORAGE = {np.dtype(np.int8): I8, np.dtype(np.int16): I16}

# Element-wise ops a table region may hold (`plan_table_regions`), and those that make one worth a table.
_TABLE_OPS = frozenset({"Add", "Sub", "Mul", "Div", "Erf", "Neg", "Abs", "Exp", "Sqrt", "Relu", "Clip", "Sigmoid",
                        "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Softplus", "QuantizeLinear",
                        "DequantizeLinear"})
_TABLE_TRIGGERS = frozenset({"Sub", "Div", "Erf", "Neg", "Abs", "Exp", "Sqrt"})
_Q_DQ = ("QuantizeLinear", "DequantizeLinear")

# Ops that only move int8 codes around: a quantized value passes through them unchanged in scale.
_LAYOUT_OPS = ("Reshape", "Flatten", "Transpose", "Identity", "Squeeze", "Unsqueeze")


def dtype_name(code: int) -> str:
    return _DTYPE_NAMES.get(code, f"type #{code}")


def load_model(path: str):
    """Parse an ONNX file; any damage is one CompileError."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
    if not data:
        raise CompileError("the file is empty: expected an ONNX model", path)
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError, UnicodeDecodeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CompileError(f"not a valid ONNX model ({detail})", path) from None
    if not model.HasField("graph") or not model.graph.node:
        raise CompileError("not a valid ONNX model (no graph or an empty graph)", path)
    load_external_data(model, path)
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, UnicodeDecodeError, ValueError, RuntimeError) as error:
        detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CompileError(f"not a valid ONNX model: {detail}", path) from None
    return model


def import_onnx(path: str, name: str | None = None) -> ModuleOp:
    """Import the ONNX model at `path` as a module holding one `func.func`."""
    model = load_model(path)
    return _Importer(model, path, name or function_name(path)).run()


class _Importer:
    def __init__(self, model, path: str, name: str):
        from onnx import numpy_helper

        self.model = model
        self.graph = model.graph
        self.path = path
        self.name = name
        self.numpy_helper = numpy_helper
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.values: dict[str, SSAValue] = {}
        self.consts: dict[str, np.ndarray | _Unsupported] = {}
        # DequantizeLinear of a constant: stored codes, their quantized element type, the node's name
        self.qconsts: dict[str, tuple[np.ndarray, UniformQuantizedType, str]] = {}
        self.folded_bn: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # BatchNormalization output: (weight, bias)
        self.skip: set[int] = set()
        self.fused: dict[str, tuple[str, str, dict[str, float]]] = {}  # output -> (activation kind, input, params)
        self.tables: dict[str, tuple[str, lut.GridValues]] = {}  # region output -> (int8 source, its table)
        self._builder: GraphBuilder | None = None
        self.initializers = {init.name: init for init in model.graph.initializer}
        self.inferred_types: dict[str, int] | None = None  # element types by tensor name, inferred on demand

    @property
    def builder(self) -> GraphBuilder:
        """The function being built: run() starts it before it converts any node."""
        assert self._builder is not None
        return self._builder

    # -- errors ---------------------------------------------------------------
    def fail(self, node, message: str) -> CompileError:
        return CompileError(f"node '{node.name or node.output[0]}' ({node.op_type}): {message}", self.path)

    def unsupported(self, node, what: str, supported: str) -> CompileError:
        return self.fail(node, f"{what} is not supported; supported: {supported}")

    def check_finite(self, node, name: str, value: np.ndarray) -> None:
        """Refuse a float constant holding Inf or NaN at the node that reads it: calibration would see an
        infinite range, and no int8 scale stands for such a weight."""
        if value.dtype.kind != "f" or np.isfinite(value).all():
            return
        kind = "initializer" if name in self.initializers else "constant"
        inputs = list(node.input)
        role = "constant operand"
        if node.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul") and name in inputs[1:3]:
            role = "weight" if inputs[1] == name else "bias"
        raise self.fail(node, f"{kind} '{name}' holds Inf/NaN values: a {role} must be finite")

    # -- setup ----------------------------------------------------------------
    def run(self) -> ModuleOp:
        for init in self.graph.initializer:
            self.consts[init.name] = self.tensor_array(init)
        self.check_uint8_activations()
        self.check_int16_activations()
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        input_quant = self.graph_input_quant(inputs)
        types = []
        for info in inputs:
            element, shape = self.input_signature(info)
            if element != "float32":
                types.append((info.name, tensor_of(input_quant[info.name], shape)))
            else:
                types.append((info.name, float_tensor(shape)))
        self._builder = GraphBuilder(self.name, types)
        for info, arg in zip(inputs, self.builder.args, strict=True):
            self.values[info.name] = arg
        self.fold_constants_ahead()
        self.plan_batchnorm_folding()
        lonely_erfs = self.plan_fused_activations()
        self.plan_table_regions()
        for index in lonely_erfs:
            node = self.graph.node[index]
            if index not in self.skip and node.output[0] not in self.tables:
                raise self.unsupported(
                    node, "Erf outside GELU's x * 0.5 * (1 + Erf(x / sqrt(2)))",
                    "Erf inside that GELU pattern (or export Gelu, opset 20), or in a chain of element-wise ops "
                    "from one int8 tensor's DequantizeLinear to a QuantizeLinear (one table)")
        for index, node in enumerate(self.graph.node):
            if index not in self.skip:
                self.convert(node)
        outputs = []
        for info in self.graph.output:
            if info.name not in self.values:
                raise CompileError(f"graph output '{info.name}' is a constant or is never computed; "
                                   "only computed outputs are supported", self.path)
            outputs.append(self.values[info.name])
            self.check_declared_shape(info, outputs[-1])
        return self.builder.finish(outputs)

    def check_declared_shape(self, info, value: SSAValue) -> None:
        """A graph output whose declared static shape is not the shape the graph computes is an error (the C
        API would give another shape than the model says); symbolic or unknown dimensions match any size."""
        if not info.type.HasField("tensor_type") or not info.type.tensor_type.HasField("shape"):
            return
        declared = [d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim]
        computed = list(shape_of(value))
        if len(declared) == len(computed) and all(d in (None, c) for d, c in zip(declared, computed, strict=True)):
            return
        said = "x".join("?" if d is None else str(d) for d in declared) or "a scalar"
        raise CompileError(f"graph output '{info.name}' is declared {said} but the graph computes "
                           f"{'x'.join(map(str, computed)) or 'a scalar'}: correct the output's shape in the model "
                           "(or clear it: onnx.shape_inference fills it in)", self.path)

    def tensor_array(self, tensor) -> np.ndarray | _Unsupported:
        if tensor.data_location == 1:  # EXTERNAL
            raise CompileError(f"initializer '{tensor.name}': external data is not supported; "
                               "supported: data stored in the model file", self.path)
        if tensor.data_type not in (_FLOAT, _INT8, _INT16, _INT32, _INT64, _INT4):
            # Unusual constants are an error only where they are used.
            return _Unsupported(tensor.data_type)
        try:
            return np.array(self.numpy_helper.to_array(tensor))
        except Exception as error:  # damaged raw data
            raise CompileError(f"initializer '{tensor.name}' cannot be read ({error})", self.path) from None

    def input_signature(self, info) -> tuple[str, list[int]]:
        tensor_type = info.type.tensor_type
        if not info.type.HasField("tensor_type"):
            raise CompileError(f"graph input '{info.name}': only tensor inputs are supported", self.path)
        code = tensor_type.elem_type
        if code not in (_FLOAT, _INT8, _INT16):
            raise CompileError(f"graph input '{info.name}': element type {dtype_name(code)} is not supported; "
                               "supported: float32, int8, int16", self.path)
        if not tensor_type.HasField("shape"):
            raise CompileError(
                f"graph input '{info.name}': the shape is unknown; a static shape is required", self.path)
        shape = []
        for axis, dim in enumerate(tensor_type.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                shape.append(dim.dim_value)
            elif dim.HasField("dim_value"):
                raise CompileError(f"graph input '{info.name}': dimension {axis} is {dim.dim_value}; "
                                   "every dimension must be at least 1", self.path)
            elif axis == 0:
                shape.append(1)  # a symbolic batch dimension: one sample at a time
            else:
                label = dim.dim_param or "?"
                raise CompileError(f"graph input '{info.name}': dimension {axis} is dynamic ('{label}'); "
                                   "only the batch dimension may be symbolic", self.path)
        readers = [node.op_type for node in self.graph.node if info.name in node.input]
        sequence = bool(readers) and all(op_type in _REFUSED for op_type in readers)
        if shape and shape[0] != 1 and not sequence:  # an LSTM's axis 0 is time: refused with its own reason
            raise CompileError(
                f"graph input '{info.name}': batch size {shape[0]} is not supported; supported: batch 1", self.path)
        return {_INT8: "int8", _INT16: "int16"}.get(code, "float32"), shape

    def zero_point_kind(self, node) -> str | None:
        """The element type a QuantizeLinear writes, from its zero point initializer (uint8 without one), or
        None when that is not an initializer."""
        if len(node.input) < 3 or not node.input[2]:
            return "uint8"
        value = self.consts.get(node.input[2])
        if isinstance(value, _Unsupported):
            return dtype_name(value.code)
        return None if value is None else value.dtype.name

    def check_uint8_activations(self) -> None:
        """Refuse a QDQ model with uint8 activations at its first activation QuantizeLinear.

        onnxruntime's quantize_static quantizes activations to uint8 by default, and then also the constants
        it treats as activations (an Add's bias after a MatMul): naming the first uint8 node in graph order
        would blame such a constant, or a weight, for the activation type. Raises CompileError naming the
        node, how many activation tensors are uint8, and the quantize_static setting(s) to change.
        """
        quantizes = [n for n in self.graph.node if n.op_type == "QuantizeLinear" and n.input[0] not in self.consts]
        uint8 = [n for n in quantizes if self.zero_point_kind(n) == "uint8"]
        if not uint8:
            return
        weights = any(n.op_type == "DequantizeLinear" and _kind_of(self.consts.get(n.input[0])) == "uint8"
                      and self.is_weight(n.output[0]) for n in self.graph.node)
        setting = "activation_type=QuantType.QInt8" + (", weight_type=QuantType.QInt8" if weights else "")
        count = (f"{len(uint8)} of {plural(len(quantizes), 'activation QuantizeLinear node')} "
                 f"write{'s' if len(uint8) == 1 else ''} uint8")
        raise self.unsupported(
            uint8[0], f"uint8 quantization of activations ({count})",
            f"int8 with an explicit int8 zero point (with onnxruntime: quantize_static(..., {setting}))")

    def check_int16_activations(self) -> None:
        """Refuse 16-bit activations the s16 kernels cannot take, at the first such QuantizeLinear.

        CMSIS-NN's s16 kernels (TFLite's 16x8 scheme) take int16 activations with zero point 0. onnxruntime's
        quantize_static with activation_type=QInt16 picks asymmetric zero points unless
        extra_options={'ActivationSymmetric': True}; QUInt16 writes uint16. Raises CompileError naming the
        node, how many activation tensors are affected, and the quantize_static setting to change.
        """
        quantizes = [n for n in self.graph.node if n.op_type == "QuantizeLinear" and n.input[0] not in self.consts]
        for kind, what in (("uint16", "uint16 quantization of activations"),
                           ("int16", "int16 activations with a non-zero zero point")):
            bad = [n for n in quantizes if self.zero_point_kind(n) == kind
                   and (kind == "uint16" or np.any(self.consts[n.input[2]] != 0))]
            if bad:
                count = (f"{len(bad)} of {plural(len(quantizes), 'activation QuantizeLinear node')} "
                         f"write{'s' if len(bad) == 1 else ''} {'uint16' if kind == 'uint16' else 'them'}")
                raise self.unsupported(bad[0], f"{what} ({count})",
                                       f"int8, or int16 with zero point 0 (CMSIS-NN's s16 kernels){_INT16_HINT}")

    def activation_dtype(self, node) -> type[np.integer]:
        """The numpy type of the codes a QuantizeLinear / DequantizeLinear of an activation works on: int16 when
        its zero point is an int16 constant (or its output_dtype says int16), else int8 (what qparams
        expects, so any other zero point type is refused there as before)."""
        if _kind_of(self.consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None) == "int16":
            return np.int16
        return np.int16 if self.attrs(node).get("output_dtype", 0) == _INT16 else np.int8

    def is_weight(self, name: str) -> bool:
        """Whether a tensor is read as a Conv / ConvTranspose / Gemm / MatMul weight (their input 1)."""
        return any(n.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul") and len(n.input) > 1
                   and n.input[1] == name for n in self.graph.node)

    def graph_input_quant(self, inputs) -> dict[str, UniformQuantizedType]:
        """Scale and zero point of each int8 graph input, read from the DequantizeLinear that consumes it."""
        consumers: dict[str, list] = {}
        for node in self.graph.node:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        result = {}
        for info in inputs:
            code = info.type.tensor_type.elem_type
            if code not in (_INT8, _INT16):
                continue
            dtype = np.int16 if code == _INT16 else np.int8
            found, pending, seen = set(), [info.name], set()
            while pending:
                name = pending.pop()
                if name in seen:
                    continue
                seen.add(name)
                for node in consumers.get(name, []):
                    if node.op_type in _LAYOUT_OPS and node.input[0] == name:
                        pending.append(node.output[0])
                    elif node.op_type == "DequantizeLinear" and node.input[0] == name:
                        scale, zp = self.qparams(node, expect=dtype)
                        if np.size(scale) != 1:
                            raise self.unsupported(
                                node, f"per-axis dequantization of the graph input '{info.name}'",
                                "one scale for an input")
                        found.add((float(np.ravel(scale)[0]), int(np.ravel(zp)[0])))
            if len(found) != 1:
                what = ("no DequantizeLinear reads it" if not found
                        else "its DequantizeLinear nodes disagree on scale and zero point")
                raise CompileError(f"{np.dtype(dtype).name} graph input '{info.name}': {what}, so its quantization "
                                   "is unknown", self.path)
            scale, zp = found.pop()
            try:
                result[info.name] = quant_element(scale, zp, storage=_ACTIVATION_STORAGE[np.dtype(dtype)])
            except QuantizationError as error:
                raise CompileError(f"{np.dtype(dtype).name} graph input '{info.name}': invalid quantization "
                                   f"parameters: {error}", self.path) from None
        return result

    # -- values -----------------------------------------------------------------
    def const(self, name: str, node, what: str) -> np.ndarray:
        """The folded value of a constant input (a DequantizeLinear of a constant gives its real values)."""
        if name in self.consts:
            value = self.consts[name]
            if isinstance(value, _Unsupported):
                raise self.unsupported(
                    node, f"{what} of type {dtype_name(value.code)}", "float32, int8, int32, int64 constants")
            return value
        if name in self.qconsts:
            stored, q, _ = self.qconsts[name]
            return _dequantize_array(stored, q)
        raise self.unsupported(
            node, f"a computed {what} ('{name}')", f"a constant {what} (initializer or Constant node)")

    def is_const(self, name: str) -> bool:
        return name in self.consts or name in self.qconsts

    def operand(self, name: str, node) -> SSAValue:
        """The SSA value of an input, materializing constants as `nn.constant` (+ `nn.dequantize`)."""
        if name in self.values:
            return self.values[name]
        b = self.builder
        if name in self.qconsts:
            stored, q, layer = self.qconsts[name]
            codes = b.constant(stored, layer, q, name=name + "_q")
            self.values[name] = b.dequantize(codes, layer, name)
            return self.values[name]
        if name in self.consts:
            value = self.consts[name]
            if isinstance(value, _Unsupported) or value.dtype != np.float32:
                kind = dtype_name(value.code) if isinstance(value, _Unsupported) else str(value.dtype)
                raise self.unsupported(
                    node, f"a {kind} constant operand ('{name}')",
                    "float32 constants, or int8/int32 constants behind a DequantizeLinear")
            self.check_finite(node, name, value)
            self.values[name] = b.constant(value, name, name=name)
            return self.values[name]
        raise self.fail(node, f"input '{name}' is not produced by any node, initializer or graph input")

    def bind(self, node, value: SSAValue) -> None:
        self.values[node.output[0]] = value

    def layer(self, node) -> str:
        name = node.name or node.output[0]
        # protobuf keeps invalid UTF-8 as bytes
        return name.decode("utf-8", "replace") if isinstance(name, bytes) else name

    # -- attributes -------------------------------------------------------------
    def attrs(self, node) -> dict:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def check_attrs(self, node, attrs: dict, known: Sequence[str]) -> None:
        for key in attrs:
            if key not in known:
                raise self.unsupported(node, f"attribute '{key}'", ", ".join(known) or "no attributes")

    def check_arity(self, node, low: int, high: int) -> list[str]:
        names = list(node.input)
        while names and names[-1] == "":
            names.pop()
        if not low <= len(names) <= high:
            raise self.fail(node, f"expected {low}..{high} inputs, got {len(names)}")
        return names

    # -- dispatch ---------------------------------------------------------------
    def convert(self, node) -> None:
        if node.output and node.output[0] in self.tables:
            source, table = self.tables[node.output[0]]
            op = nn.ActivationOp(self.float_operand(source, node), lut.TABLE, table=table)
            self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))
            return
        if node.output and node.output[0] in self.fused:
            self.on_fused_activation(node, *self.fused[node.output[0]])
            return
        if node.domain not in ("", "ai.onnx"):
            raise self.unsupported(
                node, f"op domain '{node.domain}'", "the default ONNX domain; ops: " + ", ".join(sorted(_HANDLERS)))
        if self.fold_constant_node(node):
            return
        handler = _HANDLERS.get(node.op_type)
        if handler is None and node.op_type in _REFUSED:
            raise self.fail(node, _REFUSED[node.op_type])
        if handler is None:
            raise self.unsupported(node, "this op", ", ".join(sorted(_HANDLERS)))
        if len([o for o in node.output if o]) > 1 and node.op_type not in ("BatchNormalization",):
            raise self.unsupported(node, "a second output", "one output")
        try:
            handler(self, node)
        except QuantizationError as error:
            raise self.fail(node, f"invalid quantization parameters: {error}") from None

    # -- constants and quantization ------------------------------------------------
    def on_constant(self, node) -> None:
        from onnx import helper

        attrs = {a.name: a for a in node.attribute}
        if "value" in attrs:
            self.consts[node.output[0]] = self.tensor_array(helper.get_attribute_value(attrs["value"]))
            return
        scalars = {"value_float": np.float32, "value_floats": np.float32, "value_int": np.int64, "value_ints": np.int64}
        for key, dtype in scalars.items():
            if key in attrs:
                self.consts[node.output[0]] = np.array(helper.get_attribute_value(attrs[key]), dtype=dtype)
                return
        raise self.unsupported(node, f"attribute '{next(iter(attrs), '?')}'", "value, value_float(s), value_int(s)")

    def qparams(self, node, expect) -> tuple[np.ndarray, np.ndarray]:
        """Scale (float32) and zero point of a (De)QuantizeLinear; the zero point must have type `expect`."""
        names = self.check_arity(node, 2, 3)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("axis", "saturate", "output_dtype", "block_size"))
        if attrs.get("block_size", 0):
            raise self.unsupported(node, "blocked quantization (block_size)", "per-tensor and per-axis quantization")
        scale = self.const(names[1], node, "scale")
        if scale.dtype != np.float32:
            raise self.unsupported(node, f"a {scale.dtype} scale", "float32 scales")
        if scale.ndim > 1:
            raise self.unsupported(node, f"a rank-{scale.ndim} scale", "a scalar or 1-D scale")
        if len(names) < 3:
            zp = np.zeros(scale.shape, dtype=np.uint8 if node.op_type == "QuantizeLinear" else expect)
        elif isinstance(unread := self.consts.get(names[2]), _Unsupported):
            kind = dtype_name(unread.code)
            hint = _INT8_HINT if kind == "uint8" and expect == np.int8 else ""
            raise self.unsupported(
                node, f"{kind} quantization",
                f"{np.dtype(expect).name} with an explicit {np.dtype(expect).name} zero point{hint}")
        else:
            zp = self.const(names[2], node, "zero point")
        if node.op_type == "QuantizeLinear" and attrs.get("output_dtype", 0) not in (0, _INT8, _INT16):
            raise self.unsupported(node, f"output type {dtype_name(attrs['output_dtype'])}", "int8, int16")
        if zp.dtype != expect:
            what = f"{zp.dtype.name} quantization" if len(names) > 2 else "quantization without a zero point (uint8)"
            hint = _INT8_HINT if zp.dtype == np.uint8 and expect == np.int8 else ""
            raise self.unsupported(
                node, what, f"{np.dtype(expect).name} with an explicit {np.dtype(expect).name} zero point{hint}")
        bad = np.flatnonzero(~(np.isfinite(scale) & (scale > 0)))
        if bad.size:
            where = f" (entry {bad[0]} of {scale.size})" if scale.size > 1 else ""
            raise self.fail(node, f"scales must be positive and finite: '{names[1]}' holds "
                                  f"{float(scale.reshape(-1)[bad[0]]):g}{where}")
        return scale, zp

    def axis_of(self, node, scale: np.ndarray, rank: int) -> int | None:
        """None for per-tensor quantization: a scalar scale, or a 1-D scale of one element
        (as onnxruntime writes biases)."""
        if scale.ndim == 0 or scale.size == 1:
            return None
        axis = self.attrs(node).get("axis", 1)
        return axis + rank if axis < 0 else axis

    def on_dequantize(self, node) -> None:
        x = node.input[0]
        stored = self.consts.get(x)
        if isinstance(stored, np.ndarray) and stored.dtype.name == "int4":  # opset 21: packed int4 weights
            scale, zp = self.qparams(node, expect=stored.dtype.type)
            axis = self.axis_of(node, scale, stored.ndim)
            if axis is not None and not (0 <= axis < stored.ndim and stored.shape[axis] == scale.size):
                raise self.fail(node, f"{scale.size} scales do not match axis {axis} of shape {list(stored.shape)}")
            codes = np.ascontiguousarray(stored.astype(np.int8))
            q = quant_element(scale, zp.astype(np.int8), axis, I4)
            self.qconsts[node.output[0]] = (codes, q, self.layer(node))
            return
        if isinstance(stored, np.ndarray) and stored.dtype in (np.int8, np.int16, np.int32):
            scale, zp = self.qparams(node, expect=stored.dtype.type)
            axis = self.axis_of(node, scale, stored.ndim)
            storage = {np.dtype(np.int8): I8, np.dtype(np.int16): I16}.get(stored.dtype, I32)
            if axis is not None and not (0 <= axis < stored.ndim and stored.shape[axis] == scale.size):
                raise self.fail(node, f"{scale.size} scales do not match axis {axis} of shape {list(stored.shape)}")
            q = quant_element(scale, zp, axis, storage)
            self.qconsts[node.output[0]] = (stored, q, self.layer(node))
            return
        if x in self.consts:
            value = self.consts[x]
            kind = _kind_of(value)
            hint = " (with onnxruntime: quantize_static(..., weight_type=QuantType.QInt8))" if kind == "uint8" else ""
            raise self.unsupported(node, f"dequantizing a {kind} constant", f"int8 weights and int32 biases{hint}")
        value = self.operand(x, node)
        if not is_quantized(value):
            raise self.fail(node, f"input '{x}' is not an int8 or int16 tensor")
        q = element_of(value)
        assert isinstance(q, UniformQuantizedType)
        scale, zp = self.qparams(node, expect=np.int16 if q.storage_type == I16 else np.int8)
        axis = self.axis_of(node, scale, len(shape_of(value)))
        expected = quant_element(scale, zp, axis, q.storage_type)
        if expected != q:
            raise self.unsupported(
                node, f"dequantizing with {expected} a tensor quantized as {q}",
                "the scale and zero point it was quantized with")
        self.bind(node, self.builder.dequantize(value, self.layer(node), node.output[0]))

    def on_quantize(self, node) -> None:
        constant = self.consts.get(node.input[0])
        if node.input[0] not in self.values and isinstance(constant, np.ndarray) and constant.dtype == np.float32:
            # onnxruntime quantizes a constant operand of Mul / Add like an activation: its codes are a
            # constant, which the DequantizeLinear after it reads as it reads weights
            scale, zp = self.qparams(node, expect=self.activation_dtype(node))
            try:
                self.consts[node.output[0]] = evaluate(node, [constant, scale, zp], self.model.opset_import)[0]
            except ValueError as error:
                raise self.fail(node, f"cannot quantize its constant input: {error}") from None
            return
        value = self.float_operand(node.input[0], node)
        dtype = self.activation_dtype(node)
        scale, zp = self.qparams(node, expect=dtype)
        axis = self.axis_of(node, scale, len(shape_of(value)))
        shape = shape_of(value)
        if axis is not None and not (0 <= axis < len(shape) and shape[axis] == scale.size):
            raise self.fail(node, f"{scale.size} scales do not match axis {axis} of shape {list(shape)}")
        element = quant_element(scale, zp, axis, _ACTIVATION_STORAGE[np.dtype(dtype)])
        self.bind(node, self.builder.quantize(value, element, self.layer(node), node.output[0]))

    def float_operand(self, name: str, node) -> SSAValue:
        value = self.operand(name, node)
        if element_of(value) != f32:
            raise self.unsupported(
                node, f"an input of type {element_of(value)} ('{name}')",
                "float32 inputs (int8 tensors go through DequantizeLinear)")
        return value

    # -- compute ops --------------------------------------------------------------
    def on_conv(self, node) -> None:
        names = self.check_arity(node, 2, 3)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"))
        x = self.float_operand(names[0], node)
        in_shape = shape_of(x)
        if len(in_shape) != 4:
            raise self.unsupported(node, f"a rank-{len(in_shape)} input", "2-D convolution on NCHW (rank 4)")
        weight, bias = self.conv_weights(node, names)
        w_shape = shape_of(weight)
        if len(w_shape) != 4:
            raise self.fail(node, f"weight has shape {list(w_shape)}, expected OIHW")
        kernel = w_shape[2:]
        if "kernel_shape" in attrs and list(attrs["kernel_shape"]) != list(kernel):
            raise self.fail(
                node, f"kernel_shape {list(attrs['kernel_shape'])} differs from the weight's {list(kernel)}")
        strides = list(attrs.get("strides", [1, 1]))
        dilations = list(attrs.get("dilations", [1, 1]))
        group = int(attrs.get("group", 1))
        if group < 1 or in_shape[1] % group or w_shape[1] * group != in_shape[1] or w_shape[0] % group:
            raise self.fail(node, f"group {group} does not fit input channels {in_shape[1]} and weight {list(w_shape)}")
        pads, out_hw = self.window(node, attrs, in_shape[2:], kernel, strides, dilations)
        x, pads = self.explicit_pad(node, x, pads, out_hw, kernel, strides, dilations)
        out = (in_shape[0], w_shape[0], *out_hw)
        op = nn.Conv2DOp(x, weight, bias, float_tensor(out), strides, pads, dilations, group)
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def on_conv_transpose(self, node) -> None:
        """ConvTranspose, group 1, dilations 1: explicit pads (auto_pad NOTSET or VALID) and output_padding.

        Output size per axis: stride * (in - 1) + output_padding + kernel - pad_begin - pad_end (onnx.ai).
        """
        names = self.check_arity(node, 2, 3)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("auto_pad", "dilations", "group", "kernel_shape", "output_padding", "pads",
                                       "strides"))
        x = self.float_operand(names[0], node)
        in_shape = shape_of(x)
        if len(in_shape) != 4:
            raise self.unsupported(node, f"a rank-{len(in_shape)} input", "2-D transposed convolution (rank 4)")
        weight = self.float_operand(names[1], node)
        bias = self.float_operand(names[2], node) if len(names) > 2 else None
        w_shape = shape_of(weight)
        if len(w_shape) != 4 or w_shape[0] != in_shape[1]:
            raise self.fail(node, f"weight has shape {list(w_shape)}, expected [{in_shape[1]}, C_out, KH, KW]")
        if "kernel_shape" in attrs and list(attrs["kernel_shape"]) != list(w_shape[2:]):
            raise self.fail(
                node, f"kernel_shape {list(attrs['kernel_shape'])} differs from the weight's {list(w_shape[2:])}")
        if int(attrs.get("group", 1)) != 1:
            raise self.unsupported(node, f"group {attrs['group']}", "group 1 (arm_transpose_conv_s8)")
        if list(attrs.get("dilations", [1, 1])) != [1, 1]:
            raise self.unsupported(node, f"dilations {list(attrs['dilations'])}", "dilations [1, 1]")
        auto_pad = attrs.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode("utf-8", "replace") if isinstance(auto_pad, bytes) else auto_pad
        if auto_pad not in ("NOTSET", "VALID"):
            raise self.unsupported(node, f"auto_pad '{auto_pad}'", "NOTSET with explicit pads, VALID")
        strides = [int(v) for v in attrs.get("strides", [1, 1])]
        pads = [int(v) for v in attrs.get("pads", [0, 0, 0, 0])] if auto_pad == "NOTSET" else [0, 0, 0, 0]
        extra = [int(v) for v in attrs.get("output_padding", [0, 0])]
        if len(strides) != 2 or len(pads) != 4 or len(extra) != 2:
            raise self.fail(node, f"strides {strides}, pads {pads} and output_padding {extra} must be 2-D")
        if min(strides) < 1 or min(pads) < 0 or not all(0 <= e < s for e, s in zip(extra, strides, strict=True)):
            raise self.fail(node, f"strides {strides} must be >= 1, pads {pads} >= 0 and output_padding {extra} "
                            "in [0, stride)")
        kernel = list(w_shape[2:])
        if pads[0] >= kernel[0] or pads[1] >= kernel[1]:
            raise self.fail(node, f"pads {pads}: the top and left pads must be smaller than the kernel {kernel}: "
                                  "CMSIS-NN (arm_transpose_conv_s8) needs padding smaller than the kernel window")
        out_hw = [strides[i] * (in_shape[2 + i] - 1) + extra[i] + w_shape[2 + i] - pads[i] - pads[i + 2]
                  for i in range(2)]
        if min(out_hw) < 1:
            raise self.fail(node, f"pads {pads} leave no output of the {list(w_shape[2:])} window")
        op = nn.ConvTranspose2DOp(x, weight, bias, float_tensor((in_shape[0], w_shape[1], *out_hw)), strides, pads)
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def conv_weights(self, node, names: list[str]) -> tuple[SSAValue, SSAValue | None]:
        """Weight and bias operands; a BatchNormalization that follows is folded into float constants."""
        bn = self.folded_bn.get(node.output[0])
        if bn is None:
            weight = self.float_operand(names[1], node)
            bias = self.float_operand(names[2], node) if len(names) > 2 else None
            return weight, bias
        w, b = bn
        layer = self.layer(node)
        return (self.builder.constant(w, layer, name=names[1] + "_bn"),
                self.builder.constant(b, layer, name=(names[2] if len(names) > 2 else names[1]) + "_bias_bn"))

    def window(self, node, attrs, in_hw, kernel, strides, dilations, ceil_mode=False) -> tuple[list[int], list[int]]:
        """Explicit [top, left, bottom, right] pads and the output size of a 2-D window."""
        if len(strides) != 2 or len(dilations) != 2 or len(kernel) != 2:
            raise self.unsupported(node, "a window that is not 2-D", "2-D windows")
        if any(s < 1 for s in strides) or any(d < 1 for d in dilations):
            raise self.fail(node, f"strides {strides} and dilations {dilations} must be >= 1")
        auto_pad = attrs.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode("utf-8", "replace") if isinstance(auto_pad, bytes) else auto_pad
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            if ceil_mode:
                raise self.unsupported(node, "ceil_mode=1 with auto_pad SAME", "ceil_mode=1 with explicit pads")
            h = same_padding(in_hw[0], kernel[0], strides[0], dilations[0], auto_pad == "SAME_UPPER")
            w = same_padding(in_hw[1], kernel[1], strides[1], dilations[1], auto_pad == "SAME_UPPER")
            pads = [h[0], w[0], h[1], w[1]]
        elif auto_pad == "VALID":
            pads = [0, 0, 0, 0]
        elif auto_pad == "NOTSET":
            pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
            if len(pads) != 4:
                raise self.fail(node, f"pads {pads} must have 4 values for a 2-D window")
            if any(p < 0 for p in pads):
                raise self.unsupported(node, f"negative pads {pads}", "pads >= 0")
        else:
            raise self.unsupported(node, f"auto_pad '{auto_pad}'", "NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        if ceil_mode:
            pads[2] += ceil_mode_end_pad(in_hw[0], kernel[0], strides[0], pads[0], pads[2])
            pads[3] += ceil_mode_end_pad(in_hw[1], kernel[1], strides[1], pads[1], pads[3])
        out = [conv_out_size(in_hw[i], kernel[i], strides[i], pads[i], pads[i + 2], dilations[i]) for i in range(2)]
        if min(out) < 1:
            raise self.fail(node, f"the window {list(kernel)} does not fit the input {list(in_hw)} with pads {pads}")
        return pads, out

    def explicit_pad(self, node, x: SSAValue, pads: list[int], out_hw: Sequence[int], kernel: Sequence[int],
                     strides: Sequence[int], dilations: Sequence[int]) -> tuple[SSAValue, list[int]]:
        """The convolution's input and [top, left, bottom, right] pads, with what CMSIS-NN cannot express moved out.

        CMSIS-NN takes only the top/left padding and implies the far side from
        the output size, at most the near side + 1 (`window_expressible`). On an
        axis where the ONNX pads (e.g. [1, 0, 1, 2]) break that, the far pad
        (and the near one when it is not smaller than the window) becomes an
        `nn.pad` of real 0 before the op: the input's zero point once quantized,
        which adds (zp + input_offset) * w = 0 to the accumulator, exactly as a
        skipped tap (bit for bit). --fold-pads folds it back where that is exact.
        """
        pre, post, kept = [0, 0], [0, 0], list(pads)
        in_hw = shape_of(x)[2:]
        for i in range(2):
            if window_expressible(in_hw[i], out_hw[i], kernel[i], strides[i], pads[i], dilations[i]):
                continue
            post[i], kept[i + 2] = pads[i + 2], 0
            if pads[i] >= (kernel[i] - 1) * dilations[i] + 1:
                pre[i], kept[i] = pads[i], 0
        if not any(pre + post):
            return x, pads
        n, c, h, w = shape_of(x)
        padded = float_tensor((n, c, h + pre[0] + post[0], w + pre[1] + post[1]))
        op = nn.PadOp(operands=[x], result_types=[padded],
                      properties={"pads": i64_array([0, 0, *pre, 0, 0, *post])})
        layer = self.layer(node)
        value = self.builder.value(op, layer)
        source = x.owner
        if isinstance(source, nn.DequantizeOp):  # a QDQ model: the pad keeps its input's quantization
            element = quant_of(source.input.type)
            if element is not None:
                value = self.builder.dequantize(self.builder.quantize(value, element, layer), layer)
        return value, kept

    def on_pool(self, node) -> None:
        self.check_arity(node, 1, 1)
        attrs = self.attrs(node)
        is_max = node.op_type == "MaxPool"
        known = ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides"]
        known.append("storage_order" if is_max else "count_include_pad")
        self.check_attrs(node, attrs, known)
        x = self.float_operand(node.input[0], node)
        shape = shape_of(x)
        if len(shape) != 4:
            raise self.unsupported(node, f"a rank-{len(shape)} input", "2-D pooling on NCHW (rank 4)")
        if "kernel_shape" not in attrs:
            raise self.fail(node, "kernel_shape is missing")
        kernel = [int(k) for k in attrs["kernel_shape"]]
        strides = [int(s) for s in attrs.get("strides", [1, 1])]
        dilations = [int(d) for d in attrs.get("dilations", [1, 1])]
        if dilations != [1, 1]:
            raise self.unsupported(node, f"dilations {dilations}", "[1, 1]")
        if attrs.get("storage_order", 0) != 0:
            raise self.unsupported(node, "storage_order=1", "storage_order=0")
        ceil_mode = bool(attrs.get("ceil_mode", 0))
        pads, out_hw = self.window(node, attrs, shape[2:], kernel, strides, dilations, ceil_mode)
        if not is_max and attrs.get("count_include_pad", 0) and any(pads):
            raise self.unsupported(
                node, "count_include_pad=1 with padding", "count_include_pad=0 (padding excluded from the average)")
        if any(p >= k for p, k in zip(pads, kernel + kernel, strict=True)):
            raise self.unsupported(node, f"pads {pads} as large as the window {kernel}", "pads smaller than the window")
        for i, axis in enumerate(("height", "width")):
            if not window_expressible(shape[2 + i], out_hw[i], kernel[i], strides[i], pads[i]):
                raise self.fail(
                    node, f"pads {pads} on the {axis} cannot be expressed: CMSIS-NN pools pad the far side by at most "
                    "the near side + 1 (as TFLite SAME does); use an end pad of at most the begin pad + 1 there")
        cls = nn.MaxPoolOp if is_max else nn.AvgPoolOp
        op = cls(x, float_tensor((*shape[:2], *out_hw)), kernel, strides, pads)
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def on_global_avg_pool(self, node) -> None:
        self.check_arity(node, 1, 1)
        x = self.float_operand(node.input[0], node)
        shape = shape_of(x)
        if len(shape) != 4:
            raise self.unsupported(node, f"a rank-{len(shape)} input", "rank-4 NCHW input")
        op = nn.GlobalAvgPoolOp(operands=[x], result_types=[float_tensor((*shape[:2], 1, 1))])
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def on_reduce_mean(self, node) -> None:
        """ReduceMean over H and W of an NCHW tensor: a global average pool (keepdims=0 drops the 1s)."""
        names = self.check_arity(node, 1, 2)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("axes", "keepdims", "noop_with_empty_axes"))
        x = self.float_operand(names[0], node)
        shape = shape_of(x)
        axes = attrs.get("axes")
        if len(names) > 1:
            axes = self.const(names[1], node, "axes").reshape(-1).tolist()
        axes = sorted(int(a) + len(shape) if a < 0 else int(a) for a in (axes or []))
        if len(shape) != 4 or axes != [2, 3]:
            raise self.unsupported(
                node, f"ReduceMean over axes {axes} of shape {list(shape)}",
                "axes [2, 3] of an NCHW tensor (global average pooling)")
        layer = self.layer(node)
        pooled = self.builder.value(
            nn.GlobalAvgPoolOp(operands=[x], result_types=[float_tensor((*shape[:2], 1, 1))]), layer, node.output[0])
        if not attrs.get("keepdims", 1):
            pooled = self.builder.reshape(pooled, shape[:2], layer, node.output[0])
        self.bind(node, pooled)

    def on_gemm(self, node) -> None:
        names = self.check_arity(node, 2, 3)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("alpha", "beta", "transA", "transB"))
        if attrs.get("transA", 0):
            raise self.unsupported(node, "transA=1", "transA=0")
        names[1] = self.scaled_constant(names[1], node, float(attrs.get("alpha", 1.0)), "alpha", "B")
        if len(names) > 2:
            names[2] = self.scaled_constant(names[2], node, float(attrs.get("beta", 1.0)), "beta", "C")
        x = self.float_operand(names[0], node)
        if len(shape_of(x)) != 2:
            raise self.fail(node, f"input A has shape {list(shape_of(x))}, expected rank 2")
        trans_b = bool(attrs.get("transB", 0))
        weight = self.matrix_operand(names[1], node, transpose=not trans_b)
        out_features = shape_of(weight)[0]
        if shape_of(weight)[1] != shape_of(x)[1]:
            raise self.fail(node, f"A {list(shape_of(x))} and B {list(shape_of(weight))} do not multiply")
        bias, add_after = None, None
        if len(names) > 2:
            c = names[2]
            c_shape = self.static_shape(c, node)
            if self.is_const(c) and num_elements(c_shape) == out_features and c_shape[-1:] == (out_features,):
                bias = self.vector_operand(c, node, out_features)
            else:
                add_after = c
        out = (shape_of(x)[0], out_features)
        layer = self.layer(node)
        result = self.builder.value(nn.FullyConnectedOp(x, weight, bias, float_tensor(out)), layer, node.output[0])
        if add_after is not None:
            other = self.float_operand(add_after, node)
            shape = broadcast_shape(out, shape_of(other))
            if shape != out:
                raise self.fail(node, f"C {list(shape_of(other))} does not broadcast to {list(out)}")
            result = self.builder.binary(nn.AddOp, result, other, out, layer, node.output[0])
        self.bind(node, result)

    def scaled_constant(self, name: str, node, factor: float, key: str, what: str) -> str:
        """A Gemm's alpha (on B) or beta (on C) folded into that constant: a float constant is multiplied in
        float32; a DequantizeLinear's codes keep their values and its scales are multiplied (a negative factor
        negates the codes). Returns the name of the scaled constant (`name` itself for a factor of 1)."""
        if factor == 1.0:
            return name
        if not math.isfinite(factor) or factor == 0.0:
            raise self.unsupported(node, f"{key}={factor}", f"a finite, non-zero {key}")
        scaled = f"{name}_{key}"
        if name in self.qconsts:
            stored, q, layer = self.qconsts[name]
            codes = stored.astype(np.int64) * (-1 if factor < 0 else 1)
            info = np.iinfo(stored.dtype)
            if codes.min(initial=0) < info.min or codes.max(initial=0) > info.max:
                raise self.fail(node, f"{key}={factor} negates {what}'s code {info.min}, beyond {stored.dtype}")
            scales = [float(np.float32(s) * np.float32(abs(factor))) for s in q.scales]
            if not all(math.isfinite(s) and s > 0 for s in scales):
                raise self.fail(node, f"{key}={factor} times {what}'s scale is not a positive float32")
            element = quant_element(scales, q.zero_points, q.axis, q.storage_type)
            self.qconsts[scaled] = (codes.astype(stored.dtype), element, layer)
            return scaled
        if name in self.consts:
            value = self.const(name, node, what)
            if value.dtype != np.float32:
                raise self.unsupported(node, f"{key} on a {value.dtype} {what}", f"{key} on a float32 {what}")
            self.check_finite(node, name, value)
            with np.errstate(over="ignore"):
                product = (value * np.float32(factor)).astype(np.float32)
            if not np.isfinite(product).all():
                raise self.fail(node, f"{key}={factor} times {what} '{name}' overflows float32")
            self.consts[scaled] = product
            return scaled
        raise self.unsupported(node, f"{key}={factor} on a computed {what} ('{name}')", f"{key} on a constant {what}")

    def static_shape(self, name: str, node) -> tuple[int, ...]:
        if name in self.values:
            return shape_of(self.values[name])
        if name in self.qconsts:
            return tuple(self.qconsts[name][0].shape)
        return tuple(self.const(name, node, "operand").shape)

    def matrix_operand(self, name: str, node, transpose: bool) -> SSAValue:
        """A [out, in] weight; constants are transposed here, computed values get an `nn.transpose`."""
        if not transpose:
            return self.float_operand(name, node)
        b = self.builder
        if name in self.qconsts:
            stored, q, layer = self.qconsts[name]
            if stored.ndim != 2:
                raise self.fail(node, f"B has shape {list(stored.shape)}, expected rank 2")
            if q.axis is not None:  # per axis
                q = UniformQuantizedType(q.scales, q.zero_points, axis=1 - q.axis, storage_type=q.storage_type)
            codes = b.constant(np.ascontiguousarray(stored.T), layer, q, name=name + "_t_q")
            return b.dequantize(codes, layer, name + "_t")
        if name in self.consts:
            value = self.const(name, node, "weight")
            if value.ndim != 2 or value.dtype != np.float32:
                raise self.unsupported(
                    node, f"B of shape {list(value.shape)} and type {value.dtype}", "a rank-2 float32 B")
            self.check_finite(node, name, value)
            return b.constant(np.ascontiguousarray(value.T), name, name=name + "_t")
        value = self.float_operand(name, node)
        if len(shape_of(value)) != 2:
            raise self.fail(node, f"B has shape {list(shape_of(value))}, expected rank 2")
        return b.transpose(value, [1, 0], self.layer(node), name + "_t")

    def vector_operand(self, name: str, node, size: int) -> SSAValue:
        """A constant of `size` elements (maybe shaped [1, size]) as a 1-D operand."""
        b = self.builder
        if name in self.qconsts:
            stored, q, layer = self.qconsts[name]
            if q.per_axis:
                q = UniformQuantizedType(q.scales, q.zero_points, axis=0, storage_type=q.storage_type)
            codes = b.constant(stored.reshape(size), layer, q, name=name + "_q")
            return b.dequantize(codes, layer, name)
        value = self.const(name, node, "bias")
        if value.dtype != np.float32:
            raise self.unsupported(
                node, f"a {value.dtype} bias", "float32 biases, or int32 biases behind a DequantizeLinear")
        self.check_finite(node, name, value)
        return b.constant(value.reshape(size), name, name=name)

    def on_matmul(self, node) -> None:
        names = self.check_arity(node, 2, 2)
        self.check_attrs(node, self.attrs(node), ())
        a, b = self.float_operand(names[0], node), self.float_operand(names[1], node)
        sa, sb = shape_of(a), shape_of(b)
        if len(sa) != 2 or len(sb) != 2:
            raise self.unsupported(node, f"operands of shapes {list(sa)} and {list(sb)}", "rank-2 operands")
        if sa[1] != sb[0]:
            raise self.fail(node, f"shapes {list(sa)} and {list(sb)} do not multiply")
        op = nn.MatMulOp(operands=[a, b], result_types=[float_tensor((sa[0], sb[1]))])
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def on_binary(self, node) -> None:
        names = self.check_arity(node, 2, 2)
        self.check_attrs(node, self.attrs(node), ())
        a, b = self.float_operand(names[0], node), self.float_operand(names[1], node)
        shape = broadcast_shape(shape_of(a), shape_of(b))
        if shape is None:
            raise self.fail(node, f"shapes {list(shape_of(a))} and {list(shape_of(b))} do not broadcast")
        cls = nn.AddOp if node.op_type == "Add" else nn.MulOp
        self.bind(node, self.builder.binary(cls, a, b, shape, self.layer(node), node.output[0]))

    def on_relu(self, node) -> None:
        self.check_arity(node, 1, 1)
        x = self.float_operand(node.input[0], node)
        self.bind(node, self.builder.unary(nn.ReluOp, x, self.layer(node), node.output[0]))

    def on_clip(self, node) -> None:
        names = list(node.input)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("min", "max"))
        x = self.float_operand(names[0], node)
        low, high = attrs.get("min", -math.inf), attrs.get("max", math.inf)
        for index, label in ((1, "min"), (2, "max")):
            if len(names) > index and names[index]:
                value = self.const(names[index], node, label)
                if value.size != 1:
                    raise self.fail(node, f"{label} must be a scalar")
                if index == 1:
                    low = float(value.reshape(()))
                else:
                    high = float(value.reshape(()))
        if math.isnan(low) or math.isnan(high):
            raise self.fail(node, f"min {low} / max {high}: a clip bound must be a number, not NaN")
        if not low <= high:
            raise self.unsupported(node, f"min {low} greater than max {high}", "min <= max")
        self.bind(
            node,
            self.builder.clip(x, float(np.float32(low)), float(np.float32(high)), self.layer(node), node.output[0]))

    def on_softmax(self, node) -> None:
        self.check_arity(node, 1, 1)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("axis",))
        x = self.float_operand(node.input[0], node)
        rank = len(shape_of(x))
        axis = int(attrs.get("axis", -1 if self.opset >= 13 else 1))
        axis = axis + rank if axis < 0 else axis
        if self.opset < 13 and axis != rank - 1:
            raise self.unsupported(
                node, f"opset-{self.opset} Softmax over the flattened dims from axis {axis}",
                "the last axis (or opset 13+)")
        self.bind(node, self.builder.value(nn.SoftmaxOp(x, axis), self.layer(node), node.output[0]))

    def on_batchnorm(self, node) -> None:
        """A BatchNormalization not folded into a Conv: y = x * scale + shift with [C, 1, 1] constants."""
        names = self.check_arity(node, 5, 5)
        x = self.float_operand(names[0], node)
        shape = shape_of(x)
        scale, shift = self.batchnorm_affine(node)
        if len(shape) < 2 or scale.size != shape[1]:
            raise self.fail(node, f"{scale.size} channels do not match the input {list(shape)}")
        trailing = (1,) * (len(shape) - 2)
        layer, b = self.layer(node), self.builder
        s = b.constant(scale.reshape(-1, *trailing), layer, name=node.output[0] + "_scale")
        t = b.constant(shift.reshape(-1, *trailing), layer, name=node.output[0] + "_shift")
        y = b.binary(nn.MulOp, x, s, shape, layer, node.output[0] + "_scaled")
        out = b.binary(nn.AddOp, y, t, shape, layer, node.output[0])
        for value in (y, out):
            if isinstance(value.owner, Operation):  # messages name the node's type
                value.owner.attributes[nn.SOURCE_OP_ATTR] = StringAttr(node.op_type)
        self.bind(node, out)

    def batchnorm_affine(self, node) -> tuple[np.ndarray, np.ndarray]:
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("epsilon", "momentum", "spatial", "training_mode"))
        if attrs.get("training_mode", 0):
            raise self.unsupported(node, "training_mode=1", "inference (training_mode=0)")
        if len([o for o in node.output if o]) > 1:
            raise self.unsupported(node, "running mean/variance outputs", "one output")
        gamma, beta, mean, var = (self.const(n, node, label).astype(np.float64)
                                  for n, label in zip(node.input[1:5], ("scale", "B", "mean", "var"), strict=True))
        eps = float(attrs.get("epsilon", 1e-5))
        denominator = var + np.float64(np.float32(eps))
        if not np.all(denominator > 0) or not all(np.all(np.isfinite(a)) for a in (gamma, beta, mean, var)):
            raise self.fail(node, "var + epsilon must be positive and every parameter finite")
        scale = gamma / np.sqrt(denominator)
        with np.errstate(over="ignore"):
            affine = scale.astype(np.float32), (beta - mean * scale).astype(np.float32)
        if not all(np.isfinite(a).all() for a in affine):
            raise self.fail(node, "scale / sqrt(var + epsilon) overflows float32")
        return affine

    def plan_batchnorm_folding(self) -> None:
        """Find Conv -> BatchNormalization pairs with float constant weights and fold them."""
        uses: dict[str, int] = {}
        for node in self.graph.node:
            for name in node.input:
                uses[name] = uses.get(name, 0) + 1
        outputs = {o.name for o in self.graph.output}
        producers = {node.output[0]: node for node in self.graph.node if node.output}
        for index, node in enumerate(self.graph.node):
            if node.op_type != "BatchNormalization" or len(node.input) != 5:
                continue
            conv = producers.get(node.input[0])
            if conv is None or conv.op_type != "Conv" or uses.get(conv.output[0]) != 1 or conv.output[0] in outputs:
                continue
            inputs = [n for n in conv.input if n]
            weights = [w for n in inputs[1:] if isinstance(w := self.consts.get(n), np.ndarray)]
            if len(weights) != len(inputs) - 1 or any(w.dtype != np.float32 for w in weights):
                continue
            if not all(isinstance(self.consts.get(n), np.ndarray) for n in node.input[1:5]):
                continue
            scale, shift = self.batchnorm_affine(node)
            w = weights[0]
            if w.ndim != 4 or scale.size != w.shape[0] or shift.size != w.shape[0]:
                continue
            if len(weights) > 1 and weights[1].shape != (w.shape[0],):
                continue  # not a per-channel bias: the Conv reports it
            bias = weights[1] if len(weights) > 1 else np.zeros(w.shape[0], np.float32)
            for name, value in zip(inputs[1:], weights, strict=True):
                self.check_finite(conv, name, value)
            with np.errstate(over="ignore"):
                folded_w = (w.astype(np.float64) * scale.astype(np.float64)[:, None, None, None]).astype(np.float32)
                folded_b = (bias.astype(np.float64) * scale + shift).astype(np.float32)
            if not (np.isfinite(folded_w).all() and np.isfinite(folded_b).all()):
                raise self.fail(conv, f"folding BatchNormalization '{self.layer(node)}' into its weights overflows "
                                      "float32")
            # The conv now produces the BatchNormalization's output directly.
            conv.output[0] = node.output[0]
            self.folded_bn[node.output[0]] = (folded_w, folded_b)
            self.skip.add(index)

    # -- table activations (cmsis.lut) -----------------------------------------------
    def on_activation(self, node) -> None:
        """Sigmoid, Tanh, HardSwish, HardSigmoid, LeakyRelu, Elu, Softplus, Gelu, Swish, PRelu: one
        nn.activation (cmsis_opt.lut.ACTIVATIONS), with ONNX's attributes and defaults."""
        kind, attributes = _ACTIVATION_KINDS[node.op_type]
        names = self.check_arity(node, 2 if kind == "prelu" else 1, 2 if kind == "prelu" else 1)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, (*attributes, "approximate") if node.op_type == "Gelu" else attributes)
        if node.op_type == "Gelu":
            approximate = attrs.get("approximate", b"none")
            approximate = approximate.decode("utf-8", "replace") if isinstance(approximate, bytes) else approximate
            if approximate not in ("none", "tanh"):
                raise self.unsupported(node, f"approximate '{approximate}'", "none, tanh")
            kind = "gelu_tanh" if approximate == "tanh" else "gelu"
        x = self.float_operand(names[0], node)
        slope = None
        if kind == "prelu":
            slope = self.float_operand(names[1], node)
            if broadcast_shape(shape_of(x), shape_of(slope)) != shape_of(x):
                raise self.fail(node, f"slope {list(shape_of(slope))} does not broadcast to X {list(shape_of(x))}")
        params = {key: float(attrs[key]) for key in attributes if key in attrs}
        op = nn.ActivationOp(x, kind, slope, alpha=params.get("alpha"), beta=params.get("beta"))
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def on_fused_activation(self, node, kind: str, source: str, params: dict[str, float]) -> None:
        """The last node of an exporter's decomposition of an activation (`plan_fused_activations`)."""
        x = self.float_operand(source, node)
        op = nn.ActivationOp(x, kind, alpha=params.get("alpha"), beta=params.get("beta"))
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def plan_fused_activations(self) -> list[int]:
        """Find activations exporters write as several nodes and convert each as one nn.activation:

        - SiLU: Sigmoid(x) read only by Mul(x, Sigmoid(x)) (PyTorch's SiLU before opset 24's Swish);
        - GELU: x * 0.5 * (1 + Erf(x / sqrt 2)) as Div (or Mul by 1/sqrt 2), Erf, Add 1, Mul x, Mul 0.5
          (either Mul first), each intermediate read only by the next node.

        Returns the indices of the Erf nodes outside that pattern: Erf has no int8 kernel of its own, so each
        is an error unless a table region (`plan_table_regions`) takes it.
        """
        lonely: list[int] = []
        nodes = list(self.graph.node)
        consumers: dict[str, list[int]] = {}
        for index, node in enumerate(nodes):
            for name in node.input:
                consumers.setdefault(name, []).append(index)
        outputs = {o.name for o in self.graph.output}

        def only_reader(name: str, op_type: str) -> int | None:
            """The index of the single node reading `name`, if it has type `op_type` and `name` is internal."""
            readers = consumers.get(name, [])
            if name in outputs or len(readers) != 1 or nodes[readers[0]].op_type != op_type:
                return None
            return readers[0]

        def other(node, name: str) -> str | None:
            """The other input of a two-input node that reads `name`."""
            inputs = list(node.input)
            if len(inputs) != 2 or name not in inputs:
                return None
            return inputs[1] if inputs[0] == name else inputs[0]

        constant_nodes = {node.output[0]: node for node in nodes if node.op_type == "Constant" and node.output}

        def scalar(name: str | None, value: float) -> bool:
            """Whether `name` is a float32 constant of one element equal to `value` (to float32 precision)."""
            const = self.consts.get(name) if name is not None else None
            if const is None and name in constant_nodes:
                from onnx import helper

                attrs = {a.name: helper.get_attribute_value(a) for a in constant_nodes[name].attribute}
                if "value" in attrs:
                    const = self.numpy_helper.to_array(attrs["value"])
                elif "value_float" in attrs:
                    const = np.float32(attrs["value_float"])
            return (isinstance(const, (np.ndarray, np.floating)) and np.size(const) == 1
                    and np.asarray(const).dtype == np.float32
                    and abs(float(np.asarray(const).reshape(())) - value) <= 1e-6 * abs(value))

        for index, node in enumerate(nodes):
            if node.op_type == "Sigmoid" and len(node.input) == 1 and not node.attribute:
                mul = only_reader(node.output[0], "Mul")
                if mul is not None and other(nodes[mul], node.output[0]) == node.input[0]:
                    self.skip.add(index)
                    self.fused[nodes[mul].output[0]] = ("silu", node.input[0], {})
            elif node.op_type == "Erf":
                fused = self.match_gelu(nodes, index, only_reader, other, scalar)
                if fused is None:
                    lonely.append(index)
                    continue
                last, source, inner = fused
                self.skip.update(inner)
                self.fused[nodes[last].output[0]] = ("gelu", source, {})
        return lonely

    def plan_table_regions(self) -> None:
        """Find regions of element-wise ops on one int8 tensor (onnxruntime's QDQ form of x * 0.5 * (1 + Erf(x /
        sqrt 2)), relu(x) * 3, ...) and convert each as one nn.activation of kind "table" (a `cmsis.lut`).

        A region ends at a node of `_TABLE_OPS` read only by one per-tensor QuantizeLinear (or that is a graph
        output nothing else reads: the quantize pass then gives it the exact range of its 256 values, as for
        any table activation left in float); going back through
        its inputs it holds element-wise nodes, QuantizeLinear -> DequantizeLinear pairs between them, and
        one-element constants, down to one source: the DequantizeLinear of a per-tensor int8 tensor that no
        element-wise node of the region computes. Every tensor inside is read only inside. A region is
        taken when it holds a node with no int8 kernel of its own (`_TABLE_TRIGGERS`, or an Add / Mul with a
        constant of one element).

        Its table is the region itself run on the 256 reals the source's codes hold, node by node with the
        ONNX reference implementation, intermediate QuantizeLinear / DequantizeLinear included, so each entry
        is onnxruntime's result of the same steps (`cmsis_opt.lut.TABLE`).
        """
        nodes = list(self.graph.node)
        producer = {name: i for i, node in enumerate(nodes) for name in node.output if name}
        readers: dict[str, list[int]] = {}
        for index, node in enumerate(nodes):
            for name in node.input:
                readers.setdefault(name, []).append(index)
        outputs = {o.name for o in self.graph.output}
        constants: dict[str, np.ndarray | None] = {}

        def constant(name: str) -> np.ndarray | None:
            """The value of a constant tensor (an initializer, a Constant, or Quantize/DequantizeLinear of one)."""
            if name not in constants:
                value = self.consts.get(name)
                constants[name] = None if isinstance(value, _Unsupported) else value
                if value is None and name in producer and nodes[producer[name]].op_type in _Q_DQ:
                    node = nodes[producer[name]]
                    inputs = [constant(n) if n else None for n in node.input]
                    if all(v is not None for v, n in zip(inputs, node.input, strict=True) if n):
                        try:
                            with np.errstate(all="ignore"):
                                constants[name] = evaluate(node, inputs, self.model.opset_import)[0]
                        except ValueError:
                            constants[name] = None  # not computable here: the node's own conversion says why
            return constants[name]

        def only_read_by(name: str, op_type: str) -> int | None:
            found = readers.get(name, [])
            return found[0] if len(found) == 1 and nodes[found[0]].op_type == op_type and name not in outputs else None

        def sources(name: str) -> set[str] | None:
            """The int8 sources `name` is an element-wise function of; None if it is not one."""
            if constant(name) is not None:
                return set()
            node = nodes[producer[name]] if name in producer else None
            if node is None:
                return None
            if node.op_type == "DequantizeLinear":
                quantize = nodes[producer[node.input[0]]] if node.input[0] in producer else None
                if (quantize is not None and quantize.op_type == "QuantizeLinear"
                        and quantize.input[0] in producer and nodes[producer[quantize.input[0]]].op_type in _TABLE_OPS
                        and only_read_by(quantize.input[0], "QuantizeLinear") is not None
                        and only_read_by(quantize.output[0], "DequantizeLinear") is not None):
                    inner = sources(quantize.input[0])
                    if inner is not None and len(inner) == 1:
                        return inner
                scale = constant(node.input[1]) if len(node.input) > 1 else None
                zero_point = constant(node.input[2]) if len(node.input) > 2 and node.input[2] else None
                int8 = zero_point is not None and zero_point.dtype == np.int8  # a table has 256 entries
                return {name} if int8 and scale is not None and scale.size == 1 else None
            if node.op_type not in _TABLE_OPS:
                return None
            found: set[str] = set()
            for operand in node.input:
                inner = sources(operand) if operand else set()
                if inner is None:
                    return None
                found |= inner
            return found

        def region_of(last: int, source: str) -> list[int]:
            """The nodes from `source` to node `last`, in graph order."""
            found, pending = set(), [last]
            while pending:
                index = pending.pop()
                if index in found:
                    continue
                found.add(index)
                for operand in nodes[index].input:
                    if operand and operand != source and constant(operand) is None and operand in producer:
                        pending.append(producer[operand])
            return sorted(found)

        def triggers(node) -> bool:
            if node.op_type in _TABLE_TRIGGERS:
                return True
            return node.op_type in ("Add", "Mul") and any(
                (value := constant(name)) is not None and value.size == 1 for name in node.input)

        for last in reversed(range(len(nodes))):
            node = nodes[last]
            if (last in self.skip or node.op_type not in _TABLE_OPS or node.op_type in _Q_DQ or not node.output
                    or node.output[0] in self.fused):
                continue
            exit_q = only_read_by(node.output[0], "QuantizeLinear")
            is_output = node.output[0] in outputs and not readers.get(node.output[0])
            found = sources(node.output[0]) if exit_q is not None or is_output else None
            if found is None or len(found) != 1:
                continue
            source = found.pop()
            region = region_of(last, source)
            inside = set(region) | ({exit_q} if exit_q is not None else set())
            produced = [name for index in region for name in nodes[index].output if name]
            if (any(index in self.skip for index in region) or not any(triggers(nodes[i]) for i in region)
                    or any((name in outputs and name != node.output[0])
                           or any(r not in inside for r in readers.get(name, [])) for name in produced)):
                continue
            self.tables[node.output[0]] = (source, self.region_table(nodes, region, source, constant))
            self.skip.update(i for i in region if i != last)
        if self.tables:  # the constants only the regions read (a QuantizeLinear -> DequantizeLinear of 0.5) go too
            gone = self.skip | {producer[name] for name in self.tables}
            for index in reversed(range(len(nodes))):
                names = [name for name in nodes[index].output if name]
                if (index not in self.skip and names and all(constant(name) is not None for name in names)
                        and not any(name in outputs for name in names)
                        and all(r in gone for name in names for r in readers.get(name, []))):
                    self.skip.add(index)
                    gone.add(index)

    def region_table(self, nodes, region: list[int], source: str, constant) -> lut.GridValues:
        """A table region's float output for each of the 256 codes of its source (`plan_table_regions`)."""
        dequantize = next(n for n in self.graph.node if source in n.output)
        scale, zero_point = self.qparams(dequantize, expect=np.int8)
        grid = (float(np.ravel(scale)[0]), int(np.ravel(zero_point)[0]))
        values: dict[str, np.ndarray] = {source: _dequantize_array(lut.CODES.astype(np.int8),
                                                                   quant_element(*grid))}
        for index in region:
            node = nodes[index]
            inputs = [values[n] if n in values else constant(n) if n else None for n in node.input]
            try:
                with np.errstate(all="ignore"):  # a value with no real result is refused below
                    results = evaluate(node, inputs, self.model.opset_import)
            except ValueError as error:
                raise self.fail(node, f"cannot compute its table: {error}") from None
            for name, result in zip(node.output, results, strict=False):
                values[name] = np.asarray(result).reshape(-1)
        output = values[nodes[region[-1]].output[0]]
        if output.size != lut.CODES.size:
            raise self.fail(nodes[region[-1]], "an element-wise chain whose constants broadcast it to another "
                                               "shape is not supported; supported: constants of one element")
        with np.errstate(over="ignore"):
            table = output.astype(np.float32)
        bad = np.flatnonzero(~np.isfinite(table))
        if bad.size:
            code = int(lut.CODES[bad[0]])
            raise self.fail(nodes[region[-1]], f"its value is {table[bad[0]]:g} for input code {code} of '{source}' "
                                               f"({plural(bad.size, 'code')} of 256): a table needs a finite value for "
                                               "every input (a Sqrt or Log of a negative value, a Div by zero?)")
        return table, grid

    def match_gelu(self, nodes, erf: int, only_reader, other, scalar) -> tuple[int, str, list[int]] | None:
        """(index of the last node, x, indices of the other nodes) of the GELU pattern around Erf node `erf`."""
        producers = {name: i for i, node in enumerate(nodes) for name in node.output}
        scaled = nodes[erf].input[0]
        first = producers.get(scaled)
        if first is None or only_reader(scaled, "Erf") != erf:
            return None
        head = nodes[first]
        if head.op_type == "Div" and scalar(head.input[1], math.sqrt(2.0)):
            x = head.input[0]
        elif head.op_type == "Mul" and scalar(other(head, head.input[0]), 1 / math.sqrt(2.0)):
            x = head.input[0]
        elif head.op_type == "Mul" and scalar(head.input[0], 1 / math.sqrt(2.0)):
            x = head.input[1]
        else:
            return None
        plus = only_reader(nodes[erf].output[0], "Add")
        if plus is None or not scalar(other(nodes[plus], nodes[erf].output[0]), 1.0):
            return None
        times = only_reader(nodes[plus].output[0], "Mul")
        if times is None:
            return None
        factor = other(nodes[times], nodes[plus].output[0])
        if factor == x:  # (x * (1 + erf)) * 0.5
            last = only_reader(nodes[times].output[0], "Mul")
            if last is None or not scalar(other(nodes[last], nodes[times].output[0]), 0.5):
                return None
            return last, x, [first, erf, plus, times]
        half = producers.get(factor) if factor is not None else None  # (x * 0.5) * (1 + erf)
        if (half is None or nodes[half].op_type != "Mul" or other(nodes[half], x) is None
                or not scalar(other(nodes[half], x), 0.5) or only_reader(nodes[half].output[0], "Mul") != times):
            return None
        return times, x, [first, erf, plus, half]

    # -- layout ops (work on float values and on int8 codes alike) -------------------
    def data_operand(self, name: str, node) -> SSAValue | np.ndarray:
        """An SSA value, or the array of an (unquantized) constant to fold."""
        if name in self.values or name in self.qconsts:
            return self.operand(name, node)
        if name in self.consts:
            return self.const(name, node, "input")
        return self.operand(name, node)

    def layout_op(self, node, shape_fn: Callable[[tuple[int, ...]], tuple[int, ...]] | None, perm=None) -> None:
        source = node.input[0]
        if source in self.qconsts and source not in self.values and self.fold_quantized(node, shape_fn, perm):
            return
        data = self.data_operand(source, node)
        if isinstance(data, np.ndarray):
            if perm is not None:
                folded = np.transpose(data, perm)
            else:
                assert shape_fn is not None  # a reshape, where there is no permutation
                folded = data.reshape(shape_fn(data.shape))
            self.consts[node.output[0]] = np.ascontiguousarray(folded)
            return
        b, layer = self.builder, self.layer(node)
        if perm is not None:
            self.bind(node, b.transpose(data, perm, layer, node.output[0]))
        else:
            assert shape_fn is not None
            new_shape = shape_fn(shape_of(data))
            self.bind(node, b.reshape(data, new_shape, layer, node.output[0]))

    def fold_quantized(self, node, shape_fn, perm) -> bool:
        """Transpose / reshape a dequantized constant by moving its codes (the scales follow their axis)."""
        stored, q, layer = self.qconsts[node.input[0]]
        if perm is not None:
            moved = np.ascontiguousarray(np.transpose(stored, perm))
            if q.per_axis:
                q = UniformQuantizedType(
                    q.scales, q.zero_points, axis=list(perm).index(q.axis), storage_type=q.storage_type)
        elif q.per_axis:
            return False  # a reshape can move the quantized axis: keep it as an op
        else:
            moved = stored.reshape(shape_fn(stored.shape))
        self.qconsts[node.output[0]] = (moved, q, layer)
        return True

    def on_slice(self, node) -> None:
        """ONNX Slice (opset 10+: starts, ends, axes, steps as inputs; opset 1-9: attributes) with steps 1 as
        `nn.slice`: negative starts / ends count from the end, out-of-range ones clamp (ONNX's rule). A Slice of
        constants is folded before any op is built. Steps other than 1 (a strided copy) and bounds that are not
        constants are refused with what the node asks for."""
        shape = list(shape_of(self.operand(node.input[0], node)))
        attrs = self.attrs(node)
        if "starts" in attrs:  # opset 1-9
            self.check_attrs(node, attrs, ("starts", "ends", "axes"))
            bounds = {"starts": list(attrs["starts"]), "ends": list(attrs["ends"]),
                      "axes": list(attrs.get("axes", range(len(attrs["starts"])))), "steps": []}
        else:
            self.check_arity(node, 3, 5)
            bounds = {}
            for index, label in ((1, "starts"), (2, "ends"), (3, "axes"), (4, "steps")):
                present = len(node.input) > index and node.input[index]
                bounds[label] = ([int(v) for v in self.const(node.input[index], node, label).reshape(-1)]
                                 if present else [])
        starts, ends = bounds["starts"], bounds["ends"]
        axes = bounds["axes"] or list(range(len(starts)))
        steps = bounds["steps"] or [1] * len(starts)
        shown = f"axes {axes}, starts {starts}, ends {ends}" + (f", steps {steps}" if bounds["steps"] else "")
        if not len(starts) == len(ends) == len(axes) == len(steps):
            raise self.fail(node, f"{shown}: starts, ends, axes and steps differ in length")
        if any(s != 1 for s in steps):
            raise self.unsupported(node, f"Slice ({shown}) of a computed tensor {shape} (a strided copy)",
                                   "Slice with steps 1; slice the weights of the layer that reads it instead")
        begin, size = [0] * len(shape), list(shape)
        for axis, lo, hi in zip(axes, starts, ends, strict=True):
            axis = axis + len(shape) if axis < 0 else axis
            if not 0 <= axis < len(shape):
                raise self.fail(node, f"axis {axis} is out of range for rank {len(shape)} ({shown})")
            full = shape[axis]
            lo, hi = (lo + full if lo < 0 else lo), (hi + full if hi < 0 else hi)
            lo, hi = max(0, min(lo, full)), max(0, min(hi, full))
            if hi <= lo:
                raise self.unsupported(node, f"an empty Slice on axis {axis} ({shown})",
                                       "slices of one element or more")
            begin[axis], size[axis] = lo, hi - lo
        x = self.float_operand(node.input[0], node)
        self.bind(node, self.builder.value(nn.SliceOp(x, begin, size), self.layer(node), node.output[0]))

    def on_reshape(self, node) -> None:
        names = self.check_arity(node, 2, 2)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("allowzero",))
        target = [int(d) for d in self.const(names[1], node, "shape").reshape(-1)]
        allow_zero = bool(attrs.get("allowzero", 0))

        def resolve(shape: tuple[int, ...]) -> tuple[int, ...]:
            dims = list(target)
            for i, d in enumerate(dims):
                if d == 0 and not allow_zero:
                    if i >= len(shape):
                        raise self.fail(
                            node, f"shape {target}: dim {i} copies a dimension the input {list(shape)} lacks")
                    dims[i] = shape[i]
            if dims.count(-1) > 1 or any(d < -1 for d in dims):
                raise self.fail(node, f"shape {target} is not a valid target shape")
            if -1 in dims:
                known = num_elements([d for d in dims if d != -1])
                if known == 0 or num_elements(shape) % known:
                    raise self.fail(node, f"cannot reshape {list(shape)} to {target}")
                dims[dims.index(-1)] = num_elements(shape) // known
            if num_elements(dims) != num_elements(shape):
                raise self.fail(node, f"cannot reshape {list(shape)} to {target}")
            return tuple(dims)

        self.layout_op(node, resolve)

    def on_flatten(self, node) -> None:
        self.check_arity(node, 1, 1)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("axis",))

        def resolve(shape: tuple[int, ...]) -> tuple[int, ...]:
            axis = int(attrs.get("axis", 1))
            axis = axis + len(shape) if axis < 0 else axis
            if not 0 <= axis <= len(shape):
                raise self.fail(node, f"axis {axis} is out of range for rank {len(shape)}")
            return (num_elements(shape[:axis]), num_elements(shape[axis:]))

        self.layout_op(node, resolve)

    def on_squeeze_unsqueeze(self, node) -> None:
        names = self.check_arity(node, 1, 2)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("axes",))
        axes = attrs.get("axes")
        if len(names) > 1:
            axes = self.const(names[1], node, "axes").reshape(-1).tolist()
        squeeze = node.op_type == "Squeeze"

        def resolve(shape: tuple[int, ...]) -> tuple[int, ...]:
            if squeeze:
                if axes is None:
                    return tuple(d for d in shape if d != 1)
                drop = {a + len(shape) if a < 0 else a for a in axes}
                if any(shape[a] != 1 for a in drop if 0 <= a < len(shape)):
                    raise self.fail(node, f"axes {list(axes)} of {list(shape)} are not all 1")
                return tuple(d for i, d in enumerate(shape) if i not in drop)
            if axes is None:
                raise self.fail(node, "axes are missing")
            rank = len(shape) + len(axes)
            add = {a + rank if a < 0 else a for a in axes}
            dims, rest = [], iter(shape)
            for i in range(rank):
                dims.append(1 if i in add else next(rest))
            return tuple(dims)

        self.layout_op(node, resolve)

    def on_transpose(self, node) -> None:
        self.check_arity(node, 1, 1)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("perm",))
        rank = len(self.static_shape(node.input[0], node))
        perm = [int(p) for p in attrs.get("perm", list(range(rank))[::-1])]
        if sorted(perm) != list(range(rank)):
            raise self.fail(node, f"perm {perm} is not a permutation of {rank} dimensions")
        self.layout_op(node, None, perm)

    def on_identity(self, node) -> None:
        self.check_arity(node, 1, 1)
        self.on_identity_of(node, node.input[0])

    def on_pad(self, node) -> None:
        names = self.check_arity(node, 1, 4)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("mode", "pads", "value"))
        mode = attrs.get("mode", b"constant")
        mode = mode.decode("utf-8", "replace") if isinstance(mode, bytes) else mode
        if mode != "constant":
            raise self.unsupported(node, f"mode '{mode}'", "constant")
        x = self.float_operand(names[0], node)
        rank = len(shape_of(x))
        if len(names) > 1:
            pads = [int(p) for p in self.const(names[1], node, "pads").reshape(-1)]
        else:
            pads = [int(p) for p in attrs.get("pads", [])]
        value = float(attrs.get("value", 0.0))
        if len(names) > 2 and names[2]:
            value = float(self.const(names[2], node, "constant_value").reshape(()))
        if len(names) > 3 and names[3]:
            axes = [int(a) + rank if a < 0 else int(a) for a in self.const(names[3], node, "axes").reshape(-1)]
            if len(pads) != 2 * len(axes):
                raise self.fail(node, f"{len(pads)} pads for {len(axes)} axes")
            full = [0] * (2 * rank)
            for i, a in enumerate(axes):
                full[a], full[a + rank] = pads[i], pads[i + len(axes)]
            pads = full
        if len(pads) != 2 * rank:
            raise self.fail(node, f"{len(pads)} pads for a rank-{rank} input")
        if not math.isfinite(value):
            raise self.fail(node, f"the constant value is {value}: a pad value must be finite")
        if any(p < 0 for p in pads):
            raise self.unsupported(node, f"negative pads {pads}", "pads >= 0")
        shape = [d + pads[i] + pads[i + rank] for i, d in enumerate(shape_of(x))]
        props: dict[str, Attribute] = {"pads": i64_array(pads)}
        if value != 0.0:
            from xdsl.dialects.builtin import FloatAttr

            props["value"] = FloatAttr(value, f32)
        op = nn.PadOp(operands=[x], result_types=[float_tensor(shape)], properties=props)
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def on_concat(self, node) -> None:
        names = self.check_arity(node, 1, 1 << 16)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("axis",))
        values = [self.float_operand(n, node) for n in names]
        shapes = [shape_of(v) for v in values]
        rank = len(shapes[0])
        if "axis" not in attrs:
            raise self.fail(node, "axis is missing")
        axis = int(attrs["axis"])
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank:
            raise self.fail(node, f"axis {axis} is out of range for rank {rank}")
        for s in shapes:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0], strict=True)) if i != axis):
                raise self.fail(node, f"input shapes {[list(x) for x in shapes]} differ outside axis {axis}")
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        from xdsl.dialects.builtin import IntegerAttr, i64

        op = nn.ConcatOp(
            operands=[values], result_types=[float_tensor(out)], properties={"axis": IntegerAttr(axis, i64)})
        self.bind(node, self.builder.value(op, self.layer(node), node.output[0]))

    def on_dropout(self, node) -> None:
        """Inference-time Dropout is the identity."""
        names = list(node.input)
        if len(names) > 2 and names[2] and self.const(names[2], node, "training_mode").any():
            raise self.unsupported(node, "training_mode=true", "inference")
        self.on_identity_of(node, names[0])

    def on_identity_of(self, node, source: str) -> None:
        """The output names the same value, constant or not, as `source`."""
        out = node.output[0]
        if source in self.values:
            self.values[out] = self.values[source]
        elif source in self.consts:
            self.consts[out] = self.consts[source]
        elif source in self.qconsts:
            self.qconsts[out] = self.qconsts[source]
        else:
            self.operand(source, node)

    # -- exporter forms: constant subgraphs, shapes, casts, weight-only quantization -------------
    def fold_constants_ahead(self) -> None:
        """Before any op is built, in graph order: Constant nodes, FOLDABLE_OPS whose inputs are all
        constants, and in a weight-only quantized model (`weight_only_quantized`) the DequantizeLinear of
        every weight become constants, so that Conv -> BatchNormalization folding sees float weights."""
        hybrid = self.weight_only_quantized()
        for index, node in enumerate(self.graph.node):
            if node.domain not in ("", "ai.onnx"):
                continue
            if node.op_type == "Constant":
                self.on_constant(node)
            elif not ((node.op_type in FOLDABLE_OPS or (hybrid and node.op_type == "DequantizeLinear"))
                      and self.fold(node)):
                continue
            self.skip.add(index)

    def fold_constant_node(self, node) -> bool:
        """Fold a FOLDABLE_OPS node whose inputs became constants during the conversion (Shape results)."""
        return node.op_type in FOLDABLE_OPS and self.fold(node)

    def fold(self, node) -> bool:
        """Compute `node` when every input is a constant array (float32 or integer; not int8 codes behind a
        DequantizeLinear of a quantized model); its outputs become constants. False if an input is computed."""
        arrays: list[np.ndarray | None] = []
        for position, name in enumerate(node.input):
            value = self.consts.get(name) if name else None
            if isinstance(value, _Unsupported):
                value = self.raw_initializer(name)
            if name and value is None and node.op_type == "CastLike" and position == 1:
                value = self.type_donor(name)  # CastLike reads only the element type of its second input
            if name and not isinstance(value, np.ndarray):
                return False
            arrays.append(value)
        try:
            with np.errstate(all="ignore"):  # an Inf / NaN result is refused where it is read (check_finite)
                results = evaluate(node, arrays, self.model.opset_import)
        except ValueError as error:
            raise self.fail(node, f"cannot compute it from its constant inputs: {error}") from None
        for name, result in zip([o for o in node.output if o], results, strict=True):
            self.consts[name] = result
        return True

    def type_donor(self, name: str) -> np.ndarray | None:
        """An empty array of the element type of the computed tensor `name` (float32, or int8 for quantized
        codes), from the value built for it or, before it is built, from ONNX type inference; None if unknown."""
        if name in self.values:
            element = element_of(self.values[name])
            return np.zeros(0, np.float32) if element == f32 else np.zeros(0, np.int8) if is_quantized(
                self.values[name]) else None
        if self.inferred_types is None:
            from onnx import shape_inference

            try:
                inferred = shape_inference.infer_shapes(self.model).graph
            except Exception:  # a model onnx cannot infer types for: fold such casts once the value is built
                inferred = None
            self.inferred_types = {} if inferred is None else {
                info.name: info.type.tensor_type.elem_type for info in [*inferred.value_info, *inferred.input]}
        code = self.inferred_types.get(name)
        return {_FLOAT: np.zeros(0, np.float32), _INT8: np.zeros(0, np.int8)}.get(code) if code else None

    def raw_initializer(self, name: str) -> np.ndarray | None:
        """An initializer of a type the importer does not take as an operand (uint8, int4, ...), as stored."""
        tensor = self.initializers.get(name)
        if tensor is None:
            return None
        try:
            return np.asarray(self.numpy_helper.to_array(tensor))
        except Exception:  # a type numpy_helper cannot read: the op that needs it reports the type
            return None

    def weight_only_quantized(self) -> bool:
        """A float model whose weights alone are stored quantized (ONNX DequantizeLinear of int8, uint8, int4
        or int32 constants, as weight-only quantizers write them): no QuantizeLinear anywhere, and every
        DequantizeLinear reads an initializer or a Constant node. Its weights are then the dequantized float32
        values, and the model is a float model that --calibration quantizes."""
        nodes = self.graph.node
        constants = set(self.initializers) | {n.output[0] for n in nodes if n.op_type == "Constant" and n.output}
        dequantize = [n for n in nodes if n.op_type == "DequantizeLinear"]
        return (bool(dequantize) and all(n.input and n.input[0] in constants for n in dequantize)
                and not any(n.op_type == "QuantizeLinear" for n in nodes))

    def on_shape(self, node) -> None:
        """ONNX Shape-15 of a computed tensor (its shape is static here): an int64 constant; `start` and `end`
        count from the back when negative and are clamped to [0, rank]."""
        self.check_arity(node, 1, 1)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("start", "end"))
        shape = self.static_shape(node.input[0], node)
        rank = len(shape)

        def clamp(index: int) -> int:
            return min(max(index + rank if index < 0 else index, 0), rank)

        start, end = clamp(int(attrs.get("start", 0))), clamp(int(attrs.get("end", rank)))
        self.consts[node.output[0]] = np.array(shape[start:end], dtype=np.int64)

    def on_size(self, node) -> None:
        """ONNX Size-13 of a computed tensor: its number of elements, an int64 scalar constant."""
        self.check_arity(node, 1, 1)
        self.check_attrs(node, self.attrs(node), ())
        self.consts[node.output[0]] = np.array(num_elements(self.static_shape(node.input[0], node)), dtype=np.int64)

    def on_cast(self, node) -> None:
        """Cast-19 / CastLike-19 of a computed float32 tensor to float32 is the identity (unoptimized
        exports put CastLike around activations); casts of constants are folded before this."""
        cast_like = node.op_type == "CastLike"
        names = self.check_arity(node, 2 if cast_like else 1, 2 if cast_like else 1)
        attrs = self.attrs(node)
        self.check_attrs(node, attrs, ("saturate",) if cast_like else ("to", "saturate"))
        if cast_like:
            like = names[1]
            if like in self.values:
                target = _FLOAT if element_of(self.values[like]) == f32 else None
            else:
                value = self.consts.get(like)
                target = _FLOAT if isinstance(value, np.ndarray) and value.dtype == np.float32 else None
        else:
            target = int(attrs.get("to", 0))
        x = self.operand(names[0], node)
        source = "float32" if element_of(x) == f32 else str(element_of(x))
        if source != "float32" or target != _FLOAT:
            wanted = dtype_name(target) if target is not None else "a type other than float32"
            raise self.unsupported(
                node, f"a cast of the computed {source} tensor '{names[0]}' to {wanted}",
                "float32 to float32 (the identity), and casts of constants")
        self.bind(node, x)

    def on_matmul_batched(self, node) -> None:
        """ONNX MatMul-13 with numpy's matmul rules. Rank-2 operands are one `nn.matmul`; an A of shape
        [..., M, K] times a rank-2 B [K, N] (a Linear applied to a rank-3 input) is reshaped to [prod(...) * M, K],
        multiplied, and reshaped back to [..., M, N]."""
        names = self.check_arity(node, 2, 2)
        self.check_attrs(node, self.attrs(node), ())
        sa, sb = self.static_shape(names[0], node), self.static_shape(names[1], node)
        if len(sa) <= 2 and len(sb) <= 2:
            self.on_matmul(node)
            return
        if len(sb) != 2 or len(sa) < 2:
            raise self.unsupported(
                node, f"operands of shapes {list(sa)} and {list(sb)}",
                "rank-2 operands, or an A of rank 3 or more times a rank-2 B")
        if sa[-1] != sb[0]:
            raise self.fail(node, f"shapes {list(sa)} and {list(sb)} do not multiply")
        a, b = self.float_operand(names[0], node), self.float_operand(names[1], node)
        layer, builder = self.layer(node), self.builder
        rows = num_elements(sa[:-1])
        flat = builder.reshape(a, (rows, sa[-1]), layer, node.output[0] + "_rows")
        product = builder.value(nn.MatMulOp(operands=[flat, b], result_types=[float_tensor((rows, sb[1]))]),
                                layer, node.output[0] + "_matmul")
        self.bind(node, builder.reshape(product, (*sa[:-1], sb[1]), layer, node.output[0]))


class _Unsupported:
    """Placeholder for a constant of a type the importer does not read (an error only if used)."""

    def __init__(self, code: int):
        self.code = code


def _kind_of(value: np.ndarray | _Unsupported | None) -> str | None:
    """The element type name of a stored constant, or None."""
    if isinstance(value, _Unsupported):
        return dtype_name(value.code)
    return None if value is None else value.dtype.name


def _dequantize_array(stored: np.ndarray, q: UniformQuantizedType) -> np.ndarray:
    """(stored - zp) * scale in float32, as ONNX DequantizeLinear computes it."""
    scales = np.asarray(q.scales, dtype=np.float32)
    zps = np.asarray(q.zero_points, dtype=np.int64)
    if q.axis is not None:  # per axis
        shape = [1] * stored.ndim
        shape[q.axis] = -1
        scales, zps = scales.reshape(shape), zps.reshape(shape)
    return ((stored.astype(np.int64) - zps).astype(np.float32) * scales).astype(np.float32)


_ACTIVATION_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Elu": ("elu", ("alpha",)),
    "Gelu": ("gelu", ()),
    "HardSigmoid": ("hard_sigmoid", ("alpha", "beta")),
    "HardSwish": ("hard_swish", ()),
    "LeakyRelu": ("leaky_relu", ("alpha",)),
    "PRelu": ("prelu", ()),
    "Sigmoid": ("sigmoid", ()),
    "Softplus": ("softplus", ()),
    "Swish": ("silu", ("alpha",)),
    "Tanh": ("tanh", ()),
}
"""ONNX ops that become one nn.activation: its kind (cmsis_opt.lut.ACTIVATIONS) and the ONNX attributes it takes."""

_HANDLERS: dict[str, Callable[[_Importer, object], None]] = {
    "Add": _Importer.on_binary,
    "AveragePool": _Importer.on_pool,
    "BatchNormalization": _Importer.on_batchnorm,
    "Cast": _Importer.on_cast,
    "CastLike": _Importer.on_cast,
    "Clip": _Importer.on_clip,
    "Concat": _Importer.on_concat,
    "Constant": _Importer.on_constant,
    "Conv": _Importer.on_conv,
    "ConvTranspose": _Importer.on_conv_transpose,
    "DequantizeLinear": _Importer.on_dequantize,
    "Dropout": _Importer.on_dropout,
    "Flatten": _Importer.on_flatten,
    "Gemm": _Importer.on_gemm,
    "GlobalAveragePool": _Importer.on_global_avg_pool,
    "Identity": _Importer.on_identity,
    "MatMul": _Importer.on_matmul_batched,
    "MaxPool": _Importer.on_pool,
    "Mul": _Importer.on_binary,
    "Pad": _Importer.on_pad,
    "QuantizeLinear": _Importer.on_quantize,
    "Relu": _Importer.on_relu,
    "ReduceMean": _Importer.on_reduce_mean,
    "Reshape": _Importer.on_reshape,
    "Slice": _Importer.on_slice,
    "Shape": _Importer.on_shape,
    "Size": _Importer.on_size,
    "Softmax": _Importer.on_softmax,
    "Squeeze": _Importer.on_squeeze_unsqueeze,
    "Transpose": _Importer.on_transpose,
    "Unsqueeze": _Importer.on_squeeze_unsqueeze,
    **{op_type: _Importer.on_activation for op_type in _ACTIVATION_KINDS},
}

SUPPORTED_OPS = tuple(sorted(_HANDLERS))

_REFUSED = {
    "LSTM": "its quantization does not map onto arm_lstm_unidirectional_s8, which takes int8 weights with one "
            "scale per gate, gates requantized to Q3.12 and an int16 cell state with a power-of-two scale "
            "(TFLite's quantized LSTM); an ONNX model carries no cell state scale, and onnxruntime's QDQ "
            "quantizer leaves LSTM in float. Convert the model to TFLite with full integer quantization "
            "(UNIDIRECTIONAL_SEQUENCE_LSTM), which cmsis-compile takes",
}
"""ONNX ops refused with their own reason rather than the list of supported ops."""
