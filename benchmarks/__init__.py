"""v1lab benchmarks (``make bench`` runs ``python -m benchmarks``); kept out of the test run.

Each benchmark module has ``main(argv) -> int`` and appends its measurements to ``benchmarks/results/``.
"""

__all__ = ["BENCHMARKS"]

#: Benchmark modules, run in this order by ``python -m benchmarks``.
BENCHMARKS = ("fast_path", "recorder_modes", "fixed_costs", "precision", "preferred", "throughput", "record_batch",
              "fits", "protocols", "memory")
