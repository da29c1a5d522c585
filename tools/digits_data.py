"""The data of the shipped demo models: scikit-learn's 8x8 handwritten digits as 16x16 RGB in [-1, 1].

    from digits_data import load_split
    train, test = load_split()   # each: images float32 [N, 3, 16, 16], labels int64 [N], indices int64 [N]

The digits (1,797 images, 10 classes, grey levels 0..16, ink bright on a dark background) ship
inside scikit-learn, so nothing is downloaded. Preprocessing, in this order:
  1. grey / 16 -> [0, 1];
  2. bilinear 2x upsampling to 16x16 (torch's F.interpolate, align_corners=False: every output pixel
     is a 9:3:3:1 mix of its four nearest source pixels; bilinear never overshoots, bicubic would);
  3. x * 2 - 1 -> [-1, 1] (background -1);
  4. the grey channel repeated 3 times (guided-diffusion's networks are RGB).
The held-out test split is fixed: 20 % of every class, chosen by a seeded NumPy permutation, so it
does not depend on the scikit-learn or PyTorch version. `split_indices()` gives it; models/README.md
records the seed and the counts, models/digits-split.json the indices themselves.
"""

import numpy as np
import torch
import torch.nn.functional as F

SPLIT_SEED = 20240607
TEST_FRACTION = 0.2
IMAGE_SIZE = 16
NUM_CLASSES = 10


def load_raw():
    """-> (grey images float64 [1797, 8, 8] in 0..16, labels int64 [1797]) in scikit-learn's order."""
    from sklearn.datasets import load_digits  # local import: only the data needs scikit-learn

    d = load_digits()
    return np.asarray(d.images, dtype=np.float64), np.asarray(d.target, dtype=np.int64)


def split_indices(labels, seed=SPLIT_SEED, test_fraction=TEST_FRACTION):
    """Stratified split -> (train indices, test indices), both sorted ascending.

    Per class c (in order 0..9) the class's indices are permuted with one shared RandomState(seed)
    and the first round(n_c * test_fraction) go to the test set.
    """
    rng = np.random.RandomState(seed)
    test = []
    for c in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == c)
        perm = rng.permutation(idx)
        test.extend(perm[: int(round(len(idx) * test_fraction))].tolist())
    test = np.array(sorted(test), dtype=np.int64)
    train = np.setdiff1d(np.arange(len(labels), dtype=np.int64), test)
    return train, test


def preprocess(grey):
    """grey [N, 8, 8] in 0..16 (NumPy or torch) -> float32 [N, 3, 16, 16] in [-1, 1]."""
    x = torch.as_tensor(np.asarray(grey, dtype=np.float32) / 16.0)[:, None]
    x = F.interpolate(x, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
    x = x * 2.0 - 1.0
    return x.repeat(1, 3, 1, 1).contiguous()


class Split:
    def __init__(self, images, labels, indices):
        self.images, self.labels, self.indices = images, labels, indices

    def __len__(self):
        return len(self.labels)


def load_split():
    """-> (train Split, test Split) of preprocessed images."""
    grey, labels = load_raw()
    train_idx, test_idx = split_indices(labels)
    x = preprocess(grey)
    y = torch.from_numpy(labels)

    def part(idx):
        i = torch.from_numpy(idx)
        return Split(x[i].clone(), y[i].clone(), idx)

    return part(train_idx), part(test_idx)


def random_shift(x, generator, max_shift=1):
    """Shift every image by its own (dy, dx) in [-max_shift, max_shift] pixels (of the 16x16 image),
    filling the uncovered border with the background value -1. No flips: digits are not mirror-symmetric."""
    n, _, h, w = x.shape
    pad = max_shift
    padded = F.pad(x, (pad, pad, pad, pad), value=-1.0)
    shifts = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
        out[i] = padded[i, :, dy:dy + h, dx:dx + w]
    return out
