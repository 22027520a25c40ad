"""`cmsis-opt -t c -o x.c` writes the source and, beside it, the header the source includes."""

from conftest import ROOT, run_tool


def test_c_target_writes_source_and_header(tmp_path):
    ir = run_tool("cmsis-import", str(ROOT / "examples" / "cifar10_cmsis.net"), "-o", str(tmp_path / "net.mlir"))
    assert ir.returncode == 0, ir.stderr
    out = tmp_path / "model.c"
    proc = run_tool("cmsis-opt", str(tmp_path / "net.mlir"), "--quantize", "--arena-alloc", "-t", "c", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    source = out.read_text()
    assert '#include "cifar10_cmsis.h"' in source
    header = (tmp_path / "cifar10_cmsis.h").read_text()
    assert "#define CIFAR10_CMSIS_ARENA_SIZE" in header
    assert "// -----" not in source and "// -----" not in header


def test_c_target_output_naming_the_header_is_a_usage_error(tmp_path):
    """`-o NAME.h` would get the source written over the header: refused, and nothing is written."""
    tiny = ROOT / "tests" / "lit" / "emit-c" / "Inputs" / "tiny.mlir"
    name = run_tool("cmsis-opt", str(tiny), "--arena-alloc", "-t", "c")
    assert name.returncode == 0, name.stderr
    header = next(line.split()[-1] for line in name.stdout.splitlines() if line.startswith("// -----"))
    assert header.endswith(".h")
    proc = run_tool("cmsis-opt", str(tiny), "--arena-alloc", "-t", "c", "-o", str(tmp_path / header))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "names the header" in proc.stderr
    assert list(tmp_path.iterdir()) == []
