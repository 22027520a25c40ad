"""Train a small float CNN on scikit-learn's bundled 8x8 digits and export it to ONNX.

    python tests/models/make_digits_cnn.py OUT_DIR

writes OUT_DIR/digits_cnn.onnx (Conv 3x3 -> Relu -> MaxPool 2 -> Flatten ->
Gemm), OUT_DIR/calibration.npz ('inputs': training samples) and
OUT_DIR/heldout.npz ('inputs', 'labels': data never used for training).
Plain numpy, seeded: the same files every run, in a few seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

CHANNELS, CLASSES = 8, 10


def load_digits_split(seed: int = 0):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # N x 1 x 8 x 8
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    return (x[:1200], y[:1200]), (x[1200:], y[1200:])


def patches(x: np.ndarray) -> np.ndarray:
    """3x3 windows of a padded N x 1 x 8 x 8 batch: N x 64 x 9 (row-major positions, kh*3+kw)."""
    padded = np.pad(x[:, 0], ((0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
    return windows.reshape(len(x), 64, 9)


def forward(params, x):
    conv_w, conv_b, fc_w, fc_b = params
    p = patches(x)
    z = p @ conv_w.T + conv_b  # N x 64 x C
    a = np.maximum(z, 0).reshape(len(x), 4, 2, 4, 2, CHANNELS)
    pooled = a.max(axis=(2, 4))  # N x 4 x 4 x C
    flat = pooled.transpose(0, 3, 1, 2).reshape(len(x), -1)  # NCHW flatten order
    return (p, z, a, pooled, flat), flat @ fc_w.T + fc_b


def train(x, y, epochs: int = 40, batch: int = 64, lr: float = 0.01, seed: int = 0):
    rng = np.random.default_rng(seed)
    params = [rng.normal(0, 0.3, (CHANNELS, 9)), np.zeros(CHANNELS),
              rng.normal(0, 0.1, (CLASSES, CHANNELS * 16)), np.zeros(CLASSES)]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            grads = gradients(params, x[idx], y[idx])
            step += 1
            for i, g in enumerate(grads):  # Adam
                moments[i] = 0.9 * moments[i] + 0.1 * g
                squares[i] = 0.999 * squares[i] + 0.001 * g * g
                m_hat = moments[i] / (1 - 0.9**step)
                v_hat = squares[i] / (1 - 0.999**step)
                params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
    return [p.astype(np.float32) for p in params]


def gradients(params, x, y):
    conv_w, conv_b, fc_w, fc_b = params
    (p, z, a, pooled, flat), logits = forward(params, x)
    n = len(x)
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    d_logits = prob
    d_logits[np.arange(n), y] -= 1
    d_logits /= n
    d_fc_w, d_fc_b = d_logits.T @ flat, d_logits.sum(0)
    d_pooled = (d_logits @ fc_w).reshape(n, CHANNELS, 4, 4).transpose(0, 2, 3, 1)
    mask = a == pooled[:, :, None, :, None, :]
    mask = mask / mask.sum(axis=(2, 4), keepdims=True)
    d_a = (mask * d_pooled[:, :, None, :, None, :]).reshape(n, 64, CHANNELS)
    d_z = d_a * (z > 0)
    return [np.einsum("npc,npk->ck", d_z, p), d_z.sum((0, 1)), d_fc_w, d_fc_b]


def export_onnx(params, path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    conv_w, conv_b, fc_w, fc_b = params
    inits = [numpy_helper.from_array(conv_w.reshape(CHANNELS, 1, 3, 3), "conv_w"),
             numpy_helper.from_array(conv_b, "conv_b"),
             numpy_helper.from_array(fc_w, "fc_w"), numpy_helper.from_array(fc_b, "fc_b")]
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["conv"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("MaxPool", ["relu"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "digits_cnn",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, CLASSES])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def build(out_dir: Path, calibration_samples: int = 200) -> dict[str, Path]:
    """Train, export and write the data files; returns their paths."""
    out_dir = Path(out_dir)
    (x_train, y_train), (x_test, y_test) = load_digits_split()
    params = train(x_train, y_train)
    paths = {"model": out_dir / "digits_cnn.onnx", "calibration": out_dir / "calibration.npz",
             "heldout": out_dir / "heldout.npz"}
    export_onnx(params, paths["model"])
    np.savez(paths["calibration"], inputs=x_train[:calibration_samples])
    np.savez(paths["heldout"], inputs=x_test, labels=y_test, float_logits=forward(params, x_test)[1].astype(np.float32))
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    for key, path in build(out).items():
        print(f"{key}: {path}")
