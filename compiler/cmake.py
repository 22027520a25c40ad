"""The output folder as a drop-in CMake target: OUTDIR/CMakeLists.txt beside the generated C.

`cmsis-compile` writes a CMakeLists.txt that defines one static library
target named after the model's C prefix (NAME), built from NAME.c, with
OUTDIR on its include path (NAME.h) and linked with a target named
`cmsis-nn`. That is the name CMSIS-NN's own CMake gives its library
(its top-level CMakeLists.txt: `add_library(cmsis-nn STATIC)`, the files
added by Source/CMakeLists.txt), and the name Zephyr's CMSIS-NN module uses,
so a project that adds CMSIS-NN before the model folder links it as is:

    add_subdirectory(path/to/CMSIS-NN cmsis-nn)
    add_subdirectory(path/to/OUTDIR model)
    target_link_libraries(app PRIVATE NAME)

Two kinds of output folder (`cmsis-compile --runtime`):

- `cmsis-nn` (default): the project provides the `cmsis-nn` target; when it
  does not exist when the folder is added, configuring stops with
  `message(FATAL_ERROR ...)` saying what to add (and the --runtime bundled
  alternative).
- `bundled`: runtime/ (the project's portable C99 implementation of the
  CMSIS-NN API, the C path's arithmetic) is copied into
  OUTDIR/cmsis-nn-runtime/ with a CMakeLists.txt of its own defining target
  `cmsis-nn`; the model's CMakeLists.txt adds it only when no `cmsis-nn`
  target exists yet, so a real CMSIS-NN added first still wins.

The generated C needs no other source: the `cmsis_opt_*` kernels CMSIS-NN
lacks are written into NAME.c itself (runtime/README.md).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from cmsis_opt.errors import CompileError

RUNTIMES = ("cmsis-nn", "bundled")
"""The values of `cmsis-compile --runtime`."""
DEFAULT_RUNTIME = "cmsis-nn"
BUNDLED_DIR = "cmsis-nn-runtime"
"""The folder of OUTDIR that `--runtime bundled` writes the runtime into."""
LIBRARY_TARGET = "cmsis-nn"
"""The CMake target name of the CMSIS-NN library (CMSIS-NN's own CMakeLists.txt and Zephyr's use it)."""
CMAKE_MINIMUM = "3.13"
"""target_link_options and relative target_sources need CMake 3.13."""
RESERVED_TARGETS = frozenset({"all", "ALL_BUILD", "clean", "edit_cache", "help", "install", "INSTALL", "package",
                              "PACKAGE", "package_source", "preinstall", "rebuild_cache", "RUN_TESTS", "test",
                              "ZERO_CHECK"})
"""Target names CMake keeps for itself (policy CMP0037): a model called so gets target_name()'s other name."""


def target_name(name: str) -> str:
    """The CMake target of the model `name`: `name` itself, or `name_model` where CMake reserves `name`."""
    return f"{name}_model" if name in RESERVED_TARGETS else name


