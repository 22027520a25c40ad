"""The vectorized access-order model against a byte-by-byte replay of each kernel's loops.

Each simulator below walks the CMSIS-NN loop nest of one kernel (as each
op's `access_order` in dialects/cmsis_*.py describes it) in plain Python and emits ("r", input byte) /
("w", output byte) events. Replaying them with the output placed at
input + delta must never read an input byte after an output write landed on
it. For the exact models, delta + 1 must fail somewhere (tightness).
"""

from __future__ import annotations

import dataclasses
import random

import pytest

import test_kernels_helpers as make
from cmsis_opt.dialects.cmsis_conv import CH_IN_BLOCK_MVE
from cmsis_opt.dialects.utils import element_bytes, num_elements, shape_of


def geometry(op) -> dict:
    """The op's window (shapes, kernel, stride, padding, dilation) as a dict, for the loop nests below."""
    return dataclasses.asdict(op.window)


# -- the replay ---------------------------------------------------------------------


def overwritten_read(events, delta: int) -> bool:
    """True if some input byte is read after an output byte was written at its address."""
    written = set()
    for kind, index in events:
        if kind == "w":
            written.add(index + delta)
        elif index in written:
            return True
    return False


# -- loop nests, one per kernel ------------------------------------------------------


def window(g, oy, ox):
    for ky in range(g["kh"]):
        for kx in range(g["kw"]):
            y, x = oy * g["sh"] - g["ph"] + ky * g["dh"], ox * g["sw"] - g["pw"] + kx * g["dw"]
            if 0 <= y < g["h"] and 0 <= x < g["w"]:
                yield y, x


def in_byte(g, b, y, x, c):
    return ((b * g["h"] + y) * g["w"] + x) * g["c"] + c


def out_byte(g, b, y, x, c):
    return ((b * g["oh"] + y) * g["ow"] + x) * g["oc"] + c


def sim_conv_s8(g, group):
    for b in range(g["n"]):
        pending = []
        for oy in range(g["oh"]):
            for ox in range(g["ow"]):
                for y, x in window(g, oy, ox):
                    for c in range(g["c"]):
                        yield "r", in_byte(g, b, y, x, c)
                pending.append((oy, ox))
                if len(pending) == group:
                    yield from _flush(g, b, pending)
                    pending = []
        yield from _flush(g, b, pending)


def _flush(g, b, pixels):
    for ch in range(g["oc"]):
        for oy, ox in pixels:
            yield "w", out_byte(g, b, oy, ox, ch)


def sim_conv_1x1_strided(g):
    """arm_convolve_1x1_s8 on C/DSP: per output row, channel pairs outside pixel pairs."""
    for b in range(g["n"]):
        for oy in range(g["oh"]):
            pixels = list(range(g["ow"]))
            chan_groups = [list(range(k, min(k + 2, g["oc"]))) for k in range(0, g["oc"], 2)]
            for chans in chan_groups:
                for m in range(0, len(pixels), 2):
                    pair = pixels[m : m + 2]
                    for ox in pair:
                        for c in range(g["c"]):
                            yield "r", in_byte(g, b, oy * g["sh"], ox * g["sw"], c)
                    for ox in pair:
                        for ch in chans:
                            yield "w", out_byte(g, b, oy, ox, ch)


def sim_depthwise_blocks(g, blocks):
    for b in range(g["n"]):
        for oy in range(g["oh"]):
            for ox in range(g["ow"]):
                for chans in blocks:
                    for y, x in window(g, oy, ox):
                        for c in chans:
                            yield "r", in_byte(g, b, y, x, c)
                    for c in chans:
                        yield "w", out_byte(g, b, oy, ox, c)


def blocks_3x3(c):
    full = [list(range(s, s + 4)) for s in range(0, c - c % 4, 4)]
    return full + [[ch] for ch in range(c - c % 4, c)]


