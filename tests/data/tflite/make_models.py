"""Small TFLite test models beyond plain int8 CNNs, and TFLite Micro's outputs for them.

Two steps, each in its own environment (TensorFlow's converter is not a test dependency):

    # 1. the .tflite files, with TensorFlow (tensorflow-cpu and tf-keras 2.21.0, Python 3.11)
    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python tests/data/tflite/make_models.py convert tests/data/tflite
    # 1b. single-op models TensorFlow's converter does not give (a chosen input scale), with the flatbuffer
    #     schema tflite-micro ships (the project's test environment)
    .venv/bin/python tests/data/tflite/make_models.py schema tests/data/tflite
    # 1c. int4-weight models (conv, depthwise conv, fully connected), from the int8 ones of step 1 (the project's
    #     test environment)
    .venv/bin/python tests/data/tflite/make_models.py int4 tests/data/tflite
    # 2. the reference outputs, with PyPI tflite-micro (the project's test environment)
    .venv/bin/python tests/data/tflite/make_models.py reference tests/data/tflite [MODEL...]

Step 1 builds Keras models with seeded random weights (numpy default_rng, per
model), and converts each with full integer quantization: `<name>.int8.tflite`
(int8 activations and weights, int32 bias) and, where the 16x8 scheme applies,
`<name>.int16.tflite` (int16 activations, int8 weights, int64 bias:
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8). Model inputs and
outputs are integer too (no QUANTIZE/DEQUANTIZE at the edges). The
representative data set is 32 seeded standard-normal samples.

Step 1b writes `SCHEMA_MODELS`: int16 LOGISTIC and TANH at a power-of-two
input scale (the converter picks the scale from the data; at these scales
TFLite Micro's arithmetic is CMSIS-NN's `arm_nn_activation_s16`), and a
mixed int8 / int16 graph.

Step 1c writes `INT4_MODELS`: each int8 model's filter requantized to int4
(per output channel, per tensor for the fully connected one: scale max|w| / 7, codes rounded half away from zero and
clamped to [-8, 7]) and its bias to the new accumulator scale, the filter
stored as TFLite packs INT4 (two values per byte, the first in the low nibble,
the flat tensor packed as one run: a row of an odd length shares a byte with
the next row).

It also writes `INT4_KERNELS`, single int4 layers for each kernel the s4 wrappers pick, and `kws_int4.int4`, a
small conv net with int4 weights in every layer.

Step 2 runs every .tflite here through TFLite Micro's Python interpreter on
one seeded input (uniform over the input type's whole range, seed 1234 +
model index in sorted order; 2234 + index for SCHEMA_MODELS) and writes `<file>.npz` with `input_<i>` and
`output_<i>` arrays.

Keras 2 (tf-keras) is used rather than Keras 3 because its LSTM layer carries
the `tf.function` annotation the converter fuses into
UNIDIRECTIONAL_SEQUENCE_LSTM.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

CALIBRATION_SAMPLES = 32


def _models():
    """name -> (builder, input shapes without batch, schemes). Builders take a numpy Generator."""
    import tensorflow as tf

    keras = tf.keras
    layers = keras.layers

    def seeded(model: keras.Model, rng: np.random.Generator) -> keras.Model:
        """Replace every weight with seeded values: N(0, 0.5) kernels, N(0, 0.2) biases."""
        for layer in model.layers:
            weights = layer.get_weights()
            if weights:
                layer.set_weights([rng.normal(0, 0.5 if w.ndim > 1 else 0.2, w.shape).astype(np.float32)
                                   for w in weights])
        return model

    def single(shape, layer):
        def build(rng):
            x = keras.Input(shape, batch_size=1)
            return seeded(keras.Model(x, layer()(x)), rng)
        return build

    def binary(shape, layer):
        def build(rng):
            a, b = keras.Input(shape, batch_size=1), keras.Input(shape, batch_size=1)
            return seeded(keras.Model([a, b], layer()([a, b])), rng)
        return build

    def kws_conv(rng):
        """Keyword-spotting-like conv net on a 49x10 spectrogram: conv, depthwise, pointwise, pool, dense."""
        x = keras.Input((49, 10, 1), batch_size=1)
        y = layers.Conv2D(8, (5, 3), strides=2, padding="same", activation="relu")(x)
        y = layers.DepthwiseConv2D(3, padding="same", activation="relu")(y)
        y = layers.Conv2D(12, 1, activation="relu")(y)
        y = layers.AveragePooling2D((25, 5))(y)
        y = layers.Flatten()(y)
        y = layers.Dense(4)(y)
        return seeded(keras.Model(x, layers.Softmax()(y)), rng)

    def kws_lstm(rng):
        """Keyword-spotting-like LSTM: 20 frames of 10 features, LSTM(16), dense, softmax."""
        x = keras.Input((20, 10), batch_size=1)
        y = layers.LSTM(16)(x)
        y = layers.Dense(4)(y)
        return seeded(keras.Model(x, layers.Softmax()(y)), rng)

    both, int8 = ("int8", "int16"), ("int8",)
    return {
        "conv": (single((8, 8, 3), lambda: layers.Conv2D(8, 3, padding="same", activation="relu")), [(8, 8, 3)], both),
        "depthwise_conv": (single((8, 8, 4), lambda: layers.DepthwiseConv2D(3, depth_multiplier=2)), [(8, 8, 4)],
                           both),
        "fully_connected": (single((16,), lambda: layers.Dense(10)), [(16,)], both),
        "add": (binary((4, 4, 8), layers.Add), [(4, 4, 8), (4, 4, 8)], both),
        "mul": (binary((4, 4, 8), layers.Multiply), [(4, 4, 8), (4, 4, 8)], both),
        "max_pool": (single((8, 8, 4), lambda: layers.MaxPooling2D(2)), [(8, 8, 4)], both),
        "avg_pool": (single((8, 8, 4), lambda: layers.AveragePooling2D(3, strides=2, padding="same")), [(8, 8, 4)],
                     both),
        "softmax": (single((10,), layers.Softmax), [(10,)], both),
        "logistic": (single((16,), lambda: layers.Activation("sigmoid")), [(16,)], both),
        "tanh": (single((16,), lambda: layers.Activation("tanh")), [(16,)], both),
        "transpose_conv": (single((4, 4, 8), lambda: layers.Conv2DTranspose(6, 3, strides=2, padding="same")),
                           [(4, 4, 8)], both),
        "transpose_conv_valid": (single((5, 3, 4), lambda: layers.Conv2DTranspose(3, (2, 3), padding="valid",
                                                                                  activation="relu")),
                                 [(5, 3, 4)], int8),
        "transpose_conv_k4": (single((3, 4, 2), lambda: layers.Conv2DTranspose(5, 4, strides=(2, 1), padding="same")),
                              [(3, 4, 2)], int8),
        "lstm": (single((6, 4), lambda: layers.LSTM(8, return_sequences=True)), [(6, 4)], int8),
        "kws_conv": (kws_conv, [(49, 10, 1)], ("int16",)),
        "kws_lstm": (kws_lstm, [(20, 10)], int8),
    }


MLIR_16X8 = ("lstm",)
"""Models whose 16x8 form comes from TensorFlow's MLIR quantizer: `TFLiteConverter.convert()` refuses
(`Quantization to 16x8-bit not yet supported for op: 'UNIDIRECTIONAL_SEQUENCE_LSTM'`: for int16 activations it
always takes the older calibrator's quantizer), so step 1 calibrates with the converter and quantizes with
`mlir_quantize(..., inference_type=QUANTIZED_INT16)`. That quantizer stores the LSTM's gate biases as int32, which
TFLite Micro's 16x8 LSTM reads as int64; step 1b widens them (same integer values, same scale)."""


def convert(out: Path) -> None:
    import tensorflow as tf
    from tensorflow.compiler.mlir.lite import types_pb2
    from tensorflow.lite.python.convert import mlir_quantize

    tf.random.set_seed(0)
    out.mkdir(parents=True, exist_ok=True)
    for index, (name, (build, shapes, schemes)) in enumerate(sorted(_models().items())):
        model = build(np.random.default_rng(index))
        rng = np.random.default_rng(1000 + index)
        samples = [[rng.standard_normal((1, *s)).astype(np.float32) for s in shapes]
                   for _ in range(CALIBRATION_SAMPLES)]
        for scheme in schemes:
            converter = tf.lite.TFLiteConverter.from_keras_model(model)
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda samples=samples: iter(samples)
            if scheme == "int8":
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
                converter.inference_input_type = converter.inference_output_type = tf.int8
            else:
                converter.target_spec.supported_ops = [
                    tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
                converter.inference_input_type = converter.inference_output_type = tf.int16
            path = out / f"{name}.{scheme}.tflite"
            path.write_bytes(converter.convert())
            print(f"{path}: {path.stat().st_size} bytes")
        for scheme in ("int16",) if name in MLIR_16X8 else ():
            converter = tf.lite.TFLiteConverter.from_keras_model(model)
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda samples=samples: iter(samples)
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            converter._experimental_calibrate_only = True  # the float model with the calibrated ranges
            path = out / f"{name}.{scheme}.tflite"
            path.write_bytes(mlir_quantize(converter.convert(), fully_quantize=True,
                                           inference_type=types_pb2.QUANTIZED_INT16,
                                           input_data_type=tf.int16, output_data_type=tf.int16))
            print(f"{path}: {path.stat().st_size} bytes (int32 LSTM bias: widen it with the schema step)")


Q15 = 2.0 ** -15
SCHEMA_MODELS = {
    "logistic_pot.int16": ([1, 2048], [("x", "INT16", 2.0 ** -12, 0), ("y", "INT16", Q15, 0)], [("LOGISTIC", 0, 1)]),
    "tanh_pot.int16": ([1, 2048], [("x", "INT16", 2.0 ** -9, 0), ("y", "INT16", Q15, 0)], [("TANH", 0, 1)]),
    "mixed_tanh.int8": ([1, 8, 8, 16], [("x", "INT8", 0.04, -3), ("wide", "INT16", 0.0002, 0),
                                       ("squashed", "INT16", Q15, 0), ("y", "INT8", 1 / 128, 0)],
                        [("QUANTIZE", 0, 1), ("TANH", 1, 2), ("QUANTIZE", 2, 3)]),
}
"""name -> (shape of every tensor, tensors (name, type, scale, zero point), ops (TFLite op, input, output)): the
first tensor is the graph input, the last its output. `mixed_tanh.int8` is a mixed graph: int8 in and out, a TANH
on int16 between two QUANTIZE ops."""


LSTM_BIASES = (12, 13, 14, 15)
"""UNIDIRECTIONAL_SEQUENCE_LSTM inputs holding the input, forget, cell and output gate biases."""


def widen_lstm_biases(path: Path) -> None:
    """Rewrite the int32 gate biases of every int16 UNIDIRECTIONAL_SEQUENCE_LSTM in `path` as int64 (TFLite's
    16x8 scheme, what TFLite Micro's `EvalLstm<int16_t, int8_t, int16_t, int64_t>` and its CMSIS-NN port read);
    a model already widened is left as it is."""
    import flatbuffers

    from cmsis_opt.frontends.tflite import load_schema

    S = load_schema()
    model = S.ModelT.InitFromObj(S.Model.GetRootAs(path.read_bytes(), 0))
    changed = False
    for graph in model.subgraphs:
        for op in graph.operators:
            code = model.operatorCodes[op.opcodeIndex]
            if max(code.builtinCode, code.deprecatedBuiltinCode) != S.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM:
                continue
            if graph.tensors[op.inputs[0]].type != S.TensorType.INT16:
                continue
            for index in (op.inputs[i] for i in LSTM_BIASES):
                tensor = graph.tensors[index]
                if tensor.type != S.TensorType.INT32:
                    continue
                buffer = model.buffers[tensor.buffer]
                wide = np.frombuffer(bytes(buffer.data), np.int32).astype("<i8")
                buffer.data = np.frombuffer(wide.tobytes(), np.uint8)
                tensor.type, changed = S.TensorType.INT64, True
    if changed:
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        path.write_bytes(bytes(builder.Output()))
        print(f"{path}: LSTM biases widened to int64")


def schema(out: Path) -> None:
    import flatbuffers

    from cmsis_opt.frontends.tflite import load_schema

    for name in MLIR_16X8:
        if (out / f"{name}.int16.tflite").exists():
            widen_lstm_biases(out / f"{name}.int16.tflite")
    S = load_schema()
    for name, (shape, tensors, ops) in SCHEMA_MODELS.items():
        model = S.ModelT()
        model.version, model.buffers, model.subgraphs = 3, [S.BufferT()], [S.SubGraphT()]
        kinds = list(dict.fromkeys(kind for kind, _, _ in ops))
        model.operatorCodes = []
        for kind in kinds:
            code = S.OperatorCodeT()
            code.builtinCode = code.deprecatedBuiltinCode = getattr(S.BuiltinOperator, kind)
            code.version = 1
            model.operatorCodes.append(code)
        graph = model.subgraphs[0]
        graph.tensors = []
        for tensor_name, kind, scale, zero_point in tensors:
            tensor = S.TensorT()
            tensor.name, tensor.shape, tensor.type = tensor_name.encode(), np.array(shape, np.int32), getattr(
                S.TensorType, kind)
            tensor.buffer = 0
            tensor.quantization = S.QuantizationParametersT()
            tensor.quantization.scale = np.array([scale], np.float32)
            tensor.quantization.zeroPoint = np.array([zero_point], np.int64)
            graph.tensors.append(tensor)
        graph.operators = []
        for kind, source, result in ops:
            op = S.OperatorT()
            op.opcodeIndex, op.inputs, op.outputs = kinds.index(kind), [source], [result]
            graph.operators.append(op)
        graph.inputs, graph.outputs = [0], [len(tensors) - 1]
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        path = out / f"{name}.tflite"
        path.write_bytes(bytes(builder.Output()))
        print(f"{path}: {path.stat().st_size} bytes")


INT4_MODELS = {"conv.int4": "conv.int8", "depthwise_conv.int4": "depthwise_conv.int8",
               "fully_connected.int4": "fully_connected.int8"}
"""int4-weight model -> the int8 model it is made from (its op's filter is input 1, its bias input 2)."""

INT4_PER_TENSOR = {"fully_connected.int4"}
"""int4 models with one filter scale (the int8 model's scales per output row become their largest)."""

INT4_AS_INT8 = {"fully_connected.int4", "kws_int4.int4"}
"""PyPI tflite-micro's reference FULLY_CONNECTED refuses INT4 filters (fully_connected_common.cc: only its
CMSIS-NN build takes them); its output for these is that of the same model with the filter's codes stored
unpacked as INT8 (`unpack_int4_model`), which is what the int4 kernels compute."""


def unpack_int4_model(data: bytes) -> bytes:
    """`data` with every INT4 constant stored as INT8 (the same codes and scales)."""
    import flatbuffers

    from cmsis_opt.frontends.tflite import load_schema

    S = load_schema()
    model = S.ModelT.InitFromPackedBuf(bytearray(data), 0)
    for tensor in model.subgraphs[0].tensors:
        if tensor.type == S.TensorType.INT4:
            packed = np.frombuffer(bytes(model.buffers[tensor.buffer].data), np.uint8)
            codes = np.stack([packed & 0xF, packed >> 4], axis=1).reshape(-1)[:int(np.prod(tensor.shape))]
            model.buffers[tensor.buffer].data = ((codes.astype(np.int16) ^ 8) - 8).astype(np.int8).view(np.uint8)
            tensor.type = S.TensorType.INT8
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def pack_int4(codes: np.ndarray) -> np.ndarray:
    """TFLite's INT4 packing (`tflite::tensor_utils::PackInt8IntoDenseInt4`): two values per byte, the first in
    the low nibble; an odd count leaves the last high nibble 0."""
    flat = codes.reshape(-1).astype(np.int64) & 0xF
    if flat.size % 2:
        flat = np.append(flat, 0)
    return (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8)


def int4(out: Path) -> None:
    import flatbuffers

    from cmsis_opt.frontends.tflite import load_schema

    S = load_schema()
    for name, source in INT4_MODELS.items():
        model = S.ModelT.InitFromPackedBuf(bytearray((out / f"{source}.tflite").read_bytes()), 0)
        graph = model.subgraphs[0]
        (op,) = graph.operators
        x, w, b = (graph.tensors[i] for i in op.inputs[:3])
        codes = np.frombuffer(bytes(model.buffers[w.buffer].data), np.int8).reshape(w.shape)
        axis = int(w.quantization.quantizedDimension) if len(w.quantization.scale) > 1 else None
        scales = np.asarray(w.quantization.scale, np.float64)
        real = codes * (scales.reshape([-1 if d == axis else 1 for d in range(codes.ndim)]) if axis is not None
                        else scales[0])
        moved = np.moveaxis(real, axis, 0).reshape(len(scales), -1) if axis is not None else real.reshape(1, -1)
        new_scales = np.abs(moved).max(axis=1) / 7.0
        new_scales = np.where(new_scales > 0, new_scales, scales).astype(np.float32)
        if name in INT4_PER_TENSOR:  # one scale, the largest: arm_fully_connected_s4 takes one
            new_scales = np.full_like(new_scales, new_scales.max())
        per = new_scales.reshape([-1 if d == axis else 1 for d in range(codes.ndim)]) if axis is not None else \
            new_scales[0]
        q = real / per
        new_codes = np.clip(np.sign(q) * np.floor(np.abs(q) + 0.5), -8, 7).astype(np.int8)
        model.buffers[w.buffer].data = pack_int4(new_codes)
        w.type = S.TensorType.INT4
        w.quantization.scale = new_scales
        bias = np.frombuffer(bytes(model.buffers[b.buffer].data), np.int32)
        in_scale = float(np.float32(x.quantization.scale[0]))
        old_acc = in_scale * scales.astype(np.float32).astype(np.float64)
        new_acc = in_scale * new_scales.astype(np.float64)
        q = bias * old_acc / new_acc
        rounded = (np.sign(q) * np.floor(np.abs(q) + 0.5)).astype("<i4")
        model.buffers[b.buffer].data = np.frombuffer(rounded.tobytes(), np.uint8)
        b.quantization.scale = new_acc.astype(np.float32)
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        path = out / f"{name}.tflite"
        path.write_bytes(bytes(builder.Output()))
        print(f"{path}: {path.stat().st_size} bytes, filter {list(w.shape)} in {len(pack_int4(new_codes))} bytes")
    int4_kernels(out)
    kws_int4(out)


INT4_KERNELS = {
    # name: (op, input HWC, filter H, W, output channels (dw: multiplier), stride, padding, dilation, activation)
    "conv_1x1.int4": ("CONV_2D", (6, 6, 5), (1, 1), 7, (1, 1), "VALID", (1, 1), "RELU"),
    "conv_1x1_s2.int4": ("CONV_2D", (7, 7, 6), (1, 1), 4, (2, 2), "VALID", (1, 1), "NONE"),
    "conv_1xn.int4": ("CONV_2D", (1, 12, 4), (1, 3), 6, (1, 1), "SAME", (1, 1), "NONE"),
    "conv_dilated.int4": ("CONV_2D", (9, 8, 3), (3, 3), 5, (1, 2), "VALID", (2, 2), "RELU6"),
    "depthwise_m1.int4": ("DEPTHWISE_CONV_2D", (7, 7, 6), (3, 3), 1, (2, 2), "SAME", (1, 1), "NONE"),
    "depthwise_m3.int4": ("DEPTHWISE_CONV_2D", (5, 6, 4), (2, 3), 3, (1, 1), "VALID", (1, 1), "RELU"),
    "depthwise_odd.int4": ("DEPTHWISE_CONV_2D", (5, 6, 3), (2, 3), 3, (1, 1), "VALID", (1, 1), "RELU"),
}
"""Single int4-weight layers written with the flatbuffer schema (step 1c), one for each kernel the s4 wrappers pick:
1x1 stride 1 (`arm_convolve_1x1_s4_fast`), 1x1 strided (`arm_convolve_1x1_s4`), one input row
(`arm_convolve_1_x_n_s4`), dilated (`arm_convolve_s4`), multiplier 1 (`arm_depthwise_conv_s4_opt`) and 3
(`arm_depthwise_conv_s4`); and multiplier 3 on 3 channels: on an odd channel count CMSIS-NN v7.0.0's s4 depthwise kernels are
not TFLite's (the compiler gives those int8 weights). Seeded random codes: int4 weights over [-8, 7], per output channel scales, int32
biases; the output scale spreads the outputs over the int8 range."""


def int4_kernels(out: Path) -> None:
    import flatbuffers

    from cmsis_opt.frontends.tflite import load_schema

    S = load_schema()
    for index, (name, (kind, (h, w, c), (kh, kw), channels, stride, padding, dilation, act)) in enumerate(
            INT4_KERNELS.items()):
        rng = np.random.default_rng(4000 + index)
        depthwise = kind == "DEPTHWISE_CONV_2D"
        oc = c * channels if depthwise else channels
        eff = [(k - 1) * d + 1 for k, d in zip((kh, kw), dilation, strict=True)]
        if padding == "SAME":
            oh, ow = -(-h // stride[0]), -(-w // stride[1])
        else:
            oh, ow = -(-(h - eff[0] + 1) // stride[0]), -(-(w - eff[1] + 1) // stride[1])
        fshape = [1, kh, kw, oc] if depthwise else [oc, kh, kw, c]
        codes = rng.integers(-8, 8, fshape).astype(np.int8)
        in_scale, in_zp = 0.05, int(rng.integers(-20, 20))
        w_scales = rng.uniform(0.01, 0.03, oc).astype(np.float32)
        taps = kh * kw * (1 if depthwise else c)
        out_scale = float(in_scale * 128 * 8 * w_scales.mean() * np.sqrt(taps) / 127 / 1.5)
        bias = rng.integers(-300, 300, oc).astype("<i4")
        model = S.ModelT()
        model.version, model.subgraphs = 3, [S.SubGraphT()]
        model.buffers = [S.BufferT(), S.BufferT(), S.BufferT()]
        model.buffers[1].data = pack_int4(codes)
        model.buffers[2].data = np.frombuffer(bias.tobytes(), np.uint8)
        code = S.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = getattr(S.BuiltinOperator, kind)
        code.version = 1
        model.operatorCodes = [code]
        graph = model.subgraphs[0]

        def tensor(tname, shape, kind_, buffer, scales, zps, axis=0):
            t = S.TensorT()
            t.name, t.shape, t.type, t.buffer = tname.encode(), np.array(shape, np.int32), getattr(
                S.TensorType, kind_), buffer
            t.quantization = S.QuantizationParametersT()
            t.quantization.scale = np.array(scales, np.float32)
            t.quantization.zeroPoint = np.array(zps, np.int64)
            t.quantization.quantizedDimension = axis
            return t

        graph.tensors = [
            tensor("x", [1, h, w, c], "INT8", 0, [in_scale], [in_zp]),
            tensor("filter", fshape, "INT4", 1, w_scales, [0] * oc, 3 if depthwise else 0),
            tensor("bias", [oc], "INT32", 2, (np.float32(in_scale) * w_scales).astype(np.float32), [0] * oc),
            tensor("y", [1, oh, ow, oc], "INT8", 0, [out_scale], [int(rng.integers(-10, 10))]),
        ]
        options = S.DepthwiseConv2DOptionsT() if depthwise else S.Conv2DOptionsT()
        options.padding = getattr(S.Padding, padding)
        options.strideH, options.strideW = stride
        options.dilationHFactor, options.dilationWFactor = dilation
        options.fusedActivationFunction = getattr(S.ActivationFunctionType, act)
        if depthwise:
            options.depthMultiplier = channels
        op = S.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1, 2], [3]
        op.builtinOptionsType = getattr(S.BuiltinOptions, "DepthwiseConv2DOptions" if depthwise else "Conv2DOptions")
        op.builtinOptions = options
        graph.operators = [op]
        graph.inputs, graph.outputs = [0], [3]
        builder = flatbuffers.Builder(1024)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        path = out / f"{name}.tflite"
        path.write_bytes(bytes(builder.Output()))
        print(f"{path}: {path.stat().st_size} bytes")


def kws_int4(out: Path) -> None:
    """`kws_int4.int4`: a small keyword-spotting-like net with int4 weights in every layer, written with the schema:
    a 12x10 spectrogram, CONV_2D 3x3 stride 2 to 8 channels, DEPTHWISE_CONV_2D 3x3 (multiplier 1), CONV_2D 1x1 to
    12 channels (each with RELU), RESHAPE, FULLY_CONNECTED to 4 (one weight scale). Seeded random int4 codes and
    int32 biases; each output scale spreads its layer's outputs over the int8 range."""
    import flatbuffers

    from cmsis_opt.frontends.tflite import load_schema

    S = load_schema()
    rng = np.random.default_rng(4100)
    model = S.ModelT()
    model.version, model.subgraphs, model.buffers, model.operatorCodes = 3, [S.SubGraphT()], [S.BufferT()], []
    graph = model.subgraphs[0]
    graph.tensors, graph.operators = [], []

    def buffer(data: np.ndarray) -> int:
        b = S.BufferT()
        b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
        model.buffers.append(b)
        return len(model.buffers) - 1

    def tensor(name, shape, kind, scales=None, zps=None, axis=0, data=None) -> int:
        t = S.TensorT()
        t.name, t.shape, t.type = name.encode(), np.array(shape, np.int32), getattr(S.TensorType, kind)
        t.buffer = 0 if data is None else buffer(data)
        if scales is not None:
            t.quantization = S.QuantizationParametersT()
            t.quantization.scale = np.array(scales, np.float32)
            t.quantization.zeroPoint = np.array(zps, np.int64)
            t.quantization.quantizedDimension = axis
        graph.tensors.append(t)
        return len(graph.tensors) - 1

    def operator(kind, inputs, outputs, options_type=None, options=None) -> None:
        codes = [c.builtinCode for c in model.operatorCodes]
        code = getattr(S.BuiltinOperator, kind)
        if code not in codes:
            c = S.OperatorCodeT()
            c.builtinCode = c.deprecatedBuiltinCode = code
            c.version = 1
            model.operatorCodes.append(c)
            codes.append(code)
        op = S.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = codes.index(code), inputs, outputs
        if options is not None:
            op.builtinOptionsType, op.builtinOptions = getattr(S.BuiltinOptions, options_type), options
        graph.operators.append(op)

    def layer(name, x, x_scale, kind, fshape, out_shape, stride=(1, 1), padding="SAME"):
        depthwise = kind == "DEPTHWISE_CONV_2D"
        oc = fshape[3] if depthwise else fshape[0]
        codes = rng.integers(-8, 8, fshape).astype(np.int8)
        per_tensor = kind == "FULLY_CONNECTED"
        w_scales = np.full(oc, 0.02, np.float32) if per_tensor else rng.uniform(0.01, 0.03, oc).astype(np.float32)
        w = tensor(f"{name}/weights", fshape, "INT4", w_scales[:1] if per_tensor else w_scales, [0] * (
            1 if per_tensor else oc), 3 if depthwise else 0, pack_int4(codes))
        acc_scales = (np.float32(x_scale) * w_scales).astype(np.float32)
        b = tensor(f"{name}/bias", [oc], "INT32", acc_scales[:1] if per_tensor else acc_scales,
                   [0] * (1 if per_tensor else oc), 0, rng.integers(-300, 300, oc).astype("<i4"))
        taps = int(np.prod(fshape[1:3])) if depthwise else int(np.prod(fshape[1:]))
        y_scale = float(x_scale * 128 * 8 * w_scales.mean() * np.sqrt(taps) / 127 / 1.5)
        relu = kind != "FULLY_CONNECTED"
        y = tensor(name, out_shape, "INT8", [y_scale], [-128 if relu else int(rng.integers(-10, 10))])
        if kind == "FULLY_CONNECTED":
            options, options_type = S.FullyConnectedOptionsT(), "FullyConnectedOptions"
        else:
            options = S.DepthwiseConv2DOptionsT() if depthwise else S.Conv2DOptionsT()
            options_type = "DepthwiseConv2DOptions" if depthwise else "Conv2DOptions"
            options.padding = getattr(S.Padding, padding)
            options.strideH, options.strideW = stride
            options.dilationHFactor = options.dilationWFactor = 1
            if depthwise:
                options.depthMultiplier = 1
        options.fusedActivationFunction = getattr(S.ActivationFunctionType, "RELU" if relu else "NONE")
        operator(kind, [x, w, b], [y], options_type, options)
        return y, y_scale

    x = tensor("input", [1, 12, 10, 1], "INT8", [0.05], [0])
    y, scale = layer("conv", x, 0.05, "CONV_2D", [8, 3, 3, 1], [1, 6, 5, 8], stride=(2, 2))
    y, scale = layer("depthwise", y, scale, "DEPTHWISE_CONV_2D", [1, 3, 3, 8], [1, 6, 5, 8])
    y, scale = layer("pointwise", y, scale, "CONV_2D", [12, 1, 1, 8], [1, 6, 5, 12], padding="VALID")
    shape = tensor("flatten/shape", [2], "INT32", data=np.array([1, 360], "<i4"))
    flat = tensor("flatten", [1, 360], "INT8", [scale], [-128])
    options = S.ReshapeOptionsT()
    options.newShape = [1, 360]
    operator("RESHAPE", [y, shape], [flat], "ReshapeOptions", options)
    y, _ = layer("dense", flat, scale, "FULLY_CONNECTED", [4, 360], [1, 4])
    graph.inputs, graph.outputs = [x], [y]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = out / "kws_int4.int4.tflite"
    path.write_bytes(bytes(builder.Output()))
    print(f"{path}: {path.stat().st_size} bytes")


def reference(out: Path, names: list[str] | None = None) -> None:
    """`<model>.npz` for every model in `out`, or for `names` only. Seeds: 1234 + the index among the converted
    models in sorted order, 2234 + the index in SCHEMA_MODELS, 3234 + the index in MLIR_16X8, and 3234 + the index
    in INT4_MODELS then INT4_KERNELS (the two families share seeds; their inputs differ in shape)."""
    from tflite_micro.python.tflite_micro import runtime

    mlir = [f"{name}.int16" for name in MLIR_16X8]
    int4 = [*INT4_MODELS, *INT4_KERNELS, "kws_int4.int4"]
    converted = sorted(p for p in out.glob("*.tflite")
                       if p.name.removesuffix(".tflite") not in {*SCHEMA_MODELS, *mlir, *int4})
    seeds = {path: 1234 + index for index, path in enumerate(converted)}
    seeds |= {out / f"{name}.tflite": 2234 + index for index, name in enumerate(SCHEMA_MODELS)}
    seeds |= {out / f"{name}.tflite": 3234 + index for index, name in enumerate(mlir)}
    seeds |= {out / f"{name}.tflite": 3234 + index for index, name in enumerate(int4)}
    for path, seed in sorted(seeds.items()):
        if names and path.name.removesuffix(".tflite") not in names:
            continue
        data = path.read_bytes()
        if path.name.removesuffix(".tflite") in INT4_AS_INT8:
            data = unpack_int4_model(data)
        interpreter = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)
        rng = np.random.default_rng(seed)
        arrays = {}
        for i in range(_count(interpreter, "input")):
            detail = interpreter.get_input_details(i)
            info = np.iinfo(detail["dtype"])
            x = rng.integers(info.min, info.max, detail["shape"], endpoint=True).astype(detail["dtype"])
            interpreter.set_input(x, i)
            arrays[f"input_{i}"] = x
        interpreter.invoke()
        for i in range(_count(interpreter, "output")):
            arrays[f"output_{i}"] = interpreter.get_output(i)
        np.savez(path.with_suffix(".npz"), **arrays)
        print(f"{path.with_suffix('.npz')}: " + ", ".join(f"{k} {v.dtype}{list(v.shape)}" for k, v in arrays.items()))


def _count(interpreter, kind: str) -> int:
    """How many inputs or outputs: get_*_details raises past the last one."""
    n = 0
    while True:
        try:
            getattr(interpreter, f"get_{kind}_details")(n)
        except Exception:  # the interpreter's own range error
            return n
        n += 1


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("convert", "schema", "int4", "reference") or (
            len(sys.argv) > 3 and sys.argv[1] != "reference"):
        sys.exit("usage: make_models.py convert|schema|int4 OUT_DIR, or reference OUT_DIR [MODEL...]")
    if sys.argv[1] == "reference":
        reference(Path(sys.argv[2]), sys.argv[3:])
    else:
        {"convert": convert, "schema": schema, "int4": int4}[sys.argv[1]](Path(sys.argv[2]))
