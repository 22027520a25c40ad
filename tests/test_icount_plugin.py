"""The QEMU instruction-counting plugin (runtime/qemu/plugin/icount.c) that `make bench` measures the device with.

It builds with the host compiler, counts programs of known instruction
counts exactly, gives the same counts on a second run, and, through the
target-check harness, counts exactly the instructions of a model's invoke
function (bench/device_cost.py subtracting the harness's bracket). Cortex-M4
on QEMU's mps2-an386; about a second.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

from cmsis_opt.tools.target_check import HARNESS

sys.path.insert(0, str(ROOT / "bench"))
import device_cost  # noqa: E402

QEMU_DIR = ROOT / "runtime" / "qemu"
M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-O2", "-std=c99"]
LINK = ["-nostartfiles", "-T", str(QEMU_DIR / "mps2-an386.ld"), "--specs=nano.specs", "--specs=nosys.specs"]

pytestmark = pytest.mark.skipif(device_cost.missing_tools() is not None, reason=f"{device_cost.missing_tools()}")

KNOWN = r"""
#include "semihost.h"
#define BEGIN() __asm__ volatile("dbg #1" ::: "memory")
#define END() __asm__ volatile("dbg #2" ::: "memory")

__attribute__((noinline)) void leaf(void) { __asm__ volatile(""); }

int main(void)
{
    BEGIN(); END();                                         /* 0 */
    BEGIN(); __asm__ volatile("nop\n\tnop\n\tnop"); END();  /* 3 */
    BEGIN();                                                /* 1 + 10 * 2 */
    __asm__ volatile("movs r0, #10\n1:\tsubs r0, #1\n\tbne 1b" ::: "r0", "cc");
    END();
    __asm__ volatile("dbg #2");                             /* an end without a begin: no line */
    for (int i = 0; i < 3; i++) {                           /* bl leaf, bx lr */
        BEGIN(); leaf(); END();
    }
    return 0;
}
"""

FAKE_MODEL_H = r"""
#include <stdint.h>
#define FAKE_INPUT_SIZE 4
#define FAKE_OUTPUT_SIZE 4
int8_t *fake_input(void);
int8_t *fake_output(void);
int fake_invoke(void);
int fake_check(void);
const char *fake_layer_name(int index);
"""

FAKE_MODEL_C = r"""
#include "fake.h"
static int8_t buffer[4];
int8_t *fake_input(void) { return buffer; }
int8_t *fake_output(void) { return buffer; }
int fake_check(void) { return 0; }
const char *fake_layer_name(int index) { (void)index; return ""; }
/* 1 + 10 * 2 + 1 instructions; returns 0 (r0 counts down to it) */
__attribute__((naked)) int fake_invoke(void)
{
    __asm__ volatile("movs r0, #10\n1:\tsubs r0, #1\n\tbne 1b\n\tbx lr");
}
"""


def qemu(elf, cwd, plugin) -> list[int]:
    subprocess.run(["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none",
                    "-semihosting-config", "enable=on,target=native", "-kernel", str(elf),
                    *device_cost.plugin_args(plugin, "counts.txt")], cwd=cwd, check=True, capture_output=True,
                   timeout=60)
    return [int(line) for line in (cwd / "counts.txt").read_text().split()]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    return device_cost.build_plugin(tmp_path_factory.mktemp("cache"))


def test_plugin_counts_known_programs_exactly_and_repeatably(plugin, tmp_path):
    (tmp_path / "known.c").write_text(KNOWN)
    elf = tmp_path / "known.elf"
    subprocess.run(["arm-none-eabi-gcc", *M4_FLAGS, f"-I{QEMU_DIR}", str(tmp_path / "known.c"),
                    str(QEMU_DIR / "startup.c"), str(QEMU_DIR / "semihost.c"), *LINK, "-o", str(elf)], check=True)
    first = qemu(elf, tmp_path, plugin)
    assert first == [0, 3, 21, 2, 2, 2]
    assert qemu(elf, tmp_path, plugin) == first


def test_harness_bracket_leaves_exactly_the_invoke_instructions(plugin, tmp_path):
    (tmp_path / "fake.h").write_text(FAKE_MODEL_H)
    (tmp_path / "fake.c").write_text(FAKE_MODEL_C)
    (tmp_path / "harness_model.h").write_text(
        '#include "fake.h"\n#define NET_INPUT fake_input\n#define NET_OUTPUT fake_output\n'
        "#define NET_INVOKE fake_invoke\n#define NET_CHECK fake_check\n#define NET_LAYER_NAME fake_layer_name\n"
        "#define NET_INPUT_SIZE FAKE_INPUT_SIZE\n#define NET_OUTPUT_SIZE FAKE_OUTPUT_SIZE\n")
    for k in range(2):
        (tmp_path / f"input_{k:03d}.bin").write_bytes(bytes(4))
    elf = tmp_path / "fake.elf"
    sources = [tmp_path / "fake.c", *(QEMU_DIR / h for h in HARNESS)]  # the harness as target-check links it
    subprocess.run(["arm-none-eabi-gcc", *M4_FLAGS, f"-I{tmp_path}", f"-I{QEMU_DIR}", *map(str, sources), *LINK,
                    "-o", str(elf)], check=True)
    bracket = device_cost.bracket_instructions(elf, "fake_invoke")
    assert bracket >= 1  # the bl, and whatever the compiler put next to it
    assert [count - bracket for count in qemu(elf, tmp_path, plugin)] == [22, 22]


def test_bracket_check_refuses_a_bracket_with_a_branch(tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not found")
    (tmp_path / "branchy.c").write_text(
        "int work(void);\nint flag;\n"
        "int main(void) {\n"
        '  __asm__ volatile("dbg #1" ::: "memory");\n'
        "  int s = flag ? work() : 0;\n"
        '  __asm__ volatile("dbg #2" ::: "memory");\n'
        "  return s;\n}\n"
        "__attribute__((noinline)) int work(void) { return flag + 1; }\n")
    elf = tmp_path / "branchy.elf"
    subprocess.run(["arm-none-eabi-gcc", *M4_FLAGS, str(tmp_path / "branchy.c"), "-nostartfiles", "-e", "main",
                    "-o", str(elf)], check=True)
    with pytest.raises(RuntimeError, match="not one call and straight-line"):
        device_cost.bracket_instructions(elf, "work")
