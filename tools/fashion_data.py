"""Fashion-MNIST as the showcase models see it: grey 32x32 images in [-1, 1], one channel.

    from fashion_data import load
    train, test = load()          # each: images float32 [N, 1, 32, 32], labels int64 [N]

The data are Zalando's Fashion-MNIST (70,000 grey 28x28 images of 10 clothing classes), read from
the four IDX files of Debian's package `dataset-fashion-mnist`
(/usr/share/datasets/fashion-mnist/*-ubyte.gz) or any folder holding the same files
(--data / FASHION_MNIST_DIR). The split is the standard one: the 60,000 training images and the
10,000 test images (t10k), in file order. Preprocessing:
  1. uint8 0..255 -> x / 127.5 - 1 in [-1, 1] (the background, 0, becomes -1);
  2. padded by 2 pixels on every side with -1 to 32x32 (no resampling: the images stay sharp and
     the U-Net's resolutions halve cleanly 32 -> 16 -> 8).
"""

import gzip
import os
import struct

import numpy as np
import torch

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
IMAGE_SIZE = 32
PAD = 2
NUM_CLASSES = 10
CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def data_dir(explicit=None):
    return explicit or os.environ.get("FASHION_MNIST_DIR") or DEFAULT_DIR


def read_idx(path):
    """An IDX file (gzip or plain) -> uint8 NumPy array of its shape; checks magic and size."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    body = raw[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise ValueError(f"{path}: {len(body)} data bytes for shape {shape}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def preprocess(images_u8):
    """uint8 [N, 28, 28] -> float32 [N, 1, 32, 32] in [-1, 1], padded with -1."""
    x = torch.from_numpy(images_u8.astype(np.float32) / 127.5 - 1.0)[:, None]
    return torch.nn.functional.pad(x, (PAD, PAD, PAD, PAD), value=-1.0).contiguous()


class Split:
    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)


def load_part(part, directory=None):
    images_file, labels_file = FILES[part]
    d = data_dir(directory)
    images = read_idx(os.path.join(d, images_file))
    labels = read_idx(os.path.join(d, labels_file))
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise ValueError(f"{d}: {part} images {images.shape} and labels {labels.shape} do not match")
    return Split(preprocess(images), torch.from_numpy(labels.astype(np.int64)))


def load(directory=None):
    """-> (train Split of 60,000, test Split of 10,000)."""
    return load_part("train", directory), load_part("test", directory)


def random_flip(x, generator):
    """Mirror each image left-right with probability 1/2 (clothes are, as a class, mirror-symmetric)."""
    flip = torch.rand(len(x), generator=generator, device=generator.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)
