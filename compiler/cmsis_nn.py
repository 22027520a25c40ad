"""The real CMSIS-NN library, built from its source tree for the host or a Cortex-M core, and cached.

The C that `cmsis-compile` generates calls CMSIS-NN. Host builds link
runtime/ (our portable C99 re-implementation) unless told otherwise; this
module builds Arm's own library instead, from a CMSIS-NN source tree that
lives outside the repository:

    tree = locate()                        # path argument, else $CMSIS_NN, else ../shared/cmsis-nn
    lib = build_library("host", tree)      # ${CC:-cc}: the portable C path (no DSP, no MVE)
    lib = build_library("cortex-m4", tree) # arm-none-eabi-gcc: the DSP path
    lib.archive, lib.include_dirs          # link the archive, compile the generated C against the headers

Every `Source/**/*.c` file of the tree is compiled (v7.0.0: 113 files,
including the s4, s16, LSTM and SVDF kernels, which all compile for the host
and for every core listed below). The library is third-party code: it gets
`-O2 -Wall -Wextra` (its warnings are collected in `Library.warnings`, none
in v7.0.0 with gcc 12) but never `-Werror`, `-pedantic` or `-Wconversion`,
which stay on the generated code only. A sanitized host library is compiled
with `-fsanitize=address,undefined` minus the `shift` and
`signed-integer-overflow` checks, which CMSIS-NN's portable C path itself
fails on the reference models: `arm_nn_divide_by_power_of_two` computes
`(1 << 31) - 1` for an exponent of 31, the softmax helpers shift negative
values left and `1 << 31` / `sum << headroom` out of range, and
`arm_elementwise_add_s8` shifts negative (input + offset) values left. All
are the two's complement arithmetic a Cortex-M does; nothing else is
reported (address and the other undefined-behaviour checks stay on).

Built libraries are cached under `cache_root()`/cmsis-nn/, one folder per
(tree path, version, source file fingerprint, compiler and its version,
flags), so a test session or a `target-check` run builds each library once.

Cortex-M builds take each core's flags from the one core table
(`cmsis_opt.targets.CORES`), which also says which CMSIS-NN path the flags
select.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cmsis_opt import targets
from cmsis_opt.errors import CompileError

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (compiler/ is the package folder)."""
DEFAULT_TREE = ROOT.parent / "shared" / "cmsis-nn"
DEFAULT_CORE_HEADERS = ROOT.parent / "shared" / "cmsis-core" / "Include"
HOST = "host"


LIBRARY_CFLAGS = ("-O2", "-Wall", "-Wextra")
"""Flags for the library on every target: warnings shown, never errors (third-party code)."""
CORTEX_M_CFLAGS = ("-ffunction-sections", "-fdata-sections")
"""Extra flags for Cortex-M: one section per function, so `--gc-sections` keeps only what a model calls."""
SANITIZE_CFLAGS = ("-fsanitize=address,undefined", "-fno-sanitize=shift,signed-integer-overflow",
                   "-fno-sanitize-recover=all")
"""A sanitized host library: everything but the shift and overflow checks CMSIS-NN itself does not pass."""
ARCHIVE_NAME = "libcmsis-nn.a"
CROSS_PREFIX = "arm-none-eabi-"
_WHERE = "CMSIS-NN"
_VERSION_FILES = ("VERSION.md", "VERSION", "VERSION.txt")


@dataclass(frozen=True)
class CmsisNNTree:
    """A CMSIS-NN source tree: `root` holds Include/ and Source/; `version` such as "7.0.0", or "unknown"."""

    root: Path
    version: str

    @property
    def include(self) -> Path:
        """The Include/ folder: arm_nnfunctions.h and the headers the library itself uses."""
        return self.root / "Include"

    def sources(self) -> list[Path]:
        """Every C file under Source/, sorted."""
        return sorted((self.root / "Source").rglob("*.c"))


