"""`cmsis-compile`: the four reference models compiled to C and run on the host reproduce TFLite Micro exactly."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cmsis_opt.hostbuild import RUNTIME_DIR, HostModel, build_host, build_runtime

from conftest import ROOT, run_tool

MODELS = ["kws_dscnn", "ic_resnet8", "ad_autoencoder", "vww_mobilenetv1"]
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all"
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Wconversion", "-Werror"]
TINY = Path(__file__).parent / "lit" / "emit-c" / "Inputs" / "tiny.mlir"

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
needs_runtime = pytest.mark.skipif(not list((RUNTIME_DIR / "src").glob("*.c")),
                                   reason=f"no CMSIS-NN runtime sources in {RUNTIME_DIR}")


@pytest.fixture(scope="module")
def compiled(models_dir, tmp_path_factory):
    """name -> (OUTDIR, stdout of cmsis-compile), each model compiled once with --host, default pipeline."""
    done = {}

    def get(name: str):
        if name not in done:
            outdir = tmp_path_factory.mktemp(name) / "out"
            result = run_tool("cmsis-compile", str(models_dir / f"{name}.qdq.onnx"), "-o", str(outdir), "--host")
            assert result.returncode == 0, result.stderr
            done[name] = outdir, result.stdout
        return done[name]

    return get


def _run_host(program: Path, models_dir: Path, name: str) -> list[str]:
    """Run every reference input; the mismatches (empty when all outputs are exact)."""
    ref = np.load(models_dir / f"{name}.tflm_ref.npz")
    problems = []
    for k, (x, want) in enumerate(zip(ref["inputs"], ref["outputs"])):
        result = subprocess.run([str(program)], input=x.astype(np.int8).tobytes(), capture_output=True)
        if result.returncode != 0 or result.stderr:
            problems.append(f"input {k}: exit {result.returncode}, stderr {result.stderr.decode()[:500]}")
            continue
        got = np.frombuffer(result.stdout, dtype=np.int8)
        if not np.array_equal(got, want.astype(np.int8).reshape(-1)):
            problems.append(f"input {k}: got {got.tolist()[:16]}, want {want.reshape(-1).tolist()[:16]}")
    return problems


@needs_cc
@needs_runtime
@pytest.mark.parametrize("name", MODELS)
def test_host_program_reproduces_tflite_micro_exactly(compiled, models_dir, name):
    outdir, _ = compiled(name)
    assert _run_host(outdir / f"{name}_host", models_dir, name) == []


@pytest.fixture(scope="module")
def sanitized_runtime(tmp_path_factory):
    """The runtime compiled once with the sanitizers, for every model's sanitized build."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CFLAGS", SANITIZE)
        return build_runtime(tmp_path_factory.mktemp("asan-runtime"))


@needs_cc
@needs_runtime
@pytest.mark.parametrize("name", MODELS)
def test_sanitized_host_program_is_exact_and_clean(compiled, models_dir, name, tmp_path, monkeypatch, sanitized_runtime):
    """Built with CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all": same bytes, no report."""
    outdir, _ = compiled(name)
    shutil.copy(outdir / f"{name}.c", tmp_path)
    shutil.copy(outdir / f"{name}.h", tmp_path)
    monkeypatch.setenv("CFLAGS", SANITIZE)
    ref = np.load(models_dir / f"{name}.tflm_ref.npz")
    program = tmp_path / f"{name}_host"
    build_host([tmp_path / f"{name}.c"], [HostModel(name, [ref["inputs"][0].size], [ref["outputs"][0].size])], program,
               sanitized_runtime)
    assert b"__asan" in program.read_bytes() and b"__ubsan" in program.read_bytes()
    assert _run_host(program, models_dir, name) == []


