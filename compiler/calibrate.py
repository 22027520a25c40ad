"""Post-training quantization of a float nn graph: calibration, then the QDQ form `--quantize` lowers.

Calibration (`calibrate_module`, run by `cmsis-calibrate` and `cmsis-compile
--calibration`) runs the float interpreter over N samples and records each
float tensor's range (min/max, or percentiles of the observed values) in the
IR as `nn.range = #nn.range<low, high>`: on the op that produces it, and on
the function's arguments for graph inputs. It is a step of its own because
it reads data files, which no pass does.

`--quantize` then rewrites a calibrated float function (`QDQRewriter`, with
the recorded ranges) as TFLite's int8 scheme asks: weights per-channel
symmetric int8 in [-127, 127] (per tensor for fully connected layers),
activations per-tensor asymmetric int8 with ranges that include 0, int32
biases with scale s_in * s_w[c], ReLU / Clip folded into the producer's
range, pools / pad keeping their input's quantization, softmax output at
1/256, -128.
"""

from __future__ import annotations

import math
import sys
import zipfile
from collections.abc import Callable
from typing import TypeVar

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr, TensorType, i32
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import BlockArgument, Operation, SSAValue

from cmsis_opt.dialects import nn
from cmsis_opt.dialects.nn import RANGE_ATTR, RangeAttr
from cmsis_opt.dialects.quant import UniformQuantizedType, as_f32, quant_of
from cmsis_opt.dialects.utils import dense, drop_arg, func_attr, replace_arg, set_func_attr, shape_of, to_numpy
from cmsis_opt.errors import CompileError
from cmsis_opt.plan import layer_of, the_function

WHERE = "calibration"
QUANTIZE = "pass 'quantize'"
_KEEP_INPUT_QUANT = (nn.MaxPoolOp, nn.AvgPoolOp, nn.GlobalAvgPoolOp, nn.PadOp, nn.SliceOp)
_VIEWS = nn.VIEW_OPS
_ACTIVATIONS = nn.FUSED_ACTIVATION_OPS
MAX_KEPT_VALUES = 4096  # per tensor and sample, for the percentile method

_OpT = TypeVar("_OpT", bound=Operation)


def _compute_ops() -> tuple[type[Operation], ...]:
    """The nn ops the quantize pass lowers to a kernel (its `LOWERINGS`): each gets an output range here."""
    from cmsis_opt.passes.quantize import LOWERINGS  # imported late: the quantize pass imports this module

    return tuple(LOWERINGS)


def _label(op: Operation) -> str:
    """How messages name an op: by its layer, else by its op name."""
    layer = layer_of(op)
    return op.name if layer is None else layer


# -- calibration data -------------------------------------------------------
def load_samples(path: str, shape: tuple[int, ...]) -> np.ndarray:
    """The calibration samples in `path` for a model with one graph input of `shape` (see `load_input_samples`)."""
    return load_input_samples(path, [("input", shape)])[0]


def load_input_samples(path: str, inputs: list[tuple[str, tuple[int, ...]]]) -> list[np.ndarray]:
    """The calibration samples in `path` (.npz), one float32 array [N, *shape] per graph input (name, shape).

    One graph input: the key `inputs`, else the key named like the input, else the file's only array. Several
    inputs: one key per graph input name, all with the same N. A sample may leave out a leading batch axis of
    1 ([N, *shape[1:]]). Raises CompileError naming the file (and key) when it cannot be read, an array is
    missing, not float, of another shape, empty, or holds NaN or Inf (with the first such sample's index).
    """
    if not path:
        raise CompileError("a float model needs calibration data: an .npz file " + expected_keys(inputs), WHERE)
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):  # a .npy array, or pickled data np.load refused
            raise CompileError(f"calibration file '{path}' is not an .npz archive", WHERE)
        with data:
            keys = list(data.keys())
            if not keys:
                raise CompileError(f"calibration file '{path}' holds no arrays", WHERE)
            chosen = _sample_keys(path, keys, inputs)
            arrays = [np.asarray(data[key]) for key in chosen]
    except CompileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:  # EOFError: an empty file
        if isinstance(err, zipfile.BadZipFile):  # a damaged archive (a zip header, then not)
            raise CompileError(f"calibration file '{path}' is a damaged .npz archive ({err}): write it again "
                               "with numpy.savez", WHERE) from None
        if "pickled" in str(err):  # numpy's word for any file that is neither .npz nor .npy (its hint misleads)
            raise CompileError(f"calibration file '{path}' is not an .npz archive (numpy.savez writes one)",
                               WHERE) from None
        raise CompileError(f"cannot read calibration file '{path}': {err or 'it is empty'}", WHERE) from None
    samples = [_checked_samples(path, key, array, shape)
               for key, array, (_, shape) in zip(chosen, arrays, inputs, strict=True)]
    counts = {len(s) for s in samples}
    if len(counts) > 1:
        found = ", ".join(f"'{key}' {len(s)}" for key, s in zip(chosen, samples, strict=True))
        raise CompileError(f"calibration file '{path}' holds different sample counts per input ({found}); "
                           "give every input the same N", WHERE)
    return samples