@dataclass(frozen=True)
class Library:
    """A built CMSIS-NN static library.

    `target` is "host" or a core of `cmsis_opt.targets.CORES` and `path` the CMSIS-NN code path
    it compiles ("c", "dsp", "mve"). `include_dirs` are the folders to put on
    the include path of code calling it. `command` is the compiler with the
    flags every library file was compiled with. `warnings` are the compiler's
    warning lines for the library. `build_seconds` is the wall time the build
    took (when it was built, even if this call found it in the cache);
    `cached` says whether this call found it built.
    """

    archive: Path
    include_dirs: tuple[Path, ...]
    target: str
    path: str
    tree: CmsisNNTree
    command: tuple[str, ...]
    warnings: tuple[str, ...]
    build_seconds: float
    cached: bool


def read_version(root: str | os.PathLike[str]) -> str:
    """The CMSIS-NN version a tree states ("7.0.0"), or "unknown".

    Looked for in VERSION.md / VERSION / VERSION.txt (the first `vX.Y.Z`,
    else the first `X.Y.Z`), then in a CMSIS pack description `*.pdsc` (its
    first, newest, `<release version="...">`). Raises nothing.
    """
    root = Path(root)
    for name in _VERSION_FILES:
        try:
            text = (root / name).read_text(errors="replace")
        except OSError:
            continue
        match = re.search(r"\bv(\d+\.\d+(?:\.\d+)?)\b", text) or re.search(r"\b(\d+\.\d+\.\d+)\b", text)
        if match:
            return match.group(1)
    for pdsc in sorted(root.glob("*.pdsc")):
        try:
            match = re.search(r'<release\s+version="v?([0-9][^"]*)"', pdsc.read_text(errors="replace"))
        except OSError:
            continue
        if match:
            return match.group(1)
    return "unknown"


def _is_tree(root: Path) -> bool:
    return (root / "Include" / "arm_nnfunctions.h").is_file() and (root / "Source").is_dir()


def locate(path: str | os.PathLike[str] | None = None) -> CmsisNNTree:
    """The CMSIS-NN source tree at `path`, else at $CMSIS_NN, else at ROOT/../shared/cmsis-nn.

    A tree is a folder with Include/arm_nnfunctions.h and Source/.
    Raises CompileError (one line, naming the folder and where it came from)
    when the chosen folder is not one.
    """
    if path is not None:
        root, origin = Path(path), "the given path"
    elif os.environ.get("CMSIS_NN"):
        root, origin = Path(os.environ["CMSIS_NN"]), "$CMSIS_NN"
    else:
        root, origin = DEFAULT_TREE, "the default location"
    root = root.expanduser()
    if not root.is_dir():
        hint = "" if path is not None else " (set CMSIS_NN to a CMSIS-NN source tree)"
        raise CompileError(f"no CMSIS-NN source tree at {root} ({origin}): no such folder{hint}", _WHERE)
    if not _is_tree(root):
        raise CompileError(f"{root} ({origin}) is not a CMSIS-NN source tree: it needs Include/arm_nnfunctions.h "
                           "and Source/", _WHERE)
    root = root.resolve()
    return CmsisNNTree(root, read_version(root))


