"""Trains Glia's embedded `tiny` text-to-image model on CPU, reproducibly, and exports it in the
diffusers layout that validator-gpu's candle pipeline loads (`SdConfig::tiny()`).

    python3 -m venv /root/.cache/glia/train-venv && . /root/.cache/glia/train-venv/bin/activate
    pip install -r validator-gpu/train/requirements.txt
    python3 validator-gpu/train/train.py --out validator-gpu/models/tiny

The architecture is SD 1.5's cut down exactly as `SdConfig::tiny()` says (a 2-layer, 32-wide
CLIP text encoder over Glia's byte-level tokenizer, a 32/64-channel UNet, a 16-24-24-48-channel
KL VAE, 64x64 images = 8x8x4 latents), built with diffusers/transformers, whose tensor names are
the ones candle reads. The data are made here, from a fixed seed: shapes (circle, square,
triangle, cross, ring) in 8 colours on backgrounds of another colour ("a red circle on a blue
background"), and scikit-learn's bundled 8x8 handwritten digits, smoothed up to 64x64 ("the
digit 7": black ink on white; "a red digit 3 on a white background"); the VAE stage draws
24,000 images, 30% digits, the diffusion stage 32,000, 40% digits. Training, in order:

1. the VAE, as a plain autoencoder on the posterior's mean: L1 + MSE reconstruction and a
   small penalty on the latents' square (in place of the KL term); its latents are then
   rescaled (the mean channels of `quant_conv` and the inputs of `post_quant_conv`, which
   cancel) so that latents x 0.18215, the pipeline's VAE scale, have unit std; then its decoder
   alone is fine-tuned on whole images (700 steps), which leaves the latent space as it is;
2. the text encoder and the UNet together, as a latent diffusion model, 12,000 steps of 64:
   epsilon prediction, the scaled-linear schedule candle's DDIM uses (betas 0.00085..0.012 over
   1000 steps), the prompt replaced by "" 10% of the time (classifier-free guidance), an EMA
   of the weights kept. candle 0.9's UNet normalises the resnets of its down and up blocks
   with 32 groups whatever norm_num_groups says; make_unet() builds the same;
3. 1,500 more steps in which prompted predictions are trained towards
   eps_u + (2.5 / 7.5)(eps - eps_u) (eps_u: the model's own prediction for the empty prompt),
   so that the chain's guidance 7.5 acts as 2.5 and stops pushing colours out of the VAE's
   range; the exported weights are the average of the models before and after this step.

`--vae DIR` takes stage 1's result from an earlier run's output instead of training it again
(each stage draws from its own generator, so the result is the same). See README.md here for
the commands that made the shipped weights, timings and what the model draws; measure.py here
for the figures.

One thread (torch.set_num_threads(1)), fixed seeds, deterministic algorithms: a rerun on the
same machine and library versions writes the same bytes (the script prints each file's
sha256 and the registry hash). `--quick` runs a few steps of each stage (a smoke test).
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
torch.use_deterministic_algorithms(True)

from diffusers import AutoencoderKL, UNet2DConditionModel  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import CLIPTextConfig, CLIPTextModel  # noqa: E402

# ---------------------------------------------------------------------------------------------
# The architecture: SdConfig::tiny() in validator-gpu/src/sd/pipeline.rs.

UNET = dict(
    sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
    block_out_channels=(32, 64),
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=32, attention_head_dim=2, norm_num_groups=8, norm_eps=1e-5,
    flip_sin_to_cos=True, freq_shift=0, downsample_padding=1, mid_block_scale_factor=1.0,
    use_linear_projection=False, center_input_sample=False,
)
VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, norm_num_groups=8,
    block_out_channels=(16, 24, 24, 48), sample_size=64,
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
)
TEXT = dict(
    vocab_size=514, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
    num_attention_heads=2, max_position_embeddings=77, hidden_act="quick_gelu",
    projection_dim=32, layer_norm_eps=1e-5,
)
VAE_SCALE = 0.18215
GUIDANCE = 7.5  # the localnet's requests' guidance scale
TRAIN_STEPS = 1000
BOS, EOS, MAX_LEN = 512, 513, 77


def make_unet():
    """diffusers' UNet as candle 0.9 computes it: candle's DownBlock2D and UpBlock2D (and so
    the cross-attention blocks built on them) give their resnets GroupNorm's default of 32
    groups, ignoring norm_num_groups (unet_2d_blocks.rs); the mid block uses 8."""
    unet = UNet2DConditionModel(**UNET)
    for block in list(unet.down_blocks) + list(unet.up_blocks):
        for r in block.resnets:
            r.norm1.num_groups = 32
            r.norm2.num_groups = 32
    return unet


def alphas_cumprod():
    """candle's DDIM schedule: betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2."""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, TRAIN_STEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1.0 - betas, 0)


