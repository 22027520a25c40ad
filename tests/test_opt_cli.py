"""cmsis-opt as a user meets it: help, errors, output files."""

import io
import os
import random
import stat
import subprocess
import sys

from dataclasses import dataclass
from typing import ClassVar

import pytest
from conftest import BIN, ROOT, run_tool
from xdsl.dialects.builtin import IntegerAttr, i64
from xdsl.passes import ModulePass

from cmsis_opt.errors import CompileError
from cmsis_opt.passes import ALL_PASSES
from cmsis_opt.tools.opt import main as opt_main

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


def test_the_kept_help_is_what_the_driver_prints():
    """`cmsis-opt --help` prints a kept copy (no xDSL loaded); it must match the driver's own help."""
    from cmsis_opt.tools.opt_cli import HELP, generate_help, wants_help

    assert HELP == generate_help(), "the help changed: run `python -m cmsis_opt.tools.opt_cli --write-help`"
    proc = run_tool("cmsis-opt", "--help")
    assert proc.returncode == 0 and proc.stdout == HELP
    assert wants_help(["x.mlir", "--arena-alloc", "-h"]) and not wants_help(["--", "-h"])
    assert not wants_help(["--help-me"])


def test_garbage_on_stdin_is_one_error_line():
    _one_error(run_tool("cmsis-opt", "-", input="garbage"), "<stdin>:1:")


def test_empty_input_is_an_error():
    _one_error(run_tool("cmsis-opt", "-", input=""), "empty")


def test_unknown_flag_is_one_usage_error_with_status_2():
    _one_error(run_tool("cmsis-opt", "--no-such-flag", EXAMPLE), "unknown option '--no-such-flag'", status=2)
    _one_error(run_tool("cmsis-opt", "--bufferise", EXAMPLE), "(did you mean '--bufferize'?)", status=2)


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


# -- hostile input: one `error:` line, status 1, never a traceback or an output file --
# (run in-process to keep them fast; the subprocess tests above cover the real entry point)


@pytest.fixture
def opt(capsys, monkeypatch, tmp_path):
    """Run cmsis-opt's main in-process: returns (status, stdout, stderr lines)."""

    def run(*args, input: str | bytes | None = None):
        if input is not None:
            data = input.encode() if isinstance(input, str) else input
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        status = opt_main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err.splitlines()

    return run


def _fails_cleanly(opt, tmp_path, *args, input=None, fragment=""):
    out = tmp_path / "out.mlir"
    status, stdout, lines = opt(*args, "-o", str(out), input=input)
    assert status == 1, lines
    assert lines[0].startswith("error: ") and fragment in lines[0], lines
    assert sum(line.startswith("error:") for line in lines) == 1, lines
    assert not any("Traceback" in line or "internal error" in line for line in lines), lines
    assert not out.exists() and stdout == ""
    return lines


def test_random_bytes(opt, tmp_path):
    data = bytes(random.Random(7).randrange(256) for _ in range(4096))
    _fails_cleanly(opt, tmp_path, "-", input=data, fragment="not UTF-8")


def test_non_utf8_file(opt, tmp_path):
    path = tmp_path / "latin1.mlir"
    path.write_bytes("func.func @caf\xe9() { func.return }".encode("latin-1"))
    _fails_cleanly(opt, tmp_path, str(path), fragment="not UTF-8 text (byte 14)")


def test_huge_dimensions_are_refused_while_parsing(opt, tmp_path):
    text = "func.func @f(%x: tensor<99999999999x99999999999xf32>) { func.return }"
    lines = _fails_cleanly(opt, tmp_path, "-", input=text, fragment="<stdin>:1:25: a shape of")
    assert lines[2].index("^") == 24  # the caret under the shape


def test_huge_splat_constant_is_refused_before_expanding(opt, tmp_path):
    text = "func.func @f() {\n  %c = nn.constant {value = dense<1> : tensor<1000000000xi8>} : tensor<1000000000xi8>\n  func.return\n}"
    _fails_cleanly(opt, tmp_path, "-", input=text, fragment="a constant of 1000000000 elements is too large")