@needs_cc
@needs_runtime
@pytest.mark.parametrize("name", MODELS)
def test_generated_c_compiles_with_pedantic_warnings_as_errors(compiled, name):
    outdir, _ = compiled(name)
    result = subprocess.run(["cc", *STRICT, f"-I{RUNTIME_DIR / 'include'}", "-c", f"{name}.c", "-o", "/dev/null"],
                            cwd=outdir, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@needs_cc
@needs_runtime
def test_outdir_holds_the_sources_the_report_and_the_program(compiled):
    outdir, stdout = compiled("ad_autoencoder")
    assert sorted(p.name for p in outdir.iterdir()) == [
        "CMakeLists.txt", "ad_autoencoder.c", "ad_autoencoder.h", "ad_autoencoder_host", "memory.html", "memory.json", "memory.svg"]
    size = int(re.search(r"#define AD_AUTOENCODER_ARENA_SIZE (\d+)", (outdir / "ad_autoencoder.h").read_text()).group(1))
    assert f"arena {size:,} bytes" in stdout
    assert str(outdir / "memory.svg") in stdout


def test_a_missing_model_is_one_error_line_and_writes_nothing(tmp_path):
    result = run_tool("cmsis-compile", str(tmp_path / "nope.onnx"), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_an_unknown_model_format_is_rejected(tmp_path):
    model = tmp_path / "model.txt"
    model.write_text("hello")
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr == (f"error: {model}: cannot tell the model's format from its name or its bytes: name it "
                             ".onnx, .tflite, .net or .mlir\n")


def test_a_model_with_no_known_suffix_is_read_by_its_bytes(tmp_path):
    """A .net model and textual IR under a name with no model suffix compile as under their own."""
    for source, name in ((ROOT / "examples" / "cifar10_cmsis.net", "net.txt"), (TINY, "ir")):
        model = tmp_path / name
        model.write_bytes(source.read_bytes())
        result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / f"out-{name}"), "--quiet")
        assert result.returncode == 0, result.stderr


def test_bad_alignment_is_a_usage_error(tmp_path):
    result = run_tool("cmsis-compile", str(TINY), "-o", str(tmp_path / "out"), "--alignment", "3")
    assert result.returncode == 2
    assert "power of two" in result.stderr


def test_a_name_that_is_not_a_c_identifier_is_a_usage_error(tmp_path):
    result = run_tool("cmsis-compile", str(TINY), "-o", str(tmp_path / "out"), "--name", "my net")
    assert result.returncode == 2
    assert "is not a C identifier" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_arena_over_max_size_fails_without_output(tmp_path):
    result = run_tool("cmsis-compile", str(TINY), "-o", str(tmp_path / "out"), "--max-size", "8")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


@needs_cc
@needs_runtime
def test_cmsis_ir_input_compiles_and_runs_like_the_interpreter(tmp_path):
    from cmsis_opt.interpreter import run_function
    from cmsis_opt.ir import parse_ir

    result = run_tool("cmsis-compile", str(TINY), "-o", str(tmp_path / "out"), "--host", "--name", "small")
    assert result.returncode == 0, result.stderr
    x = np.random.default_rng(3).integers(-128, 128, size=(1, 4, 4, 2), dtype=np.int8)
    run = subprocess.run([str(tmp_path / "out" / "small_host")], input=x.tobytes(), capture_output=True)
    assert run.returncode == 0, run.stderr
    (want,) = run_function(parse_ir(TINY.read_text()).module, [x])
    assert np.frombuffer(run.stdout, dtype=np.int8).tolist() == want.reshape(-1).tolist()


