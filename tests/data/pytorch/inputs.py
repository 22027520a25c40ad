"""Seeded inputs for the PyTorch export test models, in numpy alone (the tests import this without torch).

`calibration(name, seed)` gives the calibration set make_exports.py writes and quantizes with;
the acceptance test draws its own inputs from the same generators with other seeds.
"""

from __future__ import annotations

import numpy as np

SHAPES = {"kws_dscnn": (1, 49, 10), "mobilenetv2_035": (3, 96, 96), "resnet8": (3, 32, 32), "hybrid_tiny": (1, 8, 8)}


def mfcc_like(rng: np.random.Generator, count: int) -> np.ndarray:
    """[count, 1, 49, 10] float32: 49 frames of 10 coefficients, changing every 4 frames, with a spread
    that falls from 2 to 0.5 across the coefficients, as MFCC features do."""
    base = rng.normal(0.0, 1.0, size=(count, 1, 13, 10))
    frames = np.repeat(base, 4, axis=2)[:, :, :49] + 0.3 * rng.normal(size=(count, 1, 49, 10))
    spread = np.linspace(2.0, 0.5, 10)[None, None, None, :]
    return (frames * spread).astype(np.float32)


def _linear_upsampling(size: int, coarse: int) -> np.ndarray:
    """[size, coarse] weights of linear interpolation from `coarse` samples to `size` (pixel centres aligned)."""
    position = np.clip((np.arange(size) + 0.5) * coarse / size - 0.5, 0, coarse - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, coarse - 1)
    weights = np.zeros((size, coarse))
    weights[np.arange(size), low] += 1 - (position - low)
    weights[np.arange(size), high] += position - low
    return weights


def images(rng: np.random.Generator, count: int, size: int) -> np.ndarray:
    """[count, 3, size, size] float32: smooth random pictures (a 4x4 grid of colours, linearly interpolated,
    plus noise) at 8-bit levels, normalized as (pixel / 255 - 0.5) / 0.25."""
    coarse = rng.uniform(0.0, 1.0, size=(count, 3, 4, 4))
    up = _linear_upsampling(size, 4)
    fine = np.einsum("hi,ncij,wj->nchw", up, coarse, up)
    pixels = np.clip(np.round(255 * (fine + 0.08 * rng.normal(size=fine.shape))), 0, 255)
    return ((pixels / 255.0 - 0.5) / 0.25).astype(np.float32)


def samples(name: str, count: int, seed: int) -> np.ndarray:
    """`count` inputs [count, *input shape] for the model family `name`, from the seeded generator."""
    rng = np.random.default_rng(seed)
    shape = SHAPES[name]
    if name == "kws_dscnn":
        return mfcc_like(rng, count)
    if name == "hybrid_tiny":
        return rng.normal(0.0, 1.0, size=(count, *shape)).astype(np.float32)
    return images(rng, count, shape[-1])
