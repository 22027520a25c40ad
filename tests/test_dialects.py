"""The dialects as Python code uses them: types, constants, and the lit suite's coverage."""

from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import IntegerType, TensorType, f32
from xdsl.utils.exceptions import VerifyException

from cmsis_opt.dialects.arena import ARENA
from cmsis_opt.dialects.cmsis import CMSIS, IsView, KernelOp, ReshapeOp
from cmsis_opt.dialects.nn import NN
from cmsis_opt.dialects.quant import UniformQuantizedType, quant_of
from cmsis_opt.dialects.utils import dense, to_numpy
from cmsis_opt.errors import CompileError
from cmsis_opt.ir import parse_ir, print_ir

LIT = Path(__file__).resolve().parent / "lit"


def _round_trip_type(type_: TensorType) -> TensorType:
    text = f"func.func @f(%x: {type_}) {{\n  func.return\n}}\n"
    module = parse_ir(print_ir(parse_ir(text).module)).module
    return next(iter(module.ops)).body.block.args[0].type


def test_float32_scales_keep_every_bit_through_text():
    rng = np.random.default_rng(5)
    scales = np.abs(rng.standard_normal(200)).astype(np.float32) * np.float32(10.0) ** rng.integers(-9, 3, 200)
    for scale in scales:
        q = UniformQuantizedType(float(scale), -3)
        back = quant_of(_round_trip_type(TensorType(q, [4])))
        assert back is not None and back.scale == float(scale) and back.zero_point == -3


def test_per_axis_type_reads_back_its_parameters():
    q = UniformQuantizedType([0.5, 0.25, 0.125], 0, axis=0, storage_min=-127)
    back = quant_of(_round_trip_type(TensorType(q, [3, 1, 1, 2])))
    assert back == q
    assert (back.axis, back.per_axis, back.scales, back.zero_points) == (0, True, [0.5, 0.25, 0.125], [0, 0, 0])
    assert (back.qmin, back.qmax, back.storage_type) == (-127, 127, IntegerType(8))