def sim_depthwise_opt_mve(g, block=CH_IN_BLOCK_MVE):
    for start in range(0, g["c"], block):
        chans = range(start, min(start + block, g["c"]))
        pending = []
        for oy in range(g["oh"]):
            for ox in range(g["ow"]):
                for y, x in window(g, oy, ox):
                    for c in chans:
                        yield "r", in_byte(g, 0, y, x, c)
                pending.append((oy, ox))
                if len(pending) == 4:
                    for py, px in pending:
                        for c in chans:
                            yield "w", out_byte(g, 0, py, px, c)
                    pending = []
        for py, px in pending:
            for c in chans:
                yield "w", out_byte(g, 0, py, px, c)


def sim_depthwise_generic(g, tile=1):
    mult = g["oc"] // g["c"]
    for b in range(g["n"]):
        for oy in range(g["oh"]):
            for ox in range(g["ow"]):
                for ic in range(g["c"]):
                    for m in range(0, mult, tile):
                        for y, x in window(g, oy, ox):
                            yield "r", in_byte(g, b, y, x, ic)
                        for k in range(tile):
                            yield "w", out_byte(g, b, oy, ox, ic * mult + m + k)


def sim_max_pool_c(g):
    for b in range(g["n"]):
        for oy in range(g["oh"]):
            for ox in range(g["ow"]):
                for y, x in window(g, oy, ox):
                    for c in range(g["c"]):
                        yield "r", in_byte(g, b, y, x, c)
                        yield "w", out_byte(g, b, oy, ox, c)  # copy (first tap) or replace if larger
    for j in range(g["n"] * g["oh"] * g["ow"] * g["oc"]):
        yield "w", j  # clamp pass


def sim_pool_mve(g, chunk=16):
    for b in range(g["n"]):
        for oy in range(g["oh"]):
            for ox in range(g["ow"]):
                for start in range(0, g["c"], chunk):
                    chans = range(start, min(start + chunk, g["c"]))
                    for y, x in window(g, oy, ox):
                        for c in chans:
                            yield "r", in_byte(g, b, y, x, c)
                    for c in chans:
                        yield "w", out_byte(g, b, oy, ox, c)


def sim_elementwise(size, block):
    for start in range(0, size, block):
        idx = range(start, min(start + block, size))
        for i in idx:
            yield "r", i
        for i in idx:
            yield "w", i


def sim_softmax(rows, cols, block):
    for r in range(rows):
        for _ in range(2):
            for i in range(cols):
                yield "r", r * cols + i
        for start in range(0, cols, block):
            idx = range(r * cols + start, r * cols + min(start + block, cols))
            for i in idx:
                yield "r", i
            for i in idx:
                yield "w", i


def sim_mean(n, h, w, c):
    """cmsis_opt_mean_s8.c: per batch, per channel: every pixel of the channel, then its output byte."""
    for b in range(n):
        for ch in range(c):
            for p in range(h * w):
                yield "r", (b * h * w + p) * c + ch
            yield "w", b * c + ch


# -- random ops ----------------------------------------------------------------------


def random_conv(rng: random.Random):
    kh, kw = rng.choice([1, 2, 3, 5]), rng.choice([1, 2, 3, 5])
    dh, dw = rng.choice([1, 1, 2]), rng.choice([1, 1, 2])
    ph, pw = rng.randrange(0, (kh - 1) * dh + 1), rng.randrange(0, (kw - 1) * dw + 1)
    h, w = rng.randint((kh - 1) * dh + 1, 9), rng.randint((kw - 1) * dw + 1, 9)
    return make.conv(n=rng.choice([1, 1, 2]), h=h, w=w, c=rng.randint(1, 6), oc=rng.randint(1, 7), kh=kh, kw=kw,
                     sh=rng.randint(1, 3), sw=rng.randint(1, 3), ph=ph, pw=pw, dh=dh, dw=dw, kernel="generic")


