"""`cmsis-import`: an ONNX, TFLite or .net model to the `nn` dialect as textual IR.

    cmsis-import MODEL [-o OUT.mlir] [--name NAME] [--format onnx|tflite|net]
"""

from __future__ import annotations

import argparse
import sys

from cmsis_opt.errors import UsageError
from cmsis_opt.output import write_atomic
from cmsis_opt.tools import ToolParser, run_tool


def _arguments(argv) -> argparse.Namespace:
    parser = ToolParser(
        prog="cmsis-import",
        description="Import an ONNX (float or QDQ), int8 TFLite or .net model into the nn dialect.",
        epilog="example: cmsis-import kws_dscnn.qdq.onnx -o kws.mlir && cmsis-opt kws.mlir --quantize",
    )
    parser.add_argument("model", help="the .onnx, .tflite or .net file; '-' reads the model from stdin")
    parser.add_argument("-o", "--output", default="-", help="where to write the IR ('-' is stdout, the default)")
    parser.add_argument("--name", help="the function name (default: the file name up to its first dot)")
    parser.add_argument("--format", choices=("onnx", "tflite", "net"),  # frontends.FORMATS, without loading them
                        help="the model format (default: from the suffix, else from the file's bytes)")
    return parser.parse_args(argv)


def _main(argv) -> int:
    args = _arguments(argv)
    if args.name is not None and not args.name.isidentifier():
        raise UsageError(f"--name '{args.name}' is not a C identifier", "cmsis-import")
    from cmsis_opt.frontends import import_model  # after the arguments are read: --help answers at once
    from cmsis_opt.ir import print_ir

    module = import_model(args.model, args.name, args.format)
    write_atomic(args.output, print_ir(module))
    return 0


def main(argv=None) -> int:
    return run_tool("cmsis-import", lambda: _main(sys.argv[1:] if argv is None else argv), owns_process=argv is None)


if __name__ == "__main__":
    sys.exit(main())
