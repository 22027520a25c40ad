"""The reference interpreter: runs the `func.func` of a module op by op with numpy.

`nn` ops follow ONNX float32 semantics; `cmsis` ops are integer-exact with
CMSIS-NN / TFLite Micro; `arena` ops describe memory and are skipped. It is
the golden model the generated C is checked against, and the quantize pass
calibrates with it through the `observe` callback.

    outputs = run_function(module, [x])
    run_function(module, [x], observe=lambda value, array: ranges.add(value, array))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from xdsl.dialects.builtin import Float32Type, IntegerType, ModuleOp, TensorType, UnregisteredOp
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Operation, SSAValue

from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.dialects.utils import numpy_dtype
from cmsis_opt.errors import CompileError

from . import interp_cmsis, interp_nn

KERNELS: dict[str, Callable[..., np.ndarray]] = {**interp_nn.KERNELS, **interp_cmsis.KERNELS}

Observer = Callable[[SSAValue, np.ndarray], None]


def find_function(module_or_func: Operation) -> FuncOp:
    """The single `func.func` of a module (or the function itself)."""
    if isinstance(module_or_func, FuncOp):
        return module_or_func
    if isinstance(module_or_func, ModuleOp):
        funcs = [op for op in module_or_func.ops if isinstance(op, FuncOp)]
        if len(funcs) == 1:
            return funcs[0]
        raise CompileError(f"expected exactly one func.func in the module, found {len(funcs)}", "interpreter")
    raise CompileError(f"expected a builtin.module or func.func, got '{module_or_func.name}'", "interpreter")


def describe(op: Operation) -> str:
    """`'nn.conv2d' (layer 'conv1')`: how errors name an op."""
    name = op.op_name.data if isinstance(op, UnregisteredOp) else op.name
    layer = op.attributes.get("layer")
    return f"'{name}'" + (f" (layer '{layer.data}')" if layer is not None else "")  # type: ignore[attr-defined]


def _shape_text(shape: Sequence[int]) -> str:
    return "x".join(str(d) for d in shape) or "scalar"


def prepare_input(type_: TensorType, array: np.ndarray, index: int) -> np.ndarray:
    """Check one graph input against its type; a float array for a quantized input is quantized."""
    where = f"input #{index}"
    array = np.asarray(array)
    expected = tuple(type_.get_shape())
    if array.shape != expected:
        raise CompileError(f"expected shape {_shape_text(expected)}, got {_shape_text(array.shape)}", where)
    element = type_.element_type
    if isinstance(element, UniformQuantizedType):
        storage = numpy_dtype(element.storage_type)
        if array.dtype == storage:
            return array
        if array.dtype.kind == "f":
            if not np.all(np.isfinite(array)):
                raise CompileError("cannot quantize NaN or infinite values", where)
            return interp_nn.quantize_array(array, element)
        raise CompileError(f"expected {storage} values (or floats to quantize), got {array.dtype}", where)
    if isinstance(element, Float32Type):
        if array.dtype.kind == "f":
            return array.astype(np.float32, copy=False)
        raise CompileError(f"expected float32 values, got {array.dtype}", where)
    if isinstance(element, IntegerType) and array.dtype == numpy_dtype(element):
        return array
    raise CompileError(f"expected {element} values, got {array.dtype}", where)


def run_function(
    module_or_func: Operation, inputs: Sequence[np.ndarray], observe: Observer | None = None
) -> list[np.ndarray]:
    """Run the function on `inputs` (one array per argument); returns the returned arrays.

    `observe(value, array)` is called for every function argument and every
    op result, in execution order.
    """
    func = find_function(module_or_func)
    block = func.body.block
    if len(inputs) != len(block.args):
        raise CompileError(f"the function takes {len(block.args)} input(s), got {len(inputs)}", "inputs")
    values: dict[SSAValue, np.ndarray] = {}
    for index, (arg, array) in enumerate(zip(block.args, inputs)):
        assert isinstance(arg.type, TensorType)
        values[arg] = prepare_input(arg.type, array, index)
        if observe is not None:
            observe(arg, values[arg])
    for op in block.ops:
        if isinstance(op, ReturnOp):
            return [values[v] for v in op.arguments]
        if op.name.startswith("arena."):
            continue
        kernel = KERNELS.get(op.name)
        if kernel is None:
            raise CompileError(f"the interpreter cannot run {describe(op)}", "interpreter")
        result = kernel(op, *(values[v] for v in op.operands))
        _check_result(op, result)
        values[op.results[0]] = result
        if observe is not None:
            observe(op.results[0], result)
    raise CompileError(f"function @{func.sym_name.data} has no func.return", "interpreter")


def _check_result(op: Operation, result: np.ndarray) -> None:
    type_ = op.results[0].type
    assert isinstance(type_, TensorType)
    if result.shape != tuple(type_.get_shape()):
        raise CompileError(
            f"{describe(op)} computed shape {_shape_text(result.shape)}, its type says "
            f"{_shape_text(type_.get_shape())}", "interpreter")