def random_depthwise(rng: random.Random, mult=None, kernel=None, dilation=True):
    kh, kw = kernel or (rng.choice([1, 2, 3, 5]), rng.choice([1, 3, 4]))
    dh, dw = (rng.choice([1, 2]), rng.choice([1, 2])) if dilation else (1, 1)
    ph, pw = rng.randrange(0, min((kh - 1) * dh + 1, 2)), rng.randrange(0, min((kw - 1) * dw + 1, 2))
    h, w = rng.randint((kh - 1) * dh + 1, 9), rng.randint((kw - 1) * dw + 1, 9)
    return make.depthwise(h=h, w=w, c=rng.randint(1, 9), mult=mult or rng.choice([1, 2, 3, 4, 8]), kh=kh, kw=kw,
                          sh=rng.randint(1, 2), sw=rng.randint(1, 2), ph=ph, pw=pw, dh=dh, dw=dw)


def random_pool(rng: random.Random, kind: str):
    kh, kw = rng.randint(1, 3), rng.randint(1, 3)
    return make.pool(kind, n=rng.choice([1, 2]), h=rng.randint(kh, 9), w=rng.randint(kw, 9), c=rng.randint(1, 20),
                     kh=kh, kw=kw, sh=rng.randint(1, 3), sw=rng.randint(1, 3), ph=rng.randrange(0, kh), pw=rng.randrange(0, kw))


# -- the checks ----------------------------------------------------------------------


def widen(events, element: int):
    """Element events as byte events: element i of `element` bytes is bytes i * element .. i * element + element - 1,
    all touched at the element's step (an int16 kernel reads and writes whole elements)."""
    for kind, index in events:
        for k in range(element):
            yield kind, index * element + k


def check(op, path: str, events_of, exact: bool, **kwargs) -> None:
    """The model's delta (and every smaller sampled delta) replays cleanly; with `exact`, delta + 1 does not.

    The loop nests give element indices; an op on int16 tensors replays them as
    byte pairs (its model is in bytes)."""
    delta = op.path_delta(path, **kwargs)
    assert delta is not None, f"{op.name} on {path}: expected an overlap model"
    element = element_bytes(op.operands[0])
    events = list(widen(events_of(), element))
    in_size, out_size = (num_elements(shape_of(v)) * element for v in (op.operands[0], op.results[0]))
    assert not overwritten_read(events, delta), f"{op.name} on {path}: delta {delta} overwrites unread input"
    for lower in {delta - 1, delta - 7, -out_size + 1}:
        if -out_size < lower < delta:
            assert not overwritten_read(events, lower), f"{op.name} on {path}: smaller delta {lower} is unsafe"
    if exact and delta + 1 < in_size:
        assert overwritten_read(events, delta + 1), f"{op.name} on {path}: delta {delta} is not tight"


@pytest.mark.parametrize("seed", range(60))
def test_generic_conv_trails_its_receptive_field_on_every_path(seed):
    op = random_conv(random.Random(seed))
    g = geometry(op)
    for path, group in (("c", 2), ("dsp", 2), ("mve", 4)):
        check(op, path, lambda: sim_conv_s8(g, group), exact=True)


@pytest.mark.parametrize("seed", range(30))
def test_int16_kernels_follow_the_int8_loop_nests_in_bytes(seed):
    """arm_convolve_s16, arm_depthwise_conv_s16 and arm_avgpool_s16 run the s8 kernels' loop nests on 2-byte
    elements: the byte models replay cleanly and tightly; so does arm_depthwise_conv_fast_s16 (DSP: one pixel's
    window, then its channels; MVE: four pixels' windows, then the four)."""
    rng = random.Random(500 + seed)
    conv = random_conv(rng)
    g = geometry(conv)
    conv16 = make.conv(**{k: g[k] for k in ("h", "w", "c", "oc", "kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw")},
                       out=(g["oh"], g["ow"]), s16=True)
    assert conv16.kernel_function("dsp") == "arm_convolve_s16"
    g16 = geometry(conv16)
    assert g16["in_element"] == g16["out_element"] == 2
    for path, group in (("c", 2), ("dsp", 2), ("mve", 4)):
        check(conv16, path, lambda: sim_conv_s8(g16, group), exact=True)
    dw = make.depthwise(h=rng.randint(3, 8), w=rng.randint(3, 8), c=rng.randint(1, 6), mult=rng.choice([1, 2, 4]),
                        s16=True)
    gd = geometry(dw)
    assert dw.kernel_function("c") == "arm_depthwise_conv_s16"
    check(dw, "c", lambda: sim_depthwise_generic(gd), exact=True)
    if gd["oc"] == gd["c"]:
        assert dw.kernel_function("dsp") == dw.kernel_function("mve") == "arm_depthwise_conv_fast_s16"
        check(dw, "dsp", lambda: sim_depthwise_blocks(gd, [list(range(gd["c"]))]), exact=True)
        check(dw, "mve", lambda: sim_conv_s8(gd, 4), exact=True)
    avg = random_pool(rng, "avg_pool")
    gp = geometry(avg)
    avg16 = make.pool("avg_pool", **{k: gp[k] for k in ("n", "h", "w", "c", "kh", "kw", "sh", "sw", "ph", "pw")},
                      s16=True)
    assert avg16.kernel_function("c") == "arm_avgpool_s16"
    ga = geometry(avg16)
    check(avg16, "c", lambda: sim_depthwise_blocks(ga, [[c] for c in range(ga["c"])]), exact=True)
    check(avg16, "dsp", lambda: sim_depthwise_blocks(ga, [list(range(ga["c"]))]), exact=True)


