"""`cmsis-calibrate`: record the value ranges of a float model, for `--quantize`.

    cmsis-calibrate MODEL --data samples.npz [-o calibrated.mlir] [--method minmax|percentile] [--percentile P]
    cmsis-calibrate - --data samples.npz < model.onnx   (a model or textual IR on stdin, told by its bytes)

Runs the float model (.onnx, .tflite, .net or .mlir) in the reference
interpreter on every sample of `samples.npz` (key `inputs`, shape
[N, *input shape], float32; a model with several graph inputs takes one key
per input name, each [N, *that input's shape]), and writes the model with each float tensor's
range recorded as `nn.range = #nn.range<low, high>`. Then
`cmsis-opt calibrated.mlir --quantize` lowers it to int8.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cmsis_opt.errors import UsageError
from cmsis_opt.output import write_atomic
from cmsis_opt.tools import ToolParser, run_tool

TOOL = "cmsis-calibrate"
DEFAULT_PERCENTILE = 99.99


def _main(argv: Sequence[str]) -> int:
    parser = ToolParser(prog=TOOL, description="Record the value ranges of a float model on calibration samples.",
                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the float model: .onnx, .tflite, .net or .mlir; '-' reads one from stdin "
                        "(a model or textual IR, its format told from its bytes; the function is named 'model')")
    parser.add_argument("--data", required=True,
                        help="calibration samples: .npz with key 'inputs', N x input shape, float32 (several graph "
                             "inputs: one key per input name)")
    parser.add_argument("-o", "--output", default="-",
                        help="where to write the calibrated IR ('-' is stdout, the default)")
    parser.add_argument("--method", choices=("minmax", "percentile"), default="minmax",
                        help="range of each tensor: its min and max (default), or percentiles of its values")
    parser.add_argument("--percentile", type=float, default=None,
                        help=f"upper percentile for --method percentile, in (50, 100] (default {DEFAULT_PERCENTILE})")
    args = parser.parse_args(argv)
    if args.percentile is not None and args.method != "percentile":
        raise UsageError(f"--percentile applies to --method percentile only (the method is {args.method}): add "
                         f"--method percentile, or drop --percentile (see {TOOL} --help)", TOOL)
    if args.percentile is None:
        args.percentile = DEFAULT_PERCENTILE
    elif not 50.0 < args.percentile <= 100.0:  # NaN too
        raise UsageError(f"--percentile must be above 50 and at most 100, got {args.percentile:g} "
                         f"(see {TOOL} --help)", TOOL)
    from cmsis_opt.calibrate import calibrate_module  # after the arguments are read: --help answers at once
    from cmsis_opt.frontends import load
    from cmsis_opt.ir import print_ir

    source = load(args.model, None, "auto") if args.model == "-" else load(args.model)  # stdin: told by its bytes
    source.model_function()  # a module with no model says so by the file's name
    calibrate_module(source.module, args.data, args.method, args.percentile)
    write_atomic(args.output, print_ir(source.module))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(TOOL, lambda: _main(sys.argv[1:] if argv is None else argv), owns_process=argv is None)


if __name__ == "__main__":
    sys.exit(main())