def expected_keys(inputs: list[tuple[str, tuple[int, ...]]]) -> str:
    """What a calibration file must hold, for messages."""
    if len(inputs) == 1:
        return f"with N samples of the graph input {list(inputs[0][1])} (key 'inputs')"
    return "with one key per graph input, each N samples of its shape: " + ", ".join(
        f"'{name}' N x {list(shape)}" for name, shape in inputs)


def _sample_keys(path: str, keys: list[str], inputs: list[tuple[str, tuple[int, ...]]]) -> list[str]:
    """The key of each input's samples in a calibration file holding `keys` (see `load_input_samples`)."""
    if len(inputs) == 1:
        name = inputs[0][0]
        for key in ("inputs", name):
            if key in keys:
                return [key]
        if len(keys) == 1:
            return keys
        raise CompileError(f"calibration file '{path}' holds arrays {', '.join(repr(k) for k in keys)}; "
                           f"name the samples 'inputs' (N samples of the graph input {list(inputs[0][1])})", WHERE)
    missing = [name for name, _ in inputs if name not in keys]
    if missing:
        raise CompileError(f"calibration file '{path}' has no key {', '.join(repr(m) for m in missing)} (it has: "
                           f"{', '.join(repr(k) for k in keys)}); the model has {len(inputs)} graph inputs: give "
                           + expected_keys(inputs).removeprefix("with "), WHERE)
    return [name for name, _ in inputs]