def locate_core_headers(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The CMSIS Core headers folder (holding cmsis_compiler.h) for Cortex-M builds, or None.

    From `path`, else $CMSIS_CORE, else ROOT/../shared/cmsis-core; a folder
    with an Include/ subfolder is taken as its Include/. Returns None when
    neither `path` nor $CMSIS_CORE is set and the default is absent
    (CMSIS-NN v7.0.0 compiles without them). Raises CompileError when a
    given path or $CMSIS_CORE does not hold cmsis_compiler.h.
    """
    explicit = path if path is not None else os.environ.get("CMSIS_CORE") or None
    folder = Path(explicit).expanduser() if explicit is not None else DEFAULT_CORE_HEADERS
    for candidate in (folder, folder / "Include"):
        if (candidate / "cmsis_compiler.h").is_file():
            return candidate.resolve()
    if explicit is None:
        return None
    origin = "the given path" if path is not None else "$CMSIS_CORE"
    raise CompileError(f"{folder} ({origin}) holds no CMSIS Core headers: cmsis_compiler.h is neither there "
                       "nor in its Include/", _WHERE)


def cache_root() -> Path:
    """Where built libraries are kept: $CMSIS_OPT_CACHE; else, in a source checkout, ROOT/build/cache (removed by
    `make clean`); else (an installed package) $XDG_CACHE_HOME/cmsis-opt or ~/.cache/cmsis-opt."""
    if os.environ.get("CMSIS_OPT_CACHE"):
        return Path(os.environ["CMSIS_OPT_CACHE"])
    if (ROOT / "pyproject.toml").is_file():
        return ROOT / "build" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cmsis-opt"


def _core(target: str) -> targets.Core:
    found = targets.CORES.get(target)
    if found is None:
        known = ", ".join([HOST, *targets.CORES])
        raise CompileError(f"cannot build CMSIS-NN for '{target}' (known: {known})", _WHERE) from None
    return found


def _tools(target: str) -> tuple[list[str], list[str]]:
    """The compiler and archiver commands for `target`."""
    if target == HOST:
        return shlex.split(os.environ.get("CC") or "cc"), shlex.split(os.environ.get("AR") or "ar")
    return [CROSS_PREFIX + "gcc"], [CROSS_PREFIX + "ar"]


def compiler_identity(compiler: list[str], where: str = "host build") -> str:
    """The compiler's resolved executable and the first line of its --version (part of the cache key).

    Raises CompileError, located at `where`, when it cannot be run: the host's compiler is $CC (default cc),
    a Cortex-M build's is the Arm GNU toolchain's gcc."""
    fix = ("install the Arm GNU toolchain (`make arm-tools`)" if compiler[0].startswith(CROSS_PREFIX)
           else "install gcc, or set CC to a C compiler")
    executable = shutil.which(compiler[0])
    if executable is None:
        given = Path(compiler[0])
        named = given.exists() and os.sep in compiler[0]
        why = "it is a folder" if given.is_dir() else "it is not executable" if named else "not found"
        raise CompileError(f"cannot run the C compiler '{compiler[0]}': {why}; {fix}", where)
    try:
        result = subprocess.run([*compiler, "--version"], capture_output=True, text=True)
    except OSError as error:
        raise CompileError(f"cannot run the C compiler '{compiler[0]}': {error.strerror}; {fix}", where) from None
    first = (result.stdout.strip().splitlines() or ["?"])[0]
    return f"{os.path.realpath(executable)} {first}"


def _fingerprint(tree: CmsisNNTree) -> list[list[object]]:
    """Relative path, size and modification time of every source and header: a changed file is a new build."""
    files = tree.sources() + sorted(tree.include.rglob("*.h"))
    rows = []
    for f in files:
        st = f.stat()
        rows.append([str(f.relative_to(tree.root)), st.st_size, st.st_mtime_ns])
    return rows


def _object_name(tree: CmsisNNTree, source: Path) -> str:
    relative = source.relative_to(tree.root / "Source").with_suffix(".o")
    return "_".join(relative.parts)


def make_archive(archiver: list[str], archive: Path, objects: list[Path], where: str) -> None:
    """`ar rcs ARCHIVE OBJECTS...`, then the objects are removed; raises CompileError (at `where`) when the
    archiver cannot run or fails."""
    try:
        result = subprocess.run([*archiver, "rcs", str(archive), *map(str, objects)], capture_output=True, text=True)
    except OSError as error:
        raise CompileError(f"cannot run the archiver '{archiver[0]}': {error.strerror} (set AR)", where) from None
    if result.returncode != 0:
        raise CompileError(f"the archiver failed: {result.stderr.strip()[:300]}", where)
    for obj in objects:
        obj.unlink()


def _compile_one(command: list[str], source: Path, obj: Path) -> tuple[Path, int, str]:
    try:
        result = subprocess.run([*command, "-c", str(source), "-o", str(obj)], capture_output=True, text=True)
    except OSError as error:
        return source, -1, f"cannot run the C compiler '{command[0]}': {error.strerror}"
    return source, result.returncode, result.stderr


def build_library(target: str = HOST, tree: CmsisNNTree | str | os.PathLike[str] | None = None, *,
                  sanitize: bool = False, cache_dir: str | os.PathLike[str] | None = None, jobs: int = 2,
                  core_headers: str | os.PathLike[str] | None = None) -> Library:
    """CMSIS-NN built as a static library for `target` ("host" or a core of `cmsis_opt.targets.CORES`),
    from the cache when built before.

    `tree` is a CmsisNNTree or a folder for locate() (None: $CMSIS_NN or the
    default location). For "host" the compiler is ${CC:-cc} and the archiver
    ${AR:-ar} ($CFLAGS is not used: the library's flags are its own), and
    `sanitize` adds SANITIZE_CFLAGS; for a core it is arm-none-eabi-gcc with
    the core's flags and the CMSIS Core headers (locate_core_headers) on the
    include path when found. `jobs` files are compiled at a time. The library
    is built in a temporary folder under the cache and moved into place when
    complete, so concurrent builds do not see half-built archives.

    Build time: about 10 s on 2 cores for v7.0.0 (113 files), 0 when cached.
    Raises CompileError for an unknown target, `sanitize` on a core, a
    missing tree or compiler, or a library file that does not compile (the
    first error line).
    """
    if not isinstance(tree, CmsisNNTree):
        tree = locate(tree)
    if target == HOST:
        path, flags = "c", [*LIBRARY_CFLAGS, *(SANITIZE_CFLAGS if sanitize else ())]
        include_dirs: tuple[Path, ...] = (tree.include,)
    else:
        if sanitize:
            raise CompileError(f"sanitizers are for host builds only, not for '{target}'", _WHERE)
        core = _core(target)
        headers = locate_core_headers(core_headers)
        path, flags = core.path, [*core.gcc_flags, *LIBRARY_CFLAGS, *CORTEX_M_CFLAGS]
        include_dirs = (tree.include,) if headers is None else (tree.include, headers)
    compiler, archiver = _tools(target)
    command = [*compiler, *flags, *(f"-I{d}" for d in include_dirs)]
    sources = tree.sources()
    if not sources:
        raise CompileError(f"no C files under {tree.root / 'Source'}", _WHERE)

    identity = compiler_identity(compiler, "host build" if target == HOST else _WHERE)
    key = json.dumps({"tree": str(tree.root), "version": tree.version, "files": _fingerprint(tree),
                      "compiler": identity, "archiver": archiver, "command": command})
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    label = re.sub(r"[^A-Za-z0-9.-]+", "_", f"{target}{'-asan' if sanitize else ''}-{tree.version}")
    folder = Path(cache_dir) if cache_dir is not None else cache_root()
    final = folder / "cmsis-nn" / f"{label}-{digest}"
    archive, manifest = final / ARCHIVE_NAME, final / "manifest.json"

    def library(facts: dict, cached: bool) -> Library:
        return Library(archive, include_dirs, target, path, tree, tuple(command), tuple(facts["warnings"]),
                       float(facts["build_seconds"]), cached)

    if archive.is_file() and manifest.is_file():
        return library(json.loads(manifest.read_text()), True)

    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    try:
        start = time.perf_counter()
        objects = [work / _object_name(tree, s) for s in sources]
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(lambda so: _compile_one(command, *so), zip(sources, objects, strict=True)))
        warnings = []
        for source, status, stderr in results:
            if status != 0:
                first = next((line for line in stderr.splitlines() if "error" in line), stderr.strip()[:300])
                raise CompileError(f"{source.relative_to(tree.root)} does not compile for {target}: {first}", _WHERE)
            warnings += [line for line in stderr.splitlines() if "warning:" in line]
        make_archive(archiver, work / ARCHIVE_NAME, objects, _WHERE)
        facts = {"tree": str(tree.root), "version": tree.version, "target": target, "command": command,
                 "sources": len(sources), "warnings": warnings,
                 "build_seconds": round(time.perf_counter() - start, 3)}
        (work / "manifest.json").write_text(json.dumps(facts, indent=1) + "\n")
        if final.is_dir() and not (archive.is_file() and manifest.is_file()):
            shutil.rmtree(final, ignore_errors=True)  # a damaged entry
        try:
            work.rename(final)
        except OSError:
            if not (archive.is_file() and manifest.is_file()):  # not another process finishing the same build first
                raise
            return library(json.loads(manifest.read_text()), True)
        return library(facts, False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