@pytest.mark.parametrize("seed", range(30))
def test_fast_s16_depthwise_trails_its_windows_on_dsp_and_mve(seed):
    """arm_depthwise_conv_fast_s16 over random kernels, strides and paddings (multiplier 1, no dilation)."""
    g = geometry(random_depthwise(random.Random(700 + seed), mult=1, dilation=False))
    dw = make.depthwise(**{k: g[k] for k in ("h", "w", "c", "kh", "kw", "sh", "sw", "ph", "pw")}, mult=1, s16=True)
    gd = geometry(dw)
    assert dw.kernel_function("dsp") == dw.kernel_function("mve") == "arm_depthwise_conv_fast_s16"
    check(dw, "dsp", lambda: sim_depthwise_blocks(gd, [list(range(gd["c"]))]), exact=True)
    check(dw, "mve", lambda: sim_conv_s8(gd, 4), exact=True)


@pytest.mark.parametrize("seed", range(8))
def test_strided_pointwise_conv_stays_behind_the_rows_it_still_reads(seed):
    rng = random.Random(100 + seed)
    op = make.conv(n=rng.choice([1, 2]), h=rng.randint(2, 8), w=rng.randint(2, 8), c=rng.randint(1, 5), oc=rng.randint(1, 5),
                   kh=1, kw=1, ph=0, pw=0, sh=rng.randint(1, 3), sw=rng.choice([2, 3]))
    assert op.kernel_function("dsp") == "arm_convolve_1x1_s8"
    g = geometry(op)
    for path in ("c", "dsp"):
        check(op, path, lambda: sim_conv_1x1_strided(g), exact=False)


