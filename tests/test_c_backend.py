"""The C backend: what `emit_c` writes for small cmsis functions, and that it compiles warning-free."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cmsis_opt.backend.c import emit_c, split_c_output
from cmsis_opt.context import make_context
from cmsis_opt.passes.default import DefaultPipeline
from cmsis_opt.errors import CompileError
from cmsis_opt.hostbuild import RUNTIME_DIR
from cmsis_opt.ir import parse_ir

from conftest import run_tool

TINY = Path(__file__).parent / "lit" / "emit-c" / "Inputs" / "tiny.mlir"
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror"]

PLANNED = """
func.func @planned(%x: tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:-1>> attributes {arena.plan = #arena.plan<size = 48, alignment = 16, strategy = "by hand">} {
  %p = cmsis.avg_pool %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, act_min = -128 : i32, act_max = 127 : i32, layer = "avg"} : (tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  %r = cmsis.reshape %p : (tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x16x!quant.uniform<i8:f32, 0.5:-1>>
  arena.buffer %x {name = "input", size = 16 : i64, offset = 32 : i64} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  arena.buffer %p {name = "avg", size = 16 : i64, offset = 0 : i64} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  arena.scratch %p {name = "avg.scratch", size = 16 : i64, offset = 16 : i64} : tensor<1x2x2x4x!quant.uniform<i8:f32, 0.5:-1>>
  func.return %r : tensor<1x16x!quant.uniform<i8:f32, 0.5:-1>>
}
"""


def emit(text: str, name: str | None = None, core: str | None = None) -> tuple[str, str]:
    """The C of `text`, planned first by the default pipeline when it is not planned yet."""
    module = parse_ir(text).module
    if "arena.plan" not in text:
        DefaultPipeline(core=core).apply(make_context(), module)
    return emit_c(module, name)


def test_planned_offsets_become_arena_pointers():
    header, source = emit(PLANNED)
    assert "#define PLANNED_ARENA_SIZE 48" in header
    assert "static int8_t planned_arena[PLANNED_ARENA_SIZE] PLANNED_ALIGNED;" in source
    assert "return planned_arena + 32;" in source  # the input
    assert source.count("return planned_arena + 0;") == 1  # the output is the reshape view of the pool result
    assert "{.buf = planned_arena + 16, .size = 16}" in source
    assert "/* avg: cmsis.avg_pool 1x2x2x4 -> 1x2x2x4; in @32, out @0, scratch @16 (16 B) */" in source


def test_the_header_describes_inputs_and_outputs():
    header, _ = emit(PLANNED)
    for line in ("#define PLANNED_INPUT_SHAPE {1, 2, 2, 4}", "#define PLANNED_INPUT_SIZE 16",
                 "#define PLANNED_INPUT_SCALE 0.5f", "#define PLANNED_INPUT_ZERO_POINT (-1)",
                 "#define PLANNED_OUTPUT_SHAPE {1, 16}", "int8_t *planned_input(void);",
                 "int8_t *planned_output(void);", "int planned_invoke(void);",
                 "int planned_run(const int8_t *input, int8_t *output);"):
        assert line in header
    assert "consumes it" in header


def test_one_checked_call_per_kernel_op_and_none_for_a_reshape():
    _, source = emit(TINY.read_text())
    calls = re.findall(r"^ +(?:status = )?(arm_\w+)\(", source, re.M)
    assert calls == ["arm_convolve_wrapper_s8", "arm_max_pool_s8", "arm_softmax_s8"]
    assert source.count("if (status != ARM_CMSIS_NN_SUCCESS)") == 2  # softmax returns void
    comments = re.findall(r"/\* (\w+): cmsis\.", source)
    assert comments == ["conv1", "pool", "softmax"]


def test_weights_and_parameters_are_const_and_there_is_no_other_ram():
    _, source = emit(TINY.read_text())
    statics = [line for line in source.splitlines() if line.startswith("static ")]
    mutable = [line for line in statics if not line.startswith("static const ")]
    assert mutable == ["static int8_t tiny_arena[TINY_ARENA_SIZE] TINY_ALIGNED;"]
    assert "malloc" not in source
    assert "static const int8_t tiny_conv1_weights[54] TINY_ALIGNED" in source


def test_host_builds_can_check_each_kernels_scratch_against_the_plan():
    _, source = emit(TINY.read_text())
    assert source.count("#if defined(CMSIS_OPT_CHECK_SCRATCH)") == 1  # the conv: max pool and softmax need none
    assert "arm_convolve_wrapper_s8_get_buffer_size(&tiny_conv1_params" in source


def test_the_backend_takes_a_verified_plan_and_nothing_else():
    with pytest.raises(CompileError, match="C emission needs a planned arena: run the memory passes first"):
        emit_c(parse_ir(TINY.read_text()).module)
    broken = PLANNED.replace("offset = 32 : i64", "offset = 0 : i64")  # the input now sits on the pool's output
    with pytest.raises(CompileError, match="verify-arena: buffers 'input' .* and 'avg' .* share bytes"):
        emit(broken)
    header, source = emit(TINY.read_text())  # planned by the normal passes: every offset aligned
    offsets = [int(x) for x in re.findall(r"tiny_arena \+ (\d+)", source)]
    assert offsets and all(offset % 16 == 0 for offset in offsets)


def test_name_option_and_identifiers_are_sanitized():
    header, source = emit(PLANNED, "my-net.v2")
    assert "int my_net_v2_invoke(void);" in header
    assert "#define MY_NET_V2_ARENA_SIZE 48" in header


def test_nn_ops_are_rejected_with_a_clear_error():
    text = """
func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = nn.relu %x : (tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
"""
    with pytest.raises(CompileError, match="C emission needs the cmsis dialect: run --quantize first"):
        emit_c(parse_ir(text).module)


def test_cmsis_opt_target_c_prints_both_files_after_markers(tmp_path):
    result = run_tool("cmsis-opt", str(TINY), "-p", "default", "-t", "c")
    assert result.returncode == 0, result.stderr
    files = split_c_output(result.stdout)
    assert list(files) == ["tiny.h", "tiny.c"]
    assert files["tiny.h"].startswith("/* tiny.h")
    assert '#include "tiny.h"' in files["tiny.c"]


needs_runtime = pytest.mark.skipif(not (RUNTIME_DIR / "include" / "arm_nnfunctions.h").exists(),
                                   reason=f"the CMSIS-NN runtime headers are not in {RUNTIME_DIR / 'include'}")


@needs_runtime
@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("text", [PLANNED, TINY.read_text()], ids=["planned", "tiny"])
def test_generated_c_compiles_with_strict_warnings(tmp_path, text):
    header, source = emit(text, "net")
    (tmp_path / "net.h").write_text(header)
    (tmp_path / "net.c").write_text(source)
    result = subprocess.run(["cc", *STRICT, "-I", str(RUNTIME_DIR / "include"), "-c", "net.c", "-o", "net.o"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


TWO_IN_TWO_OUT = """
func.func @pair(%a: tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>, %b: tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>)
    -> (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x!quant.uniform<i8:f32, 0.25:3>>) {
  %s = cmsis.mul %a, %b {input1_offset = 0 : i32, input2_offset = 0 : i32, output_offset = 3 : i32, output_multiplier = 1073741824 : i32, output_shift = 0 : i32, act_min = -128 : i32, act_max = 127 : i32} : (tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.25:3>>
  func.return %a, %s : tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>, tensor<1x2x!quant.uniform<i8:f32, 0.25:3>>
}
"""


def test_several_inputs_and_outputs_are_numbered():
    header, source = emit(TWO_IN_TWO_OUT)
    for declaration in ("int8_t *pair_input_0(void);", "int8_t *pair_input_1(void);",
                        "int8_t *pair_output_0(void);", "int8_t *pair_output_1(void);",
                        "int pair_run(const int8_t *input_0, const int8_t *input_1, int8_t *output_0, int8_t *output_1);"):
        assert declaration in header
    assert "#define PAIR_OUTPUT_1_ZERO_POINT (3)" in header
    assert "#define PAIR_OUTPUT_1_SCALE 0.25f" in header
    # a graph input that is also a graph output is the same bytes
    input_0 = re.search(r"pair_input_0\(void\)\n\{\n    return (pair_arena \+ \d+);", source).group(1)
    output_0 = re.search(r"pair_output_0\(void\)\n\{\n    return (pair_arena \+ \d+);", source).group(1)
    assert input_0 == output_0


FC = """
func.func @fc(%x: tensor<1x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.5:0>> {
  %y = cmsis.fully_connected %x {filter = dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>, bias = dense<[7, 8]> : tensor<2xi32>, multiplier = 1073741824 : i32, shift = 0 : i32, input_offset = -1 : i32, output_offset = 0 : i32, act_min = -128 : i32, act_max = 127 : i32, layer = "dense"} : (tensor<1x3x!quant.uniform<i8:f32, 0.5:1>>) -> tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>
  func.return %y : tensor<1x2x!quant.uniform<i8:f32, 0.5:0>>
}
"""


def test_mve_fully_connected_reads_its_kernel_sums_from_flash():
    header, mve = emit(FC, core="cortex-m55")
    # bias + input_offset * row sums: 7 - (1 + 2 + 3) and 8 - (4 + 5 + 6)
    assert "static const int32_t fc_dense_kernel_sums[2] FC_ALIGNED = {\n    1, -7\n};" in mve
    assert "static const cmsis_nn_context fc_dense_ctx = {.buf = (void *)fc_dense_kernel_sums, .size = 8};" in mve
    assert "arm_vector_sum_s8" not in mve and "#define FC_ARENA_SIZE 32" in header  # input and output, no scratch
    _, dsp = emit(FC, core="cortex-m4")
    assert "kernel_sums" not in dsp and "{.buf = NULL, .size = 0}" in dsp


def test_the_header_records_the_plan_assumptions_and_check_names_the_layer():
    header, source = emit(FC, core="cortex-m55")
    for line in ('#define FC_TARGET "cortex-m55"', '#define FC_CMSIS_NN_PATH "mve"', '#define FC_CMSIS_NN_VERSION "7.0.0"',
                 "int fc_check(void);", "const char *fc_layer_name(int call);"):
        assert line in header
    assert 'static const char *const fc_layers[1] = {\n    "dense",\n};' in source
    assert "if (arm_fully_connected_s8_get_buffer_size(&fc_dense_filter_dims) > fc_dense_ctx.size) {\n        return 1;" in source


@pytest.mark.parametrize("text, expected", [("kws", "kws"), ("01_net", "model_01_net"), ("_x", "model__x"),
                                             ("my-net", "my_net"), ("", "model_")])
def test_the_model_name_never_starts_with_a_digit_or_an_underscore(text, expected):
    """Names starting with '_' are reserved at file scope (C99 7.1.3): a model file '01_net.onnx' gets a prefix."""
    from cmsis_opt.backend.c import c_name

    assert c_name(text) == expected