@needs_cc
@needs_runtime
def test_float_onnx_with_calibration_compiles_to_what_the_quantized_ir_computes(tmp_path):
    """A float model + --calibration: the host program equals the interpreter on the same quantized IR."""
    pytest.importorskip("sklearn", reason="scikit-learn provides the digits data set")
    from conftest import ROOT

    sys.path.insert(0, str(ROOT / "tests" / "models"))
    from make_digits_cnn import build

    from cmsis_opt.context import make_context
    from cmsis_opt.dialects.utils import shape_of
    from cmsis_opt.frontends.onnx import import_onnx
    from cmsis_opt.interpreter import run_function
    from cmsis_opt.calibrate import calibrate_module
    from cmsis_opt.passes.quantize import QuantizePass

    paths = build(tmp_path)
    result = run_tool("cmsis-compile", str(paths["model"]), "-o", str(tmp_path / "out"), "--host",
                      "--calibration", str(paths["calibration"]), "--name", "digits")
    assert result.returncode == 0, result.stderr
    assert "calibrating" in result.stderr  # progress, on stderr; --quiet leaves it out
    quiet = run_tool("cmsis-compile", str(paths["model"]), "-o", str(tmp_path / "quiet"), "--quiet",
                     "--calibration", str(paths["calibration"]), "--name", "digits")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    module = import_onnx(str(paths["model"]))
    calibrate_module(module, str(paths["calibration"]), show_progress=False)
    QuantizePass().apply(make_context(), module)
    (arg,) = next(iter(module.ops)).body.block.args
    rng = np.random.default_rng(11)
    for _ in range(3):
        x = rng.integers(-128, 128, size=shape_of(arg), dtype=np.int8)
        (want,) = run_function(module, [x])
        run = subprocess.run([str(tmp_path / "out" / "digits_host")], input=x.tobytes(), capture_output=True)
        assert run.returncode == 0, run.stderr
        assert np.frombuffer(run.stdout, dtype=np.int8).tolist() == want.reshape(-1).tolist()


