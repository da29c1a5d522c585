"""PyTorch reference of EDM2's denoiser (Karras et al. 2024, "Analyzing and Improving the Training
Dynamics of Diffusion Models"): the magnitude-preserving U-Net and its EDM preconditioning.

Written from the paper's equations and from reading NVlabs/edm2 (training/networks_edm2.py) for the
facts a checkpoint fixes: module and parameter names (so an EDM2 state dict loads here with
strict=True, keys unchanged), constructor keywords and defaults, the channel layout of the
attention's qkv, the order of blocks. Training-only behaviour (forced weight normalisation writing
back into the parameters, dropout) is left out; the uncertainty head (logvar_*) exists so that the
keys match, and is never run by `forward`.

Precision: every step runs in the dtype of the parameters. In float32 the result matches EDM2 run in
float32 (use_fp16 is only recorded); in float64 every step, including the norms and the Fourier
features EDM2 pins to float32, stays in float64: the exact answer golden fixtures are made from.

The pieces, as used below (eps = 1e-4 throughout):
  normalize(x, dim)  x / (eps + ||x||_dim / sqrt(n)),  n = elements per normalised vector
  MPConv(x, gain)    x * W',  W' = normalize(W) * gain / sqrt(fan_in)   (per output channel)
  mp_silu(x)         silu(x) / 0.596
  mp_sum(a, b, t)    ((1 - t) a + t b) / sqrt((1 - t)^2 + t^2)
  mp_cat(a, b, t)    [a * C (1 - t) / sqrt(Na), b * C t / sqrt(Nb)],  C = sqrt((Na + Nb) / ((1 - t)^2 + t^2))
  MPFourier(c)       sqrt(2) cos(c * freqs + phases)   (freqs and phases are stored buffers)
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-4

# Keyword arguments of EDM2's UNet / Block / Precond constructors and their defaults. Every one of
# them that changes the forward pass is a key of a converted model's config.json.
UNET_DEFAULTS = {
    "model_channels": 192,
    "channel_mult": [1, 2, 3, 4],
    "channel_mult_noise": None,
    "channel_mult_emb": None,
    "num_blocks": 3,
    "attn_resolutions": [16, 8],
    "label_balance": 0.5,
    "concat_balance": 0.5,
}
BLOCK_DEFAULTS = {
    "resample_filter": [1, 1],
    "channels_per_head": 64,
    "dropout": 0.0,
    "res_balance": 0.3,
    "attn_balance": 0.3,
    "clip_act": 256,
}
PRECOND_DEFAULTS = {
    "use_fp16": True,
    "sigma_data": 0.5,
    "logvar_channels": 128,
}
REQUIRED = ("img_resolution", "img_channels", "label_dim")


def full_config(cfg):
    """cfg with every default filled in (unknown keys are an error: they would be ignored silently)."""
    known = set(REQUIRED) | set(UNET_DEFAULTS) | set(BLOCK_DEFAULTS) | set(PRECOND_DEFAULTS) | {"kind"}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ValueError(f"unknown EDM2 config keys: {unknown}")
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise ValueError(f"missing EDM2 config keys: {missing}")
    out = {"kind": "edm2"}
    for k in REQUIRED:
        out[k] = cfg[k]
    for table in (UNET_DEFAULTS, BLOCK_DEFAULTS, PRECOND_DEFAULTS):
        for k, v in table.items():
            out[k] = cfg.get(k, v)
    return out


def normalize(x, dim=None):
    if dim is None:
        dim = list(range(1, x.ndim))
    norm = torch.linalg.vector_norm(x, dim=dim, keepdim=True)
    n = norm.numel() / x.numel()  # 1 / (elements per vector)
    return x / (EPS + norm * math.sqrt(n))


def mp_silu(x):
    return F.silu(x) / 0.596


def mp_sum(a, b, t):
    return (a * (1 - t) + b * t) / math.sqrt((1 - t) ** 2 + t ** 2)


def mp_cat(a, b, t):
    na, nb = a.shape[1], b.shape[1]
    c = math.sqrt((na + nb) / ((1 - t) ** 2 + t ** 2))
    return torch.cat([a * (c * (1 - t) / math.sqrt(na)), b * (c * t / math.sqrt(nb))], dim=1)


def resample(x, filt, mode):
    """EDM2's separable-filter resampling; for the [1, 1] filter of every released model this is
    2x2 average pooling ('down') or nearest-neighbour 2x up-sampling ('up')."""
    if mode == "keep":
        return x
    f = torch.as_tensor(np.asarray(filt, dtype=np.float64), dtype=x.dtype, device=x.device)
    assert f.ndim == 1 and len(f) % 2 == 0
    pad = (len(f) - 1) // 2
    f = f / f.sum()
    k = torch.outer(f, f)[None, None].repeat(x.shape[1], 1, 1, 1)
    if mode == "down":
        return F.conv2d(x, k, groups=x.shape[1], stride=2, padding=pad)
    return F.conv_transpose2d(x, k * 4, groups=x.shape[1], stride=2, padding=pad)


class MPFourier(nn.Module):
    def __init__(self, num_channels, bandwidth=1):
        super().__init__()
        self.register_buffer("freqs", 2 * math.pi * torch.randn(num_channels) * bandwidth)
        self.register_buffer("phases", 2 * math.pi * torch.rand(num_channels))

    def forward(self, c):
        return torch.cos(torch.outer(c.to(self.freqs.dtype), self.freqs) + self.phases) * math.sqrt(2)


class MPConv(nn.Module):
    """A weight-normalised, magnitude-preserving linear (kernel []) or convolution ([k, k], odd k,
    'same' padding) without bias."""

    def __init__(self, in_channels, out_channels, kernel):
        super().__init__()
        self.out_channels = out_channels
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, *kernel))

    def effective_weight(self, gain=1.0):
        w = normalize(self.weight)
        return w * (gain / math.sqrt(w[0].numel()))

    def forward(self, x, gain=1.0):
        w = self.effective_weight(gain).to(x.dtype)
        if w.ndim == 2:
            return x @ w.t()
        return F.conv2d(x, w, padding=w.shape[-1] // 2)


class Block(nn.Module):
    def __init__(self, in_channels, out_channels, emb_channels, flavor="enc", resample_mode="keep",
                 resample_filter=(1, 1), attention=False, channels_per_head=64, dropout=0.0,
                 res_balance=0.3, attn_balance=0.3, clip_act=256):
        super().__init__()
        self.out_channels = out_channels
        self.flavor = flavor
        self.resample_filter = list(resample_filter)
        self.resample_mode = resample_mode
        self.num_heads = out_channels // channels_per_head if attention else 0
        self.res_balance = res_balance
        self.attn_balance = attn_balance
        self.clip_act = clip_act
        self.emb_gain = nn.Parameter(torch.zeros([]))
        self.conv_res0 = MPConv(out_channels if flavor == "enc" else in_channels, out_channels, [3, 3])
        self.emb_linear = MPConv(emb_channels, out_channels, [])
        self.conv_res1 = MPConv(out_channels, out_channels, [3, 3])
        self.conv_skip = MPConv(in_channels, out_channels, [1, 1]) if in_channels != out_channels else None
        self.attn_qkv = MPConv(out_channels, out_channels * 3, [1, 1]) if self.num_heads else None
        self.attn_proj = MPConv(out_channels, out_channels, [1, 1]) if self.num_heads else None
        # not in EDM2: perturbed-attention guidance (Ahn et al. 2024) replaces the attention map by the identity
        self.identity_attention = False

    def forward(self, x, emb):
        x = resample(x, self.resample_filter, self.resample_mode)
        if self.flavor == "enc":
            if self.conv_skip is not None:
                x = self.conv_skip(x)
            x = normalize(x, dim=1)  # pixel norm
        y = self.conv_res0(mp_silu(x))
        c = self.emb_linear(emb, gain=self.emb_gain) + 1
        y = mp_silu(y * c[:, :, None, None])
        y = self.conv_res1(y)
        if self.flavor == "dec" and self.conv_skip is not None:
            x = self.conv_skip(x)
        x = mp_sum(x, y, self.res_balance)
        if self.num_heads:
            n, ch, h, w = x.shape
            # qkv channels are (head, head_dim, 3): q, k and v of one channel sit side by side
            qkv = self.attn_qkv(x).reshape(n, self.num_heads, ch // self.num_heads, 3, h * w)
            q, k, v = normalize(qkv, dim=2).unbind(3)
            if self.identity_attention:  # perturbed-attention guidance's identity map: y = v
                y = v
            else:
                logits = torch.einsum("nhct,nhcs->nhts", q, k) / math.sqrt(q.shape[2])
                y = torch.einsum("nhts,nhcs->nhct", logits.softmax(dim=3), v)
            x = mp_sum(x, self.attn_proj(y.reshape(n, ch, h, w)), self.attn_balance)
        if self.clip_act is not None:
            x = x.clamp(-self.clip_act, self.clip_act)
        return x


class UNet(nn.Module):
    def __init__(self, img_resolution, img_channels, label_dim, model_channels=192,
                 channel_mult=(1, 2, 3, 4), channel_mult_noise=None, channel_mult_emb=None,
                 num_blocks=3, attn_resolutions=(16, 8), label_balance=0.5, concat_balance=0.5,
                 **block_kwargs):
        super().__init__()
        cblock = [model_channels * m for m in channel_mult]
        cnoise = model_channels * channel_mult_noise if channel_mult_noise is not None else cblock[0]
        cemb = model_channels * channel_mult_emb if channel_mult_emb is not None else max(cblock)
        self.label_balance = label_balance
        self.concat_balance = concat_balance
        self.out_gain = nn.Parameter(torch.zeros([]))
        self.emb_fourier = MPFourier(cnoise)
        self.emb_noise = MPConv(cnoise, cemb, [])
        self.emb_label = MPConv(label_dim, cemb, []) if label_dim != 0 else None

        self.enc = nn.ModuleDict()
        cout = img_channels + 1  # the constant-ones channel
        for level, channels in enumerate(cblock):
            res = img_resolution >> level
            if level == 0:
                cin, cout = cout, channels
                self.enc[f"{res}x{res}_conv"] = MPConv(cin, cout, [3, 3])
            else:
                self.enc[f"{res}x{res}_down"] = Block(cout, cout, cemb, flavor="enc", resample_mode="down",
                                                      **block_kwargs)
            for i in range(num_blocks):
                cin, cout = cout, channels
                self.enc[f"{res}x{res}_block{i}"] = Block(cin, cout, cemb, flavor="enc",
                                                          attention=res in attn_resolutions, **block_kwargs)

        self.dec = nn.ModuleDict()
        skips = [m.out_channels for m in self.enc.values()]
        for level in reversed(range(len(cblock))):
            channels = cblock[level]
            res = img_resolution >> level
            if level == len(cblock) - 1:
                self.dec[f"{res}x{res}_in0"] = Block(cout, cout, cemb, flavor="dec", attention=True, **block_kwargs)
                self.dec[f"{res}x{res}_in1"] = Block(cout, cout, cemb, flavor="dec", **block_kwargs)
            else:
                self.dec[f"{res}x{res}_up"] = Block(cout, cout, cemb, flavor="dec", resample_mode="up",
                                                    **block_kwargs)
            for i in range(num_blocks + 1):
                cin, cout = cout + skips.pop(), channels
                self.dec[f"{res}x{res}_block{i}"] = Block(cin, cout, cemb, flavor="dec",
                                                          attention=res in attn_resolutions, **block_kwargs)
        self.out_conv = MPConv(cout, img_channels, [3, 3])

    def forward(self, x, noise_labels, class_labels):
        emb = self.emb_noise(self.emb_fourier(noise_labels))
        if self.emb_label is not None:
            emb = mp_sum(emb, self.emb_label(class_labels * math.sqrt(class_labels.shape[1])), self.label_balance)
        emb = mp_silu(emb)
        x = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
        skips = []
        for name, block in self.enc.items():
            x = block(x) if name.endswith("_conv") else block(x, emb)
            skips.append(x)
        for name, block in self.dec.items():
            if "block" in name:
                x = mp_cat(x, skips.pop(), self.concat_balance)
            x = block(x, emb)
        return self.out_conv(x, gain=self.out_gain)


class Precond(nn.Module):
    """D(x; sigma, c) = c_skip x + c_out F(c_in x; c_noise, c), sigma_data-scaled as in EDM."""

    def __init__(self, img_resolution, img_channels, label_dim, use_fp16=True, sigma_data=0.5,
                 logvar_channels=128, **unet_kwargs):
        super().__init__()
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.label_dim = label_dim
        self.use_fp16 = use_fp16
        self.sigma_data = sigma_data
        self.unet = UNet(img_resolution=img_resolution, img_channels=img_channels, label_dim=label_dim,
                         **unet_kwargs)
        self.logvar_fourier = MPFourier(logvar_channels)
        self.logvar_linear = MPConv(logvar_channels, 1, [])

    def forward(self, x, sigma, class_labels=None):
        """x (N, C, H, W), sigma (N), class_labels (N, label_dim) one-hot rows, or None: zeros."""
        dtype = self.unet.out_gain.dtype
        x = x.to(dtype)
        sigma = sigma.to(dtype).reshape(-1, 1, 1, 1)
        if self.label_dim == 0:
            class_labels = None
        elif class_labels is None:
            class_labels = torch.zeros([x.shape[0], self.label_dim], dtype=dtype, device=x.device)
        else:
            class_labels = class_labels.to(dtype).reshape(-1, self.label_dim)
        sd = self.sigma_data
        c_skip = sd ** 2 / (sigma ** 2 + sd ** 2)
        c_out = sigma * sd / (sigma ** 2 + sd ** 2).sqrt()
        c_in = 1 / (sd ** 2 + sigma ** 2).sqrt()
        c_noise = sigma.flatten().log() / 4
        return c_skip * x + c_out * self.unet(c_in * x, c_noise, class_labels)


def create(cfg):
    """A Precond from a (possibly partial) config of EDM2 keyword arguments."""
    c = full_config(cfg)
    kwargs = {k: v for k, v in c.items() if k != "kind"}
    return Precond(**kwargs)


def one_hot(labels, label_dim, dtype=torch.float64):
    return F.one_hot(torch.as_tensor(labels, dtype=torch.int64), label_dim).to(dtype)