def _checked_samples(path: str, key: str, samples: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """One input's samples as float32 [N, *shape], or a CompileError naming `path` and `key`."""
    where = f"calibration samples in '{path}' (key '{key}')"
    if samples.dtype.kind != "f":
        raise CompileError(f"{where} are {samples.dtype}, the float model's input is float32", WHERE)
    if samples.shape[1:] == shape:
        pass
    elif shape and shape[0] == 1 and samples.shape[1:] == shape[1:]:
        samples = samples.reshape((samples.shape[0], *shape))
    else:
        raise CompileError(f"{where} have shape {list(samples.shape)}; "
                           f"expected N x {list(shape)} (N samples of the graph input)", WHERE)
    if samples.shape[0] == 0:
        raise CompileError(f"calibration file '{path}' has no samples (key '{key}')", WHERE)
    with np.errstate(over="ignore", invalid="ignore"):  # a float64 beyond float32's range becomes Inf: checked below
        samples = samples.astype(np.float32)
    bad = ~np.isfinite(samples.reshape(samples.shape[0], -1)).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise CompileError(f"{where}: sample {first} holds NaN or Inf as float32 ({int(bad.sum())} of "
                           f"{len(samples)} samples do); calibration needs finite values: drop or fix those samples",
                           WHERE)
    if not samples.any():  # a range of [0, 0] leaves the input no scale: every nonzero input would clamp
        raise CompileError(f"{where} are 0 in every sample, which gives the input no range to quantize; "
                           "calibrate on samples like the inputs the model will see", WHERE)
    return samples


class ProgressBar:
    """One line on stderr, redrawn in place: `calibrating [#####.....] 12/24`."""

    def __init__(self, total: int, label: str = "calibrating", width: int = 30, stream=None):
        self.total, self.label, self.width = total, label, width
        self.stream = stream or sys.stderr
        self.shown = -1

    def update(self, done: int) -> None:
        percent = 100 * done // max(self.total, 1)
        if percent == self.shown:
            return
        if not getattr(self.stream, "isatty", lambda: False)():
            # a log, not a terminal: one line at the end instead of redraws
            if done >= self.total:
                self.stream.write(f"{self.label}: {done}/{self.total} samples\n")
                self.stream.flush()
            self.shown = percent
            return
        self.shown = percent
        filled = self.width * done // max(self.total, 1)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total}")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


class RangeObserver:
    """Per-value running min/max, plus a sample of values for the percentile method."""

    def __init__(self, keep_values: bool, seed: int = 0):
        self.low: dict[SSAValue, float] = {}
        self.high: dict[SSAValue, float] = {}
        self.values: dict[SSAValue, list[np.ndarray]] = {}
        self.keep_values = keep_values
        self.rng = np.random.default_rng(seed)

    def __call__(self, value: SSAValue, array: np.ndarray) -> None:
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f" or array.size == 0:
            return
        low, high = float(array.min()), float(array.max())
        self.low[value] = min(low, self.low.get(value, low))
        self.high[value] = max(high, self.high.get(value, high))
        if self.keep_values:
            flat = array.reshape(-1)
            if flat.size > MAX_KEPT_VALUES:
                flat = self.rng.choice(flat, MAX_KEPT_VALUES, replace=False)
            self.values.setdefault(value, []).append(flat)

    def range_of(self, value: SSAValue, method: str, percentile: float) -> tuple[float, float]:
        if value not in self.low:
            raise CompileError("calibration saw no values for a tensor the graph uses", WHERE)
        if method == "percentile":
            kept = np.concatenate(self.values[value])
            return float(np.percentile(kept, 100.0 - percentile)), float(np.percentile(kept, percentile))
        return self.low[value], self.high[value]


def calibrate(module: ModuleOp, samples: np.ndarray | list[np.ndarray], method: str, percentile: float,
              run: Callable | None = None, show_progress: bool = True) -> RangeObserver:
    """Run the float function on every sample and observe each float tensor.

    `samples`: one array [N, *shape] per graph input (a single array: the one input's).
    """
    if method not in ("minmax", "percentile"):
        raise CompileError(f"unknown calibration method '{method}' (known: minmax, percentile)", WHERE)
    if not 50.0 < percentile <= 100.0:
        raise CompileError(f"percentile must be in (50, 100], got {percentile}", WHERE)
    if run is None:
        from cmsis_opt.interpreter import run_function as run
    per_input = [samples] if isinstance(samples, np.ndarray) else list(samples)
    count = len(per_input[0])
    observer = RangeObserver(keep_values=method == "percentile")
    bar = ProgressBar(count) if show_progress else None
    for index in range(count):
        with np.errstate(over="ignore", invalid="ignore"):  # an Inf / NaN range is reported by record_ranges
            run(module, [s[index] for s in per_input], observe=observer)
        if bar:
            bar.update(index + 1)
    return observer


# -- quantization parameters ------------------------------------------------
def activation_quant(low: float, high: float) -> UniformQuantizedType:
    """Asymmetric int8 covering [low, high] widened to include 0 (TFLite's nudging)."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0 or not math.isfinite(high - low):
        return UniformQuantizedType(1.0, -128)
    scale = as_f32((high - low) / 255.0)
    zero_point = int(min(127, max(-128, round(-128 - low / scale))))
    return UniformQuantizedType(scale, zero_point)


def symmetric_weights(weights: np.ndarray, per_channel: bool,
                      floor: np.ndarray | None = None) -> tuple[np.ndarray, list[float]]:
    """int8 weights in [-127, 127] and their float32 scales (per axis 0, or one).

    A scale is peak / 127, or the channel's `floor` (`bias_scale_floor`) where that is larger; a per-tensor
    scale takes the largest floor. A channel whose weights are all zero takes `_zero_weights_scale`.
    """
    w = weights.astype(np.float64)
    if per_channel:
        peak = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
    else:
        peak = np.array([np.abs(w).max()])
    scales = np.array([as_f32(p / 127.0) if p > 0 else 1.0 for p in peak], dtype=np.float64)
    if floor is not None:
        floor = floor if per_channel else np.array([floor.max(initial=0.0)])
        scales = np.array([max(s, _f32_at_least(f)) if p > 0 else _zero_weights_scale(f)
                           for s, f, p in zip(scales.tolist(), floor.tolist(), peak.tolist(), strict=True)])
    shaped = scales.reshape((-1,) + (1,) * (w.ndim - 1)) if per_channel else scales[0]
    q = np.clip(np.round(w / shaped), -127, 127).astype(np.int8)
    return q, [float(s) for s in scales]


def _zero_weights_scale(floor: float) -> float:
    """The scale of an output channel whose weights are all zero: they stay zero at any scale, so the scale only
    sets the step of the bias's int32 code (input scale * weight scale). 2^11 above the bias's `floor` makes the
    code about 2^20 (six significant digits of the bias); 1.0 where the bias is zero too. Peak / 127 has no
    value here, and 1.0 would put a small bias in steps of the input scale (0.0109 as 0 at input scale 0.027)."""
    return _f32_at_least(floor * 2.0**11) if floor > 0 else 1.0


def _f32_at_least(value: float) -> float:
    """The smallest float32 not below `value` (0.0 for 0)."""
    rounded = as_f32(value)
    return float(np.nextafter(np.float32(rounded), np.float32(np.inf))) if rounded < value else rounded


def bias_room(products: int) -> int:
    """Largest |int32 bias| an accumulator of `products` int8 products ((x - zp) in [-255, 255], weight in
    [-127, 127]) can start from without leaving int32."""
    return (1 << 31) - 1 - products * 255 * 127


def bias_scale_floor(bias: np.ndarray, input_scale: float, products: int) -> np.ndarray:
    """Per output channel, the smallest weight scale at which the channel's real bias is an int32 code at the
    accumulator's scale (input_scale * weight scale) with room for `products` products (`bias_room`).

    TFLite's post-training quantizer does the same: a channel whose weights are tiny next to its bias (a
    nearly pruned channel after BatchNormalization folding) gets a larger weight scale, so its bias is kept,
    at the cost of its weights' resolution (tensorflow/lite/tools/optimize/quantization_utils.cc,
    AdjustWeightsForBiasScale). Raises CompileError where no int32 room is left.
    """
    room = bias_room(products)
    if room <= 0:
        raise CompileError(f"{products} products per output overflow an int32 accumulator", QUANTIZE)
    # 2^-20 above the exact floor: the float32 rounding of the scale and of input_scale * scale (2^-24 each)
    # cannot take the code past the room.
    return np.abs(bias.astype(np.float64)) / (float(np.float32(input_scale)) * room) * (1 + 2.0**-20)


# -- graph rewriting --------------------------------------------------------
class QDQRewriter:
    """Rewrites a float function into the QDQ form, op by op."""

    def __init__(self, func: FuncOp, ranges: Callable[[SSAValue], tuple[float, float]]):
        self.func = func
        self.block = func.body.block
        self.ranges = ranges

    def insert_before(self, op: _OpT, anchor: Operation) -> _OpT:
        self.block.insert_op_before(op, anchor)
        return op

    def insert_after(self, op: _OpT, anchor: Operation) -> _OpT:
        self.block.insert_op_after(op, anchor)
        return op

    def quant_of_float(self, value: SSAValue) -> UniformQuantizedType | None:
        """The quantization of a float value that is a dequantized int8 tensor (through views)."""
        while isinstance(value.owner, _VIEWS):
            value = value.owner.input
        if isinstance(value.owner, nn.DequantizeOp):
            return quant_of(value.owner.input.type)
        return None

    def run(self) -> None:
        self.quantize_inputs()
        for op in list(self.block.ops):
            if isinstance(op, _compute_ops()):
                self.rewrite(op)
            elif isinstance(op, _ACTIVATIONS) and self.quant_of_float(op.operands[0]) is not None:
                self.quantize_activation(op)
        self.quantize_outputs()

    def quantize_activation(self, op: Operation) -> None:
        """A ReLU / Clip that no compute op fuses (on a graph input, after a view, or on a value several ops
        read): its output gets a quantization of its own, which the quantize pass lowers to a requantize that
        clamps (`cmsis.requantize`)."""
        point = self.output_point(op)
        self.quantize_at(point, activation_quant(*self.ranges(point)), layer_of(op))

    def quantize_at(self, point: SSAValue, q: UniformQuantizedType, layer: str | None) -> None:
        """Quantize and dequantize `point` (an op's result, or that of an activation fused into it) with `q`,
        and let every reader of `point` read the dequantized value."""
        anchor = point.owner
        assert isinstance(anchor, Operation)  # point is the result of op or of an activation fused into it
        quantize = self.insert_after(nn.QuantizeOp(point, TensorType(q, shape_of(point))), anchor)
        dequantize = self.insert_after(nn.DequantizeOp(quantize.results[0]), quantize)
        if layer is not None:
            for o in (quantize, dequantize):
                o.attributes["layer"] = StringAttr(layer)
        point.replace_all_uses_with(dequantize.results[0])
        quantize.operands = [point]

    def quantize_inputs(self) -> None:
        first = next(iter(self.block.ops))
        for arg in list(self.block.args):
            if quant_of(arg.type) is not None:
                continue
            q = activation_quant(*self.ranges(arg))
            new_arg = replace_arg(self.func, arg, TensorType(q, shape_of(arg)))
            set_func_attr(self.func, "arg", new_arg.index, RANGE_ATTR, None)  # the range is in the type now
            dq = self.insert_before(nn.DequantizeOp(new_arg), first)
            arg.replace_all_uses_with(dq.results[0])
            drop_arg(self.func, arg)

    def output_point(self, op: Operation) -> SSAValue:
        """The value after the activations fused into `op` (ReLU / Clip used only by the chain)."""
        value = op.results[0]
        while value.uses.get_length() == 1:
            user = next(iter(value.uses)).operation
            if not isinstance(user, _ACTIVATIONS):
                break
            value = user.results[0]
        return value

    def rewrite(self, op: Operation) -> None:
        layer = layer_of(op)
        if isinstance(op, nn.Conv2DOp | nn.ConvTranspose2DOp):
            self.quantize_weights(op, op.weight, per_channel=True, bias=op.bias, x=op.input)
            self.quantize_bias(op, op.bias, op.input, op.weight)
        elif isinstance(op, nn.FullyConnectedOp):
            self.quantize_weights(op, op.weight, per_channel=False, bias=op.bias, x=op.input)
            self.quantize_bias(op, op.bias, op.input, op.weight)
        elif isinstance(op, nn.MatMulOp):
            self.quantize_weights(op, op.rhs, per_channel=False, bias=self.matmul_bias(op), x=op.lhs)
        elif isinstance(op, nn.AddOp) and self.is_matmul_bias(op):
            mm, bias = (op.lhs, op.rhs) if isinstance(op.lhs.owner, nn.MatMulOp) else (op.rhs, op.lhs)
            matmul = mm.owner
            assert isinstance(matmul, nn.MatMulOp)  # is_matmul_bias found a MatMulOp on one side
            self.quantize_bias(op, bias, matmul.lhs, matmul.rhs)
        for operand in list(op.operands):
            if (self.quant_of_float(operand) is None and not self.is_constant(operand)
                    and not isinstance(operand.owner, nn.MatMulOp)):
                raise CompileError(
                    f"layer '{_label(op)}': an input is neither quantized nor constant after calibration", QUANTIZE)
        if isinstance(op, nn.MatMulOp) and self.feeds_bias_add(op):
            return  # quantized after its bias add
        point = self.output_point(op)
        if isinstance(op, _KEEP_INPUT_QUANT):
            q = self.quant_of_float(op.operands[0])
            if q is None:  # a constant: it has no quantization to keep
                raise CompileError(f"layer '{_label(op)}': {op.name} of a constant is not supported", QUANTIZE)
        elif isinstance(op, nn.SoftmaxOp):
            q = UniformQuantizedType(1.0 / 256.0, -128)
        elif isinstance(op, nn.ConcatOp):
            q = self.shared_concat_quant(op, point)
        else:
            q = activation_quant(*self.ranges(point))
        self.quantize_at(point, q, layer)

    def shared_concat_quant(self, op: nn.ConcatOp, point: SSAValue) -> UniformQuantizedType:
        """One quantization for the concatenation (the range calibration saw at its output, which holds every
        input's values), given back to each input whose producer can take it, so CMSIS-NN's concatenation
        copies those bytes unchanged: a compute layer, with the ReLU / Clip fused into it. Any other input (a
        graph input, a pool, pad or softmax, which keep a quantization of their own, another concatenation,
        keeps its quantization and the quantize pass requantizes it
        (`cmsis.requantize`), as it does for onnxruntime's QDQ concatenations of different scales."""
        producers: list[nn.QuantizeOp] = []
        low, high = self.ranges(point)
        for value in op.inputs:
            while isinstance(value.owner, _VIEWS):
                value = value.owner.input
            quantize = value.owner.input.owner if isinstance(value.owner, nn.DequantizeOp) else None
            if isinstance(quantize, nn.QuantizeOp) and self.takes_shared_quant(quantize):
                producers.append(quantize)
        q = activation_quant(low, high)
        for quantize in producers:
            if quantize.parent is None:
                continue  # already replaced (the same producer used twice)
            new = self.insert_before(nn.QuantizeOp(quantize.input, TensorType(q, shape_of(quantize.input))), quantize)
            new.attributes.update(quantize.attributes)
            quantize.results[0].replace_all_uses_with(new.results[0])
            self.block.erase_op(quantize)
        return q

    def takes_shared_quant(self, quantize: nn.QuantizeOp) -> bool:
        """Whether the layer `quantize` quantizes (through its fused activations) can take another output
        quantization: a compute layer that sets its own (not a pool, pad, softmax or concatenation)."""
        source = quantize.input.owner
        while isinstance(source, _ACTIVATIONS):
            source = source.operands[0].owner
        return (isinstance(source, _compute_ops())
                and not isinstance(source, (*_KEEP_INPUT_QUANT, nn.SoftmaxOp, nn.ConcatOp))
                and self.output_point(source) is quantize.input)

    def is_constant(self, value: SSAValue) -> bool:
        while isinstance(value.owner, (*_VIEWS, nn.DequantizeOp)):
            value = value.owner.operands[0]
        return isinstance(value.owner, nn.ConstantOp)

    def feeds_bias_add(self, mm: nn.MatMulOp) -> bool:
        uses = list(mm.results[0].uses)
        return len(uses) == 1 and isinstance(uses[0].operation, nn.AddOp) and self.is_matmul_bias(uses[0].operation)

    def matmul_bias(self, mm: nn.MatMulOp) -> SSAValue | None:
        """The constant bias the MatMul's one Add adds, or None."""
        if not self.feeds_bias_add(mm):
            return None
        add = next(iter(mm.results[0].uses)).operation
        return add.operands[1] if add.operands[0] is mm.results[0] else add.operands[0]

    def is_matmul_bias(self, add: nn.AddOp) -> bool:
        for mm, other in ((add.lhs, add.rhs), (add.rhs, add.lhs)):
            if isinstance(mm.owner, nn.MatMulOp) and self.is_constant(other):
                return num_elements(shape_of(other)) == shape_of(mm)[-1]
        return False

    def float_constant(self, value: SSAValue, user: Operation) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """The float array behind a constant operand and a function replaying its views."""
        views = []
        while isinstance(value.owner, _VIEWS):
            views.append(value.owner)
            value = value.owner.input
        if not isinstance(value.owner, nn.ConstantOp) or quant_of(value.type) is not None:
            raise CompileError(f"layer '{_label(user)}': weights must be float constants", QUANTIZE)

        def replay(array: np.ndarray) -> np.ndarray:
            for view in reversed(views):
                if isinstance(view, nn.TransposeOp):
                    array = array.transpose(tuple(view.perm.get_values()))
                else:
                    array = array.reshape(shape_of(view.output))
            return array

        return np.asarray(to_numpy(value.owner.value), dtype=np.float32), replay

    def quantize_weights(self, op: Operation, operand: SSAValue, per_channel: bool, bias: SSAValue | None = None,
                         x: SSAValue | None = None) -> None:
        """Symmetric int8 weights (`symmetric_weights`); with the layer's float `bias` and input `x`, each scale
        large enough for that bias to be an int32 code (`bias_scale_floor`)."""
        array, replay = self.float_constant(operand, op)
        logical = replay(array)
        if isinstance(op, nn.MatMulOp):
            logical = logical.T  # [K, M] -> [M, K]
        if isinstance(op, nn.ConvTranspose2DOp):
            logical = logical.swapaxes(0, 1)  # [C_in, C_out, KH, KW] -> output channels first
        floor = None
        q_in = None if x is None else self.quant_of_float(x)
        if bias is not None and q_in is not None:
            values, bias_replay = self.float_constant(bias, op)
            products = int(np.prod(logical.shape[1:]))
            floor = bias_scale_floor(bias_replay(values).reshape(-1), q_in.scale, products)
            if floor.size != logical.shape[0]:
                floor = np.full(logical.shape[0], floor.max(initial=0.0))  # one bias value for all outputs
        q_data, scales = symmetric_weights(logical, per_channel, floor)
        axis = 0
        if isinstance(op, nn.MatMulOp):
            q_data = q_data.T
        if isinstance(op, nn.ConvTranspose2DOp):
            q_data, axis = q_data.swapaxes(0, 1), 1  # ONNX's ConvTranspose weight: output channels on axis 1
        q = UniformQuantizedType(scales, 0, axis=axis if per_channel else None, storage_min=-127, storage_max=127)
        self.replace_operand(op, operand, q_data, q)

    def quantize_bias(self, op: Operation, bias: SSAValue | None, x: SSAValue, weight: SSAValue) -> None:
        if bias is None:
            return
        q_in = self.quant_of_float(x)
        w_q = self.quant_of_float(weight)
        if q_in is None or w_q is None:
            raise CompileError(f"layer '{op.name}': bias needs a quantized input and weights", QUANTIZE)
        array, replay = self.float_constant(bias, op)
        values = replay(array).reshape(-1).astype(np.float64)
        w_scales = w_q.scales if w_q.per_axis else [w_q.scale] * values.size
        scales = [as_f32(np.float32(q_in.scale) * np.float32(s)) for s in w_scales]
        codes = np.round(values / np.array(scales))
        beyond = ~np.isfinite(codes) | (np.abs(codes) > 2**31 - 1)
        if beyond.any():  # the weight scales were chosen for the bias to fit: only a non-finite bias is left
            channel = int(np.flatnonzero(beyond)[0])
            raise CompileError(f"layer '{_label(op)}': bias {values[channel]:g} of output channel {channel} is not "
                               f"an int32 code at its accumulator scale {scales[channel]:g}; give it a finite "
                               "value", QUANTIZE)
        data = codes.astype(np.int32)
        q = UniformQuantizedType(scales, 0, axis=0, storage_type=i32)
        self.replace_operand(op, bias, data.reshape(shape_of(bias)), q)

    def replace_operand(self, op: Operation, operand: SSAValue, data: np.ndarray, q: UniformQuantizedType) -> None:
        const = self.insert_before(nn.ConstantOp(dense(data), TensorType(q, data.shape)), op)
        dq = self.insert_before(nn.DequantizeOp(const.results[0]), op)
        op.operands = [dq.results[0] if v is operand else v for v in op.operands]

    def quantize_outputs(self) -> None:
        """Each graph output becomes the int8 tensor it dequantizes; an output that is a view (Transpose,
        Reshape, Flatten) of a dequantized tensor is that view quantized the same way, as the view moves
        int8 codes unchanged."""
        ret = self.block.last_op
        assert isinstance(ret, ReturnOp)
        outputs = []
        for value in ret.operands:
            if isinstance(value.owner, nn.DequantizeOp):
                value = value.owner.input
            elif isinstance(value.owner, _VIEWS) and (q := self.quant_of_float(value)) is not None:
                quantize = self.insert_before(nn.QuantizeOp(value, TensorType(q, shape_of(value))), ret)
                layer = layer_of(value.owner)
                if layer is not None:
                    quantize.attributes["layer"] = StringAttr(layer)
                value = quantize.results[0]
            outputs.append(value)
        ret.operands = outputs
        self.func.update_function_type()
        for op in reversed(list(self.block.ops)):
            if op.name.startswith("nn.") and not any(r.uses for r in op.results):
                self.block.erase_op(op)


def num_elements(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


# -- the ranges in the IR ------------------------------------------------------
def record_ranges(func: FuncOp, observer: RangeObserver, method: str, percentile: float) -> None:
    """Write `nn.range` on every op with a float result and on every float argument `observer` saw."""
    for arg in func.body.block.args:
        if arg in observer.low:
            set_func_attr(func, "arg", arg.index, RANGE_ATTR, RangeAttr(*observer.range_of(arg, method, percentile)))
    for op in func.body.walk():
        if len(op.results) == 1 and op.results[0] in observer.low:
            low, high = observer.range_of(op.results[0], method, percentile)
            if not (math.isfinite(low) and math.isfinite(high)):  # int8 cannot stand for it at any scale
                raise CompileError(f"layer '{_label(op)}': calibration saw values in [{low:g}, {high:g}]; an int8 "
                                   "tensor needs a finite range: check the model's constants and the samples",
                                   WHERE)
            op.attributes[RANGE_ATTR] = RangeAttr(low, high)


def recorded_range(value: SSAValue) -> tuple[float, float]:
    """The calibrated range of a float value (recorded by `record_ranges`).

    Raises CompileError saying how to calibrate when there is none.
    """
    attr = None
    if isinstance(value, BlockArgument):
        func = value.owner.parent_op()
        if isinstance(func, FuncOp):
            attr = func_attr(func, "arg", value.index, RANGE_ATTR)
    elif isinstance(value.owner, Operation):
        attr = value.owner.attributes.get(RANGE_ATTR)
    if not isinstance(attr, RangeAttr):
        raise CompileError("a float model needs calibration ranges: run `cmsis-calibrate MODEL --data FILE.npz -o "
                           "calibrated.mlir` first (cmsis-compile --calibration FILE.npz does both)", QUANTIZE)
    return attr.low, attr.high


def calibrate_module(module: ModuleOp, samples_path: str, method: str = "minmax", percentile: float = 99.99,
                     show_progress: bool = True) -> None:
    """Run the float model of `module` on the samples in `samples_path` (.npz) and record every tensor's range.

    A model with several graph inputs takes one key per input name (`load_input_samples`). Raises
    CompileError for a model that is not float, or a calibration file that cannot be read or does not fit
    the inputs.
    """
    func = the_function(module)
    if not is_float_model(func):
        raise CompileError("the model is already quantized: calibration is for float models", WHERE)
    samples = load_input_samples(samples_path, graph_inputs(func))
    observer = calibrate(module, samples, method, percentile, show_progress=show_progress)
    record_ranges(func, observer, method, percentile)


def graph_inputs(func: FuncOp) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of each graph input: its name in the model (the IR's %name), else `input{k}`."""
    return [(arg.name_hint or f"input{k}", tuple(shape_of(arg))) for k, arg in enumerate(func.body.block.args)]


COMMUTE_WITH_QUANTIZE = (nn.MaxPoolOp,)
"""Ops that give the same int8 codes whether the quantization runs before or after them: a max of codes is the
code of the max, as QuantizeLinear is monotone (views move codes unchanged)."""


def quantized_by(value: SSAValue, through: tuple[type[Operation], ...] = ()) -> list[nn.QuantizeOp] | None:
    """The nn.quantize ops a float value reaches through views (transpose, reshape) and ops of `through` only,
    or None when another op reads it on the way."""
    found: list[nn.QuantizeOp] = []
    for use in value.uses:
        user = use.operation
        if isinstance(user, nn.QuantizeOp):
            found.append(user)
        elif isinstance(user, (*_VIEWS, *through)):
            inner = quantized_by(user.results[0], through)
            if inner is None:
                return None
            found.extend(inner)
        else:
            return None
    return found


def is_float_model(func: FuncOp) -> bool:
    """Whether a float graph input feeds float ops (the model needs calibration before --quantize).

    A float input that only `nn.quantize` ops read (onnxruntime's QDQ models), directly or through views
    and `COMMUTE_WITH_QUANTIZE` ops, is the quantized model's int8 input in disguise (`--quantize` makes it
    one), not a float model.
    """
    return any(isinstance(a.type, TensorType) and quant_of(a.type) is None
               and not (a.uses and quantized_by(a, COMMUTE_WITH_QUANTIZE))
               for a in func.body.block.args)


def float_input_blocker(func: FuncOp) -> Operation | None:
    """In a quantized (QDQ) model, the op that reads an uncalibrated float graph input before its first
    nn.quantize and is neither a view nor `COMMUTE_WITH_QUANTIZE` (an average pool: its result changes when
    the input is quantized first); None when there is none."""
    for arg in func.body.block.args:
        if quant_of(arg.type) is not None or func_attr(func, "arg", arg.index, RANGE_ATTR) is not None:
            continue
        pending: list[SSAValue] = [arg]
        seen: set[Operation] = set()
        while pending:
            for use in pending.pop().uses:
                user = use.operation
                if user in seen or isinstance(user, nn.QuantizeOp):
                    continue
                seen.add(user)
                if isinstance(user, (*_VIEWS, *COMMUTE_WITH_QUANTIZE)):
                    pending.append(user.results[0])
                elif _reaches_quantize(user):
                    return user
    return None


def _reaches_quantize(op: Operation) -> bool:
    pending, seen = [op], {op}
    while pending:
        for result in pending.pop().results:
            for use in result.uses:
                if isinstance(use.operation, nn.QuantizeOp):
                    return True
                if use.operation not in seen:
                    seen.add(use.operation)
                    pending.append(use.operation)
    return False


def float_input_error(op: Operation) -> CompileError:
    """The error for `float_input_blocker`'s op."""
    return CompileError(
        f"layer '{_label(op)}' ({op.name}): reads the float graph input before its first QuantizeLinear, and its "
        "result changes if the input is quantized first: quantize the input before it (put the QuantizeLinear on "
        "the graph input, e.g. quantize_static after onnxruntime's quant_pre_process), or compile the float "
        "model with --calibration", QUANTIZE)
