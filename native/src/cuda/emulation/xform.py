"""Rewrites every kernel<<<grid, block, smem, stream>>>(args) launch of a .cu file into
emu::cfg(kernel, grid, block, smem, stream)(args), which plain C++ can compile (see emu.h).
Usage: python3 xform.py in.cu out.cpp"""
import sys


def rewrite(s):
    out, i = [], 0
    while True:
        j = s.find('<<<', i)
        if j < 0:
            out.append(s[i:])
            return ''.join(out)
        e = s.find('>>>', j)
        config = s[j + 3:e]
        k = j
        while s[k - 1].isspace():
            k -= 1
        name_end = k
        if s[k - 1] == '>':  # template arguments: walk back to the matching '<'
            depth = 0
            while True:
                k -= 1
                if s[k] == '>':
                    depth += 1
                elif s[k] == '<':
                    depth -= 1
                    if depth == 0:
                        break
        while s[k - 1].isalnum() or s[k - 1] in '_:':
            k -= 1
        out.append(s[i:k])
        out.append('emu::cfg(%s, %s)' % (s[k:name_end], config))
        i = e + 3


if __name__ == '__main__':
    with open(sys.argv[1]) as f:
        text = f.read()
    with open(sys.argv[2], 'w') as f:
        f.write(rewrite(text))
