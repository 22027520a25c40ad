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
        (lambda f: _bad_input(f, np.zeros((1, 4), np.int8)), "bad.npy: input #0: expected shape 1x2x2x1, got 1x4"),
        (lambda f: _bad_input(f, np.zeros((1, 2, 2, 1), np.int64)), "bad.npy: input #0: expected int8 values"),
        (lambda f: ["--input", str(f / "refs.npz")], "choose one of its 2 inputs with --index"),
        (lambda f: ["--input", str(f / "refs.npz"), "--index", "5"], "--index 5 is out of range"),
        (lambda f: ["--input", str(f / "one.mlir")], "one.mlir': not a .npy or .npz file (numpy.save writes one)"),
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


def _one_error(proc, expected: str, status: int = 1) -> None:
    """Exactly `expected` as the one line on stderr, with exit status `status`."""
    assert proc.returncode == status, proc.stderr
    assert proc.stderr == f"error: {expected}\n", proc.stderr


@pytest.mark.parametrize(
    "content, expected",
    [
        (ONE_OUTPUT.encode(), "not a .npy or .npz file (numpy.save writes one)"),  # IR given for an input
        (bytes(range(256)) * 4, "not a .npy or .npz file (numpy.save writes one)"),  # random bytes named .npy
        (b"abc", "not a .npy or .npz file (numpy.save writes one)"),  # shorter than numpy's magic string
        (b"", "the file is empty, not a .npy or .npz file (numpy.save writes one)"),
    ],
)
def test_a_file_that_is_not_numpy_is_named_and_never_called_pickled(files, content, expected):
    """numpy's own word for any file without its magic string is "pickled (object) data ... load it unsafely":
    cmsis-run tells the file from its first bytes and never offers to unpickle it."""
    (files / "in.npy").write_bytes(content)
    out = files / "y.npy"
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "in.npy"), "--output", str(out))
    _one_error(proc, f"input: cannot read '{files / 'in.npy'}': {expected}")
    assert "pickle" not in proc.stderr and not out.exists()


def test_an_array_of_python_objects_is_refused_unloaded(files):
    np.save(files / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(files / "objects.npz", inputs=np.array([{"a": 1}, None], dtype=object))
    for name, extra in (("objects.npy", []), ("objects.npz", ["--index", "0"])):
        proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / name), *extra,
                        "--output", str(files / "y.npy"))
        _one_error(proc, f"input: cannot read '{files / name}': it holds an array of Python objects, which "
                         "cmsis-run does not load: save the input as a numeric array")


def test_a_damaged_numpy_file_says_which_kind_and_to_write_it_again(files):
    whole = (files / "x.npy").read_bytes()
    (files / "cut.npy").write_bytes(whole[:-2])  # the header, then too few values
    (files / "cut.npz").write_bytes((files / "refs.npz").read_bytes()[:60])  # a zip header, then not
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "cut.npy"),
                    "--output", str(files / "y.npy"))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith(f"error: input: cannot read '{files / 'cut.npy'}': a damaged .npy file (")
    assert proc.stderr.endswith("): write it again with numpy.save\n")
    # with --index, a damaged .npz is said to be one (not "no --input is an .npz file")
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "cut.npz"), "--index", "0",
                    "--output", str(files / "y.npy"))
    _one_error(proc, f"input: cannot read '{files / 'cut.npz'}': a damaged .npz file (File is not a zip file): "
                     "write it again with numpy.savez")


def test_a_zip_that_numpy_did_not_write_is_refused(files):
    import zipfile

    with zipfile.ZipFile(files / "plain.npz", "w") as archive:
        archive.writestr("inputs", "not an array")
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "plain.npz"), "--index", "0",
                    "--output", str(files / "y.npy"))
    _one_error(proc, f"input: '{files / 'plain.npz'}': its 'inputs' is not a numpy array (a zip file, but not one "
                     "numpy.savez wrote)")


def test_a_folder_given_as_input_is_named(files):
    (files / "folder").mkdir()
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "folder"),
                    "--output", str(files / "y.npy"))
    _one_error(proc, f"input: cannot read '{files / 'folder'}': it is a folder, not a .npy or .npz file")


