"""PyTorch reference of the ADM networks of openai/guided-diffusion (Dhariwal & Nichol 2021).

Two networks, written from the paper and from reading the original code:
  * UNetModel: the denoising U-Net (eps, or eps and the variance interpolation v with learn_sigma).
  * EncoderUNetModel: the noisy ImageNet classifier (the U-Net's encoder half + attention pooling).

Module and attribute names follow the original exactly, so the original checkpoints load with
strict=True and the Java side can walk the same key names (input_blocks.1.0.in_layers.0.weight ...).

Configs use guided-diffusion's own flag names (MODEL_FLAGS / CLASSIFIER_FLAGS), with its defaults
from model_and_diffusion_defaults() and classifier_defaults(). Keys that guided-diffusion hard-codes
and we expose (see MODEL_EXTRAS / CLASSIFIER_EXTRAS) default to the hard-coded value.

Precision: the module runs in the dtype of its parameters. In float32 it computes what the original
computes in float32 (use_fp16 is only recorded; its float16 torso is not reproduced). In float64 every
step stays in float64, including the timestep embedding and the normalisations that the original pins
to float32; that is the "exact" answer golden fixtures are made from.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# model_and_diffusion_defaults() of guided-diffusion (script_util.py), diffusion flags included
# because a converted checkpoint's config.json must also describe how to sample from it.
MODEL_DEFAULTS = {
    "image_size": 64,
    "num_channels": 128,
    "num_res_blocks": 2,
    "num_heads": 4,
    "num_heads_upsample": -1,
    "num_head_channels": -1,
    "attention_resolutions": "16,8",
    "channel_mult": "",
    "dropout": 0.0,
    "class_cond": False,
    "use_checkpoint": False,
    "use_scale_shift_norm": True,
    "resblock_updown": False,
    "use_fp16": False,
    "use_new_attention_order": False,
    "learn_sigma": False,
    "diffusion_steps": 1000,
    "noise_schedule": "linear",
    "timestep_respacing": "",
    "use_kl": False,
    "predict_xstart": False,
    "rescale_timesteps": False,
    "rescale_learned_sigmas": False,
}

# Values guided-diffusion fixes in code; exposed so CFG-trained and small test models fit.
#   num_classes: rows of label_emb (NUM_CLASSES = 1000 in the original).
#   null_class:  label_emb has num_classes + 1 rows; label num_classes is the CFG null token.
#   conv_resample: UNetModel's argument, always True through create_model.
MODEL_EXTRAS = {
    "in_channels": 3,  # guided-diffusion hard-codes RGB; 1 for grey data
    "num_classes": 1000,
    "null_class": False,
    "conv_resample": True,
}

# classifier_defaults() of guided-diffusion.
CLASSIFIER_DEFAULTS = {
    "image_size": 64,
    "classifier_use_fp16": False,
    "classifier_width": 128,
    "classifier_depth": 2,
    "classifier_attention_resolutions": "32,16,8",
    "classifier_use_scale_shift_norm": True,
    "classifier_resblock_updown": True,
    "classifier_pool": "attention",
}

# Fixed in create_classifier: 1000 outputs, 64 channels per head, channel_mult from image_size.
CLASSIFIER_EXTRAS = {
    "in_channels": 3,
    "num_classes": 1000,
    "classifier_channel_mult": "",
    "classifier_num_head_channels": 64,
    "conv_resample": True,
}

_ALL_KEYS = set(MODEL_DEFAULTS) | set(MODEL_EXTRAS) | set(CLASSIFIER_DEFAULTS) | set(CLASSIFIER_EXTRAS) | {"kind"}


# ----------------------------------------------------------------------------------------------
# Small layers


class GroupNorm32(nn.GroupNorm):
    """GroupNorm that never normalises below float32 (the original upcasts float16 activations)."""

    def forward(self, x):
        dt = torch.promote_types(x.dtype, torch.float32)
        y = F.group_norm(x.to(dt), self.num_groups, self.weight.to(dt), self.bias.to(dt), self.eps)
        return y.to(x.dtype)


def normalization(channels):
    return GroupNorm32(32, channels, eps=1e-5)


def zero_module(module):
    for p in module.parameters():
        p.detach().zero_()
    return module


def timestep_embedding(timesteps, dim, dtype=torch.float32, max_period=10000):
    """[cos(t*f_0..f_{h-1}), sin(t*f_0..f_{h-1})], f_i = max_period^(-i/h), h = dim // 2.

    The original always builds this in float32; dtype=float64 gives the exact embedding.
    """
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(0, half, dtype=dtype) / half
    freqs = torch.exp(exponent).to(timesteps.device)
    args = timesteps[:, None].to(dtype) * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class TimestepBlock(nn.Module):
    """Marker: forward(x, emb) instead of forward(x)."""


class TimestepEmbedSequential(nn.Sequential, TimestepBlock):
    def forward(self, x, emb):
        for layer in self:
            x = layer(x, emb) if isinstance(layer, TimestepBlock) else layer(x)
        return x


class Upsample(nn.Module):
    """Nearest-neighbour x2, then (use_conv) a 3x3 conv."""

    def __init__(self, channels, use_conv, out_channels=None):
        super().__init__()
        self.channels = channels
        self.out_channels = out_channels or channels
        self.use_conv = use_conv
        if use_conv:
            self.conv = nn.Conv2d(channels, self.out_channels, 3, padding=1)

    def forward(self, x):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.conv(x) if self.use_conv else x


class Downsample(nn.Module):
    """A stride-2 3x3 conv (use_conv) or a 2x2 average pool."""

    def __init__(self, channels, use_conv, out_channels=None):
        super().__init__()
        self.channels = channels
        self.out_channels = out_channels or channels
        if use_conv:
            self.op = nn.Conv2d(channels, self.out_channels, 3, stride=2, padding=1)
        else:
            if self.out_channels != channels:
                raise ValueError("an average-pool Downsample cannot change the channel count")
            self.op = nn.AvgPool2d(kernel_size=2, stride=2)

    def forward(self, x):
        return self.op(x)


class ResBlock(TimestepBlock):
    """GroupNorm-SiLU-conv, add (or FiLM with) the projected embedding, GroupNorm-SiLU-dropout-conv.

    up/down: resample both the residual branch (between its SiLU and conv) and the skip input,
    with parameter-free layers.
    """

    def __init__(self, channels, emb_channels, dropout, out_channels=None,
                 use_scale_shift_norm=False, up=False, down=False):
        super().__init__()
        self.channels = channels
        self.out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.in_layers = nn.Sequential(
            normalization(channels),
            nn.SiLU(),
            nn.Conv2d(channels, self.out_channels, 3, padding=1),
        )
        self.updown = up or down
        if up:
            self.h_upd, self.x_upd = Upsample(channels, False), Upsample(channels, False)
        elif down:
            self.h_upd, self.x_upd = Downsample(channels, False), Downsample(channels, False)
        else:
            self.h_upd = self.x_upd = nn.Identity()
        emb_out = 2 * self.out_channels if use_scale_shift_norm else self.out_channels
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, emb_out))
        self.out_layers = nn.Sequential(
            normalization(self.out_channels),
            nn.SiLU(),
            nn.Dropout(p=dropout),
            zero_module(nn.Conv2d(self.out_channels, self.out_channels, 3, padding=1)),
        )
        if self.out_channels == channels:
            self.skip_connection = nn.Identity()
        else:
            # guided-diffusion's use_conv=True (3x3 skip) is never reached from its networks.
            self.skip_connection = nn.Conv2d(channels, self.out_channels, 1)

    def forward(self, x, emb):
        if self.updown:
            h = self.in_layers[1](self.in_layers[0](x))
            h = self.in_layers[2](self.h_upd(h))
            x = self.x_upd(x)
        else:
            h = self.in_layers(x)
        e = self.emb_layers(emb).to(h.dtype)[:, :, None, None]
        if self.use_scale_shift_norm:
            scale, shift = e.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            for layer in self.out_layers[1:]:
                h = layer(h)
        else:
            h = self.out_layers(h + e)
        return self.skip_connection(x) + h


def _attention(q, k, v):
    """q, k, v: [B*heads, ch, T]. Both q and k are scaled by ch^-1/4 before the product."""
    ch = q.shape[1]
    scale = 1.0 / math.sqrt(math.sqrt(ch))
    w = torch.einsum("bct,bcs->bts", q * scale, k * scale)
    w = torch.softmax(w.to(torch.promote_types(w.dtype, torch.float32)), dim=-1).to(w.dtype)
    return torch.einsum("bts,bcs->bct", w, v)


class QKVAttentionLegacy(nn.Module):
    """qkv channels laid out as [head][q|k|v][ch] (split heads first)."""

    def __init__(self, n_heads):
        super().__init__()
        self.n_heads = n_heads

    def forward(self, qkv):
        b, width, t = qkv.shape
        ch = width // (3 * self.n_heads)
        q, k, v = qkv.reshape(b * self.n_heads, 3 * ch, t).split(ch, dim=1)
        return _attention(q, k, v).reshape(b, -1, t)


class QKVAttention(nn.Module):
    """qkv channels laid out as [q|k|v][head][ch] (split q, k, v first)."""

    def __init__(self, n_heads):
        super().__init__()
        self.n_heads = n_heads

    def forward(self, qkv):
        b, width, t = qkv.shape
        ch = width // (3 * self.n_heads)
        q, k, v = (z.reshape(b * self.n_heads, ch, t) for z in qkv.chunk(3, dim=1))
        return _attention(q, k, v).reshape(b, -1, t)


def _heads(channels, num_heads, num_head_channels):
    if num_head_channels == -1:
        return num_heads
    if channels % num_head_channels:
        raise ValueError(f"{channels} channels are not divisible by num_head_channels {num_head_channels}")
    return channels // num_head_channels


class AttentionBlock(nn.Module):
    """Self-attention over the H*W positions, residual; proj_out is zero-initialised."""

    def __init__(self, channels, num_heads=1, num_head_channels=-1, use_new_attention_order=False):
        super().__init__()
        self.channels = channels
        self.num_heads = _heads(channels, num_heads, num_head_channels)
        self.norm = normalization(channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        attn = QKVAttention if use_new_attention_order else QKVAttentionLegacy
        self.attention = attn(self.num_heads)
        self.proj_out = zero_module(nn.Conv1d(channels, channels, 1))

    def forward(self, x):
        b, c, *spatial = x.shape
        x = x.reshape(b, c, -1)
        h = self.proj_out(self.attention(self.qkv(self.norm(x))))
        return (x + h).reshape(b, c, *spatial)


class AttentionPool2d(nn.Module):
    """CLIP-style pooling: the spatial mean is prepended as a query token; its attended output is
    projected to the logits. Always the [q|k|v][head][ch] layout."""

    def __init__(self, spacial_dim, embed_dim, num_heads_channels, output_dim=None):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(embed_dim, spacial_dim ** 2 + 1) / embed_dim ** 0.5)
        self.qkv_proj = nn.Conv1d(embed_dim, 3 * embed_dim, 1)
        self.c_proj = nn.Conv1d(embed_dim, output_dim or embed_dim, 1)
        self.num_heads = embed_dim // num_heads_channels
        self.attention = QKVAttention(self.num_heads)

    def forward(self, x):
        b, c, *_ = x.shape
        x = x.reshape(b, c, -1)
        x = torch.cat([x.mean(dim=-1, keepdim=True), x], dim=-1)
        x = x + self.positional_embedding[None].to(x.dtype)
        x = self.c_proj(self.attention(self.qkv_proj(x)))
        return x[:, :, 0]


# ----------------------------------------------------------------------------------------------
# Networks


def _time_embed(model_channels):
    emb_dim = 4 * model_channels
    return nn.Sequential(nn.Linear(model_channels, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))


def _build_encoder(net, in_channels, model_channels, num_res_blocks, attention_ds, dropout, channel_mult,
                   conv_resample, num_heads, num_head_channels, use_scale_shift_norm, resblock_updown,
                   use_new_attention_order):
    """Builds net.input_blocks and net.middle_block (shared by both networks).

    Returns (channels of every input block's output, channels at the bottom, downsampling factor).
    """
    emb_dim = 4 * model_channels

    def attention(c):
        return AttentionBlock(c, num_heads, num_head_channels, use_new_attention_order)

    ch = int(channel_mult[0] * model_channels)
    net.input_blocks = nn.ModuleList([TimestepEmbedSequential(nn.Conv2d(in_channels, ch, 3, padding=1))])
    chans, ds = [ch], 1
    for level, mult in enumerate(channel_mult):
        for _ in range(num_res_blocks):
            out_ch = int(mult * model_channels)
            layers = [ResBlock(ch, emb_dim, dropout, out_ch, use_scale_shift_norm)]
            ch = out_ch
            if ds in attention_ds:
                layers.append(attention(ch))
            net.input_blocks.append(TimestepEmbedSequential(*layers))
            chans.append(ch)
        if level != len(channel_mult) - 1:
            if resblock_updown:
                down = ResBlock(ch, emb_dim, dropout, ch, use_scale_shift_norm, down=True)
            else:
                down = Downsample(ch, conv_resample, ch)
            net.input_blocks.append(TimestepEmbedSequential(down))
            chans.append(ch)
            ds *= 2
    net.middle_block = TimestepEmbedSequential(
        ResBlock(ch, emb_dim, dropout, ch, use_scale_shift_norm),
        attention(ch),
        ResBlock(ch, emb_dim, dropout, ch, use_scale_shift_norm),
    )
    return chans, ch, ds


class UNetModel(nn.Module):
    def __init__(self, image_size, in_channels, model_channels, out_channels, num_res_blocks,
                 attention_resolutions, dropout=0.0, channel_mult=(1, 2, 4, 8), conv_resample=True,
                 num_classes=None, label_rows=None, num_heads=1, num_head_channels=-1,
                 num_heads_upsample=-1, use_scale_shift_norm=False, resblock_updown=False,
                 use_new_attention_order=False):
        """attention_resolutions: downsampling factors (not pixel sizes) that get attention.
        num_classes: None for an unconditional model; label_rows defaults to num_classes."""
        super().__init__()
        if num_heads_upsample == -1:
            num_heads_upsample = num_heads
        self.image_size = image_size
        self.model_channels = model_channels
        self.num_classes = num_classes
        emb_dim = 4 * model_channels
        # Registration order = state_dict order = the original's key order.
        self.time_embed = _time_embed(model_channels)
        if num_classes is not None:
            self.label_emb = nn.Embedding(label_rows or num_classes, emb_dim)
        chans, ch, ds = _build_encoder(self, in_channels, model_channels, num_res_blocks, attention_resolutions,
                                       dropout, channel_mult, conv_resample, num_heads, num_head_channels,
                                       use_scale_shift_norm, resblock_updown, use_new_attention_order)

        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks + 1):
                out_ch = int(model_channels * mult)
                layers = [ResBlock(ch + chans.pop(), emb_dim, dropout, out_ch, use_scale_shift_norm)]
                ch = out_ch
                if ds in attention_resolutions:
                    layers.append(AttentionBlock(ch, num_heads_upsample, num_head_channels, use_new_attention_order))
                if level and i == num_res_blocks:
                    if resblock_updown:
                        layers.append(ResBlock(ch, emb_dim, dropout, ch, use_scale_shift_norm, up=True))
                    else:
                        layers.append(Upsample(ch, conv_resample, ch))
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))

        self.out = nn.Sequential(normalization(ch), nn.SiLU(), zero_module(nn.Conv2d(ch, out_channels, 3, padding=1)))

    def forward(self, x, timesteps, y=None):
        """x [N, C, H, W], timesteps [N] (int or float), y [N] labels iff class-conditional."""
        if (y is not None) != (self.num_classes is not None):
            raise ValueError("y must be given if and only if the model is class-conditional")
        dtype = self.time_embed[0].weight.dtype
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels, dtype))
        if y is not None:
            emb = emb + self.label_emb(y)
        hs, h = [], x.to(dtype)
        for block in self.input_blocks:
            h = block(h, emb)
            hs.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb)
        return self.out(h)


class EncoderUNetModel(nn.Module):
    def __init__(self, image_size, in_channels, model_channels, out_channels, num_res_blocks,
                 attention_resolutions, dropout=0.0, channel_mult=(1, 2, 4, 8), conv_resample=True,
                 num_heads=1, num_head_channels=-1, use_scale_shift_norm=False, resblock_updown=False,
                 use_new_attention_order=False, pool="attention"):
        super().__init__()
        if pool != "attention":
            raise NotImplementedError(f"classifier_pool {pool!r}: only 'attention' is implemented")
        if num_head_channels == -1:
            raise ValueError("attention pooling needs num_head_channels")
        self.image_size = image_size
        self.model_channels = model_channels
        self.pool = pool
        self.time_embed = _time_embed(model_channels)
        _, ch, ds = _build_encoder(self, in_channels, model_channels, num_res_blocks, attention_resolutions,
                                   dropout, channel_mult, conv_resample, num_heads, num_head_channels,
                                   use_scale_shift_norm, resblock_updown, use_new_attention_order)
        self.out = nn.Sequential(
            normalization(ch),
            nn.SiLU(),
            AttentionPool2d(image_size // ds, ch, num_head_channels, out_channels),
        )

    def forward(self, x, timesteps):
        """x [N, 3, image_size, image_size] -> logits [N, out_channels]."""
        dtype = self.time_embed[0].weight.dtype
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels, dtype))
        h = x.to(dtype)
        for block in self.input_blocks:
            h = block(h, emb)
        return self.out(self.middle_block(h, emb))


# ----------------------------------------------------------------------------------------------
# Configs with guided-diffusion's flag names


def _default_channel_mult(image_size):
    table = {512: (0.5, 1, 1, 2, 2, 4, 4), 256: (1, 1, 2, 2, 4, 4), 128: (1, 1, 2, 3, 4), 64: (1, 2, 3, 4)}
    if image_size not in table:
        raise ValueError(f"no default channel_mult for image_size {image_size}; give channel_mult")
    return table[image_size]


def _int_list(value):
    """'32,16,8' or [32, 16, 8] -> (32, 16, 8)."""
    if isinstance(value, str):
        return tuple(int(v) for v in value.split(",") if v.strip())
    return tuple(int(v) for v in value)


def parse_channel_mult(value, image_size):
    return _int_list(value) if value not in ("", None, [], ()) else _default_channel_mult(image_size)


def attention_ds(resolutions, image_size):
    """Pixel resolutions ('32,16,8') -> downsampling factors image_size // res."""
    return tuple(image_size // r for r in _int_list(resolutions))


def _merged(config, defaults, extras):
    unknown = set(config) - _ALL_KEYS
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    cfg = dict(defaults)
    cfg.update(extras)
    cfg.update({k: v for k, v in config.items() if k in cfg})
    return cfg


def model_config(config):
    """The full U-Net config: guided-diffusion defaults and our extras, overridden by config."""
    return _merged(config, MODEL_DEFAULTS, MODEL_EXTRAS)


def classifier_config(config):
    return _merged(config, CLASSIFIER_DEFAULTS, CLASSIFIER_EXTRAS)


def create_model(config):
    """UNetModel from guided-diffusion MODEL_FLAGS (a dict; missing keys take its defaults)."""
    c = model_config(config)
    size = int(c["image_size"])
    rows = None
    if c["class_cond"]:
        rows = int(c["num_classes"]) + (1 if c["null_class"] else 0)
    return UNetModel(
        image_size=size,
        in_channels=int(c["in_channels"]),
        model_channels=int(c["num_channels"]),
        out_channels=int(c["in_channels"]) * (2 if c["learn_sigma"] else 1),
        num_res_blocks=int(c["num_res_blocks"]),
        attention_resolutions=attention_ds(c["attention_resolutions"], size),
        dropout=float(c["dropout"]),
        channel_mult=parse_channel_mult(c["channel_mult"], size),
        conv_resample=bool(c["conv_resample"]),
        num_classes=int(c["num_classes"]) if c["class_cond"] else None,
        label_rows=rows,
        num_heads=int(c["num_heads"]),
        num_head_channels=int(c["num_head_channels"]),
        num_heads_upsample=int(c["num_heads_upsample"]),
        use_scale_shift_norm=bool(c["use_scale_shift_norm"]),
        resblock_updown=bool(c["resblock_updown"]),
        use_new_attention_order=bool(c["use_new_attention_order"]),
    )


def create_classifier(config):
    """EncoderUNetModel from guided-diffusion CLASSIFIER_FLAGS (a dict; missing keys take its defaults)."""
    c = classifier_config(config)
    size = int(c["image_size"])
    return EncoderUNetModel(
        image_size=size,
        in_channels=int(c["in_channels"]),
        model_channels=int(c["classifier_width"]),
        out_channels=int(c["num_classes"]),
        num_res_blocks=int(c["classifier_depth"]),
        attention_resolutions=attention_ds(c["classifier_attention_resolutions"], size),
        channel_mult=parse_channel_mult(c["classifier_channel_mult"], size),
        conv_resample=bool(c["conv_resample"]),
        num_head_channels=int(c["classifier_num_head_channels"]),
        use_scale_shift_norm=bool(c["classifier_use_scale_shift_norm"]),
        resblock_updown=bool(c["classifier_resblock_updown"]),
        pool=c["classifier_pool"],
    )


def create(config):
    """Either network, chosen by config['kind'] ('adm_unet' or 'adm_classifier')."""
    kind = config.get("kind")
    if kind == "adm_unet":
        return create_model(config)
    if kind == "adm_classifier":
        return create_classifier(config)
    raise ValueError(f"config kind must be 'adm_unet' or 'adm_classifier', not {kind!r}")


def classifier_grad(classifier, x, t, y):
    """d/dx sum_i log_softmax(classifier(x, t))_i[y_i]: the gradient classifier_sample.py's cond_fn
    returns before multiplying by classifier_scale. Returns (grad, logits)."""
    with torch.enable_grad():
        x_in = x.detach().requires_grad_(True)
        logits = classifier(x_in, t)
        selected = F.log_softmax(logits, dim=-1)[torch.arange(len(logits)), y.view(-1)]
        (grad,) = torch.autograd.grad(selected.sum(), x_in)
    return grad, logits.detach()
