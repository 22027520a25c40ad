"""`cmsis-run`: IR + .npy/.npz inputs in, .npy/.npz outputs out; user errors as one `error:` line."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_tool

T_IN = "tensor<1x2x2x1x!quant.uniform<i8:f32, 0.5:0>>"
T_POOL = "tensor<1x1x1x1x!quant.uniform<i8:f32, 0.5:0>>"
T_FLAT = "tensor<1x4x!quant.uniform<i8:f32, 0.5:0>>"

TWO_OUTPUTS = f"""
func.func @two(%x: {T_IN}) -> ({T_POOL}, {T_FLAT}) {{
  %p = cmsis.max_pool %x {{kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
                           act_min = -128 : i32, act_max = 127 : i32}} : ({T_IN}) -> {T_POOL}
  %f = cmsis.reshape %x : ({T_IN}) -> {T_FLAT}
  func.return %p, %f : {T_POOL}, {T_FLAT}
}}
"""

ONE_OUTPUT = f"""
func.func @one(%x: {T_IN}) -> {T_POOL} {{
  %p = cmsis.max_pool %x {{kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>,
                           act_min = -128 : i32, act_max = 127 : i32}} : ({T_IN}) -> {T_POOL}
  func.return %p : {T_POOL}
}}
"""

TWO_INPUTS = f"""
func.func @pair(%a: {T_IN}, %b: {T_IN}) -> ({T_FLAT}, {T_FLAT}) {{
  %fa = cmsis.reshape %a : ({T_IN}) -> {T_FLAT}
  %fb = cmsis.reshape %b : ({T_IN}) -> {T_FLAT}
  func.return %fa, %fb : {T_FLAT}, {T_FLAT}
}}
"""

X = np.array([3, -7, 9, 1], np.int8).reshape(1, 2, 2, 1)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "one.mlir").write_text(ONE_OUTPUT)
    (tmp_path / "two.mlir").write_text(TWO_OUTPUTS)
    np.save(tmp_path / "x.npy", X)
    np.savez(tmp_path / "refs.npz", inputs=np.stack([X, -X]))
    return tmp_path


def test_runs_a_file_on_an_npy_input(files):
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "x.npy"), "--output", str(files / "y.npy"))
    assert proc.returncode == 0, proc.stderr
    y = np.load(files / "y.npy")
    assert y.dtype == np.int8 and y.tolist() == [[[[9]]]]


def test_reads_ir_from_stdin(files):
    proc = run_tool("cmsis-run", "-", "--input", str(files / "x.npy"), "-o", str(files / "y.npy"), input=ONE_OUTPUT)
    assert proc.returncode == 0, proc.stderr
    assert np.load(files / "y.npy").tolist() == [[[[9]]]]


@pytest.mark.parametrize("index, expected", [(0, 9), (1, 7), (-1, 7)])
def test_takes_one_element_of_an_npz_inputs_array(files, index, expected):
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "refs.npz"), "--index", str(index),
                    "--output", str(files / "y.npy"))
    assert proc.returncode == 0, proc.stderr
    assert np.load(files / "y.npy").item() == expected


def test_several_outputs_as_separate_npy_files(files):
    proc = run_tool("cmsis-run", str(files / "two.mlir"), "--input", str(files / "x.npy"),
                    "--output", str(files / "pool.npy"), "--output", str(files / "flat.npy"))
    assert proc.returncode == 0, proc.stderr
    assert np.load(files / "pool.npy").item() == 9
    assert np.load(files / "flat.npy").tolist() == [[3, -7, 9, 1]]


def test_several_outputs_in_one_npz(files):
    proc = run_tool("cmsis-run", str(files / "two.mlir"), "--input", str(files / "x.npy"), "--output", str(files / "out.npz"))
    assert proc.returncode == 0, proc.stderr
    with np.load(files / "out.npz") as out:
        assert sorted(out.files) == ["output0", "output1"]
        assert out["output0"].item() == 9 and out["output1"].tolist() == [[3, -7, 9, 1]]


def _bad_input(files, array):
    np.save(files / "bad.npy", array)
    return ["--input", str(files / "bad.npy")]


@pytest.mark.parametrize(
    "args, message",
    [
        (lambda f: ["--input", str(f / "missing.npy")], "cannot read"),
        (lambda f: _bad_input(f, np.zeros((1, 4), np.int8)), "input #0: expected shape 1x2x2x1, got 1x4"),
        (lambda f: _bad_input(f, np.zeros((1, 2, 2, 1), np.int64)), "input #0: expected int8 values"),
        (lambda f: ["--input", str(f / "refs.npz")], "choose one of its 2 inputs with --index"),
        (lambda f: ["--input", str(f / "refs.npz"), "--index", "5"], "--index 5 is out of range"),
        (lambda f: ["--input", str(f / "one.mlir")], "as a numpy .npy/.npz file"),
    ],
)
def test_input_errors_are_one_line_and_write_nothing(files, args, message):
    out = files / "y.npy"
    proc = run_tool("cmsis-run", str(files / "one.mlir"), *args(files), "--output", str(out))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not out.exists()


def test_a_missing_input_is_a_usage_error(files):
    out = files / "y.npy"
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--output", str(out))
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr == ("error: cmsis-run: missing --input: the function takes 1 input, one --input each "
                           "(see cmsis-run --help)\n")


def test_malformed_ir_is_reported_with_its_location(files):
    (files / "bad.mlir").write_text("func.func @f() {\n  %0 = cmsis.bogus : () -> ()\n}\n")
    proc = run_tool("cmsis-run", str(files / "bad.mlir"), "--output", str(files / "y.npy"))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: {files / 'bad.mlir'}:2:")
    assert "Traceback" not in proc.stderr and not (files / "y.npy").exists()


def test_wrong_number_of_outputs_is_a_usage_error(files):
    proc = run_tool("cmsis-run", str(files / "two.mlir"), "--input", str(files / "x.npy"), "--output", str(files / "y.npy"))
    assert proc.returncode == 2
    assert proc.stderr == ("error: cmsis-run: the function returns 2 outputs but 1 --output path was given (give one "
                           "per output, or a single .npz file)\n")
    assert not (files / "y.npy").exists()


def test_wrong_number_of_inputs_is_a_usage_error(files):
    x = str(files / "x.npy")
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", x, "--input", x, "--output", str(files / "y.npy"))
    assert proc.returncode == 2
    assert proc.stderr == ("error: cmsis-run: the function takes 1 input but 2 --input files were given (one --input "
                           "each, in the order of the function's arguments)\n")
    assert not (files / "y.npy").exists()


def test_missing_output_is_a_usage_error(files):
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "x.npy"))
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "--output" in proc.stderr


def test_index_with_only_npy_inputs_is_a_usage_error(files):
    """An .npy array is used whole, so an --index no .npz input takes would be silently ignored."""
    out = files / "y.npy"
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "x.npy"), "--index", "1",
                    "--output", str(out))
    assert proc.returncode == 2 and not out.exists()
    assert proc.stderr == ("error: cmsis-run: --index 1 picks an element of an .npz file's 'inputs', but no --input "
                           "is an .npz file (an .npy array is used whole): drop --index, or give the .npz\n")


def test_index_applies_to_the_npz_inputs_beside_npy_ones(files):
    (files / "pair.mlir").write_text(TWO_INPUTS)
    out = files / "y.npz"
    proc = run_tool("cmsis-run", str(files / "pair.mlir"), "--input", str(files / "refs.npz"), "--input",
                    str(files / "x.npy"), "--index", "1", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as outputs:
        assert outputs["output0"].tolist() == (-X).reshape(1, 4).tolist()
        assert outputs["output1"].tolist() == X.reshape(1, 4).tolist()