def test_per_tensor_type_has_no_axis():
    q = UniformQuantizedType(0.5, -128)
    assert (q.axis, q.per_axis, q.scale, q.zero_point, q.qmin, q.qmax) == (None, False, 0.5, -128, -128, 127)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: UniformQuantizedType(0.0), "scale must be a positive finite number"),
        (lambda: UniformQuantizedType(1e-300), "scale is 0 in float32, where scales are held"),
        (lambda: UniformQuantizedType(1e39), "scale is infinite in float32, where scales are held"),
        (lambda: UniformQuantizedType(0.5, 128), "zero point 128 is outside the storage range [-128, 127]"),
        (lambda: UniformQuantizedType([0.5, 0.5]), "a per-tensor type has exactly one scale"),
        (lambda: UniformQuantizedType(0.5, storage_type=IntegerType(2)), "storage type must be i4, i8, i16, i32 or i64, got i2"),
    ],
)
def test_invalid_types_are_refused_when_built(make, message):
    with pytest.raises(VerifyException, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()


@pytest.mark.parametrize(
    "literal, dtype, value",
    [("-128", "i8", -128), ("7", "i32", 7), ("-2.5", "f32", -2.5), ("3", "f32", 3.0), ("300", "i16", 300)],
)
def test_splat_constants_hold_every_element(literal, dtype, value):
    text = f"func.func @f() {{\n  %c = nn.constant {{value = dense<{literal}> : tensor<64x33x{dtype}>}} : tensor<64x33x{dtype}>\n  func.return\n}}\n"
    constant = next(iter(next(iter(parse_ir(text).module.ops)).body.block.ops))
    array = to_numpy(constant.value)
    assert array.shape == (64, 33) and (array == value).all()
    assert "dense<" + literal in print_ir(parse_ir(text).module)


def test_empty_splat_has_no_bytes():
    text = "func.func @f() {\n  %c = nn.constant {value = dense<0> : tensor<0x4xi8>} : tensor<0x4xi8>\n  func.return\n}\n"
    constant = next(iter(next(iter(parse_ir(text).module.ops)).body.block.ops))
    assert constant.value.data.data == b""


def test_a_splat_at_the_constant_limit_parses_without_expanding_a_list():
    text = "func.func @f() {\n  %c = nn.constant {value = dense<1> : tensor<4096x4096xi8>} : tensor<4096x4096xi8>\n  func.return\n}\n"
    constant = next(iter(next(iter(parse_ir(text).module.ops)).body.block.ops))
    assert len(constant.value.data.data) == 1 << 24


def test_hex_weights_round_trip_byte_for_byte():
    weights = np.random.default_rng(1).integers(-127, 128, size=(8, 3, 3, 5)).astype(np.int8)
    q = UniformQuantizedType([0.01 * (i + 1) for i in range(8)], 0, axis=0, storage_min=-127)
    text = (
        "func.func @f() {\n"
        f"  %w = nn.constant {{value = {dense(weights)}}} : {TensorType(q, weights.shape)}\n"
        "  func.return\n}\n"
    )
    printed = print_ir(parse_ir(text).module)
    assert 'dense<"0x' in printed
    constant = next(iter(next(iter(parse_ir(printed).module.ops)).body.block.ops))
    assert np.array_equal(to_numpy(constant.value), weights)


def test_oversized_and_dynamic_shapes_are_compile_errors():
    with pytest.raises(CompileError, match="too large"):
        parse_ir("func.func @f(%x: tensor<65536x65536xf32>) {\n  func.return\n}\n")
    with pytest.raises(CompileError, match="dynamic dimensions are not supported"):
        parse_ir("func.func @f(%x: tensor<?xf32>) {\n  func.return\n}\n")


def test_every_cmsis_op_is_a_kernel_or_a_view():
    from xdsl.traits import IsTerminator

    from cmsis_opt.dialects.cmsis import YieldOp

    kernels = {op for op in CMSIS.operations if issubclass(op, KernelOp)}
    views = {op for op in CMSIS.operations if op.has_trait(IsView)}
    terminators = {op for op in CMSIS.operations if op.has_trait(IsTerminator)}  # of a patch stage's body
    assert views == {ReshapeOp} and terminators == {YieldOp}
    assert kernels == set(CMSIS.operations) - views - terminators
    for op in kernels:  # every facet of the interface is implemented by the op's class
        assert not getattr(op, "__abstractmethods__", None), f"{op.name} leaves {op.__abstractmethods__} abstract"


def _lit_files(dialect, op_name: str) -> tuple[Path, Path]:
    short = op_name.split(".", 1)[1]
    folder = LIT / dialect.name
    return folder / f"{short}.mlir", folder / f"{short}-invalid.mlir"


@pytest.mark.parametrize("dialect", [NN, CMSIS, ARENA], ids=lambda d: d.name)
def test_every_op_has_a_round_trip_and_an_invalid_input_lit_test(dialect):
    for op in dialect.operations:
        round_trip, invalid = _lit_files(dialect, op.name)
        assert round_trip.is_file() and invalid.is_file(), op.name
        assert "cmsis-opt %s | cmsis-opt | filecheck %s" in round_trip.read_text()
        assert "--split-input-file --verify-diagnostics" in invalid.read_text()
        assert f"'{op.name}'" in invalid.read_text(), f"{invalid.name} never checks an error of {op.name}"


def test_quant_type_has_round_trip_and_invalid_lit_tests():
    assert (LIT / "quant" / "uniform.mlir").is_file() and (LIT / "quant" / "uniform-invalid.mlir").is_file()


def test_tensor_of_float_has_no_quantization():
    assert quant_of(TensorType(f32, [2])) is None


@pytest.mark.parametrize("spelling", ["i16777216", "si7106297016", "ui99999999999"])
def test_integer_types_wider_than_mlir_allows_are_refused_where_written(spelling):
    """MLIR's widest integer type has 2^24 - 1 bits; a wider one is an error at the type, before xDSL derives its
    2^width value range (which for i7106297016 took half a minute of allocation)."""
    text = f"func.func @f(%x: tensor<2x{spelling}>) {{\n  func.return\n}}\n"
    with pytest.raises(CompileError) as caught:
        parse_ir(text, "w.mlir")
    assert caught.value.where == "w.mlir:1:27"  # the type, just after `tensor<2x`
    assert f"integer type '{spelling}' is wider than MLIR's limit of 16,777,215 bits" in caught.value.message
    assert parse_ir("func.func @f(%x: tensor<2xi16777215>) {\n  func.return\n}\n").module is not None


def test_float32_rounding_beyond_its_range_is_infinite_without_a_warning():
    """as_f32 agrees with numpy's cast, including the rounding edge at FLT_MAX, and prints no RuntimeWarning (a
    scale of 1e39 in IR gave a numpy warning line before its one error line)."""
    import math
    import warnings

    from cmsis_opt.dialects.quant import as_f32

    flt_max = float(np.finfo(np.float32).max)
    edge = 2.0**128 * (1 - 2.0**-25)  # FLT_MAX plus half its last place: rounds (to even) up to infinity
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert as_f32(1e39) == math.inf and as_f32(-1e39) == -math.inf and as_f32(edge) == math.inf
        assert as_f32(math.nextafter(edge, 0)) == flt_max and as_f32(flt_max) == flt_max
        assert as_f32(0.1) == float(np.float32(0.1)) and math.isnan(as_f32(math.nan))
        for scalar in (np.float32(0.1), np.float16(-2.5), np.float64(1e39)):  # numpy scalars: no cast of the bound
            assert as_f32(scalar) == float(np.float32(scalar)) if abs(float(scalar)) < 1e38 else math.inf
    with np.errstate(over="ignore"):
        assert float(np.float32(edge)) == math.inf and float(np.float32(math.nextafter(edge, 0))) == flt_max
