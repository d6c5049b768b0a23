"""Seed 002's MLP epoch (batch 64, Adam) in gradstep's eager loop, through ``Trainer.fit`` (with its
captured step, and with ``compile_step=False``), in ``compile_step``'s loop and in hand-written
NumPy, alternating within one process: a diagnostic beside the suite.

The suite times every contender in a fresh process, as the targets ask; on this shared machine
fresh processes of the same contender differ by up to 50 % (the "spread" of its tables), more than
the differences being measured. Alternating the contenders inside one process takes that
process-to-process variation out and shows what the per-step costs themselves are. It does not
replace the suite's figures; ``benchmarks/analysis.md`` quotes both. Run it as a script:

    OPENBLAS_NUM_THREADS=1 GRADSTEP_NUM_THREADS=1 python -m benchmarks.in_process [rounds] [images]
"""

from __future__ import annotations

import statistics
import sys
import time

from . import fashion, mlp


def main(argv: list[str]) -> None:
    rounds = int(argv[0]) if argv else 7
    images = int(argv[1]) if len(argv) > 1 else 9600
    xtr, ytr, xte, _ = fashion.load(images, 1000)
    init = fashion.pytorch_init(mlp.SHAPES)
    contenders = {name: (lambda loop=loop: mlp._gradstep(init, xtr, ytr, xte, 64, "adam", 1e-3, loop=loop))
                  for name, loop in (("gradstep", "eager"), ("gradstep-trainer", "trainer"),
                                     ("gradstep-trainer-eager", "trainer-eager"),
                                     ("gradstep-compiled", "compiled"))}
    contenders["numpy"] = lambda: mlp._numpy(init, xtr, ytr, xte, 64, "adam", 1e-3)
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            (_, seconds), *_ = run()
            cpu[name].append(seconds)
    steps = -(-len(xtr) // 64)
    med = {name: statistics.median(v) for name, v in cpu.items()}
    print(f"{rounds} rounds alternating in one process, {images} images, {steps} steps; CPU time")
    for name, m in med.items():
        print(f"  {name:<22} median {m * 1e3 / steps:.3f} ms/step   min {min(cpu[name]) * 1e3 / steps:.3f}")
    print(f"  gradstep / numpy = {med['gradstep'] / med['numpy']:.2f}x;  gradstep-compiled / numpy = "
          f"{med['gradstep-compiled'] / med['numpy']:.2f}x;  "
          f"Trainer.fit / eager loop = {med['gradstep-trainer'] / med['gradstep']:.2f}x;  "
          f"Trainer.fit / compile_step loop = {med['gradstep-trainer'] / med['gradstep-compiled']:.2f}x;  "
          f"Trainer.fit(compile_step=False) / eager loop = "
          f"{med['gradstep-trainer-eager'] / med['gradstep']:.2f}x")


if __name__ == "__main__":
    started = time.perf_counter()
    main(sys.argv[1:])
    print(f"({time.perf_counter() - started:.0f} s)")
