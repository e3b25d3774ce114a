#!/usr/bin/python3
"""PyTorch's CPU Adam (foreach) on this machine, for the README's comparison.

Run with Debian's torch: /usr/bin/python3 bench/torch_adam.py   (prints Melem/s at 1M and 16M).
Not part of `npm run bench`: the project's tests and benchmarks never need Python.
"""
import os
import time

import torch

torch.set_num_threads(os.cpu_count() or 1)
for n in (1 << 20, 1 << 24):
    p = torch.nn.Parameter(torch.randn(n))
    p.grad = torch.randn(n)
    opt = torch.optim.AdamW([p], lr=1e-4, foreach=True)
    for _ in range(5):
        opt.step()
    reps = 200 if n == 1 << 20 else 20
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    print(f"torch {torch.__version__} AdamW foreach, {torch.get_num_threads()} threads, n={n}: "
          f"{n / median / 1e6:.0f} Melem/s")
