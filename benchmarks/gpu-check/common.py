"""What the GPU check's orchestrator and workers share (gpu_check.py)."""

import math
import os

# guided-diffusion's released 64x64 conditional model, with a null-class row for CFG.
ADM64_FLAGS = dict(attention_resolutions="32,16,8", class_cond=True, diffusion_steps=1000, dropout=0.0,
                   image_size=64, learn_sigma=True, noise_schedule="cosine", num_channels=192,
                   num_head_channels=64, num_res_blocks=3, resblock_updown=True, use_new_attention_order=True,
                   use_fp16=False, use_scale_shift_norm=True, null_class=True)
# The same family at toy size, for the CPU rehearsal.
TINY_FLAGS = dict(ADM64_FLAGS, image_size=16, num_channels=32, num_head_channels=16, num_res_blocks=1,
                  attention_resolutions="8,4", channel_mult="1,2,2", num_classes=10)

G4J_F32, G4J_F16, G4J_BF16 = 0, 1, 2


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def rel_l2(got, want):
    import numpy as np
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    den = math.sqrt(float((want * want).sum())) or 1.0
    return math.sqrt(float(((got - want) ** 2).sum())) / den