def test_deeply_nested_attribute(opt, tmp_path):
    text = "func.func @f() attributes {a = " + "[" * 50000 + "} {}"
    lines = _fails_cleanly(opt, tmp_path, "-", input=text, fragment="nested too deeply")
    assert len(lines[1]) <= 120  # the source line is shown as a window, not 50,000 characters


def test_deeply_nested_regions(opt, tmp_path):
    text = "func.func @f() {" + "(" * 50000
    lines = _fails_cleanly(opt, tmp_path, "-", input=text, fragment="<stdin>:1:")
    assert all(len(line) <= 120 for line in lines)


def test_unterminated_string(opt, tmp_path):
    _fails_cleanly(opt, tmp_path, "-", input='func.func @f() attributes {a = "abc', fragment="<stdin>:1:32: End of file reached before closing string literal")


def test_nul_byte(opt, tmp_path):
    _fails_cleanly(opt, tmp_path, "-", input="func.func @f() {\x00}", fragment="<stdin>:1:17:")


def test_input_is_a_directory(opt, tmp_path):
    _fails_cleanly(opt, tmp_path, str(tmp_path), fragment="Is a directory")


def test_missing_input(opt, tmp_path):
    _fails_cleanly(opt, tmp_path, str(tmp_path / "absent.mlir"), fragment="No such file or directory")


def test_unreadable_input(opt, tmp_path):
    path = tmp_path / "secret.mlir"
    path.write_text("func.func @f() { func.return }")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: use a name no file system accepts
        path = tmp_path / ("x" * 300)
    _fails_cleanly(opt, tmp_path, str(path), fragment="cannot read")


def test_output_into_missing_directory(opt, tmp_path):
    out = tmp_path / "no" / "such" / "dir" / "out.mlir"
    status, _, lines = opt(EXAMPLE, "-o", str(out))
    assert status == 1 and len(lines) == 1 and "does not exist" in lines[0]
    assert not out.parent.exists()


def test_output_onto_a_directory(opt, tmp_path):
    status, _, lines = opt(EXAMPLE, "-o", str(tmp_path))
    assert status == 1 and len(lines) == 1 and "Is a directory" in lines[0]
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left behind


def test_output_to_a_device_writes_through_it(opt):
    # -o /dev/null must write to the device, never rename a file over it
    status, _, lines = opt(EXAMPLE, "-o", "/dev/null")
    assert status == 0, lines
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_file_gets_ordinary_permissions(opt, tmp_path):
    out = tmp_path / "out.mlir"
    assert opt(EXAMPLE, "-o", str(out))[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_output_through_a_symlink_replaces_the_target(opt, tmp_path):
    target = tmp_path / "real.mlir"
    target.write_text("old")
    link = tmp_path / "link.mlir"
    link.symlink_to(target)
    assert opt(EXAMPLE, "-o", str(link))[0] == 0
    assert link.is_symlink() and target.read_text().startswith("builtin.module")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--frobnicate"], "unknown option '--frobnicate'"),
        (["-p", "frobnicate"], "unknown pass 'frobnicate'"),
        (["-p", "bufferise"], "unknown pass 'bufferise' (did you mean 'bufferize'?)"),
    ],
)
def test_unknown_passes_are_usage_errors(opt, args, fragment):
    # a misspelt pass is the common mistake: one error line, the closest name, status 2 as for any usage error
    status, stdout, lines = opt(EXAMPLE, *args)
    assert status == 2 and stdout == "", lines
    assert len(lines) == 1 and lines[0].startswith("error: cmsis-opt: ") and fragment in lines[0], lines


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["-p", "bufferize{"], "cannot parse pass pipeline"),
        (["-p", "arena-alloc{alignment=abc}"], "pass 'arena-alloc': option 'alignment' takes an integer; got 'abc'"),
        (["-t", "pdf"], "invalid choice: 'pdf'"),
        (["-o"], "expected one argument"),
    ],
)
def test_usage_errors_exit_2(opt, args, fragment):
    status, stdout, lines = opt(EXAMPLE, *args)
    assert status == 2 and stdout == "", lines
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines


# -- pipelines: `-p 'a,b{opt=1}'`, --print-ir-after-all, a pass still being built --


