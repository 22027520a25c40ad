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
