"""Write the CMSIS-NN CIFAR-10 example network as a float ONNX model, plus a calibration set.

The network is the one CMSIS-NN's CIFAR-10 example (CMSIS_5 up to 5.7.0) runs,
NHWC int8, input 32x32x3:

    conv 5x5 pad 2, 3 -> 32, ReLU      32x32x32
    max pool 3x3 stride 2 (ceil)       16x16x32
    conv 5x5 pad 2, 32 -> 16, ReLU     16x16x16
    max pool 3x3 stride 2 (ceil)        8x8x16
    conv 5x5 pad 2, 16 -> 32, ReLU      8x8x32
    max pool 3x3 stride 2 (ceil)        4x4x32
    fully connected 512 -> 10, softmax

The graph keeps the example's NHWC interface the way tf2onnx exports it: a
Transpose to NCHW in front of the first conv and one back before the flatten,
so the flattened order is the example's (H, W, C).

No CIFAR-10 data ships with any package we may install offline, so the
weights are seeded random (He-scaled) and the calibration images are seeded
random noise shaped like normalized CIFAR-10 pixels: the memory plan and the
bit-exactness checks do not depend on the weights being trained.

    python examples/make_cifar10_cmsis.py OUT_DIR
writes OUT_DIR/cifar10_cmsis.onnx and OUT_DIR/cifar10_calibration.npz.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20210601


def _conv(rng, name, x, c_in, c_out, nodes, inits):
    w = (rng.standard_normal((c_out, c_in, 5, 5)) * np.sqrt(2.0 / (c_in * 25))).astype(np.float32)
    b = (rng.standard_normal(c_out) * 0.05).astype(np.float32)
    inits += [numpy_helper.from_array(w, f"{name}_w"), numpy_helper.from_array(b, f"{name}_b")]
    nodes.append(helper.make_node("Conv", [x, f"{name}_w", f"{name}_b"], [f"{name}_out"], name=name,
                                  kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1]))
    nodes.append(helper.make_node("Relu", [f"{name}_out"], [f"{name}_relu"], name=f"{name}_relu"))
    return f"{name}_relu"


def _pool(name, x, nodes):
    nodes.append(helper.make_node("MaxPool", [x], [f"{name}_out"], name=name,
                                  kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
    return f"{name}_out"


def build_model() -> onnx.ModelProto:
    rng = np.random.default_rng(SEED)
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    nodes.append(helper.make_node("Transpose", ["input"], ["input_nchw"], name="to_nchw", perm=[0, 3, 1, 2]))
    x = _conv(rng, "conv1", "input_nchw", 3, 32, nodes, inits)
    x = _pool("pool1", x, nodes)
    x = _conv(rng, "conv2", x, 32, 16, nodes, inits)
    x = _pool("pool2", x, nodes)
    x = _conv(rng, "conv3", x, 16, 32, nodes, inits)
    x = _pool("pool3", x, nodes)
    nodes.append(helper.make_node("Transpose", [x], ["pool3_nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]))
    inits.append(numpy_helper.from_array(np.array([1, 512], dtype=np.int64), "flat_shape"))
    nodes.append(helper.make_node("Reshape", ["pool3_nhwc", "flat_shape"], ["flat"], name="flatten"))
    w = (rng.standard_normal((512, 10)) * np.sqrt(1.0 / 512)).astype(np.float32)
    b = (rng.standard_normal(10) * 0.05).astype(np.float32)
    inits += [numpy_helper.from_array(w, "fc_w"), numpy_helper.from_array(b, "fc_b")]
    nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc"))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=-1))
    graph = helper.make_graph(
        nodes,
        "cifar10_cmsis",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 32, 32, 3])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cmsis-opt examples")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def calibration_set(count: int = 32) -> np.ndarray:
    """Seeded images in the range of mean/std-normalized CIFAR-10 pixels, NHWC."""
    rng = np.random.default_rng(SEED + 1)
    smooth = rng.standard_normal((count, 8, 8, 3)).repeat(4, axis=1).repeat(4, axis=2)
    noise = rng.standard_normal((count, 32, 32, 3)) * 0.3
    return np.clip(smooth + noise, -2.5, 2.5).astype(np.float32)[:, None]  # N x 1x32x32x3


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(build_model(), out / "cifar10_cmsis.onnx")
    np.savez(out / "cifar10_calibration.npz", inputs=calibration_set())
    print(f"wrote {out / 'cifar10_cmsis.onnx'} and {out / 'cifar10_calibration.npz'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build")
