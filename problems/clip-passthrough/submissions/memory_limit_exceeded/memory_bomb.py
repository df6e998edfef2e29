# Keeps allocating (and touching) 256 MiB blocks at import time.
import numpy as np

_hoard = []
while True:
    _hoard.append(np.ones(1 << 25))


def clip_passthrough(x, lo, hi):
    return x
