"""TFLite (int8; int16 activations of the 16x8 scheme) -> `nn` dialect, in the ONNX frontend's QDQ form.

Flatbuffer reading: the generated schema module that ships in the PyPI
`tflite-micro` wheel (`tensorflow/lite/micro/python/schema_py_generated.py`,
plain Python on top of the `flatbuffers` package). It is loaded straight from
its file: importing it through the `tflite_micro` package would first run that
package's `__init__`, which loads the interpreter runtime (a C extension) and
the compression tools we do not need. We chose it over the PyPI `tflite`
package because it is the schema of the very TFLite Micro build our reference
outputs come from, and the project already installs that wheel.

Mapping (TFLite is NHWC, `nn` follows ONNX's NCHW):
- every 4-D activation is held in NCHW: an int8 graph input goes through an
  `nn.transpose` (on the int8 codes) and then `nn.dequantize`; 4-D graph
  outputs are transposed back to NHWC;
- each op reads dequantized inputs, computes in float, applies its fused
  activation (`nn.relu` / `nn.clip`) and is `nn.quantize`d with its output
  tensor's scale and zero point: the QDQ sandwich;
- filters are permuted OHWI -> OIHW, depthwise 1HWC -> [C*m, 1, KH, KW] with
  group C; fully connected weights stay [out][in] (`nn.fully_connected`);
  int8 weights and int32 biases keep TFLite's codes and float32 scales;
- SAME padding becomes explicit pads (the odd pixel at the bottom/right);
- RESHAPE of a 4-D tensor is done in TFLite's row-major (NHWC) order: a
  transpose back to NHWC, then `nn.reshape` (on the int8 codes when the scale
  does not change).

- UNIDIRECTIONAL_SEQUENCE_LSTM becomes `nn.lstm` with the four gates' weights
  stacked and the int16 cell state's scale (docs/lstm.md); STRIDED_SLICE and
  SLICE (strides 1) become `nn.slice` in TFLite's order.

TFLite operators have no names: an op's `layer` is the name of the tensor it
writes (a constant's, its own tensor name), as TFLite's tools show them.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, ModuleOp, UnitAttr, f32, i64
from xdsl.ir import Attribute, SSAValue

from cmsis_opt.dialects import nn
from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.dialects.utils import (
    broadcast_shape,
    conv_out_size,
    i64_array,
    num_elements,
    shape_of,
    unpack_int4,
)
from cmsis_opt.errors import CompileError
from cmsis_opt.frontends.graph import (
    I4,
    I8,
    I16,
    I32,
    I64,
    GraphBuilder,
    QuantizationError,
    element_of,
    float_tensor,
    function_name,
    is_quantized,
    quant_element,
    same_padding,
    tensor_of,
)

TO_NCHW = (0, 3, 1, 2)
TO_NHWC = (0, 2, 3, 1)
_SCHEMA_FILE = ("tensorflow", "lite", "micro", "python", "schema_py_generated.py")
_SCHEMA_MODULE = "cmsis_opt.frontends._tflite_schema"


def load_schema():
    """The TFLite flatbuffer schema module, loaded without the tflite_micro runtime."""
    if _SCHEMA_MODULE in sys.modules:
        return sys.modules[_SCHEMA_MODULE]
    spec = importlib.util.find_spec("tflite_micro")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder).joinpath(*_SCHEMA_FILE)
        if path.is_file():
            module_spec = importlib.util.spec_from_file_location(_SCHEMA_MODULE, path)
            assert module_spec is not None and module_spec.loader is not None  # a .py file has a source loader
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
            sys.modules[_SCHEMA_MODULE] = module
            return module
    raise CompileError("reading .tflite files needs the TFLite flatbuffer schema from the 'tflite-micro' "
                       "package (pip install tflite-micro)", "cmsis-import")


def _enum_names(enum_class) -> dict[int, str]:
    return {value: key for key, value in vars(enum_class).items() if not key.startswith("_")}


def read_model(path: str):
    """Parse a .tflite file into the schema's object API (ModelT); damage is one CompileError."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CompileError(f"cannot read '{path}': {error.strerror}", "input") from None
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise CompileError("not a TFLite model (the file identifier 'TFL3' is missing)", path)
    schema = load_schema()
    try:
        model = schema.ModelT.InitFromPackedBuf(data, 0)
    except Exception as error:  # flatbuffers reports damage with struct/index errors
        raise CompileError(f"the TFLite file is damaged ({type(error).__name__}: {error})", path) from None
    if not model.subgraphs:
        raise CompileError("the TFLite model has no subgraph", path)
    return model, data, schema


def import_tflite(path: str, name: str | None = None) -> ModuleOp:
    """Import the TFLite model at `path` as a module holding one `func.func`."""
    model, data, schema = read_model(path)
    try:
        return _Importer(model, data, schema, path, name or function_name(path)).run()
    except (IndexError, TypeError, AttributeError, ValueError) as error:
        raise CompileError(
            f"the TFLite file is damaged or inconsistent ({type(error).__name__}: {error})", path) from None


