"""Small TFLite test models beyond plain int8 CNNs, and TFLite Micro's outputs for them.

Two steps, each in its own environment (TensorFlow's converter is not a test dependency):

    # 1. the .tflite files, with TensorFlow (tensorflow-cpu and tf-keras 2.21.0, Python 3.11)
    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfenv/bin/python tests/data/tflite/make_models.py convert tests/data/tflite
    # 1b. single-op models TensorFlow's converter does not give (a chosen input scale), with the flatbuffer
    #     schema tflite-micro ships (the project's test environment)
    .venv/bin/python tests/data/tflite/make_models.py schema tests/data/tflite
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


def reference(out: Path, names: list[str] | None = None) -> None:
    """`<model>.npz` for every model in `out`, or for `names` only. Seeds: 1234 + the index among the converted
    models in sorted order, 2234 + the index in SCHEMA_MODELS, 3234 + the index in MLIR_16X8."""
    from tflite_micro.python.tflite_micro import runtime

    mlir = [f"{name}.int16" for name in MLIR_16X8]
    converted = sorted(p for p in out.glob("*.tflite") if p.name.removesuffix(".tflite") not in [*SCHEMA_MODELS, *mlir])
    seeds = {path: 1234 + index for index, path in enumerate(converted)}
    seeds |= {out / f"{name}.tflite": 2234 + index for index, name in enumerate(SCHEMA_MODELS)}
    seeds |= {out / f"{name}.tflite": 3234 + index for index, name in enumerate(mlir)}
    for path, seed in sorted(seeds.items()):
        if names and path.name.removesuffix(".tflite") not in names:
            continue
        interpreter = runtime.Interpreter.from_bytes(path.read_bytes(), arena_size=1 << 20)
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
    if len(sys.argv) < 3 or sys.argv[1] not in ("convert", "schema", "reference") or (
            len(sys.argv) > 3 and sys.argv[1] != "reference"):
        sys.exit("usage: make_models.py convert|schema OUT_DIR, or reference OUT_DIR [MODEL...]")
    if sys.argv[1] == "reference":
        reference(Path(sys.argv[2]), sys.argv[3:])
    else:
        (convert if sys.argv[1] == "convert" else schema)(Path(sys.argv[2]))
