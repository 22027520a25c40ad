"""`cmsis-calibrate`: record the value ranges of a float model, for `--quantize`.

    cmsis-calibrate MODEL --data samples.npz [-o calibrated.mlir] [--method minmax|percentile] [--percentile P]

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

from cmsis_opt.output import write_atomic
from cmsis_opt.tools import ToolParser, run_tool

TOOL = "cmsis-calibrate"


def _main(argv: Sequence[str]) -> int:
    parser = ToolParser(prog=TOOL, description="Record the value ranges of a float model on calibration samples.",
                     epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="the float model: .onnx, .tflite, .net or .mlir ('-' reads IR from stdin)")
    parser.add_argument("--data", required=True,
                        help="calibration samples: .npz with key 'inputs', N x input shape, float32 (several graph "
                             "inputs: one key per input name)")
    parser.add_argument("-o", "--output", default="-",
                        help="where to write the calibrated IR ('-' is stdout, the default)")
    parser.add_argument("--method", choices=("minmax", "percentile"), default="minmax",
                        help="range of each tensor: its min and max (default), or percentiles of its values")
    parser.add_argument("--percentile", type=float, default=99.99,
                        help="upper percentile for --method percentile (50, 100]")
    args = parser.parse_args(argv)
    from cmsis_opt.calibrate import calibrate_module  # after the arguments are read: --help answers at once
    from cmsis_opt.frontends import load
    from cmsis_opt.ir import print_ir

    source = load(args.model)
    source.model_function()  # a module with no model says so by the file's name
    calibrate_module(source.module, args.data, args.method, args.percentile)
    write_atomic(args.output, print_ir(source.module))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(TOOL, lambda: _main(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