@dataclass(frozen=True)
class TagPass(ModulePass):
    """Stamp every function with an integer attribute (a stand-in pass with options)."""

    name: ClassVar[str] = "test-tag"
    key: str = "tag"
    value: int = 0

    def apply(self, ctx, op) -> None:
        for func in op.ops:
            func.attributes[self.key] = IntegerAttr(self.value, i64)


@dataclass(frozen=True)
class UnfinishedPass(ModulePass):
    """A registered pass that is not implemented yet."""

    name: ClassVar[str] = "test-unfinished"

    def apply(self, ctx, op) -> None:
        raise CompileError(f"pass '{self.name}' is not implemented yet", "cmsis-opt")


@pytest.fixture
def fake_passes(monkeypatch):
    monkeypatch.setitem(ALL_PASSES, "test-tag", lambda: TagPass)
    monkeypatch.setitem(ALL_PASSES, "test-unfinished", lambda: UnfinishedPass)


def test_pipeline_runs_passes_in_order_with_options(opt, fake_passes):
    status, out, _ = opt(EXAMPLE, "-p", "test-tag{key=first value=1},test-tag{key=second value=-2}")
    assert status == 0
    assert "attributes {first = 1 : i64, second = -2 : i64}" in out


def test_pass_flags_run_after_the_pipeline(opt, fake_passes):
    status, out, _ = opt("--test-tag=key=b,value=2", EXAMPLE, "-p", "test-tag{key=a value=1}")
    assert status == 0 and "attributes {a = 1 : i64, b = 2 : i64}" in out


def test_print_ir_after_all_dumps_after_each_pass(opt, fake_passes):
    status, out, err = opt(EXAMPLE, "-p", "test-tag{key=first},test-tag{key=second}", "--print-ir-after-all")
    assert status == 0
    headers = [line for line in err if line.startswith("// -----// IR Dump After")]
    assert headers == ["// -----// IR Dump After test-tag //----- //"] * 2
    dumps = "\n".join(err).split("// -----// IR Dump After test-tag //----- //")[1:]
    assert "first = 0" in dumps[0] and "second" not in dumps[0]
    assert "second = 0" in dumps[1]


def test_empty_pipeline_prints_the_input_unchanged(opt):
    status, out, err = opt(EXAMPLE, "-p", "", "--print-ir-after-all")
    assert status == 0 and err == []
    assert out == opt(EXAMPLE)[1]


def test_unfinished_pass_is_a_clean_error(opt, fake_passes, tmp_path):
    out = tmp_path / "out.mlir"
    status, stdout, lines = opt(EXAMPLE, "-p", "test-tag,test-unfinished", "--print-ir-after-all", "-o", str(out))
    assert status == 1 and not out.exists()
    assert lines[-1] == "error: cmsis-opt: pass 'test-unfinished' is not implemented yet"
    assert lines[0] == "// -----// IR Dump After test-tag //----- //"  # the passes before it still dumped


def test_bad_value_for_an_option_is_a_usage_error(opt, fake_passes):
    status, _, lines = opt(EXAMPLE, "-p", "test-tag{value=many}")
    assert status == 2 and lines[0] == "error: pass 'test-tag': option 'value' takes an integer; got 'many'"


# -- mutation fuzzing: any damage to a valid file gives an error line, never a crash --


def _mutations(text: str, count: int, seed: int):
    rng = random.Random(seed)
    pieces = ["{", "}", "(", ")", "<", ">", "[", "]", '"', ":", ",", "%", "@", "!", "x", "?", "-", "0x", "99999999999", "\n", "// -----"]
    for _ in range(count):
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            action = rng.randrange(3)
            if action == 0:
                del chars[at : at + rng.randint(1, 8)]
            elif action == 1:
                chars[at:at] = rng.choice(pieces)
            else:
                end = min(len(chars), at + rng.randint(1, 40))
                chars[at:at] = chars[at:end]
        yield "".join(chars)


def test_mutated_inputs_never_crash(opt):
    text = open(EXAMPLE).read()
    for mutated in _mutations(text, 150, seed=2024):
        status, _, lines = opt("-", input=mutated)
        assert status in (0, 1), (mutated, lines)
        if status == 1:
            assert lines[0].startswith("error: ") and "internal error" not in lines[0], (mutated, lines)