@pytest.mark.parametrize("seed", range(40))
def test_depthwise_kernels_follow_their_channel_blocks(seed):
    rng = random.Random(200 + seed)
    generic = random_depthwise(rng)
    g = geometry(generic)
    for path in ("c", "dsp", "mve"):
        if generic.kernel_function(path) == "arm_depthwise_conv_s8":
            check(generic, path, lambda: sim_depthwise_generic(g), exact=True)
            if (g["oc"] // g["c"]) % 4 == 0 and g["dh"] == g["dw"] == 1:  # CMSIS-NN's ch_mult % 4 loop
                check(generic, path, lambda: sim_depthwise_generic(g, tile=4), exact=False)
    three = random_depthwise(rng, mult=1, kernel=(3, 3), dilation=False)
    g3 = geometry(three)
    assert three.kernel_function("dsp") == "arm_depthwise_conv_3x3_s8"
    for path in ("c", "dsp"):
        check(three, path, lambda: sim_depthwise_blocks(g3, blocks_3x3(g3["c"])), exact=True)
    opt = random_depthwise(rng, mult=1, kernel=(rng.choice([2, 4, 5]), rng.choice([1, 3])), dilation=False)
    go = geometry(opt)
    assert opt.kernel_function("dsp") == "arm_depthwise_conv_s8_opt"
    check(opt, "dsp", lambda: sim_depthwise_blocks(go, [list(range(go["c"]))]), exact=True)
    check(opt, "c", lambda: sim_depthwise_generic(go), exact=True)
    check(opt, "mve", lambda: sim_depthwise_opt_mve(go), exact=True)
    check(three, "mve", lambda: sim_depthwise_opt_mve(g3), exact=True)


def test_mve_depthwise_with_more_channels_than_a_block_overlaps_less():
    op = make.depthwise(h=4, w=4, c=130, kh=3, kw=3)
    g = geometry(op)
    check(op, "mve", lambda: sim_depthwise_opt_mve(g), exact=True)
    assert op.path_delta("mve") < op.path_delta("dsp")


@pytest.mark.parametrize("seed", range(30))
def test_pooling_models(seed):
    rng = random.Random(300 + seed)
    mx = random_pool(rng, "max_pool")
    gm = geometry(mx)
    check(mx, "c", lambda: sim_max_pool_c(gm), exact=False, allow_undocumented=True)
    check(mx, "mve", lambda: sim_pool_mve(gm), exact=False, allow_undocumented=True)
    avg = random_pool(rng, "avg_pool")
    ga = geometry(avg)
    check(avg, "c", lambda: sim_depthwise_blocks(ga, [[c] for c in range(ga["c"])]), exact=True)
    check(avg, "dsp", lambda: sim_depthwise_blocks(ga, [list(range(ga["c"]))]), exact=True)
    check(avg, "mve", lambda: sim_pool_mve(ga), exact=False)


@pytest.mark.parametrize("block,path", [(1, "c"), (4, "dsp"), (16, "mve")])
def test_elementwise_and_softmax_overlap_exactly_in_place(block, path):
    for op in (make.elementwise("add", (1, 3, 5, 7)), make.elementwise("mul", (1, 2, 2, 9))):
        size = num_elements(shape_of(op.output))
        check(op, path, lambda: sim_elementwise(size, block), exact=True)
        assert op.path_delta(path) == 0
    sm = make.softmax((3, 21))
    check(sm, path, lambda: sim_softmax(3, 21, block), exact=True)
    assert sm.path_delta(path) == 0


def sim_lut(size, channels):
    """cmsis_opt_lut_s8 (runtime/src/cmsis_opt_lut_s8.c): per pixel, per channel, read input i then write output i."""
    for start in range(0, size, channels):
        for c in range(channels):
            yield "r", start + c
            yield "w", start + c


@pytest.mark.parametrize("channels", [1, 5])
@pytest.mark.parametrize("path", ["c", "dsp", "mve"])
def test_lut_overlaps_exactly_in_place(channels, path):
    shape = (1, 3, 4, 5)
    table = f"dense<0> : tensor<{'256' if channels == 1 else f'{channels}x256'}xi8>"
    t = make.tensor(shape)
    op = make._first(make._module([t], f"cmsis.lut %a0 {{table = {table}}} : ({t}) -> {t}", t), "cmsis.lut")
    check(op, path, lambda: sim_lut(num_elements(shape), channels), exact=True)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("s16", [False, True], ids=["s8", "s16"])
def test_mean_writes_each_channel_after_reading_it(seed, s16):
    """cmsis_opt_mean_s8 and (in bytes) cmsis_opt_mean_s16 run the same loop nest."""
    rng = random.Random(400 + seed)
    n, h, w, c = rng.choice([1, 2, 3]), rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 9)
    op = make.mean(n, h, w, c, s16=s16)
    assert op.kernel_function("c") == ("cmsis_opt_mean_s16" if s16 else "cmsis_opt_mean_s8")
    for path in ("c", "dsp", "mve"):
        check(op, path, lambda: sim_mean(n, h, w, c), exact=True)


@pytest.mark.parametrize("path", ["c", "dsp", "mve"])
def test_requantize_overlaps_exactly_in_place(path):
    op = make.requantize((2, 3, 5))
    check(op, path, lambda: sim_elementwise(30, 1), exact=True)
    assert op.path_delta(path) == 0