# ---------------------------------------------------------------------------------------------
# Glia's tokenizer (validator-gpu/src/sd/tokenizer.rs) over the tiny model's byte-level vocabulary
# with no merges: id = byte for a word's inner bytes, 256 + byte for its last, start 512, end 513,
# padded with the end token to 77.

def pre_tokenize(text):
    text = " ".join(text.split()).lower()
    out, i = [], 0
    other = lambda c: not c.isspace() and not c.isalpha() and not c.isnumeric()  # noqa: E731
    while i < len(text):
        rest = text[i:i + 16]
        special = next((s for s in ("<|startoftext|>", "<|endoftext|>") if rest.startswith(s)), None)
        if special:
            out.append(special)
            i += len(special)
            continue
        contraction = next((s for s in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d") if rest.startswith(s)), None)
        if contraction:
            out.append(contraction)
            i += len(contraction)
            continue
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c.isalpha():
            n = next((k for k in range(i, len(text)) if not text[k].isalpha()), len(text)) - i
        elif c.isnumeric():
            n = 1
        else:
            n = next((k for k in range(i, len(text)) if not other(text[k])), len(text)) - i
        out.append(text[i:i + n])
        i += n
    return out


def encode(text):
    ids = [BOS]
    for w in pre_tokenize(text):
        if w in ("<|startoftext|>", "<|endoftext|>"):
            continue
        b = w.encode("utf-8")
        ids += list(b[:-1]) + [256 + b[-1]]
    ids = ids[:MAX_LEN - 1] + [EOS]
    return ids + [EOS] * (MAX_LEN - len(ids))


# The Rust tokenizer's test pins the same ids (sd::tests::tiny_tokenizer_matches_training).
assert encode("the digit 7")[:8] == [512, 116, 104, 357, 100, 105, 103, 105]
assert encode("the digit 7")[8:12] == [372, 311, 513, 513]

# ---------------------------------------------------------------------------------------------
# Data.

COLOURS = {
    "red": (225, 30, 30), "green": (30, 165, 60), "blue": (35, 70, 225),
    "yellow": (245, 215, 35), "white": (245, 245, 245), "black": (15, 15, 15),
    "orange": (245, 135, 20), "purple": (135, 45, 185),
}
SHAPES = ("circle", "square", "triangle", "cross", "ring")
SS = 4  # supersampling for anti-aliased edges


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def shape_mask(shape, cx, cy, r, grid):
    """Coverage of `shape` centred at (cx, cy) with half-size r, on a supersampled grid."""
    y, x = grid
    dx, dy = x - cx, y - cy
    if shape == "circle":
        m = dx * dx + dy * dy <= r * r
    elif shape == "square":
        s = r * 0.88
        m = (np.abs(dx) <= s) & (np.abs(dy) <= s)
    elif shape == "triangle":
        # Upward, base 2r at cy + r*0.8, apex at cy - r*1.05.
        top, base = cy - r * 1.05, cy + r * 0.8
        t = (y - top) / (base - top)
        m = (t >= 0) & (t <= 1) & (np.abs(dx) <= t * r * 1.05)
    elif shape == "cross":
        w = r * 0.36
        m = ((np.abs(dx) <= w) & (np.abs(dy) <= r)) | ((np.abs(dy) <= w) & (np.abs(dx) <= r))
    elif shape == "ring":
        d2 = dx * dx + dy * dy
        m = (d2 <= r * r) & (d2 >= (r * 0.55) ** 2)
    else:
        raise ValueError(shape)
    m = m.astype(np.float32).reshape(64, SS, 64, SS)
    return m.mean(axis=(1, 3))


def jitter_colour(rgb, rng):
    return np.clip(np.array(rgb, np.float32) + rng.normal(0, 6, 3), 0, 255)


def compose(mask, fg, bg):
    img = bg[None, None, :] * (1 - mask[..., None]) + fg[None, None, :] * mask[..., None]
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def make_dataset(n, rng, digit_share=0.3):
    """n (image, prompt) pairs: shapes, and digits with probability `digit_share` (half of
    them "the digit N", black on white)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    dimg = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0  # N,1,8,8 in [0,1]
    dlab = digits.target
    g = (np.mgrid[0:64 * SS, 0:64 * SS].astype(np.float32) + 0.5) / SS
    names = list(COLOURS)
    images = np.zeros((n, 64, 64, 3), np.uint8)
    prompts = []
    for i in range(n):
        fgn, bgn = rng.choice(len(names), 2, replace=False)
        fgn, bgn = names[fgn], names[bgn]
        fg, bg = jitter_colour(COLOURS[fgn], rng), jitter_colour(COLOURS[bgn], rng)
        if rng.random() < 1.0 - digit_share:
            shape = SHAPES[rng.integers(len(SHAPES))]
            r = rng.uniform(14, 22)
            cx, cy = 32 + rng.uniform(-6, 6), 32 + rng.uniform(-6, 6)
            mask = shape_mask(shape, cx, cy, r, g)
            images[i] = compose(mask, fg, bg)
            prompts.append(f"{article(fgn)} {fgn} {shape} on {article(bgn)} {bgn} background")
        else:
            k = rng.integers(len(dlab))
            size = int(rng.integers(40, 53))
            d = F.interpolate(dimg[k:k + 1], size=(size, size), mode="bicubic", align_corners=False)
            d = d.clamp(0, 1)[0, 0].numpy()
            # Sharpen the smooth strokes into ink: a soft threshold.
            d = np.clip((d - 0.3) / 0.3, 0, 1)
            mask = np.zeros((64, 64), np.float32)
            ox = int(32 - size // 2 + rng.integers(-3, 4))
            oy = int(32 - size // 2 + rng.integers(-3, 4))
            ox, oy = min(max(ox, 0), 64 - size), min(max(oy, 0), 64 - size)
            mask[oy:oy + size, ox:ox + size] = d
            if rng.random() < 0.5:
                fg, bg = jitter_colour(COLOURS["black"], rng), jitter_colour(COLOURS["white"], rng)
                prompts.append(f"the digit {dlab[k]}")
            else:
                prompts.append(f"{article(fgn)} {fgn} digit {dlab[k]} on {article(bgn)} {bgn} background")
            images[i] = compose(mask, fg, bg)
    return images, prompts


def to_tensor(images):
    return torch.tensor(images, dtype=torch.float32).permute(0, 3, 1, 2) / 127.5 - 1.0


# ---------------------------------------------------------------------------------------------
# Training.

def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def cosine_lr(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def train_vae(vae, images, steps, batch, gen, full_steps, full_batch):
    """`steps` on random 32x32 crops (the VAE is convolutional; a quarter of the cost), then
    `full_steps` on whole 64x64 images."""
    opt = torch.optim.AdamW(vae.parameters(), lr=2e-3, weight_decay=0.0)
    n = len(images)
    t0 = time.time()
    total = steps + full_steps
    for step in range(total):
        for grp in opt.param_groups:
            grp["lr"] = cosine_lr(step, total, 2e-3, 100)
        if step < steps:
            idx = torch.randint(0, n, (batch,), generator=gen)
            oy, ox = (int(v) for v in torch.randint(0, 33, (2,), generator=gen))
            x = to_tensor(images[idx.numpy(), oy:oy + 32, ox:ox + 32])
        else:
            idx = torch.randint(0, n, (full_batch,), generator=gen)
            x = to_tensor(images[idx.numpy()])
        # Deterministic: the decoder reads the posterior's mean (the diffusion model is trained
        # on means too); a small penalty on its square keeps the latents' scale in check.
        z = vae.encode(x).latent_dist.mean
        rec = vae.decode(z).sample
        l1 = (rec - x).abs().mean()
        mse = ((rec - x) ** 2).mean()
        kl = (z ** 2).mean()
        loss = l1 + mse + 1e-4 * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if step % 200 == 0 or step == total - 1:
            log(f"vae step {step}/{total} l1 {l1.item():.4f} mse {mse.item():.5f} z^2 {kl.item():.3f} "
                f"({time.time() - t0:.0f} s)")


def finetune_decoder(vae, images, latents, steps, batch, gen, lr=5e-4):
    """Trains only the decoder side (post_quant_conv and the decoder) on whole images from the
    encoder's latents: the latent space, and so the diffusion stage, stays as it is, while
    colours the first pass decodes off (red grounds orange-red, yellow ones amber) come back
    truer. (What the encoder itself blurs, red on white against orange on white, stays.)"""
    params = list(vae.post_quant_conv.parameters()) + list(vae.decoder.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    n = len(images)
    t0 = time.time()
    for step in range(steps):
        for grp in opt.param_groups:
            grp["lr"] = cosine_lr(step, steps, lr, 50)
        idx = torch.randint(0, n, (batch,), generator=gen)
        x = to_tensor(images[idx.numpy()])
        rec = vae.decode(latents[idx]).sample
        l1 = (rec - x).abs().mean()
        mse = ((rec - x) ** 2).mean()
        loss = l1 + mse
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"decoder step {step}/{steps} l1 {l1.item():.4f} mse {mse.item():.5f} "
                f"({time.time() - t0:.0f} s)")


@torch.no_grad()
def encode_latents(vae, images, batch=256):
    out = []
    for i in range(0, len(images), batch):
        out.append(vae.encode(to_tensor(images[i:i + batch])).latent_dist.mean)
    return torch.cat(out)


@torch.no_grad()
def rescale_vae(vae, latents):
    """Scales the latent space so that latents * VAE_SCALE have unit std; the decoder's output
    is unchanged (post_quant_conv undoes the factor)."""
    s = float(1.0 / (latents.std() * VAE_SCALE))
    q, pq = vae.quant_conv, vae.post_quant_conv
    q.weight[:4] *= s
    q.bias[:4] *= s
    q.bias[4:] += 2 * math.log(s)  # log-variance of the scaled posterior
    pq.weight /= s
    return s


def train_diffusion(text, unet, latents, ids, steps, batch, gen, lr, ema_decay=0.999,
                    snapshot=None, snapshot_every=0, guide=0.0):
    """`snapshot(step)`, if given, is called every `snapshot_every` steps with the EMA weights
    swapped into `text` and `unet` (they are swapped back after; training is unchanged).

    `guide` = k > 0 trains the prompted prediction towards eps_u + k (eps - eps_u), eps_u the
    model's own (no-gradient) prediction for the empty prompt, instead of towards eps; the
    empty prompt's prediction is trained as usual. The sampler's guided prediction
    eps_u + w (eps_c - eps_u) is then the plain conditional one guided by w * k: with w = 7.5
    (the chain's requests) and k = 2.5 / 7.5 the pictures get the mild guidance of 2.5, whose
    colours stay in the range the VAE decodes, where 7.5 on a plainly trained model overshoots
    them (white grounds turn cream to yellow, reds orange)."""
    params = list(text.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    ema = [p.detach().clone() for p in params]
    acp = alphas_cumprod().float()
    empty = torch.tensor([encode("")])
    n = len(latents)
    t0 = time.time()
    avg = None
    for step in range(steps):
        for grp in opt.param_groups:
            grp["lr"] = cosine_lr(step, steps, lr, 200)
        idx = torch.randint(0, n, (batch,), generator=gen)
        x0 = latents[idx] * VAE_SCALE
        tok = ids[idx].clone()
        drop = torch.rand(batch, generator=gen) < 0.1
        tok[drop] = empty
        t = torch.randint(0, TRAIN_STEPS, (batch,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        a = acp[t].view(-1, 1, 1, 1)
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        target = eps
        if guide:
            with torch.no_grad():
                ctx_u = text(empty.expand(batch, -1)).last_hidden_state
                pred_u = unet(xt, t, encoder_hidden_states=ctx_u).sample
            guided = pred_u + guide * (eps - pred_u)
            target = torch.where(drop.view(-1, 1, 1, 1), eps, guided)
        ctx = text(tok).last_hidden_state
        pred = unet(xt, t, encoder_hidden_states=ctx).sample
        loss = F.mse_loss(pred, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            d = min(ema_decay, (1 + step) / (10 + step))
            for e, p in zip(ema, params):
                e.mul_(d).add_(p.detach(), alpha=1 - d)
        avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
        if step % 250 == 0 or step == steps - 1:
            log(f"diffusion step {step}/{steps} loss {avg:.4f} ({time.time() - t0:.0f} s)")
        if snapshot and snapshot_every and (step + 1) % snapshot_every == 0 and step + 1 < steps:
            with torch.no_grad():
                live = [p.detach().clone() for p in params]
                for e, p in zip(ema, params):
                    p.copy_(e)
                text.eval()
                unet.eval()
                snapshot(step + 1)
                text.train()
                unet.train()
                for v, p in zip(live, params):
                    p.copy_(v)
    with torch.no_grad():
        for e, p in zip(ema, params):
            p.copy_(e)


# ---------------------------------------------------------------------------------------------
# Sampling as candle does it (validator-gpu/src/sd/pipeline.rs): SplitMix64 + Box-Muller initial
# latents, DDIM with "leading" spacing and offset 1, guidance on the empty negative prompt.

class SeededNormal:
    M = (1 << 64) - 1

    def __init__(self, seed, stream):
        self.state = (seed ^ (stream * 0xD1B54A32D192ED03)) & self.M
        self.spare = None

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.M
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.M
        return z ^ (z >> 31)

    def sample(self):
        if self.spare is not None:
            s, self.spare = self.spare, None
            return s
        u = ((self.next_u64() >> 11) + 1.0) / float(1 << 53)
        v = ((self.next_u64() >> 11) + 1.0) / float(1 << 53)
        r = math.sqrt(-2.0 * math.log(u))
        t = 2.0 * math.pi * v
        self.spare = r * math.sin(t)
        return r * math.cos(t)


@torch.no_grad()
def sample(text, unet, vae, prompt, seed, steps=8, guidance=7.5):
    acp = alphas_cumprod()
    ratio = TRAIN_STEPS // steps
    timesteps = [s * ratio + 1 for s in range(steps)][::-1]
    sn = SeededNormal(seed, 0)
    lat = torch.tensor([sn.sample() for _ in range(4 * 8 * 8)], dtype=torch.float32).view(1, 4, 8, 8)
    ctx = text(torch.tensor([encode(""), encode(prompt)])).last_hidden_state
    for t in timesteps:
        e = unet(torch.cat([lat, lat]), t, encoder_hidden_states=ctx).sample
        e = e[:1] + guidance * (e[1:] - e[:1])
        a, ap = float(acp[t]), float(acp[max(t - ratio, 0)])
        x0 = (lat - e * math.sqrt(1 - a)) / math.sqrt(a)
        lat = x0 * math.sqrt(ap) + e * math.sqrt(1 - ap)
    img = vae.decode(lat / VAE_SCALE).sample
    img = ((img / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    return img[0].permute(1, 2, 0).numpy()


# ---------------------------------------------------------------------------------------------
# Export.

def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# The VAE's mid-block attention under the names the generated tiny model used (candle reads
# either these or diffusers' newer to_q/to_k/to_v/to_out.0).
VAE_ATTN_NAMES = {"to_q.": "query.", "to_k.": "key.", "to_v.": "value.", "to_out.0.": "proj_attn."}


def load_vae(path):
    sd = {}
    for k, v in load_file(path).items():
        for old, new in VAE_ATTN_NAMES.items():
            k = k.replace("." + new, "." + old) if ".attentions." in k else k
        sd[k] = v
    return sd


def save(module, path, rename_attention=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sd = {}
    for k, v in module.state_dict().items():
        if rename_attention and ".attentions." in k:
            for old, new in VAE_ATTN_NAMES.items():
                k = k.replace("." + old, "." + new)
        sd[k] = v.detach().float().contiguous().clone()
    save_file(sd, path)


FILES = ["text_encoder/model.safetensors", "unet/diffusion_pytorch_model.safetensors",
         "vae/diffusion_pytorch_model.safetensors", "tokenizer/vocab.json", "tokenizer/merges.txt"]


def byte_chars():
    out, extra = [], 0
    for b in range(256):
        if (33 <= b <= 126) or (0xA1 <= b <= 0xAC) or (0xAE <= b <= 0xFF):
            out.append(chr(b))
        else:
            extra += 1
            out.append(chr(255 + extra))
    return out


def write_tokenizer(out):
    """The byte-level vocabulary exactly as tokenizer::byte_level_files() writes it (serde_json,
    keys sorted by code point, compact)."""
    chars = byte_chars()
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": 256 + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"], vocab["<|endoftext|>"] = BOS, EOS
    text = json.dumps(dict(sorted(vocab.items())), ensure_ascii=False, separators=(",", ":"))
    os.makedirs(os.path.join(out, "tokenizer"), exist_ok=True)
    with open(os.path.join(out, "tokenizer/vocab.json"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out, "tokenizer/merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")


def model_sha256(out):
    h = hashlib.sha256()
    for f in FILES:
        h.update(f"{f}\n{sha256(os.path.join(out, f))}\n".encode())
    return h.hexdigest()


def export(out, text, unet, vae):
    save(text, os.path.join(out, FILES[0]))
    save(unet, os.path.join(out, FILES[1]))
    save(vae, os.path.join(out, FILES[2]), rename_attention=True)
    write_tokenizer(out)
    with open(os.path.join(out, "model_index.json"), "w") as f:
        f.write('{"_class_name": "StableDiffusionPipeline", "_glia_family": "tiny"}\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="validator-gpu/models/tiny")
    ap.add_argument("--seed", type=int, default=20251203)
    ap.add_argument("--images", type=int, default=32000, help="images for the diffusion stage")
    ap.add_argument("--digit-share", type=float, default=0.4,
                    help="share of digits among the diffusion stage's images")
    ap.add_argument("--vae-images", type=int, default=24000, help="images for the VAE stage")
    ap.add_argument("--vae-digit-share", type=float, default=0.3,
                    help="share of digits among the VAE stage's images")
    ap.add_argument("--vae-steps", type=int, default=2400, help="VAE steps on 32x32 crops")
    ap.add_argument("--vae-batch", type=int, default=16)
    ap.add_argument("--vae-full-steps", type=int, default=300, help="then on whole images")
    ap.add_argument("--vae-full-batch", type=int, default=8)
    ap.add_argument("--vae", default=None,
                    help="take the trained VAE from this model directory (an earlier run's "
                         "output with the same seed) instead of training it again")
    ap.add_argument("--decoder-steps", type=int, default=None,
                    help="then fine-tune the VAE's decoder alone on whole images (default 700; "
                         "0 with --vae, whose decoder is taken as final)")
    ap.add_argument("--decoder-batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=12000, help="diffusion steps")
    ap.add_argument("--lr", type=float, default=1.5e-3, help="diffusion learning rate")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--samples", default=None, help="write a PNG grid of torch-side samples here")
    ap.add_argument("--init", default=None,
                    help="start the text encoder and UNet from this model directory")
    ap.add_argument("--guidance-target", type=float, default=0.0,
                    help="G > 0: train prompted predictions towards eps_u + G/7.5 (eps - eps_u), "
                         "so that the chain's guidance 7.5 acts as G (see train_diffusion; "
                         "0 = plain epsilon prediction)")
    ap.add_argument("--finetune-steps", type=int, default=1500,
                    help="then continue from the result with --guidance-target "
                         "--finetune-guidance for this many steps and blend the two (0: no)")
    ap.add_argument("--finetune-guidance", type=float, default=2.5)
    ap.add_argument("--finetune-lr", type=float, default=5e-4)
    ap.add_argument("--blend-with", default=None,
                    help="after training, average the text encoder and UNet with this model "
                         "directory's: (1 - a) * theirs + a * ours, a = --blend")
    ap.add_argument("--blend", type=float, default=0.5,
                    help="the fine-tuned (or this run's) share of a blend")
    ap.add_argument("--snapshots", default=None,
                    help="write the EMA model every --snapshot-every steps to DIR/step-N")
    ap.add_argument("--snapshot-every", type=int, default=2000)
    ap.add_argument("--quick", action="store_true", help="smoke test: a few steps of each stage")
    a = ap.parse_args()
    if a.quick:
        a.images, a.vae_images, a.vae_steps, a.vae_full_steps, a.steps = 512, 512, 20, 5, 20
        a.decoder_steps = 5 if a.decoder_steps is None else min(a.decoder_steps, 5)
        a.finetune_steps = min(a.finetune_steps, 10)
    if a.decoder_steps is None:
        a.decoder_steps = 0 if a.vae else 700
    t_all = time.time()
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)

    # Each stage draws its data from the seed: the VAE stage the mix the shipped VAE was trained
    # on (24,000 images, 30% digits), the diffusion stage its own (more digits).
    data = {}

    def dataset(n, share):
        if (n, share) not in data:
            log(f"making {n} images, {share:.0%} digits")
            data[(n, share)] = make_dataset(n, np.random.default_rng(a.seed), share)
            log(f"first prompts: {data[(n, share)][1][:4]}")
        return data[(n, share)]

    vae = AutoencoderKL(**VAE)
    text = CLIPTextModel(CLIPTextConfig(**TEXT))
    unet = make_unet()
    for name, m in (("vae", vae), ("text", text), ("unet", unet)):
        log(f"{name}: {sum(p.numel() for p in m.parameters())} parameters")

    if a.vae:
        # Stage 1's result from an earlier run with the same seed and data: the same bytes
        # this run would compute (the diffusion stage draws from its own generator).
        vae.load_state_dict(load_vae(os.path.join(a.vae, FILES[2])))
        vae.eval()
        log(f"vae loaded from {a.vae}")
    else:
        t = time.time()
        images, _ = dataset(a.vae_images, a.vae_digit_share)
        vae.train()
        train_vae(vae, images, a.vae_steps, a.vae_batch, gen, a.vae_full_steps, a.vae_full_batch)
        vae.eval()
        log(f"vae trained in {time.time() - t:.0f} s")
        s = rescale_vae(vae, encode_latents(vae, images))
        log(f"latent space rescaled by {s:.3f}")
    if a.decoder_steps:
        t = time.time()
        images, _ = dataset(a.vae_images, a.vae_digit_share)
        gen_d = torch.Generator().manual_seed(a.seed + 2)
        finetune_decoder(vae, images, encode_latents(vae, images), a.decoder_steps,
                         a.decoder_batch, gen_d)
        vae.eval()
        log(f"decoder fine-tuned in {time.time() - t:.0f} s")
    images, prompts = dataset(a.images, a.digit_share)
    ids = torch.tensor([encode(p) for p in prompts])
    # (With no diffusion steps only the sample grid's eight latents are needed.)
    latents = encode_latents(vae, images if a.steps or a.finetune_steps else images[:8])
    log(f"latents: std x scale = {(latents.std() * VAE_SCALE).item():.3f}")
    gen = torch.Generator().manual_seed(a.seed + 1)

    if a.init:
        text.load_state_dict(load_file(os.path.join(a.init, FILES[0])))
        unet.load_state_dict(load_file(os.path.join(a.init, FILES[1])))
        log(f"text encoder and unet loaded from {a.init}")

    def snapshot(step):
        d = os.path.join(a.snapshots, f"step-{step}")
        export(d, text, unet, vae)
        log(f"snapshot {d}: registry hash {model_sha256(d)}")

    t = time.time()
    text.train()
    unet.train()
    train_diffusion(text, unet, latents, ids, a.steps, a.batch, gen, a.lr,
                    snapshot=snapshot if a.snapshots else None, snapshot_every=a.snapshot_every,
                    guide=a.guidance_target / GUIDANCE)
    text.eval()
    unet.eval()
    log(f"text encoder + unet trained in {time.time() - t:.0f} s")

    def blend(theirs, what):
        # A weight average of two models from the same start: the plain model and the one
        # fine-tuned with a guidance target land between the two guidances (see README.md).
        with torch.no_grad():
            for m, f in ((text, FILES[0]), (unet, FILES[1])):
                for k, v in m.state_dict().items():
                    v.copy_((1 - a.blend) * theirs[f][k] + a.blend * v)
        log(f"text encoder and unet blended with {what} ({a.blend} of the fine-tuned)")

    if a.finetune_steps:
        # The same as a second invocation --init <this output> --steps N --lr L
        # --guidance-target G --blend-with <this output> (the diffusion generator restarts).
        base = {f: {k: v.detach().clone() for k, v in m.state_dict().items()}
                for m, f in ((text, FILES[0]), (unet, FILES[1]))}
        gen = torch.Generator().manual_seed(a.seed + 1)
        t = time.time()
        text.train()
        unet.train()
        train_diffusion(text, unet, latents, ids, a.finetune_steps, a.batch, gen, a.finetune_lr,
                        guide=a.finetune_guidance / GUIDANCE)
        text.eval()
        unet.eval()
        log(f"fine-tuned for guidance {a.finetune_guidance} in {time.time() - t:.0f} s")
        blend(base, "the model before")
    if a.blend_with:
        blend({f: load_file(os.path.join(a.blend_with, f)) for f in FILES[:2]}, a.blend_with)

    out = a.out
    export(out, text, unet, vae)
    for f in FILES:
        log(f"{f}: {os.path.getsize(os.path.join(out, f))} bytes, sha256 {sha256(os.path.join(out, f))}")
    log(f"registry hash (model_sha256) {model_sha256(out)}")

    if a.samples:
        from PIL import Image

        rows = ["a red circle on a blue background", "a green square on a white background",
                "a yellow triangle on a black background", "a white cross on a purple background",
                "an orange ring on a green background", "the digit 7",
                "a red digit 3 on a white background"]
        grid = np.full((len(rows) * 68 + 4, 4 * 68 + 4, 3), 255, np.uint8)
        for r, p in enumerate(rows):
            for c in range(4):
                grid[4 + r * 68:4 + r * 68 + 64, 4 + c * 68:4 + c * 68 + 64] = sample(text, unet, vae, p, c)
        Image.fromarray(grid).save(a.samples)
        Image.fromarray(sample(text, unet, vae, rows[0], 0)).save(a.samples.replace(".png", "-parity.png"))
        recon = vae.decode(latents[:8] * 1.0).sample
        recon = ((recon / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        pair = np.concatenate([np.concatenate(list(images[:8]), 1), np.concatenate(list(recon), 1)], 0)
        Image.fromarray(pair).save(a.samples.replace(".png", "-vae.png"))
        log(f"samples in {a.samples}")
    log(f"done in {time.time() - t_all:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