class _Importer:
    def __init__(self, model, data: bytes, schema, path: str, name: str):
        self.model = model
        self.data = data
        self.schema = schema
        self.path = path
        self.name = name
        self.graph = model.subgraphs[0]
        self.op_names = _enum_names(schema.BuiltinOperator)
        self.type_names = _enum_names(schema.TensorType)
        self.act_names = _enum_names(schema.ActivationFunctionType)
        self.values: dict[int, SSAValue] = {}  # tensor index -> its value (4-D ones in NCHW)
        self.floats: dict[int, SSAValue] = {}  # tensor index -> its dequantized value
        self._builder: GraphBuilder | None = None
        self.node = ("?", "?")

    @property
    def builder(self) -> GraphBuilder:
        """The function being built: run() starts it before it converts any operator."""
        assert self._builder is not None
        return self._builder

    # -- errors -----------------------------------------------------------------
    def fail(self, message: str) -> CompileError:
        label, kind = self.node
        return CompileError(f"node '{label}' ({kind}): {message}", self.path)

    def unsupported(self, what: str, supported: str) -> CompileError:
        return self.fail(f"{what} is not supported; supported: {supported}")

    # -- tensors ----------------------------------------------------------------
    def tensor(self, index: int):
        return self.graph.tensors[index]

    def tensor_name(self, index: int) -> str:
        raw = self.tensor(index).name
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or f"tensor_{index}")

    def shape(self, index: int) -> tuple[int, ...]:
        t = self.tensor(index)
        shape = [] if t.shape is None else [int(d) for d in t.shape]
        signature = None if t.shapeSignature is None else [int(d) for d in t.shapeSignature]
        if signature is not None:
            for axis, d in enumerate(signature):
                if d < 0 and axis != 0:
                    raise self.unsupported(
                        f"tensor '{self.tensor_name(index)}' with dynamic dimension {axis}",
                        "static shapes (a dynamic batch is pinned to 1)")
        if shape and shape[0] < 1:
            shape[0] = 1
        return tuple(shape)

    def type_name(self, index: int) -> str:
        return self.type_names.get(self.tensor(index).type, str(self.tensor(index).type))

    def quant(self, index: int):
        """(scales float32 array, zero points int64 array, quantized dimension) or None."""
        q = self.tensor(index).quantization
        if q is None or q.scale is None or len(q.scale) == 0:
            return None
        scales = np.asarray(q.scale, dtype=np.float32)
        no_zero_points = q.zeroPoint is None or len(q.zeroPoint) == 0
        zps = np.zeros(len(scales), np.int64) if no_zero_points else np.asarray(q.zeroPoint, np.int64)
        return scales, zps, int(q.quantizedDimension)

    def activation_element(self, index: int) -> UniformQuantizedType:
        """The per-tensor element type of an activation tensor: int8, or int16 (the 16x8 scheme)."""
        kind = self.type_name(index)
        if kind not in _ACTIVATION_STORAGE:
            raise self.unsupported(
                f"tensor '{self.tensor_name(index)}' of type {kind}",
                "INT8 and INT16 activations (FLOAT32 only around QUANTIZE/DEQUANTIZE)")
        q = self.quant(index)
        if q is None:
            raise self.fail(f"{kind.lower()} tensor '{self.tensor_name(index)}' has no quantization parameters")
        scales, zps, _ = q
        if len(scales) != 1:
            raise self.unsupported(
                f"per-channel quantization of activation '{self.tensor_name(index)}'", "per-tensor activations")
        return quant_element(scales[0], zps[0], storage=_ACTIVATION_STORAGE[kind])

    def buffer(self, index: int) -> np.ndarray | None:
        """The constant data of a tensor (None for activations)."""
        t = self.tensor(index)
        if t.buffer <= 0 or t.buffer >= len(self.model.buffers):
            return None
        buf = self.model.buffers[t.buffer]
        raw = buf.data
        if (raw is None or len(raw) == 0) and getattr(buf, "offset", 0) > 1:
            raw = np.frombuffer(self.data[buf.offset: buf.offset + buf.size], np.uint8)
        if raw is None or len(raw) == 0:
            return None
        shape = self.shape(index)
        if self.type_name(index) == "INT4":  # two per byte, the first in the low nibble (TFLite's packing)
            packed = np.asarray(raw, np.uint8).reshape(-1)
            if packed.size != (num_elements(shape) + 1) // 2:
                raise self.fail(f"int4 constant '{self.tensor_name(index)}' holds {packed.size} bytes for shape "
                                f"{list(shape)} (two values per byte)")
            return unpack_int4(packed, num_elements(shape)).reshape(shape)
        dtypes = {"INT8": np.int8, "INT32": np.int32, "FLOAT32": np.float32, "INT64": np.int64, "INT16": np.int16}
        dtype = dtypes.get(self.type_name(index))
        if dtype is None:
            raise self.unsupported(
                f"constant '{self.tensor_name(index)}' of type {self.type_name(index)}",
                "INT4 (conv, depthwise conv, fully connected filters), INT8, INT16, INT32, INT64, FLOAT32 constants")
        array = np.frombuffer(np.asarray(raw, np.uint8).tobytes(), dtype=np.dtype(dtype).newbyteorder("<"))
        if array.size != num_elements(shape):
            raise self.fail(f"constant '{self.tensor_name(index)}' holds {array.size} values for shape {list(shape)}")
        return array.reshape(shape).astype(dtype)

    def const(self, index: int, what: str) -> np.ndarray:
        value = self.buffer(index)
        if value is None:
            raise self.unsupported(f"a computed {what} ('{self.tensor_name(index)}')", f"a constant {what}")
        return value

    def weight(self, index: int, array: np.ndarray, axis: int | None, expand_per_axis: bool = False) -> SSAValue:
        """A constant operand (already permuted to `nn` layout): quantized codes + `nn.dequantize`, or float."""
        b, label = self.builder, self.tensor_name(index)
        if array.dtype == np.float32:
            return b.constant(np.ascontiguousarray(array), label)
        q = self.quant(index)
        if q is None:
            raise self.fail(f"{array.dtype} constant '{label}' has no quantization parameters")
        scales, zps, _ = q
        storage = {np.dtype(np.int8): I8, np.dtype(np.int32): I32, np.dtype(np.int64): I64}.get(array.dtype)
        if self.type_name(index) == "INT4":
            storage = I4
        if storage is None:
            raise self.unsupported(f"{array.dtype} constant '{label}'",
                                   "int8 weights, int32 (int64 in the 16x8 scheme) biases, float32 constants")
        if len(scales) == 1 and not expand_per_axis:
            element = quant_element(scales[0], zps[0], storage=storage)
        else:
            if axis is not None and len(scales) == 1:
                scales, zps = np.repeat(scales, array.shape[axis]), np.repeat(zps, array.shape[axis])
            if axis is None or array.shape[axis] != len(scales):
                raise self.fail(f"constant '{label}' has {len(scales)} scales for shape {list(array.shape)}")
            element = quant_element(scales, zps, axis, storage)
        codes = b.constant(np.ascontiguousarray(array), label, element)
        return b.dequantize(codes, label)

    # -- values -------------------------------------------------------------------
    def float_in(self, index: int) -> SSAValue:
        """The real-valued (float) value of tensor `index`, 4-D ones in NCHW."""
        if index in self.floats:
            return self.floats[index]
        if index in self.values:
            value = self.values[index]
            result = self.builder.dequantize(value, self.tensor_name(index)) if is_quantized(value) else value
        else:
            array = self.buffer(index)
            if array is None:
                raise self.fail(f"tensor '{self.tensor_name(index)}' is read before it is computed")
            if array.ndim == 4:
                array = np.transpose(array, TO_NCHW)
            result = self.weight(index, array, None)
        self.floats[index] = result
        return result

    def store(self, index: int, value: SSAValue) -> None:
        self.values[index] = value
        self.floats.pop(index, None)

    def finish_op(self, output: int, result: SSAValue, activation: int = 0) -> None:
        """Fused activation, then `nn.quantize` with the output tensor's parameters (float outputs stay float)."""
        b, label = self.builder, self.tensor_name(output)
        name = self.act_names.get(activation, str(activation))
        if name == "RELU":
            result = b.clip(result, 0.0, float("inf"), label)
        elif name == "RELU6":
            result = b.clip(result, 0.0, 6.0, label)
        elif name == "RELU_N1_TO_1":
            result = b.clip(result, -1.0, 1.0, label)
        elif name != "NONE":
            raise self.unsupported(f"fused activation {name}", "NONE, RELU, RELU6, RELU_N1_TO_1")
        if self.type_name(output) == "FLOAT32":
            self.store(output, result)
            self.floats[output] = result
            return
        expected = self.nn_shape(output)
        if shape_of(result) != expected:
            raise self.fail(
                f"computed shape {list(shape_of(result))} differs from the output tensor's {list(expected)}")
        self.store(output, b.quantize(result, self.activation_element(output), label))

    def nn_shape(self, index: int) -> tuple[int, ...]:
        shape = self.shape(index)
        return tuple(shape[p] for p in TO_NCHW) if len(shape) == 4 else shape

    # -- driver -------------------------------------------------------------------
    def run(self) -> ModuleOp:
        g = self.graph
        inputs = []
        for index in g.inputs:
            self.node = (self.tensor_name(index), "input")
            shape = self.shape(index)
            if shape and shape[0] != 1 and not self.only_read_by_lstms(index):
                raise self.unsupported(f"batch size {shape[0]}", "batch 1")
            kind = self.type_name(index)
            if kind in _ACTIVATION_STORAGE:
                try:
                    element = self.activation_element(index)
                except QuantizationError as error:
                    raise self.fail(f"invalid quantization parameters: {error}") from None
                inputs.append((self.tensor_name(index), tensor_of(element, shape)))
            elif kind == "FLOAT32":
                inputs.append((self.tensor_name(index), float_tensor(shape)))
            else:
                raise CompileError(f"graph input '{self.tensor_name(index)}': element type {kind} is not supported; "
                                   "supported: INT8, INT16, FLOAT32", self.path)
        self._builder = GraphBuilder(self.name, inputs)
        for index, arg in zip(g.inputs, self.builder.args, strict=True):
            label = self.tensor_name(index)
            self.store(index, self.builder.transpose(arg, TO_NCHW, label) if len(shape_of(arg)) == 4 else arg)
        for op in g.operators:
            self.convert(op)
        outputs = []
        for index in g.outputs:
            if index not in self.values:
                raise CompileError(f"graph output '{self.tensor_name(index)}' is never computed", self.path)
            value = self.values[index]
            if len(shape_of(value)) == 4:
                value = self.builder.transpose(value, TO_NHWC, self.tensor_name(index))
            outputs.append(value)
        return self.builder.finish(outputs, layout="NHWC")

    def only_read_by_lstms(self, index: int) -> bool:
        """Whether every operator reading tensor `index` is an UNIDIRECTIONAL_SEQUENCE_LSTM (as its input 0),
        whose kernel takes any number of batches and time steps in either order (time major or not)."""
        readers = [op for op in self.graph.operators if op.inputs is not None and index in list(op.inputs)]
        kinds = {self.op_names.get(max(int(c.builtinCode), int(c.deprecatedBuiltinCode)))
                 for c in (self.model.operatorCodes[op.opcodeIndex] for op in readers)}
        return bool(readers) and kinds == {"UNIDIRECTIONAL_SEQUENCE_LSTM"} and all(
            int(op.inputs[0]) == index for op in readers)

    def convert(self, op) -> None:
        code = self.model.operatorCodes[op.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        kind = self.op_names.get(builtin, f"operator #{builtin}")
        if kind == "CUSTOM" and code.customCode:
            kind = f"CUSTOM:{code.customCode.decode('utf-8', 'replace')}"
        outputs = [int(i) for i in (op.outputs if op.outputs is not None else [])]
        self.node = (self.tensor_name(outputs[0]) if outputs else "?", kind)
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise self.unsupported("this op", ", ".join(sorted(_HANDLERS)))
        if len(outputs) != 1:
            raise self.unsupported(f"{len(outputs)} outputs", "one output")
        inputs = [int(i) for i in (op.inputs if op.inputs is not None else [])]
        try:
            handler(self, op, inputs, outputs[0])
        except QuantizationError as error:
            raise self.fail(f"invalid quantization parameters: {error}") from None

    # -- ops ----------------------------------------------------------------------
    def explicit_pads(self, padding: int, in_hw, kernel, strides, dilations) -> list[int]:
        """[top, left, bottom, right] for TFLite SAME (0) or VALID (1) padding."""
        if min(*kernel, *strides, *dilations) < 1:
            raise self.fail(
                f"window {list(kernel)}, strides {list(strides)} and dilations {list(dilations)} must all be >= 1")
        if padding == self.schema.Padding.VALID:
            return [0, 0, 0, 0]
        if padding != self.schema.Padding.SAME:
            raise self.unsupported(f"padding {padding}", "SAME, VALID")
        h = same_padding(in_hw[0], kernel[0], strides[0], dilations[0])
        w = same_padding(in_hw[1], kernel[1], strides[1], dilations[1])
        return [h[0], w[0], h[1], w[1]]

    def on_conv(self, op, inputs, output) -> None:
        depthwise = self.node[1] == "DEPTHWISE_CONV_2D"
        options = op.builtinOptions
        x = self.float_in(inputs[0])
        n, c, h, w = shape_of(x)
        filt = self.const(inputs[1], "filter")
        if filt.ndim != 4:
            raise self.fail(f"filter has shape {list(filt.shape)}, expected rank 4")
        if depthwise:
            weights = np.transpose(filt, (3, 0, 1, 2))  # 1HWC -> [C*m, 1, KH, KW]
            group = c
            if weights.shape[0] % c:
                raise self.fail(f"{weights.shape[0]} filter channels are not a multiple of {c} input channels")
        else:
            weights = np.transpose(filt, (0, 3, 1, 2))  # OHWI -> OIHW
            if c % weights.shape[1]:
                raise self.fail(f"filter input depth {weights.shape[1]} does not divide {c} input channels")
            group = c // weights.shape[1]
        out_c, kernel = weights.shape[0], weights.shape[2:]
        weight = self.weight(inputs[1], weights, 0, expand_per_axis=True)
        bias = None
        if len(inputs) > 2 and inputs[2] >= 0:
            bias = self.weight(inputs[2], self.const(inputs[2], "bias").reshape(-1), 0, expand_per_axis=True)
        strides = [options.strideH, options.strideW]
        dilations = [options.dilationHFactor, options.dilationWFactor]
        pads = self.explicit_pads(options.padding, (h, w), kernel, strides, dilations)
        out_hw = [conv_out_size((h, w)[i], kernel[i], strides[i], pads[i], pads[i + 2], dilations[i]) for i in range(2)]
        result_type = float_tensor((n, out_c, *out_hw))
        conv = nn.Conv2DOp(x, weight, bias, result_type, strides, pads, dilations, group)
        result = self.builder.value(conv, self.tensor_name(output))
        self.finish_op(output, result, options.fusedActivationFunction)

    def on_transpose_conv(self, op, inputs, output) -> None:
        """TRANSPOSE_CONV: inputs (output shape, OHWI filter, input[, bias]); the output tensor's shape is taken.

        Padding as TFLite Micro's transpose_conv.cc computes it: the SAME or
        VALID padding of a forward convolution from the output size to the
        input size (ComputePaddingHeightWidth); only the top/left part crops
        (reference_integer_ops::TransposeConv), the rest is the bottom/right
        padding and an output padding of bias-only rows.
        """
        options = op.builtinOptions
        if len(inputs) < 3:
            raise self.fail(f"expected inputs (output shape, filter, input[, bias]), got {len(inputs)}")
        x = self.float_in(inputs[2])
        n, c, h, w = shape_of(x)
        filt = self.const(inputs[1], "filter")
        out_shape = self.shape(output)
        if filt.ndim != 4 or filt.shape[3] != c:
            raise self.fail(f"filter has shape {list(filt.shape)}, expected [C_out, KH, KW, {c}]")
        if len(out_shape) != 4 or out_shape[3] != filt.shape[0]:
            raise self.fail(f"output has shape {list(out_shape)}, expected [N, H, W, {filt.shape[0]}]")
        kernel, strides = filt.shape[1:3], [options.strideH, options.strideW]
        out_hw = out_shape[1:3]
        pads = self.explicit_pads(options.padding, out_hw, kernel, strides, (1, 1))
        for axis, name in ((0, "height"), (1, "width")):
            full = (((h, w)[axis] - 1) * strides[axis] + kernel[axis])
            pads[axis + 2] = max(full - pads[axis] - out_hw[axis], 0)
            if not 0 <= out_hw[axis] - (full - pads[axis] - pads[axis + 2]) < strides[axis]:
                raise self.fail(f"output {name} {out_hw[axis]} does not follow from input {(h, w)[axis]}, "
                                f"filter {kernel[axis]} and stride {strides[axis]}")
        weight = self.weight(inputs[1], np.transpose(filt, (3, 0, 1, 2)), 1, expand_per_axis=True)  # OHWI -> IOHW
        bias = None
        if len(inputs) > 3 and inputs[3] >= 0:
            bias = self.weight(inputs[3], self.const(inputs[3], "bias").reshape(-1), 0, expand_per_axis=True)
        result_type = float_tensor((n, filt.shape[0], *out_hw))
        conv = nn.ConvTranspose2DOp(x, weight, bias, result_type, strides, pads)
        result = self.builder.value(conv, self.tensor_name(output))
        self.finish_op(output, result, getattr(options, "fusedActivationFunction", 0))

    def on_lstm(self, op, inputs, output) -> None:
        """UNIDIRECTIONAL_SEQUENCE_LSTM, int8 or 16x8 (int16 activations, int8 weights, int64 biases): the kernels
        TFLite Micro runs with CMSIS-NN's arm_lstm_unidirectional_s8 / _s16: inputs 0 data, 1-4 input weights and 5-8
        recurrent weights of the input, forget, cell and output gates, 12-15 their biases, 18 the hidden (output) state,
        19 the int16 cell state (its scale is the cell state's, a power of two); the state tensors must be the
        zero-initialised variables TFLite resets before each inference. Peephole (9-11), projection (16-17), layer
        normalisation (20-23) and CIFG (no input gate) are refused: CMSIS-NN's kernel has none of them."""
        options = op.builtinOptions
        if len(inputs) != 24:
            raise self.fail(f"expected 24 inputs (TFLite's LSTM tensors), got {len(inputs)}")
        present = [i >= 0 for i in inputs]
        for indices, what in (((9, 10, 11), "peephole connections"), ((16, 17), "a projection layer"),
                              ((20, 21, 22, 23), "layer normalisation")):
            if any(present[i] for i in indices):
                raise self.unsupported(what, "the standard LSTM (arm_lstm_unidirectional_s8 has no "
                                       f"{what})")
        if not all(present[i] for i in (*range(1, 9), *range(12, 16), 18, 19)):
            raise self.unsupported("an LSTM without an input gate (CIFG) or without a state tensor",
                                   "every gate's weights and bias and both state tensors")
        if self.type_name(inputs[0]) not in ("INT8", "INT16"):
            raise self.unsupported(f"an LSTM with {self.type_name(inputs[0])} input",
                                   "INT8 (arm_lstm_unidirectional_s8) or INT16 (arm_lstm_unidirectional_s16)")
        activation = self.act_names.get(options.fusedActivationFunction, str(options.fusedActivationFunction))
        if activation != "TANH":  # the schema has no sigmoid; TFLite Micro's integer kernel takes only tanh
            raise self.unsupported(f"cell gate activation {activation}", "TANH")
        x = self.float_in(inputs[0])
        shape = shape_of(x)
        if len(shape) != 3:
            raise self.fail(f"input has shape {list(shape)}, expected [batch, time, features]")
        hidden_state, cell_state = inputs[18], inputs[19]
        cell_quant = self.quant(cell_state)
        if self.type_name(cell_state) != "INT16" or cell_quant is None:
            raise self.unsupported(f"cell state '{self.tensor_name(cell_state)}' of type "
                                   f"{self.type_name(cell_state)}", "a quantized INT16 cell state")
        for index in (hidden_state, cell_state):
            if self.buffer(index) is not None and np.any(self.buffer(index)):
                raise self.unsupported(f"state '{self.tensor_name(index)}' with a nonzero initial value",
                                       "zero-initialised state")
        if self.activation_element(hidden_state) != self.activation_element(output):
            raise self.fail(f"the hidden state '{self.tensor_name(hidden_state)}' and the output are quantized "
                            "differently; TFLite's kernel writes the hidden state as the output")
        hidden = self.shape(inputs[5])[0] if len(self.shape(inputs[5])) == 2 else 0
        weight = self.gate_constant(inputs[1:5], (hidden, shape[2]), "input weights")
        recurrence = self.gate_constant(inputs[5:9], (hidden, hidden), "recurrent weights")
        bias = self.gate_constant(inputs[12:16], (hidden,), "bias")
        cell_scale = float(cell_quant[0][0])
        result_type = float_tensor((*shape[:2], hidden))
        lstm = nn.LSTMOp((x, weight, recurrence, bias), result_type, cell_activation=activation.lower(),
                         cell_clip=float(options.cellClip), time_major=bool(options.timeMajor),
                         cell_scale=cell_scale)
        self.finish_op(output, self.builder.value(lstm, self.tensor_name(output)))

    def gate_constant(self, indices, shape: tuple[int, ...], what: str) -> SSAValue:
        """The four gates' constants stacked on axis 0 ([4 * shape[0], ...]), each gate's one scale repeated over
        its rows (per-axis quantization along axis 0), dequantized."""
        arrays, scales, zps = [], [], []
        for index in indices:
            array = self.const(index, what)
            if tuple(array.shape) != shape:
                raise self.fail(f"{what} '{self.tensor_name(index)}' has shape {list(array.shape)}, expected "
                                f"{list(shape)}")
            q = self.quant(index)
            if q is None or len(q[0]) != 1:
                raise self.unsupported(f"{what} '{self.tensor_name(index)}' without one per-tensor scale",
                                       "per-tensor quantized LSTM weights and biases")
            arrays.append(array)
            scales += [q[0][0]] * shape[0]
            zps += [q[1][0]] * shape[0]
        stacked = np.concatenate(arrays)
        storage = {np.dtype(np.int8): I8, np.dtype(np.int32): I32, np.dtype(np.int64): I64}.get(stacked.dtype)
        if storage is None:
            raise self.unsupported(f"{stacked.dtype} {what}", "int8 weights, int32 (int64 for 16x8) biases")
        label = self.tensor_name(indices[0])
        codes = self.builder.constant(np.ascontiguousarray(stacked), label, quant_element(scales, zps, 0, storage))
        return self.builder.dequantize(codes, label)

    def on_strided_slice(self, op, inputs, output) -> None:
        """STRIDED_SLICE with strides 1 and no ellipsis / new axes; shrunk axes are reshaped away; SLICE
        (begin, size; size -1 to the end). Sliced in TFLite's (NHWC) order."""
        in_shape = self.shape(inputs[0])
        rank = len(in_shape)
        begin = [int(v) for v in np.ravel(self.const(inputs[1], "begin"))]
        if self.node[1] == "SLICE":
            size = [int(v) for v in np.ravel(self.const(inputs[2], "size"))]
            end = [full if n < 0 else b + n for b, n, full in zip(begin, size, in_shape, strict=False)]
            begin_mask = end_mask = shrink = 0
        else:
            options = op.builtinOptions
            end = [int(v) for v in np.ravel(self.const(inputs[2], "end"))]
            strides = [int(v) for v in np.ravel(self.const(inputs[3], "strides"))] if len(inputs) > 3 else []
            if any(st != 1 for st in strides):
                raise self.unsupported(f"strides {strides}", "strides 1")
            if options is not None and (options.ellipsisMask or options.newAxisMask or options.offset):
                raise self.unsupported("ellipsis_mask, new_axis_mask or offset", "begin, end and shrink masks")
            begin_mask = options.beginMask if options is not None else 0
            end_mask = options.endMask if options is not None else 0
            shrink = options.shrinkAxisMask if options is not None else 0
        if len(begin) != rank or len(end) != rank:
            raise self.fail(f"begin {begin} and end {end} do not give one bound per axis of {list(in_shape)}")
        starts, sizes = [], []
        for axis, full in enumerate(in_shape):
            lo = 0 if begin_mask >> axis & 1 else begin[axis] + (full if begin[axis] < 0 else 0)
            hi = full if end_mask >> axis & 1 else end[axis] + (full if end[axis] < 0 else 0)
            if shrink >> axis & 1:
                hi = lo + 1
            lo, hi = max(0, min(lo, full)), max(0, min(hi, full))
            if hi <= lo:
                raise self.unsupported(f"an empty slice on axis {axis}", "slices of at least one element")
            starts.append(lo)
            sizes.append(hi - lo)
        label = self.tensor_name(output)
        x = self.tflite_order(self.float_in(inputs[0]), label)
        sliced = self.builder.value(nn.SliceOp(x, starts, sizes), label)
        if tuple(sizes) != tuple(self.shape(output)):
            sliced = self.builder.reshape(sliced, self.shape(output), label)
        self.finish_op(output, self.nn_order(sliced, label))

    def on_fully_connected(self, op, inputs, output) -> None:
        options = op.builtinOptions
        if options is not None and options.weightsFormat != 0:
            raise self.unsupported("shuffled weights", "the DEFAULT weights format")
        weights = self.const(inputs[1], "weight")
        if weights.ndim != 2:
            raise self.fail(f"weight has shape {list(weights.shape)}, expected [out, in]")
        out_features, in_features = weights.shape
        x = self.flat_input(inputs[0], in_features)
        weight = self.weight(inputs[1], weights, 0)
        bias = None
        if len(inputs) > 2 and inputs[2] >= 0:
            bias = self.weight(inputs[2], self.const(inputs[2], "bias").reshape(-1), 0)
        rows = shape_of(x)[0]
        label = self.tensor_name(output)
        result = self.builder.value(nn.FullyConnectedOp(x, weight, bias, float_tensor((rows, out_features))), label)
        if len(self.shape(output)) != 2:
            if len(self.shape(output)) == 4:
                raise self.unsupported("keep_num_dims with a 4-D output", "2-D outputs")
            result = self.builder.reshape(result, self.shape(output), label)
        self.finish_op(output, result, options.fusedActivationFunction if options else 0)

    def flat_input(self, index: int, features: int) -> SSAValue:
        """The input of a fully connected layer as [rows, features] in TFLite's element order."""
        x = self.float_in(index)
        shape = self.shape(index)
        if len(shape) == 2 and shape[1] == features:
            return x
        if num_elements(shape) % features:
            raise self.fail(f"input {list(shape)} does not flatten to rows of {features}")
        label = self.tensor_name(index)
        if index in self.values and is_quantized(self.values[index]):
            stored = self.tflite_order(self.values[index], label)
            flat = self.builder.reshape(stored, (num_elements(shape) // features, features), label)
            return self.builder.dequantize(flat, label)
        return self.builder.reshape(self.tflite_order(x, label), (num_elements(shape) // features, features), label)

    def tflite_order(self, value: SSAValue, label: str) -> SSAValue:
        """A 4-D value back in NHWC (TFLite's row-major order); others unchanged."""
        return self.builder.transpose(value, TO_NHWC, label) if len(shape_of(value)) == 4 else value

    def nn_order(self, value: SSAValue, label: str) -> SSAValue:
        return self.builder.transpose(value, TO_NCHW, label) if len(shape_of(value)) == 4 else value

    def on_pool(self, op, inputs, output) -> None:
        options = op.builtinOptions
        x = self.float_in(inputs[0])
        n, c, h, w = shape_of(x)
        kernel = [options.filterHeight, options.filterWidth]
        strides = [options.strideH, options.strideW]
        pads = self.explicit_pads(options.padding, (h, w), kernel, strides, (1, 1))
        out_hw = [conv_out_size((h, w)[i], kernel[i], strides[i], pads[i], pads[i + 2]) for i in range(2)]
        cls = nn.MaxPoolOp if self.node[1] == "MAX_POOL_2D" else nn.AvgPoolOp
        result = self.builder.value(
            cls(x, float_tensor((n, c, *out_hw)), kernel, strides, pads), self.tensor_name(output))
        self.finish_op(output, result, options.fusedActivationFunction)

    def broadcast_operand(self, index: int, rank: int) -> SSAValue:
        """An ADD/MUL operand brought to the output's rank (TFLite broadcasts NHWC, aligned on C)."""
        own = self.shape(index)
        if len(own) == rank or rank != 4:
            return self.float_in(index)
        if index not in self.values:
            array = self.const(index, "operand").reshape((1,) * (4 - len(own)) + own)
            return self.weight(index, np.transpose(array, TO_NCHW), None)
        label = self.tensor_name(index)
        value = self.builder.reshape(self.float_in(index), (1,) * (4 - len(own)) + own, label)
        return self.builder.transpose(value, TO_NCHW, label)

    def on_binary(self, op, inputs, output) -> None:
        rank = len(self.shape(output))
        a, b = (self.broadcast_operand(i, rank) for i in inputs[:2])
        shape = broadcast_shape(shape_of(a), shape_of(b))
        if shape is None:
            raise self.fail(f"shapes {list(shape_of(a))} and {list(shape_of(b))} do not broadcast")
        cls = nn.AddOp if self.node[1] == "ADD" else nn.MulOp
        result = self.builder.binary(cls, a, b, shape, self.tensor_name(output))
        options = op.builtinOptions
        self.finish_op(output, result, options.fusedActivationFunction if options else 0)

    def on_reshape(self, op, inputs, output) -> None:
        source = inputs[0]
        label, target = self.tensor_name(output), self.shape(output)
        if num_elements(target) != num_elements(self.shape(source)):
            raise self.fail(f"cannot reshape {list(self.shape(source))} to {list(target)}")
        value = self.values.get(source)
        same_scale = (value is not None and is_quantized(value) and self.type_name(output) in _ACTIVATION_STORAGE
                      and self.activation_element(output) == element_of(value))
        if same_scale:  # move the int8 codes, as TFLite does
            assert value is not None
            moved = self.builder.reshape(self.tflite_order(value, label), target, label)
            self.store(output, self.nn_order(moved, label))
            return
        moved = self.builder.reshape(self.tflite_order(self.float_in(source), label), target, label)
        self.finish_op(output, self.nn_order(moved, label))

    def on_softmax(self, op, inputs, output) -> None:
        x = self.float_in(inputs[0])
        rank = len(shape_of(x))
        axis = 1 if rank == 4 else rank - 1  # TFLite: the last (channel) axis
        beta = float(op.builtinOptions.beta) if op.builtinOptions is not None else 1.0
        if not beta > 0:
            raise self.unsupported(f"beta {beta}", "beta > 0")
        result = self.builder.value(nn.SoftmaxOp(x, axis, beta), self.tensor_name(output))
        self.finish_op(output, result)

    def on_pad(self, op, inputs, output) -> None:
        x = self.float_in(inputs[0])
        paddings = self.const(inputs[1], "paddings").astype(np.int64)
        rank = len(self.shape(inputs[0]))
        if paddings.shape != (rank, 2):
            raise self.fail(f"paddings of shape {list(paddings.shape)} for a rank-{rank} input")
        if rank == 4:
            paddings = paddings[list(TO_NCHW)]
        if (paddings < 0).any():
            raise self.unsupported("negative paddings", "paddings >= 0")
        pads = [int(p) for p in paddings[:, 0]] + [int(p) for p in paddings[:, 1]]
        props: dict[str, Attribute] = {"pads": i64_array(pads)}
        if self.node[1] == "PADV2" and len(inputs) > 2 and inputs[2] >= 0:
            fill = float(np.ravel(self.const_real(inputs[2]))[0])
            if fill != 0.0:
                props["value"] = FloatAttr(fill, f32)
        shape = [d + pads[i] + pads[i + rank] for i, d in enumerate(shape_of(x))]
        result = self.builder.value(
            nn.PadOp(operands=[x], result_types=[float_tensor(shape)], properties=props), self.tensor_name(output))
        self.finish_op(output, result)

    def const_real(self, index: int) -> np.ndarray:
        array = self.const(index, "value")
        if array.dtype == np.float32:
            return array
        q = self.quant(index)
        if q is None:
            raise self.fail(f"constant '{self.tensor_name(index)}' has no quantization parameters")
        return ((array.astype(np.int64) - q[1][0]) * np.float32(q[0][0])).astype(np.float32)

    def on_concat(self, op, inputs, output) -> None:
        options = op.builtinOptions
        rank = len(self.shape(output))
        axis = options.axis + rank if options.axis < 0 else options.axis
        if rank == 4:
            axis = TO_NCHW.index(axis)
        values = [self.float_in(i) for i in inputs]
        shape = list(shape_of(values[0]))
        shape[axis] = sum(shape_of(v)[axis] for v in values)
        concat = nn.ConcatOp(
            operands=[values], result_types=[float_tensor(shape)], properties={"axis": IntegerAttr(axis, i64)})
        result = self.builder.value(concat, self.tensor_name(output))
        self.finish_op(output, result, options.fusedActivationFunction)

    def on_mean(self, op, inputs, output) -> None:
        in_shape = self.shape(inputs[0])
        axes = sorted({int(a) + len(in_shape) if a < 0 else int(a) for a in np.ravel(self.const(inputs[1], "axes"))})
        if len(in_shape) != 4 or axes != [1, 2]:
            raise self.unsupported(
                f"MEAN over axes {axes} of a rank-{len(in_shape)} tensor",
                "MEAN over H and W of an NHWC tensor (global average pooling)")
        x = self.float_in(inputs[0])
        n, c = shape_of(x)[:2]
        label = self.tensor_name(output)
        mean = nn.GlobalAvgPoolOp(operands=[x], result_types=[float_tensor((n, c, 1, 1))],
                                  properties={"tflite_mean": UnitAttr()})
        pooled = self.builder.value(mean, label)
        if len(self.shape(output)) == 4:
            self.finish_op(output, pooled)
        elif self.type_name(output) in _ACTIVATION_STORAGE:  # quantize [N, C, 1, 1], drop the 1s on the codes
            codes = self.builder.quantize(pooled, self.activation_element(output), label)
            self.store(output, self.builder.reshape(self.tflite_order(codes, label), self.shape(output), label))
        else:
            self.finish_op(output, self.builder.reshape(self.tflite_order(pooled, label), self.shape(output), label))

    def on_activation(self, op, inputs, output) -> None:
        """LOGISTIC, TANH, HARD_SWISH, ELU, LEAKY_RELU (alpha), PRELU (alpha tensor): an nn.activation that
        follows TFLite Micro's int8 kernel (rule "tflite"), run as a 256-entry table."""
        kind = _ACTIVATION_KINDS[self.node[1]]
        x = self.float_in(inputs[0])
        slope, alpha = None, None
        if kind == "prelu":
            slope = self.broadcast_operand(inputs[1], len(self.shape(output)))
        if kind == "leaky_relu":
            alpha = float(op.builtinOptions.alpha) if op.builtinOptions is not None else 0.0
        activation = nn.ActivationOp(x, kind, slope, alpha=alpha, rule="tflite")
        self.finish_op(output, self.builder.value(activation, self.tensor_name(output)))

    def on_quantize(self, op, inputs, output) -> None:
        self.finish_op(output, self.float_in(inputs[0]))

    def on_dequantize(self, op, inputs, output) -> None:
        if self.type_name(output) != "FLOAT32":
            raise self.unsupported(f"DEQUANTIZE to {self.type_name(output)}", "FLOAT32")
        value = self.float_in(inputs[0])
        self.store(output, value)
        self.floats[output] = value


_ACTIVATION_STORAGE = {"INT8": I8, "INT16": I16}
"""TFLite tensor types of activations and their storage: int8, and int16 in the 16x8 scheme."""

_ACTIVATION_KINDS = {"LOGISTIC": "sigmoid", "TANH": "tanh", "HARD_SWISH": "hard_swish", "ELU": "elu",
                     "LEAKY_RELU": "leaky_relu", "PRELU": "prelu"}
"""TFLite builtins that become `nn.activation` of this kind (cmsis_opt.lut.ACTIVATIONS)."""

_HANDLERS = {
    "ADD": _Importer.on_binary,
    "AVERAGE_POOL_2D": _Importer.on_pool,
    "CONCATENATION": _Importer.on_concat,
    "CONV_2D": _Importer.on_conv,
    "DEPTHWISE_CONV_2D": _Importer.on_conv,
    "DEQUANTIZE": _Importer.on_dequantize,
    "FULLY_CONNECTED": _Importer.on_fully_connected,
    "MAX_POOL_2D": _Importer.on_pool,
    "MEAN": _Importer.on_mean,
    "MUL": _Importer.on_binary,
    "PAD": _Importer.on_pad,
    "PADV2": _Importer.on_pad,
    "QUANTIZE": _Importer.on_quantize,
    "RESHAPE": _Importer.on_reshape,
    "SLICE": _Importer.on_strided_slice,
    "SOFTMAX": _Importer.on_softmax,
    "STRIDED_SLICE": _Importer.on_strided_slice,
    **{builtin: _Importer.on_activation for builtin in _ACTIVATION_KINDS},
    "TRANSPOSE_CONV": _Importer.on_transpose_conv,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _Importer.on_lstm,
}

SUPPORTED_OPS = tuple(sorted(_HANDLERS))