@needs_cc
@needs_runtime
def test_float_model_with_two_inputs_calibrates_from_one_key_per_input_name(tmp_path):
    """--calibration FILE.npz with a key per graph input name: the host program computes what the calibrated,
    quantized IR computes, byte for byte, and its dequantized output follows onnxruntime's float output within
    the quantization error of the two quantized layers (2 output steps)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from cmsis_opt.calibrate import calibrate_module
    from cmsis_opt.context import make_context
    from cmsis_opt.dialects.quant import quant_of
    from cmsis_opt.frontends.onnx import import_onnx
    from cmsis_opt.interpreter import run_function
    from cmsis_opt.passes.quantize import QuantizePass
    from onnx_oracle import session

    rng = np.random.default_rng(5)
    w, b = rng.standard_normal((4, 3, 3, 3)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c", "z"], ["y"], name="add")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6]),
                                           helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 6])],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path, cal = tmp_path / "two.onnx", tmp_path / "cal.npz"
    onnx.save(model, path)
    xs = rng.uniform(-1, 1, (16, 1, 3, 6, 6)).astype(np.float32)
    zs = rng.uniform(-2, 2, (16, 1, 4, 6, 6)).astype(np.float32)
    np.savez(cal, z=zs, x=xs)  # keys by name, in any order
    result = run_tool("cmsis-compile", str(path), "-o", str(tmp_path / "out"), "--host", "--calibration", str(cal),
                      "--io-layout", "nhwc")
    assert result.returncode == 0, result.stderr
    module = import_onnx(str(path))
    calibrate_module(module, str(cal), show_progress=False)
    QuantizePass().apply(make_context(), module)
    func = next(iter(module.ops))
    q_in = [quant_of(a.type) for a in func.body.block.args]
    q_out = quant_of(func.function_type.outputs.data[0])
    oracle = session(model)
    for k in range(4):
        x, z = xs[k], zs[k]
        codes = [np.clip(np.rint(v / q.scale) + q.zero_point, -128, 127).astype(np.int8)
                 for v, q in zip((x, z), q_in, strict=True)]
        (want,) = run_function(module, codes)
        nhwc = b"".join(c.transpose(0, 2, 3, 1).tobytes() for c in codes)
        run = subprocess.run([str(tmp_path / "out" / "two_host")], input=nhwc, capture_output=True)
        assert run.returncode == 0, run.stderr
        got = np.frombuffer(run.stdout, dtype=np.int8).reshape(1, 6, 6, 4).transpose(0, 3, 1, 2)
        assert got.tolist() == want.tolist()
        (expected,) = oracle.run(None, {"x": x, "z": z})
        real = (got.astype(np.float64) - q_out.zero_point) * q_out.scale
        assert np.abs(real - expected).max() <= 2 * q_out.scale


def test_a_failing_host_build_leaves_no_output(tmp_path):
    env = {**os.environ, "CC": "false"}
    result = subprocess.run([str(Path(sys.executable).parent / "cmsis-compile"), str(TINY), "-o", str(tmp_path / "out"),
                             "--host"], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: host build: the C compiler failed (exit status 1): it printed nothing; "
                                    "the command was: false -std=c99 ")  # a compiler that says nothing: its status
    assert result.stderr.rstrip().endswith("(set CC to a working C99 compiler)")
    assert len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_failing_link_quotes_the_linker_not_collect2(tmp_path):
    """A link that fails (here: no C library, so `strrchr` and the start-up code are missing) names what is
    undefined, not gcc's closing "collect2: error: ld returned 1 exit status", nor a linker warning."""
    env = {**os.environ, "CC": "gcc -nostdlib"}
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    result = subprocess.run([str(Path(sys.executable).parent / "cmsis-compile"), str(TINY), "-o", str(tmp_path / "out"),
                             "--host"], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert re.match(r"error: host build: the C compiler failed \(exit status 1\): \S+: undefined reference to `\w+'; ",
                    result.stderr), result.stderr
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize("runtime", ["bundled", "cmsis-nn"])
def test_a_missing_c_compiler_is_a_host_build_error_that_says_what_to_do(tmp_path, runtime):
    """$CC names no program: one line under "host build" (also when linking Arm's CMSIS-NN), nothing written."""
    args = ["--cmsis-nn", str(ROOT.parent / "shared" / "cmsis-nn")] if runtime == "cmsis-nn" else []
    if args and not Path(args[1]).is_dir():
        pytest.skip(f"no CMSIS-NN tree at {args[1]}")
    env = {**os.environ, "CC": "no-such-cc"}
    result = subprocess.run([str(Path(sys.executable).parent / "cmsis-compile"), str(TINY), "-o", str(tmp_path / "out"),
                             "--host", *args], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr == ("error: host build: cannot run the C compiler 'no-such-cc': not found; install gcc, "
                             "or set CC to a C compiler\n")
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_c_compiler_that_is_a_folder_is_named_as_a_folder(tmp_path):
    """$CC naming a folder is not "not found": the line says what the path is."""
    env = {**os.environ, "CC": str(tmp_path)}
    result = subprocess.run([str(Path(sys.executable).parent / "cmsis-compile"), str(TINY), "-o", str(tmp_path / "out"),
                             "--host"], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr == (f"error: host build: cannot run the C compiler '{tmp_path}': it is a folder; install gcc, "
                             "or set CC to a C compiler\n")
    assert [p.name for p in tmp_path.iterdir()] == []


def test_quiet_prints_no_remark_and_a_remark_is_printed_once(tmp_path):
    """A QDQ model with float I/O and an NCHW input gives two remarks (the int8 C API, the boundary transpose):
    each once (the --io-layout nhwc comparison compile keeps its own), none with --quiet, and none when the
    compile then fails (cmsis-compile and cmsis-opt)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.float32(0.05), "s"), numpy_helper.from_array(np.int8(0), "z"),
             numpy_helper.from_array(np.ones((2, 3, 1, 1), np.int8), "w"),
             numpy_helper.from_array(np.float32(0.01), "sw")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "sw", "z"], ["wd"]),
             helper.make_node("Conv", ["xd", "wd"], ["c"], name="conv"),
             helper.make_node("QuantizeLinear", ["c", "s", "z"], ["cq"]),
             helper.make_node("DequantizeLinear", ["cq", "s", "z"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])], inits)
    path = tmp_path / "io.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), path)
    result = run_tool("cmsis-compile", str(path), "-o", str(tmp_path / "a"))
    remarks = [line for line in result.stderr.splitlines() if line.startswith("remark:")]
    assert result.returncode == 0 and len(remarks) == 2 and len(set(remarks)) == 2, result.stderr
    assert any("so 2 transposes of 80 bytes run at the graph's boundary" in r for r in remarks), remarks
    quiet = run_tool("cmsis-compile", str(path), "-o", str(tmp_path / "b"), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    # a compile that fails after the remarks were made prints its error alone
    failed = run_tool("cmsis-compile", str(path), "-o", str(tmp_path / "c"), "--max-size", "16")
    assert failed.returncode == 1 and failed.stderr.startswith("error: arena-alloc: the arena needs "), failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    assert not (tmp_path / "c").exists()
    text = run_tool("cmsis-opt", str(path), "--quantize", "--arena-alloc=max-size=16", "-o", str(tmp_path / "d.mlir"))
    assert text.returncode == 1 and text.stderr.startswith("error: arena-alloc: the arena needs "), text.stderr
    assert "remark:" not in text.stderr, text.stderr


def _attached(tmp_path: Path, core: str, *passes: str) -> Path:
    planned = tmp_path / f"tiny-{core}.mlir"
    result = run_tool("cmsis-opt", str(TINY), f"--attach-target=core={core}", *passes, "-o", str(planned))
    assert result.returncode == 0, result.stderr
    return planned


def test_the_core_an_ir_input_records_is_kept_unless_target_is_given(tmp_path):
    model = _attached(tmp_path, "cortex-m55")
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "kept"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "target cortex-m55" in result.stdout
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "moved"), "--quiet", "--target", "cortex-m7")
    assert result.returncode == 0, result.stderr
    assert "target cortex-m7" in result.stdout


def test_target_cannot_move_an_already_planned_ir_input(tmp_path):
    model = _attached(tmp_path, "cortex-m55", "--inplace-alias", "--arena-alloc")
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "same"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "target cortex-m55" in result.stdout
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "out"), "--target", "cortex-m4")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "already planned for cortex-m55" in result.stderr and "--target cortex-m4" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("given, suggested", [("m55", "cortex-m55"), ("cortex-m5", "cortex-m55"), ("55", "cortex-m55")])
def test_an_unknown_target_is_a_usage_error_with_a_suggestion(tmp_path, given, suggested):
    result = run_tool("cmsis-compile", str(TINY), "-o", str(tmp_path / "out"), "--target", given)
    assert result.returncode == 2
    assert f"did you mean '{suggested}'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_sigterm_cleans_up_like_ctrl_c(tmp_path, models_dir):
    """Terminated mid-compile: exit 130, no output folder, no temporary folder left beside it."""
    import signal
    import time

    from conftest import BIN

    process = subprocess.Popen([str(BIN / "cmsis-compile"), str(models_dir / "vww_mobilenetv1.int8.tflite"), "-o",
                                str(tmp_path / "out"), "--strategy", "optimal", "--search-nodes", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".cmsis-compile-") for p in tmp_path.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "cmsis-compile ended before its work began"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "error: interrupted"
    assert list(tmp_path.iterdir()) == []


def test_a_tool_run_as_the_program_ends_when_its_work_is_done():
    """`run_tool(owns_process=True)`: stdout flushed, the status returned to the shell, and no Python shutdown
    after it (an atexit hook never runs), so a Ctrl-C after the work has nothing to interrupt."""
    code = ("import atexit, sys\n"
            "from cmsis_opt.tools import run_tool\n"
            "atexit.register(lambda: print('shutdown ran', file=sys.stderr))\n"
            "def body():\n"
            "    print('done', end='')\n"
            "    return 3\n"
            "sys.exit(run_tool('t', body, owns_process=True))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (3, "done", "")
    code = code.replace("return 3", "raise KeyboardInterrupt")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (130, "done", "error: interrupted\n")


def test_an_interrupt_after_the_output_is_complete_is_ignored():
    """A tool run as the program that has put its output in place (`output_complete`) ends with status 0 on
    Ctrl-C or SIGTERM, as cmsis-compile does once its folder is installed; before that it is 130."""
    code = ("import os, signal, sys\n"
            "signal.signal(signal.SIGINT, signal.default_int_handler)\n"  # a background job starts with it ignored
            "from cmsis_opt.tools import output_complete, run_tool\n"
            "def body():\n"
            "    output_complete()\n"
            "    os.kill(os.getpid(), signal.SIGNUM)\n"
            "    print('summary', end='')\n"
            "sys.exit(run_tool('t', body, owns_process=True))\n")
    for signum in ("SIGINT", "SIGTERM"):
        result = subprocess.run([sys.executable, "-c", code.replace("SIGNUM", signum)], capture_output=True, text=True)
        assert (result.returncode, result.stdout, result.stderr) == (0, "summary", ""), signum
        early = code.replace("    output_complete()\n", "")
        result = subprocess.run([sys.executable, "-c", early.replace("SIGNUM", signum)], capture_output=True, text=True)
        assert (result.returncode, result.stdout, result.stderr) == (130, "", "error: interrupted\n"), signum


@needs_cc
@needs_runtime
def test_host_program_help_optional_name_and_usage_errors(tmp_path):
    result = run_tool("cmsis-compile", str(TINY), "-o", str(tmp_path / "out"), "--host", "--name", "small", "--quiet")
    assert result.returncode == 0, result.stderr
    program = str(tmp_path / "out" / "small_host")
    shown = subprocess.run([program, "--help"], capture_output=True, text=True)
    assert shown.returncode == 0 and "small: inputs 32 bytes, outputs 3 bytes" in shown.stdout, shown.stdout
    x = bytes(range(32))
    plain = subprocess.run([program], input=x, capture_output=True)
    named = subprocess.run([program, "small"], input=x, capture_output=True)
    assert plain.returncode == named.returncode == 0 and plain.stdout == named.stdout and len(plain.stdout) == 3
    wrong = subprocess.run([program, "other"], input=x, capture_output=True, text=False)
    assert wrong.returncode == 2 and wrong.stdout == b""
    assert wrong.stderr == (b"error: small_host: unknown network 'other': this program runs small "
                            b"(usage: small_host [NETWORK] < input.bin > output.bin; --help: the protocol)\n")
    extra = subprocess.run([program, "small", "more"], input=x, capture_output=True, text=False)
    assert extra.returncode == 2 and extra.stderr == (b"error: small_host: usage: small_host [NETWORK] < input.bin "
                                                      b"> output.bin (--help: the protocol)\n")
    # an output that cannot be written (a full disk) is exit 5, though fwrite only filled stdout's buffer
    with open("/dev/full", "wb") as full:
        failed = subprocess.run([program], input=x, stdout=full, stderr=subprocess.PIPE)
        assert failed.returncode == 5 and failed.stderr == b"error: small_host: cannot write the output bytes on stdout\n"
    # a wrong input size, short or long, is exit 3 with nothing written: extra bytes are not dropped silently
    short = subprocess.run([program], input=x[:31], capture_output=True)
    assert short.returncode == 3 and short.stdout == b"" and short.stderr == b"error: small_host: expected 32 input bytes, got 31\n"
    for extra in (x + b"\0", x + x):
        long = subprocess.run([program, "small"], input=extra, capture_output=True)
        assert long.returncode == 3 and long.stdout == b"" and long.stderr == b"error: small_host: expected 32 input bytes, got more\n"
    assert "3  wrong input size: fewer or more bytes than the inputs hold" in shown.stdout



@needs_cc
@needs_runtime
def test_a_wrong_input_size_counts_the_bytes_of_every_input(tmp_path):
    """Two inputs of 128 bytes: 128 or 255 bytes given are short of 256 in all, and the message says so."""
    model = Path(__file__).parent / "data" / "tflite" / "add.int8.tflite"
    result = run_tool("cmsis-compile", str(model), "-o", str(tmp_path / "out"), "--host", "--name", "two", "--quiet")
    assert result.returncode == 0, result.stderr
    program = str(tmp_path / "out" / "two_host")
    for given in (128, 255):
        short = subprocess.run([program], input=bytes(given), capture_output=True)
        assert short.returncode == 3 and short.stdout == b""
        assert short.stderr == f"error: two_host: expected 256 input bytes, got {given}\n".encode()
    assert subprocess.run([program], input=bytes(256), capture_output=True).returncode == 0


def test_a_second_model_in_the_same_folder_is_remarked(tmp_path):
    """The folder's CMakeLists.txt and memory.* describe one model: compiling another into it says so."""
    out = tmp_path / "out"
    first = run_tool("cmsis-compile", str(ROOT / "examples" / "tiny_conv.mlir"), "-o", str(out), "--quiet")
    again = run_tool("cmsis-compile", str(ROOT / "examples" / "tiny_conv.mlir"), "-o", str(out))
    other = run_tool("cmsis-compile", str(ROOT / "examples" / "cifar10_cmsis.net"), "-o", str(out))
    assert first.returncode == again.returncode == other.returncode == 0, other.stderr
    assert "another compile" not in again.stderr  # the same model again: nothing to say
    assert (f"remark: cmsis-compile: '{out}' also holds tiny_conv from another compile; its CMakeLists.txt and "
            "memory.* now describe cifar10_cmsis alone") in other.stderr


def test_a_model_or_ir_on_stdin_compiles_as_its_file_does(tmp_path):
    """`cmsis-compile - -o DIR` tells textual IR, a .net model, TFLite and ONNX apart by their bytes; the C
    is named 'model' unless --name; the files are those the model's own file gives."""
    net = ROOT / "examples" / "cifar10_cmsis.net"
    for source, name in ((TINY, "tiny"), (net, "cifar10_cmsis")):
        from_file = run_tool("cmsis-compile", str(source), "-o", str(tmp_path / f"{name}-file"), "--quiet")
        from_stdin = run_tool("cmsis-compile", "-", "-o", str(tmp_path / f"{name}-stdin"), "--quiet", "--name", name,
                              input=source.read_bytes())
        assert from_file.returncode == 0 and from_stdin.returncode == 0, from_stdin.stderr
        for file in (f"{name}.c", f"{name}.h", "memory.json"):
            assert (tmp_path / f"{name}-file" / file).read_bytes() == (tmp_path / f"{name}-stdin" / file).read_bytes()
    unnamed = run_tool("cmsis-compile", "-", "-o", str(tmp_path / "unnamed"), "--quiet", input=TINY.read_bytes())
    assert unnamed.returncode == 0 and (tmp_path / "unnamed" / "model.c").is_file()


@pytest.mark.parametrize("data, message", [
    (b"", "error: <stdin>: nothing on stdin: expected a model (ONNX, TFLite, .net) or textual IR"),
    (bytes(range(256)) * 4, "error: <stdin>: not a valid ONNX model"),
    (b"\x1c\x00\x00\x00TFL3" + bytes(100), "error: <stdin>: "),
])
def test_bad_bytes_on_stdin_are_one_error_naming_stdin(tmp_path, data, message):
    result = run_tool("cmsis-compile", "-", "-o", str(tmp_path / "out"), input=data)
    stderr = result.stderr.decode()
    assert result.returncode == 1 and stderr.startswith(message) and len(stderr.splitlines()) == 1, stderr
    assert "cmsis-stdin-" not in stderr and not (tmp_path / "out").exists()