@pytest.mark.parametrize("widths", [(8, 16), (16, 8), (16, 16)], ids=["s8-s16", "s16-s8", "s16-s16"])
def test_requantize_between_widths_replays_in_bytes(widths):
    """cmsis_opt_requantize_s16: input element i (its bytes) is read, then output element i (its bytes) written.
    The byte model's delta replays cleanly and tightly: int16 -> int8 and int16 -> int16 in place (or later),
    int8 -> int16 with the output starting before its input (the writes run ahead of the reads)."""
    shape = (2, 3, 5)
    size = num_elements(shape)
    q = {8: "!quant.uniform<i8:f32, 0.05:3>", 16: "!quant.uniform<i16:f32, 0.0005:0>"}
    i, o = make.tensor(shape, q[widths[0]]), make.tensor(shape, q[widths[1]])
    in_zp, out_zp = (3 if widths[0] == 8 else 0), (3 if widths[1] == 8 else 0)
    low, high = (-128, 127) if widths[1] == 8 else (-32768, 32767)
    text = (f"cmsis.requantize %a0 {{multiplier = 1677721600 : i32, shift = {7 if widths == (8, 16) else -1} : i32, "
            f"input_offset = {-in_zp} : i32, output_offset = {out_zp} : i32, act_min = {low} : i32, "
            f"act_max = {high} : i32}} : ({i}) -> {o}")
    op = make._first(make._module([i], text, o), "cmsis.requantize")
    assert op.kernel_function("c") == "cmsis_opt_requantize_s16"
    in_bytes, out_bytes = widths[0] // 8, widths[1] // 8
    events = []
    for k in range(size):
        events += [("r", k * in_bytes + b) for b in range(in_bytes)]
        events += [("w", k * out_bytes + b) for b in range(out_bytes)]
    for path in ("c", "dsp", "mve"):
        delta = op.path_delta(path)
        assert delta is not None
        assert not overwritten_read(events, delta), f"delta {delta} overwrites unread input"
        assert overwritten_read(events, delta + 1), f"delta {delta} is not tight"
        assert (delta >= 0) == (out_bytes <= in_bytes), delta  # in place (or later) unless the output is wider

def sim_pad(shape, pre, post, backwards: bool):
    """arm_pad_s8: memsets and memcpys front to back; each memcpy forwards or (`backwards`) from its end."""
    n, h, w, c = shape
    out = [d + a + b for d, a, b in zip(shape, pre, post)]
    row, pixel = out[2] * out[3], out[3]
    position = 0  # next output byte

    def fill(count):
        nonlocal position
        for j in range(position, position + count):
            yield "w", j
        position += count

    def copy(src, count):
        nonlocal position
        pairs = [(src + i, position + i) for i in range(count)]
        for s, d in reversed(pairs) if backwards else pairs:
            yield "r", s
            yield "w", d
        position += count

    src = 0
    yield from fill(out[1] * row * pre[0])
    for _ in range(n):
        yield from fill(row * pre[1])
        for _ in range(h):
            yield from fill(pixel * pre[2])
            if out[3] == c:
                yield from copy(src, w * c)
                src += w * c
            else:
                for _ in range(w):
                    yield from fill(pre[3])
                    yield from copy(src, c)
                    src += c
                    yield from fill(post[3])
            yield from fill(pixel * post[2])
        yield from fill(row * post[1])
    yield from fill(out[1] * row * post[0])


@pytest.mark.parametrize("seed", range(30))
def test_pad_writes_behind_the_rows_it_copied(seed):
    rng = random.Random(400 + seed)
    shape = (rng.choice([1, 1, 2]), rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 5))
    channel = rng.random() < 0.3
    pre = (rng.choice([0, 0, 1]), rng.randint(0, 2), rng.randint(0, 2), rng.randint(0, 2) if channel else 0)
    post = (rng.choice([0, 0, 1]), rng.randint(0, 2), rng.randint(0, 2), rng.randint(0, 2) if channel else 0)
    op = make.pad(shape, pre, post)
    for path in ("c", "dsp", "mve"):
        for backwards in (False, True):
            check(op, path, lambda: sim_pad(shape, pre, post, backwards), exact=False)
