"""PyTorch (diffusers) side of the image-generation benchmark, the same work as
`glia-gpu-bench sd`: Stable Diffusion 1.5's architecture with random weights of the real size
(CLIP text encoder, UNet, VAE), DDIM, classifier-free guidance (the UNet runs on a batch of 2),
one image per call, the prompt and the empty negative prompt encoded each call, and the image
read back to the host as 8-bit RGB. Prints one JSON object.

    python3 validator-gpu/bench/sd_torch.py --width 512 --height 512 --steps 20 --dtype f16

Attention is diffusers' default (PyTorch's scaled_dot_product_attention), in eager mode, as
the library runs out of the box.
"""
import argparse
import json
import statistics
import time

import torch
from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel

# Stable Diffusion 1.5 (runwayml/stable-diffusion-v1-5), as in its config files.
UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32,
)
VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, norm_num_groups=32,
    block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
)
TEXT = CLIPTextConfig(
    vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
    num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768,
)
VAE_SCALE = 0.18215


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=512)
    ap.add_argument("--height", type=int, default=512)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=7.5)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f16")
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a.dtype]
    dev = torch.device(a.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    t0 = time.perf_counter()
    torch.manual_seed(0)
    text = CLIPTextModel(TEXT).to(dev, dtype).eval()
    unet = UNet2DConditionModel(**UNET).to(dev, dtype).eval()
    vae = AutoencoderKL(**VAE).to(dev, dtype).eval()
    sched = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                          clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    sync()
    load_s = time.perf_counter() - t0

    # Token ids as glia's byte-level tokenizer gives them: start, bytes, end, end-padding.
    def ids(prompt):
        body = [256 + b for b in prompt.encode()][:75]
        row = [49406] + body + [49407]
        return torch.tensor([row + [49407] * (77 - len(row))], device=dev)

    prompt = "a lighthouse on a cliff at dusk, oil painting"

    @torch.no_grad()
    def generate(seed):
        cond = text(ids(prompt))[0]
        uncond = text(ids(""))[0]
        context = torch.cat([uncond, cond])
        g = torch.Generator(device=dev).manual_seed(seed)
        latents = torch.randn((1, 4, a.height // 8, a.width // 8), generator=g, device=dev, dtype=dtype)
        sched.set_timesteps(a.steps)
        latents = latents * sched.init_noise_sigma
        for t in sched.timesteps:
            x = sched.scale_model_input(torch.cat([latents, latents]), t)
            eps = unet(x, t, encoder_hidden_states=context).sample
            u, c = eps.chunk(2)
            latents = sched.step(u + a.guidance * (c - u), t, latents).prev_sample
        img = vae.decode(latents / VAE_SCALE).sample
        img = ((img.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
        return img[0].permute(1, 2, 0).cpu()

    generate(1000)  # warm-up: cuDNN/cuBLAS heuristics, allocator growth
    lat = []
    for seed in range(a.seeds):
        sync()
        t = time.perf_counter()
        generate(seed)
        sync()
        lat.append(time.perf_counter() - t)
    p50 = statistics.median(lat)
    print(json.dumps({
        "bench": "sd", "impl": "pytorch", "torch": torch.__version__, "family": "sd-1.5",
        "width": a.width, "height": a.height, "steps": a.steps, "guidance": a.guidance,
        "dtype": a.dtype, "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "load_s": load_s, "latency_p50_s": p50, "latencies_s": lat, "images_per_s_one_device": 1 / p50,
    }))


if __name__ == "__main__":
    main()