def model_cmakelists(name: str, sources: Sequence[str], runtime: str = DEFAULT_RUNTIME) -> str:
    """The text of OUTDIR/CMakeLists.txt for the model `name` (a C identifier; its target is target_name(name))
    and its C `sources` (file names in OUTDIR). `runtime` is one of RUNTIMES. Raises ValueError for another
    runtime."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime '{runtime}' (known: {', '.join(RUNTIMES)})")
    c_name, name = name, target_name(name)
    files = "\n".join(f"    ${{CMAKE_CURRENT_SOURCE_DIR}}/{s}" for s in sources)
    if runtime == "bundled":
        provide = [
            "# No cmsis-nn target yet: use the portable runtime copied beside the model (cmsis-compile --runtime",
            "# bundled). A CMSIS-NN added before this folder is used instead.",
            f"if(NOT TARGET {LIBRARY_TARGET})",
            f"  add_subdirectory(${{CMAKE_CURRENT_SOURCE_DIR}}/{BUNDLED_DIR}",
            f"                   ${{CMAKE_CURRENT_BINARY_DIR}}/{BUNDLED_DIR})",
            "endif()",
        ]
    else:
        provide = [
            f"if(NOT TARGET {LIBRARY_TARGET})",
            "  message(FATAL_ERROR",
            f'    "{name}: no target named \'{LIBRARY_TARGET}\'. The generated C calls Arm\'s CMSIS-NN: add it before '
            f"this folder, \"",
            '    "e.g. add_subdirectory(path/to/CMSIS-NN cmsis-nn) (CMSIS-NN\'s CMakeLists.txt defines the target '
            f"{LIBRARY_TARGET}), \"",
            f'    "or define a library target named {LIBRARY_TARGET} yourself, or compile the model again with "',
            '    "cmsis-compile --runtime bundled to ship a portable CMSIS-NN in this folder.")',
            "endif()",
        ]
    lines = [
        f"# Written by cmsis-compile: the network '{c_name}' as a static library target named {name}.",
        f"# Add CMSIS-NN (a target named {LIBRARY_TARGET}) first, then this folder, then link {name}:",
        "#   add_subdirectory(path/to/CMSIS-NN cmsis-nn)",
        f"#   add_subdirectory(path/to/this/folder {name})",
        f"#   target_link_libraries(app PRIVATE {name})",
        f"# The API is in {c_name}.h: {c_name}_invoke(), {c_name}_check() and the input and output accessors (or "
        f"the row callback of a streamed input) it declares.",
        f"cmake_minimum_required(VERSION {CMAKE_MINIMUM})",
        f"project({name} LANGUAGES C)",
        "",
        *provide,
        "",
        f"add_library({name} STATIC",
        files,
        ")",
        f"target_include_directories({name} PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}})",
        f"target_link_libraries({name} PRIVATE {LIBRARY_TARGET})",
        "# The generated C is C99 (warning-free under -std=c99 -pedantic -Wall -Wextra -Wconversion).",
        f"set_target_properties({name} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)",
        "",
    ]
    return "\n".join(lines)


def runtime_cmakelists(sources: Sequence[str]) -> str:
    """The text of OUTDIR/cmsis-nn-runtime/CMakeLists.txt: target `cmsis-nn` from the runtime's `sources`
    (paths relative to that folder, e.g. "src/arm_pool.c"), headers in include/."""
    files = "\n".join(f"    ${{CMAKE_CURRENT_SOURCE_DIR}}/{s}" for s in sources)
    return "\n".join([
        "# Written by cmsis-compile --runtime bundled: cmsis-opt's portable C99 implementation of the CMSIS-NN API",
        "# (the functions, structs and status codes of CMSIS-NN v7; the arithmetic of CMSIS-NN's C path),",
        f"# as a static library target named {LIBRARY_TARGET}, like Arm's CMSIS-NN's own CMakeLists.txt.",
        f"cmake_minimum_required(VERSION {CMAKE_MINIMUM})",
        f"project({LIBRARY_TARGET.replace('-', '_')}_runtime LANGUAGES C)",
        "",
        f"add_library({LIBRARY_TARGET} STATIC",
        files,
        ")",
        f"target_include_directories({LIBRARY_TARGET} PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}}/include",
        "                           PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)",
        f"set_target_properties({LIBRARY_TARGET} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)",
        "",
    ])


def copy_runtime(runtime_dir: Path, destination: Path) -> None:
    """Copy runtime_dir's include/*.h, src/*.c and src/*.h into `destination` (created) with its CMakeLists.txt.

    Raises CompileError when runtime_dir has no src/*.c (not the runtime).
    """
    runtime_dir = Path(runtime_dir)
    sources = sorted((runtime_dir / "src").glob("*.c"))
    if not sources:
        raise CompileError(f"no runtime sources in {runtime_dir / 'src'} to bundle (--runtime bundled copies the "
                           "portable runtime; set CMSIS_OPT_RUNTIME to its folder)", "cmsis-compile")
    for sub, patterns in (("include", ("*.h",)), ("src", ("*.c", "*.h"))):
        (destination / sub).mkdir(parents=True, exist_ok=True)
        for pattern in patterns:
            for f in sorted((runtime_dir / sub).glob(pattern)):
                shutil.copyfile(f, destination / sub / f.name)
    (destination / "CMakeLists.txt").write_text(runtime_cmakelists([f"src/{s.name}" for s in sources]))


def write_cmake(workdir: Path, name: str, sources: Sequence[str], runtime: str = DEFAULT_RUNTIME,
                runtime_dir: Path | None = None) -> list[str]:
    """Write workdir/CMakeLists.txt (and, for `bundled`, workdir/cmsis-nn-runtime/ from `runtime_dir`, default
    cmsis_opt.hostbuild.RUNTIME_DIR); return the names written in workdir (files and the one folder).

    Raises ValueError for an unknown runtime, CompileError when the runtime has no sources.
    """
    workdir = Path(workdir)
    written = ["CMakeLists.txt"]
    (workdir / "CMakeLists.txt").write_text(model_cmakelists(name, sources, runtime))
    if runtime == "bundled":
        if runtime_dir is None:
            from cmsis_opt.hostbuild import RUNTIME_DIR

            runtime_dir = RUNTIME_DIR
        copy_runtime(runtime_dir, workdir / BUNDLED_DIR)
        written.append(BUNDLED_DIR)
    return written


def cmsis_nn_cmakelists(tree: Path, core_headers: Path | None = None) -> str:
    """A CMakeLists.txt defining target `cmsis-nn` from the CMSIS-NN source tree at `tree`, for a tree without
    its top-level CMakeLists.txt (a copy of Include/ and Source/ only).

    It does what CMSIS-NN's own top-level file does: `add_library(cmsis-nn STATIC)` with Include/ public, then
    the tree's Source/CMakeLists.txt adds the kernel files (every family on by default). `core_headers`, the
    CMSIS Core Include/ folder (cmsis_compiler.h), is made public too when given (Source/CMakeLists.txt looks
    for it under $CMSIS_PATH/CMSIS/Core/Include). A tree that has its own top-level CMakeLists.txt is added
    with add_subdirectory directly instead.
    """
    tree = Path(tree).resolve()
    lines = [
        f"# Target {LIBRARY_TARGET} from the CMSIS-NN source tree {tree} (Include/, Source/), as CMSIS-NN's own",
        "# top-level CMakeLists.txt defines it; the kernel files come from the tree's Source/CMakeLists.txt.",
        f"cmake_minimum_required(VERSION {CMAKE_MINIMUM})",
        "project(CMSISNN LANGUAGES C)",
        f"add_library({LIBRARY_TARGET} STATIC)",
        f'target_include_directories({LIBRARY_TARGET} PUBLIC "{tree / "Include"}")',
    ]
    if core_headers is not None:
        lines.append(f'target_include_directories({LIBRARY_TARGET} PUBLIC "{Path(core_headers).resolve()}")')
    lines += [f'add_subdirectory("{tree / "Source"}" "${{CMAKE_CURRENT_BINARY_DIR}}/Source")', ""]
    return "\n".join(lines)
