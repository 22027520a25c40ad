"""The reference interpreter: runs the `func.func` of a module op by op with numpy, on xDSL's `Interpreter`.

`nn` ops follow ONNX float32 semantics (`cmsis_opt.interp_nn.NNFunctions`);
`cmsis` ops are integer-exact with CMSIS-NN / TFLite Micro, each through its
own `KernelOp.interpret` (`CmsisFunctions` registers them all); `arena` ops
describe memory and compute nothing; `func` is xDSL's own. It is the golden
model the generated C is checked against, and calibration observes every
value through an `Interpreter.Listener`.

    outputs = run_function(module, [x])
    run_function(module, [x], observe=lambda value, array: ranges.add(value, array))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.dialects.builtin import Float32Type, IntegerType, ModuleOp, StringAttr, TensorType, UnregisteredOp
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.interpreters.func import FuncFunctions
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import DiagnosticException

from cmsis_opt.diagnostics import plural
from cmsis_opt.dialects import arena, cmsis
from cmsis_opt.dialects.nn import NNOp
from cmsis_opt.dialects.quant import UniformQuantizedType
from cmsis_opt.dialects.utils import numpy_dtype
from cmsis_opt.errors import CompileError
from cmsis_opt.interp_nn import NNFunctions, quantize_array

Observer = Callable[[SSAValue, np.ndarray], None]


def _kernel_impl(op_type: type[Operation]) -> Callable[..., PythonValues]:
    def run(self: InterpreterFunctions, interpreter: Interpreter, op: Any, args: PythonValues) -> PythonValues:
        return (op.interpret(*args),)

    run.__name__ = f"run_{op_type.name.replace('.', '_')}"
    return impl(op_type)(run)


def _no_op(self: InterpreterFunctions, interpreter: Interpreter, op: Operation, args: PythonValues) -> PythonValues:
    return ()


# Every cmsis op answers for itself (KernelOp.interpret, or a view's reshape), so the functions
# are generated from the dialect's op list rather than written out once more.
CmsisFunctions = register_impls(
    type("CmsisFunctions", (InterpreterFunctions,), {f"run_{i}": _kernel_impl(cls) for i, cls in enumerate(cmsis.OPS)})
)
ArenaFunctions = register_impls(
    type("ArenaFunctions", (InterpreterFunctions,),
         {f"run_{i}": impl(cls)(_no_op) for i, cls in enumerate((arena.BufferOp, arena.ScratchOp, arena.AliasOp))})
)


def find_function(module_or_func: Operation) -> FuncOp:
    """The single `func.func` of a module (or the function itself)."""
    if isinstance(module_or_func, FuncOp):
        return module_or_func
    if isinstance(module_or_func, ModuleOp):
        from cmsis_opt.plan import the_function

        return the_function(module_or_func, "interpreter")
    raise CompileError(f"expected a builtin.module or func.func, got '{module_or_func.name}'", "interpreter")


def describe(op: Operation) -> str:
    """`'nn.conv2d' (layer 'conv1')`: how errors name an op."""
    name = op.op_name.data if isinstance(op, UnregisteredOp) else op.name
    layer = op.attributes.get("layer")
    return f"'{name}'" + (f" (layer '{layer.data}')" if isinstance(layer, StringAttr) else "")


def _shape_text(shape: Sequence[int]) -> str:
    return "x".join(str(d) for d in shape) or "scalar"


def prepare_input(type_: TensorType, array: np.ndarray, index: int, source: str | None = None) -> np.ndarray:
    """Check one graph input against its type; a float array for a quantized input is quantized. An error is
    located at `input #index`, after `source` (the file the array came from) when given."""
    where = f"input #{index}" if source is None else f"{source}: input #{index}"
    array = np.asarray(array)
    expected = tuple(type_.get_shape())
    if array.shape != expected:
        raise CompileError(f"expected shape {_shape_text(expected)}, got {_shape_text(array.shape)}", where)
    element = type_.element_type
    if array.dtype.kind == "f" and array.size and isinstance(element, UniformQuantizedType | Float32Type):
        finite = array[np.isfinite(array)]
        largest = float(np.abs(finite).max()) if finite.size else 0.0  # a Python float: no overflow in float16
        if largest > float(np.finfo(np.float32).max):  # a float64's: float32 arithmetic cannot hold it
            raise CompileError(f"values up to {largest:g} are beyond float32's range (the model computes in float32, "
                               "or quantizes from it)", where)
    if isinstance(element, UniformQuantizedType):
        storage = numpy_dtype(element.storage_type)
        if array.dtype == storage:
            return array
        if array.dtype.kind == "f":
            if not np.all(np.isfinite(array)):
                raise CompileError("cannot quantize NaN or infinite values", where)
            return quantize_array(array, element)
        raise CompileError(f"expected {storage} values (or floats to quantize), got {array.dtype}", where)
    if isinstance(element, Float32Type):
        if array.dtype.kind == "f":
            return array.astype(np.float32, copy=False)
        raise CompileError(f"expected float32 values, got {array.dtype}: this input is float32 in the IR (a model "
                           "before --quantize); give float32 values, or run `cmsis-opt --quantize` (a float model: "
                           "calibrate first) to get an int8 input", where)
    if isinstance(element, IntegerType) and array.dtype == numpy_dtype(element):
        return array
    raise CompileError(f"expected {element} values, got {array.dtype}", where)


class _Checker(Interpreter.Listener):
    """Checks every result against its type and passes it to the observer, if any."""

    def __init__(self, observe: Observer | None):
        self.observe = observe

    def did_interpret_op(self, op: Operation, results: PythonValues) -> None:
        for value, result in zip(op.results, results, strict=True):
            type_ = value.type
            if isinstance(type_, TensorType) and (
                not isinstance(result, np.ndarray) or result.shape != tuple(type_.get_shape())
            ):
                shape = result.shape if isinstance(result, np.ndarray) else ()
                raise CompileError(f"{describe(op)} computed shape {_shape_text(shape)}, its type says "
                                   f"{_shape_text(type_.get_shape())}", "interpreter")
            if self.observe is not None:
                self.observe(value, result)


def make_interpreter(module: ModuleOp, observe: Observer | None = None) -> Interpreter:
    """An xDSL interpreter for `module` with the nn, cmsis, arena and func implementations."""
    interpreter = Interpreter(module, listeners=(_Checker(observe),))
    for functions in (FuncFunctions(), NNFunctions(), CmsisFunctions(), ArenaFunctions()):
        interpreter.register_implementations(functions)
    return interpreter


def run_function(
    module_or_func: Operation, inputs: Sequence[np.ndarray], observe: Observer | None = None,
    sources: Sequence[str] | None = None,
) -> list[np.ndarray]:
    """Run the function on `inputs` (one array per argument); returns the returned arrays.

    `observe(value, array)` is called for every function argument and every
    op result, in execution order. `sources` names where each input came from
    (its file), for errors. Raises CompileError for inputs that do not fit the
    function and for ops the interpreter cannot run.
    """
    func = find_function(module_or_func)
    block = func.body.block
    if len(inputs) != len(block.args):
        raise CompileError(f"the function takes {plural(len(block.args), 'input')}, got {len(inputs)}", "inputs")
    args = []
    for index, (arg, array) in enumerate(zip(block.args, inputs, strict=True)):
        assert isinstance(arg.type, TensorType)
        args.append(prepare_input(arg.type, array, index, sources[index] if sources else None))
        if observe is not None:
            observe(arg, args[-1])
    module = func.parent_op()
    interpreter = make_interpreter(module if isinstance(module, ModuleOp) else ModuleOp([]), observe)
    for op in block.ops:
        if not isinstance(op, (NNOp, cmsis.CmsisOp, arena.BufferOp, arena.ScratchOp, arena.AliasOp, ReturnOp)):
            raise CompileError(f"the interpreter cannot run {describe(op)}", "interpreter")
    try:
        return list(interpreter.call_op(func, tuple(args)))
    except DiagnosticException as error:
        # xDSL wraps what an op implementation raises; a CompileError inside is the user's error
        cause = error.__cause__
        if isinstance(cause, CompileError):
            raise cause from None
        raise  # xDSL's InterpretationError is a DiagnosticException: it propagates as it is
