"""Write the demo models' held-out digits as the Java side's reference set for `guidance4j sweep`.

    /usr/bin/python3 tools/export_heldout_digits.py --out models

Writes, under --out:
  digits-heldout.npy         float32 [359, 1, 16, 16] in [-1, 1]: the held-out split exactly as the
                             models saw their data (tools/digits_data.py's preprocessing), one channel:
                             the networks' three channels are copies of it, so the reader repeats it
  digits-heldout-labels.npy  int64 [359], the classes
One channel instead of three keeps the file at 360 KB; float32 because guidance4j's .npy reader
takes float32/float64/int64 only (every value is a multiple of 1/128, exact in float32).
The split is checked against digits-split.json beside the output, when that file exists.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import digits_data  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="models", help="folder to write into (default: models)")
    args = p.parse_args(argv)

    _, test = digits_data.load_split()
    split_file = os.path.join(args.out, "digits-split.json")
    if os.path.exists(split_file):
        with open(split_file) as f:
            recorded = json.load(f)["test_indices"]
        if list(recorded) != test.indices.tolist():
            sys.exit(f"error: the held-out split differs from {split_file}")
    images = test.images.numpy()
    # the three channels are one grey image repeated (digits_data.preprocess, step 4)
    if not (np.array_equal(images[:, 0], images[:, 1]) and np.array_equal(images[:, 0], images[:, 2])):
        sys.exit("error: the preprocessed channels differ; store all three")
    grey = np.ascontiguousarray(images[:, :1], dtype=np.float32)
    labels = test.labels.numpy().astype(np.int64)
    np.save(os.path.join(args.out, "digits-heldout.npy"), grey)
    np.save(os.path.join(args.out, "digits-heldout-labels.npy"), labels)
    counts = np.bincount(labels, minlength=digits_data.NUM_CLASSES).tolist()
    print(f"wrote {len(labels)} held-out images {grey.shape} (per class {counts}) to {args.out}")


if __name__ == "__main__":
    main()