def test_unterminated_string_before_a_long_line_fails_fast(tmp_path):
    # xDSL 0.74's string pattern backtracks exponentially here; ours must answer at once
    text = 'func.func @f(%y: tensor<4xf32>) {\n  arena.buffer %y {a", size = 1 : i64, first = 0 : i64, last = 0 : i64} : tensor<4xf32>\n}\n'
    proc = subprocess.run([str(BIN / "cmsis-opt"), "-"], input=text, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: <stdin>:2:21: End of file reached before closing string literal.")


@pytest.mark.parametrize(
    "literal, fragment",
    [
        ("dense<1.0e39> : tensor<2xf32>", "1.0e39 is out of range for f32"),
        ("dense<[1.0e39, 1.0]> : tensor<2xf32>", "value out of range"),
        ("dense<300> : tensor<2xi8>", "Integer value 300 is out of range for type i8"),
    ],
)
def test_constants_out_of_range_are_located_errors(opt, tmp_path, literal, fragment):
    text = f"func.func @f() {{\n  %c = nn.constant {{value = {literal}}} : tensor<2xf32>\n  func.return\n}}\n"
    _fails_cleanly(opt, tmp_path, "-", input=text, fragment="<stdin>:2:")
    assert fragment in opt("-", input=text)[2][0]


NET = "input x: 1x8x8x3, scale=0.0078125, zp=-128\nc1 = conv(x, filters=4, kernel=3, pad=1, act=relu)\noutput c1\n"


def test_a_model_on_stdin_is_imported_with_its_format(tmp_path):
    """`cmsis-opt - -f net` and `cmsis-import - --format net` read the model's bytes from stdin, as from a file."""
    (tmp_path / "model.net").write_text(NET)
    from_file = run_tool("cmsis-opt", str(tmp_path / "model.net"), "--quantize")
    from_stdin = run_tool("cmsis-opt", "-", "-f", "net", "--quantize", input=NET)
    assert from_file.returncode == 0 and from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout and "cmsis.conv" in from_stdin.stdout
    told = run_tool("cmsis-opt", "-", "--quantize", input=NET)  # no -f: a model's bytes tell its format
    assert told.returncode == 0 and told.stdout == from_file.stdout, told.stderr
    imported = run_tool("cmsis-import", "-", "--format", "net", input=NET)
    assert imported.returncode == 0 and imported.stdout == run_tool("cmsis-import", str(tmp_path / "model.net")).stdout


def test_a_model_on_stdin_is_told_from_its_bytes_and_errors_name_stdin():
    told = run_tool("cmsis-import", "-", input=NET)
    assert told.returncode == 0 and "nn.conv" in told.stdout, told.stderr
    _one_error(run_tool("cmsis-opt", "-", "-f", "net", input=NET.replace("3, pad", "3, pads")),
               "error: <stdin>:2:")
    tflite = run_tool("cmsis-opt", "-", "-f", "onnx", input=b"\x1c\x00\x00\x00TFL3" + bytes(100))
    tflite.stderr = tflite.stderr.decode()
    _one_error(tflite, "error: <stdin>: this is a TFLite model (file identifier TFL3), not an ONNX model")


def test_the_format_option_decides_over_the_suffix(tmp_path):
    (tmp_path / "model.onnx").write_text(NET)  # a .net model under another suffix
    assert run_tool("cmsis-opt", str(tmp_path / "model.onnx"), "-f", "net").returncode == 0
    assert run_tool("cmsis-import", str(tmp_path / "model.onnx"), "--format", "net").returncode == 0
    _one_error(run_tool("cmsis-opt", str(tmp_path / "model.onnx")),
               "model.onnx: this is a .net text file, not an ONNX model: name it .net")


def test_time_passes_reports_every_stage_on_stderr(tmp_path):
    out = tmp_path / "planned.mlir"
    proc = run_tool("cmsis-opt", EXAMPLE, "--liveness", "--arena-alloc", "--time-passes", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "// wall time of each stage (seconds, percent of the total)"
    stages = [line.split("%", 1)[1].strip() for line in lines[1:]]
    assert stages == ["parse and verify the input", "pass 'liveness'", "pass 'arena-alloc'", "verify", "print (mlir)",
                      "total"]
    seconds = [float(line.split()[1]) for line in lines[1:]]
    assert all(s >= 0 for s in seconds) and abs(sum(seconds[:-1]) - seconds[-1]) < 1e-3
    assert "arena.plan" in out.read_text()  # the timing goes to stderr; the planned IR is written as always


def test_time_passes_names_the_chunk_of_each_stage_with_split_input_file(tmp_path):
    two = tmp_path / "two.mlir"
    two.write_text(open(EXAMPLE).read() + "\n// -----\n" + open(EXAMPLE).read())
    proc = run_tool("cmsis-opt", str(two), "--split-input-file", "--liveness", "--time-passes", "-o",
                    str(tmp_path / "out.mlir"))
    assert proc.returncode == 0, proc.stderr
    stages = [line.split("%", 1)[1].strip() for line in proc.stderr.splitlines()[1:]]
    assert stages == ["parse and verify the input",
                      "chunk 1: pass 'liveness'", "chunk 1: verify", "chunk 1: print (mlir)",
                      "chunk 2: pass 'liveness'", "chunk 2: verify", "chunk 2: print (mlir)", "total"]


def test_xdsl_spellings_of_our_flags_work_and_flags_we_do_not_support_are_refused(tmp_path):
    broken = tmp_path / "broken.mlir"  # a verifier error only: --disable-verify, like --no-verify, lets it through
    broken.write_text(open(EXAMPLE).read().replace("stride = array<i64: 1, 1>", "stride = array<i64: 0, 1>"))
    assert run_tool("cmsis-opt", str(broken)).returncode == 1
    assert run_tool("cmsis-opt", str(broken), "--disable-verify").returncode == 0
    dumped = run_tool("cmsis-opt", EXAMPLE, "--liveness", "--print-between-passes")
    assert dumped.returncode == 0 and "// -----// IR Dump After liveness //----- //" in dumped.stderr
    for flag in ("--shrink", "--no-implicit-module"):
        _one_error(run_tool("cmsis-opt", EXAMPLE, flag),
                   f"error: cmsis-opt: {flag} is an xDSL option that cmsis-opt does not support", status=2)
        assert flag not in run_tool("cmsis-opt", "--help").stdout
    version = run_tool("cmsis-opt", "--version")
    assert version.returncode == 0 and version.stdout.startswith("cmsis-opt 0.") and "(xDSL 0.74.0)" in version.stdout


def test_default_pipeline_options_that_cannot_act_get_a_remark(tmp_path):
    """`-p default{...}` on quantized IR with io-layout, or patch-ops / stream-input without a grid: the plan is
    made as without them, and a remark says so (they used to be dropped without a word)."""
    net = tmp_path / "m.net"
    net.write_text("input x: 1x8x8x3, scale=0.0078125, zp=-128\nc1 = conv(x, filters=4, kernel=3, pad=1, act=relu)\n"
                   "output c1\n")
    quantized = run_tool("cmsis-opt", str(net), "--quantize", "-o", str(tmp_path / "q.mlir"))
    assert quantized.returncode == 0, quantized.stderr
    cases = {"default{io-layout=nhwc}": "remark: default: io-layout=nhwc has no effect: the IR is already quantized, "
                                        "and quantize is the step that chooses the C API's layout (give it the model "
                                        "before --quantize)",
             "default{patch-ops=2 stream-input=true}": "remark: default: patch-ops and stream-input have no effect "
                                                       "with patch=off: give a grid (patch=RxC)",
             "default{stream-input=true}": "remark: default: stream-input has no effect with patch=off: give a grid "
                                           "(patch=RxC)"}
    plain = run_tool("cmsis-opt", str(tmp_path / "q.mlir"), "-p", "default")
    assert plain.returncode == 0 and plain.stderr == "", plain.stderr
    for pipeline, expected in cases.items():
        result = run_tool("cmsis-opt", str(tmp_path / "q.mlir"), "-p", pipeline)
        assert result.returncode == 0 and result.stderr.splitlines() == [expected], result.stderr
        assert result.stdout == plain.stdout
