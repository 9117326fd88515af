"""Measures a tiny model directory: how often its pictures show the colours and digits their
prompts name. The figures in README.md come from it.

    python3 validator-gpu/train/measure.py validator-gpu/models/tiny [--seeds 4]

Pictures are drawn with train.py's PyTorch copy of Glia's sampler (8 DDIM steps, guidance 7.5,
seeds 0..N-1: the candle pipeline's pixels within a rounding step).

- Colours: each of the 8 colours as a circle and as a square on two backgrounds of another
  colour (8 x 2 x 2 prompts x N seeds); the shape's colour is the nearest palette colour to
  the median of the central 8x8 pixels, the background's to the median of the top and bottom
  4 rows. `vae_round_trip` is the ceiling: the same shapes drawn exactly, through the VAE.
- Digits: "the digit D" and "a red digit D on a white background" for D = 0..9 x N seeds,
  read by the ink's bounding square averaged down to 8x8 and a 5-nearest-neighbour vote over
  scikit-learn's 1,797 digits ("knn"), and by correlation with the ten class means ("templates",
  the reader in validator-gpu/src/sd/tests.rs). The kNN reader reads 97% of train.py's own
  digit pictures right, 94% after the VAE's round trip.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402
from diffusers import AutoencoderKL  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from transformers import CLIPTextConfig, CLIPTextModel  # noqa: E402

NAMES = list(T.COLOURS)
PALETTE = np.array([T.COLOURS[n] for n in NAMES], np.float32)
DIGITS = load_digits()
DX = DIGITS.images.reshape(len(DIGITS.images), 64) / 16.0
DY = DIGITS.target
TEMPLATES = np.round(np.stack([DX[DY == k].mean(0) for k in range(10)]) * 16)


def nearest(rgb):
    return NAMES[int(np.argmin(((PALETTE - rgb) ** 2).sum(1)))]


def digit_features(img):
    """The ink (distance from the border's median colour over its 97th percentile, at most 1)
    in the square around the ink above one half, averaged down to 8x8; None without ink."""
    img = img.astype(np.float32)
    border = np.concatenate([img[:3].reshape(-1, 3), img[-3:].reshape(-1, 3),
                             img[:, :3].reshape(-1, 3), img[:, -3:].reshape(-1, 3)])
    d = np.sqrt(((img - np.median(border, 0)) ** 2).sum(-1))
    ink = np.clip(d / max(np.percentile(d, 97), 1e-3), 0, 1)
    ys, xs = np.where(ink > 0.5)
    if len(ys) < 5:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    s = max(y1 - y0, x1 - x0)
    oy, ox = int(round((y0 + y1) / 2 - s / 2)), int(round((x0 + x1) / 2 - s / 2))
    crop = np.zeros((s, s), np.float32)
    for y in range(s):
        for x in range(s):
            if 0 <= oy + y < 64 and 0 <= ox + x < 64:
                crop[y, x] = ink[oy + y, ox + x]
    f = F.adaptive_avg_pool2d(torch.tensor(crop)[None, None], 8)[0, 0].numpy().reshape(64)
    return f / max(f.max(), 1e-3)


def read_knn(f):
    if f is None:
        return -1
    dist = ((DX / np.maximum(DX.max(1, keepdims=True), 1e-3) - f) ** 2).sum(1)
    return int(np.argmax(np.bincount(DY[np.argsort(dist)[:5]], minlength=10)))


def read_templates(f):
    if f is None:
        return -1
    t = TEMPLATES - TEMPLATES.mean(1, keepdims=True)
    fc = f - f.mean()
    return int(np.argmax((t @ fc) / (np.linalg.norm(t, axis=1) * np.linalg.norm(fc) + 1e-9)))


def load(model):
    vae = AutoencoderKL(**T.VAE)
    vae.load_state_dict(T.load_vae(os.path.join(model, T.FILES[2])))
    text = CLIPTextModel(CLIPTextConfig(**T.TEXT))
    text.load_state_dict(load_file(os.path.join(model, T.FILES[0])), strict=False)
    unet = T.make_unet()
    unet.load_state_dict(load_file(os.path.join(model, T.FILES[1])))
    return text.eval(), unet.eval(), vae.eval()


def colour_prompts():
    for c in NAMES:
        for b in [x for x in NAMES if x != c][::3][:2]:
            for shape in ("circle", "square"):
                yield c, shape, b


@torch.no_grad()
def measure(model, seeds):
    text, unet, vae = load(model)
    res = {"model": model}
    fg_ok = bg_ok = n = 0
    confusion = {}
    for c, shape, b in colour_prompts():
        for s in range(seeds):
            img = T.sample(text, unet, vae, f"{T.article(c)} {c} {shape} on {T.article(b)} {b} background", s)
            img = img.astype(np.float32)
            fg = nearest(np.median(img[28:36, 28:36].reshape(-1, 3), 0))
            bg = nearest(np.median(np.concatenate([img[:4].reshape(-1, 3), img[-4:].reshape(-1, 3)]), 0))
            fg_ok, bg_ok, n = fg_ok + (fg == c), bg_ok + (bg == b), n + 1
            confusion.setdefault(c, {}).setdefault(fg, 0)
            confusion[c][fg] += 1
    res["shape_colour"] = f"{fg_ok}/{n}"
    res["background_colour"] = f"{bg_ok}/{n}"
    res["shape_colour_as"] = confusion
    for key, prompt in (("digit", "the digit {}"), ("red_digit", "a red digit {} on a white background")):
        knn = tm = 0
        reads = {}
        for d in range(10):
            for s in range(seeds):
                f = digit_features(T.sample(text, unet, vae, prompt.format(d), s))
                k, t = read_knn(f), read_templates(f)
                knn, tm = knn + (k == d), tm + (t == d)
                reads.setdefault(d, []).append(k)
        res[f"{key}_knn"] = f"{knn}/{10 * seeds}"
        res[f"{key}_templates"] = f"{tm}/{10 * seeds}"
        res[f"{key}_reads"] = reads
    # The VAE's ceiling: the same shapes drawn exactly (radius 18, centred), encoded, decoded.
    g = (np.mgrid[0:64 * T.SS, 0:64 * T.SS].astype(np.float32) + 0.5) / T.SS
    fg_ok = bg_ok = n = 0
    for c, shape, b in colour_prompts():
        img = T.compose(T.shape_mask(shape, 32, 32, 18, g), np.array(T.COLOURS[c], np.float32),
                        np.array(T.COLOURS[b], np.float32))
        r = vae.decode(vae.encode(T.to_tensor(img[None])).latent_dist.mean).sample
        r = ((r / 2 + 0.5).clamp(0, 1) * 255)[0].permute(1, 2, 0).numpy()
        fg_ok += nearest(np.median(r[28:36, 28:36].reshape(-1, 3), 0)) == c
        bg_ok += nearest(np.median(np.concatenate([r[:4].reshape(-1, 3), r[-4:].reshape(-1, 3)]), 0)) == b
        n += 1
    res["vae_round_trip"] = {"shape_colour": f"{fg_ok}/{n}", "background_colour": f"{bg_ok}/{n}"}
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--seeds", type=int, default=4)
    a = ap.parse_args()
    print(json.dumps(measure(a.model, a.seeds)))


if __name__ == "__main__":
    sys.exit(main())
