"""cmsis-opt as a user meets it: help, errors, output files."""

from conftest import ROOT, run_tool

EXAMPLE = str(ROOT / "examples" / "tiny_conv.mlir")


def _one_error(proc, fragment: str, status: int = 1) -> None:
    assert proc.returncode == status, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines and lines[0].startswith("error: "), proc.stderr
    assert sum(line.startswith("error:") for line in lines) == 1
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


def test_help_lists_every_mission_pass_with_options():
    proc = run_tool("cmsis-opt", "--help")
    assert proc.returncode == 0
    for name in ("--quantize", "--liveness", "--inplace-alias", "--arena-alloc", "--verify-arena"):
        assert name in proc.stdout
    assert "strategy=" in proc.stdout and "kernel-switch=peak" in proc.stdout


def test_garbage_on_stdin_is_one_error_line():
    _one_error(run_tool("cmsis-opt", "-", input="garbage"), "<stdin>:1:")


def test_empty_input_is_an_error():
    _one_error(run_tool("cmsis-opt", "-", input=""), "empty")


def test_unknown_pass_flag_is_a_usage_error():
    _one_error(run_tool("cmsis-opt", "--frobnicate", EXAMPLE), "--frobnicate", status=2)


def test_shape_mismatch_names_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text(open(EXAMPLE).read().replace("1x8x8x2x", "1x8x20x2x"))
    proc = run_tool("cmsis-opt", str(bad))
    _one_error(proc, f"{bad}:2:3:")
    assert "'cmsis.conv' result" in proc.stderr


def test_round_trip_is_stable():
    first = run_tool("cmsis-opt", EXAMPLE)
    assert first.returncode == 0, first.stderr
    second = run_tool("cmsis-opt", "-", input=first.stdout)
    assert second.returncode == 0 and second.stdout == first.stdout


def test_output_file_not_written_on_failure(tmp_path):
    out = tmp_path / "out.mlir"
    proc = run_tool("cmsis-opt", "-", "-o", str(out), input="garbage")
    assert proc.returncode == 1 and not out.exists()
    proc = run_tool("cmsis-opt", EXAMPLE, "-o", str(out))
    assert proc.returncode == 0 and out.read_text().startswith("builtin.module")


def test_pass_flag_does_not_swallow_the_file_name(tmp_path):
    # --verify-arena takes no value: the file after it stays the input
    proc = run_tool("cmsis-opt", "--bufferize", EXAMPLE)
    assert "unrecognized" not in proc.stderr and "cannot read" not in proc.stderr