@pytest.mark.parametrize(
    "array, expected",
    [
        (np.zeros((1, 4), np.int8), "expected shape 1x2x2x1, got 1x4"),
        (np.zeros((1, 2, 2, 1), np.int64), "expected int8 values (or floats to quantize), got int64"),
        (np.full((1, 2, 2, 1), np.nan, np.float32), "cannot quantize NaN or infinite values"),
        (np.full((1, 2, 2, 1), 1e300), "values up to 1e+300 are beyond float32's range (the model computes in "
                                       "float32, or quantizes from it)"),
    ],
)
def test_an_input_that_does_not_fit_names_its_number_and_file(files, array, expected):
    np.save(files / "bad.npy", array)
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "bad.npy"),
                    "--output", str(files / "y.npy"))
    _one_error(proc, f"{files / 'bad.npy'}: input #0: {expected}")


FLOAT_DOUBLE = """func.func @f(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = nn.add %x, %x : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
"""


@pytest.mark.parametrize(
    "array, expected",
    [
        (np.full((1, 4), 3e38, np.float32), "cmsis-run: output #0 holds Inf or NaN in 4 of 4 values: the float "
                                            "model's float32 arithmetic overflowed on these inputs; no output is written"),
        (np.array([[1, np.nan, 2, 3]], np.float32), "cmsis-run: output #0 holds Inf or NaN in 1 of 4 values: an input "
                                                     "holds NaN or Inf; no output is written"),
        (np.full((1, 4), 1e300), "x.npy: input #0: values up to 1e+300 are beyond float32's range (the model computes "
                                 "in float32, or quantizes from it)"),
    ],
)
def test_a_float_model_whose_result_has_no_value_is_one_error_and_no_output(tmp_path, array, expected):
    """Float IR (before --quantize) run on values whose float32 result overflows, or that float32 cannot hold:
    one error, no numpy warning, no output file. Before: numpy's overflow warning and an output of Inf."""
    (tmp_path / "f.mlir").write_text(FLOAT_DOUBLE)
    np.save(tmp_path / "x.npy", array)
    proc = run_tool("cmsis-run", "f.mlir", "--input", "x.npy", "--output", "y.npy", cwd=tmp_path)
    _one_error(proc, expected)
    assert not (tmp_path / "y.npy").exists()


def test_the_second_input_is_named_by_its_own_file(files):
    (files / "pair.mlir").write_text(TWO_INPUTS)
    np.save(files / "wide.npy", np.zeros((1, 4), np.int8))
    proc = run_tool("cmsis-run", str(files / "pair.mlir"), "--input", str(files / "x.npy"), "--input",
                    str(files / "wide.npy"), "--output", str(files / "y.npz"))
    _one_error(proc, f"{files / 'wide.npy'}: input #1: expected shape 1x2x2x1, got 1x4")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_huge_float_inputs_saturate_without_numpy_warnings(files, dtype):
    """Far past the int8 range a float input quantizes to the end of it: no overflow warning, no wrapped sign."""
    big = np.finfo(dtype).max if dtype != np.float64 else 1e38
    x = np.array([big, -big, 1.0, 2.0], dtype).reshape(1, 2, 2, 1)
    np.save(files / "big.npy", x)
    (files / "flat.mlir").write_text(TWO_OUTPUTS)
    out = files / "out.npz"
    proc = run_tool("cmsis-run", str(files / "flat.mlir"), "--input", str(files / "big.npy"), "--output", str(out))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    with np.load(out) as outputs:
        assert outputs["output0"].item() == 127
        assert outputs["output1"].tolist() == [[127, -128, 2, 4]]


@pytest.mark.parametrize("under", ["x.npy/y.npy", "x.npy/deeper/y.npy"])
def test_an_output_under_a_file_says_it_is_not_a_folder(files, under):
    out = files / under
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "x.npy"), "--output", str(out))
    _one_error(proc, f"output: cannot write '{out}': '{files / 'x.npy'}' is a file, not a folder: give a path in "
                     "an existing folder")
    assert (files / "x.npy").is_file()


def test_an_output_in_a_missing_folder_is_told_before_the_run(files):
    out = files / "missing" / "y.npy"
    proc = run_tool("cmsis-run", str(files / "one.mlir"), "--input", str(files / "x.npy"), "--output", str(out))
    _one_error(proc, f"output: cannot write '{out}': directory '{files / 'missing'}' does not exist")
