"""lit configuration: FileCheck tests of the tools on textual IR."""

import os
import sys

import lit.formats

config.name = "cmsis-opt"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".net", ".test"]
config.excludes = ["Inputs", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)

# The tools of the interpreter running lit (the project's virtualenv) come first.
bin_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
for name in ("HOME", "TMPDIR", "CC", "CFLAGS"):
    if name in os.environ:
        config.environment[name] = os.environ[name]

models = os.path.abspath(os.path.join(config.test_source_root, "..", "..", "..", "shared", "models"))
config.substitutions.append(("%models", models))
if os.path.isdir(models):
    config.available_features.add("models")
# round trip: print, parse again, print again: both prints must be identical
config.substitutions.append(("%roundtrip", "cmsis-opt %s | cmsis-opt | filecheck %s"))
