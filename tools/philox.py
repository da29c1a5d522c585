"""g4j_randn in NumPy: the noise every guidance4j sampler draws, for references that must see the
same noise as the Java samplers (tools/make_sampler_fixtures.py).

The definition is the one native/include/guidance4j.h states for g4j_randn:

    for sample j (global index first_sample + j) and element e < per_sample,
      key = (seed mod 2^32, seed >> 32), counter = (e / 4, j mod 2^32, j >> 32, stream_id),
      r = philox4x32_10(counter, key); u(r) = ((r >> 9) + 0.5) * 2^-23, in (0, 1);
      (z0, z1) = boxmuller(u(r0), u(r1)), (z2, z3) = boxmuller(u(r2), u(r3)),
      boxmuller(u, v) = (sqrt(-2 ln u) cos(2 pi v), sqrt(-2 ln u) sin(2 pi v)),
      out[j * per_sample + e] = z_{e mod 4}.

The Philox part is exact: NumPy uint32/uint64 arithmetic, checked against Random123's known-answer
vectors by `python3 tools/philox.py`. u(r) is exact in float32 as well ((r >> 9) + 0.5 < 2^23). The
Box-Muller part is evaluated in float32 like the native code, but NumPy's float32 log/cos/sin are not
the C library's logf/cosf/sinf: results may differ from the native ones by about 1 ulp of each
function (a relative difference near 1e-7, a few 1e-7 in absolute terms for the largest normals).
"""

import numpy as np

_MUL0 = np.uint64(0xD2511F53)
_MUL1 = np.uint64(0xCD9E8D57)
_WEYL0 = 0x9E3779B9
_WEYL1 = 0xBB67AE85
_MASK32 = 0xFFFFFFFF
_TWO_PI = np.float32(6.28318530717958647692)


def philox4x32_10(counter, key):
    """counter: 4 uint32 arrays (broadcastable), key: 2 ints < 2^32 -> 4 uint32 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint32) for c in counter)
    k0, k1 = int(key[0]) & _MASK32, int(key[1]) & _MASK32
    for rnd in range(10):
        if rnd > 0:
            # the key schedule is a Weyl sequence, mod 2^32
            k0 = (k0 + _WEYL0) & _MASK32
            k1 = (k1 + _WEYL1) & _MASK32
        p0 = _MUL0 * c0.astype(np.uint64)
        p1 = _MUL1 * c2.astype(np.uint64)
        hi0, lo0 = (p0 >> np.uint64(32)).astype(np.uint32), p0.astype(np.uint32)
        hi1, lo1 = (p1 >> np.uint64(32)).astype(np.uint32), p1.astype(np.uint32)
        c0, c1, c2, c3 = hi1 ^ c1 ^ np.uint32(k0), lo1, hi0 ^ c3 ^ np.uint32(k1), lo0
    return c0, c1, c2, c3


def uniform(r):
    """u(r) = ((r >> 9) + 0.5) * 2^-23 in float32: exact, strictly inside (0, 1)."""
    return ((r >> np.uint32(9)).astype(np.float32) + np.float32(0.5)) * np.float32(2.0 ** -23)


def box_muller(u, v):
    radius = np.sqrt(np.float32(-2.0) * np.log(u))
    angle = _TWO_PI * v
    return radius * np.cos(angle), radius * np.sin(angle)


def randn(seed, stream_id, first_sample, n_samples, per_sample):
    """float32 (n_samples, per_sample): g4j_randn's output for samples first_sample .. + n_samples."""
    quads = (per_sample + 3) // 4
    sample = np.arange(first_sample, first_sample + n_samples, dtype=np.uint64)[:, None]
    quad = np.arange(quads, dtype=np.uint64)[None, :]
    counter = (
        np.broadcast_to(quad.astype(np.uint32), (n_samples, quads)),
        np.broadcast_to((sample & np.uint64(_MASK32)).astype(np.uint32), (n_samples, quads)),
        np.broadcast_to((sample >> np.uint64(32)).astype(np.uint32), (n_samples, quads)),
        np.full((n_samples, quads), stream_id, dtype=np.uint32),
    )
    r = philox4x32_10(counter, (seed & _MASK32, (seed >> 32) & _MASK32))
    with np.errstate(all="raise"):
        z0, z1 = box_muller(uniform(r[0]), uniform(r[1]))
        z2, z3 = box_muller(uniform(r[2]), uniform(r[3]))
    z = np.stack([z0, z1, z2, z3], axis=-1).reshape(n_samples, 4 * quads)
    return np.ascontiguousarray(z[:, :per_sample], dtype=np.float32)


def known_answers_ok():
    """Random123's kat_vectors for philox4x32_10 (all-zero and all-ones counter and key)."""
    zero = philox4x32_10((0, 0, 0, 0), (0, 0))
    ones = philox4x32_10((_MASK32,) * 4, (_MASK32, _MASK32))
    want_zero = (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)
    want_ones = (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)
    return all(int(a) == b for a, b in zip(zero, want_zero)) and all(int(a) == b for a, b in zip(ones, want_ones))


if __name__ == "__main__":
    print("Random123 known answers:", "ok" if known_answers_ok() else "FAILED")
    print("randn(seed 42, stream 0, sample 0, 8 values):", randn(42, 0, 0, 1, 8)[0])
