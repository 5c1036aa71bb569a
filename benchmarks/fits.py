"""Tuning-curve fits: the batched Levenberg-Marquardt of ``v1lab.fits`` against one ``curve_fit`` call per curve.

For each model (von Mises, log-Gaussian, ratio of Gaussians, Naka-Rushton) on the grids of ``kobayashi2020``
(12 orientations, 11 SFs, 10 sizes, 8 contrasts), ``--curves`` noisy curves are drawn from planted parameters
(seeded) and fitted in one batch; the first ``--reference`` of them are also fitted the way v1lab did before
the batch (``scipy.optimize.curve_fit``, trust-region reflective, the same starts and bounds, ``max_nfev`` 100 p,
stop at R^2 >= 0.999), one call per curve, in the same process. The row reports milliseconds per curve of both,
their ratio, and on the reference curves the failures of each and the largest R^2 by which either is better.
Rows are appended to ``benchmarks/results/fits.csv``. Default 3904 curves per model: every unit of the five
kobayashi2020 layers.

``--coverage`` instead measures how often the 95 % intervals hold the planted parameters (``--replicates`` noisy
copies of one curve per model, noise sd 2 % of its range; the planted curves of ``tests/fits/test_fits.py``;
appended to ``fits_coverage.csv``). ``--run DIR`` instead re-characterises the stored responses of a finished
``v1lab run`` folder, every layer with and without fits, and reports the fit time, the number of fits and why
fits failed (appended to ``fits_run.csv``): ``analysis_s`` is the faster of two characterisations without
fits, the fit time the time with fits minus that.

    python -m benchmarks fits [--curves 3904] [--reference 200] [--noise 0.05] [--seed 0]
    python -m benchmarks fits --coverage [--replicates 100]
    python -m benchmarks fits --run runs/kobayashi2020-...
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.optimize import curve_fit

from benchmarks._common import append_rows, now
from benchmarks.fast_path import _machine
from v1lab import fits as F
from v1lab.fits._core import inner_bounds

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results" / "fits.csv"
COVERAGE_RESULTS = RESULTS.with_name("fits_coverage.csv")
COVERAGE_FIELDS = ["date", "model", "replicates", "noise", "coverage", "failed"]
RUN_RESULTS = RESULTS.with_name("fits_run.csv")
RUN_FIELDS = ["date", "machine", "run", "layer", "units", "analysis_s", "fits", "fits_s", "flat", "not_converged",
              "other_failed"]
FIELDS = ["date", "machine", "model", "n_points", "curves", "batched_s", "batched_ms_per_curve", "reference_curves",
          "per_curve_ms", "speedup", "batched_failed", "per_curve_failed", "batched_better_r2", "per_curve_better_r2"]

#: Model, its grid in kobayashi2020, and a sampler of planted parameters.
CASES = {
    "von_mises": (np.arange(0.0, 180.0, 15.0),
                  lambda g: (g.uniform(-0.5, 0.5), g.uniform(0.5, 3), g.uniform(0.3, 6), g.uniform(0, 180))),
    "log_gaussian": (np.geomspace(0.35, 11.2, 11),
                     lambda g: (g.uniform(-0.2, 0.2), g.uniform(0.5, 3), 2 ** g.uniform(-1, 3), g.uniform(0.4, 1.5))),
    "ratio_of_gaussians": (np.geomspace(0.25, 8.0, 10),
                           lambda g: (g.uniform(1, 3), g.uniform(0.3, 1), g.uniform(0.2, 2), g.uniform(1.5, 3))),
    "naka_rushton": (np.geomspace(0.02, 1.0, 8),
                     lambda g: (g.uniform(-0.2, 0.2), g.uniform(0.5, 3), g.uniform(0.05, 0.5), g.uniform(1, 4))),
}


def _curves(name: str, n: int, noise: float, seed: int) -> np.ndarray:
    x, sample = CASES[name]
    g = np.random.default_rng(seed)
    clean = np.array([F.MODELS[name].func(x, *sample(g)) for _ in range(n)])
    return clean + noise * np.ptp(clean, axis=1, keepdims=True) * g.standard_normal(clean.shape)


def _curve_fit_r2(model: F.CurveModel, y: np.ndarray, x: np.ndarray) -> float:
    """R^2 of the best of the model's starts, one ``curve_fit`` per start (NaN when every start fails)."""
    lower, upper = (np.asarray(b, float) for b in model.bounds(x))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    best = np.inf
    for p0 in np.clip(model.starts(y[None], x)[0], *inner_bounds(lower, upper)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                popt, _ = curve_fit(model.func, x, y, p0=p0, bounds=(lower, upper), max_nfev=100 * len(p0))
        except (RuntimeError, ValueError):
            continue
        best = min(best, float(np.sum((model.func(x, *popt) - y) ** 2)))
        if best <= 1e-3 * ss_tot:
            break
    return 1.0 - best / ss_tot if np.isfinite(best) else np.nan


def run(*, curves: int = 3904, reference: int = 200, noise: float = 0.05, seed: int = 0, results=RESULTS) -> list[dict]:
    """Time both ways for each model; return (and append to ``results``) one row per model."""
    base = {"date": now(), "machine": _machine(torch.device("cpu"))}
    rows = []
    for name, (x, _) in CASES.items():
        model, y = F.MODELS[name], _curves(name, curves, noise, seed)
        start = time.perf_counter()
        batch = F.fit_least_squares(model, y, x)
        batched_s = time.perf_counter() - start
        k = min(reference, curves)
        start = time.perf_counter()
        single = np.array([_curve_fit_r2(model, y[i], x) for i in range(k)])
        per_curve_s = time.perf_counter() - start
        mine = np.array([r.r_squared for r in batch[:k]])
        diff = np.nan_to_num(mine, nan=-np.inf) - np.nan_to_num(single, nan=-np.inf)
        diff = diff[np.isfinite(diff)]
        rows.append({**base, "model": name, "n_points": x.size, "curves": curves, "batched_s": round(batched_s, 3),
                     "batched_ms_per_curve": round(1e3 * batched_s / curves, 4), "reference_curves": k,
                     "per_curve_ms": round(1e3 * per_curve_s / k, 3),
                     "speedup": round(per_curve_s / k / (batched_s / curves), 1),
                     "batched_failed": sum(not r.success for r in batch[:k]),
                     "per_curve_failed": int(np.isnan(single).sum()),
                     "batched_better_r2": float(max(diff.max(initial=0.0), 0.0)),
                     "per_curve_better_r2": float(max(-diff.min(initial=0.0), 0.0))})
    if results is not None:
        append_rows(results, FIELDS, rows)
    return rows


#: Planted curves of ``tests/fits/test_fits.py``: grid and parameters per model.
PLANTED = {
    "von_mises": (np.arange(0.0, 180.0, 15.0), (0.5, 3.0, 2.0, 150.0)),
    "log_gaussian": (2.0 ** np.arange(-2.0, 4.01, 0.5), (0.1, 2.0, 1.5, 0.7)),
    "ratio_of_gaussians": (np.linspace(0.25, 8.0, 16), (2.0, 0.5, 1.5, 1.5)),
    "naka_rushton": (np.array([0.02, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0]), (0.1, 2.0, 0.2, 2.0)),
}


def coverage(*, replicates: int = 100, noise: float = 0.02, results=COVERAGE_RESULTS) -> list[dict]:
    """Fraction of (replicate, parameter) pairs whose 95 % interval holds the planted value, per model."""
    rows = []
    for name, (x, truth) in PLANTED.items():
        model = F.MODELS[name]
        clean = model.func(x, *truth)
        curves = np.array([clean + np.random.default_rng(s).normal(0.0, noise * np.ptp(clean), x.size)
                           for s in range(replicates)])
        fits = F.fit_least_squares(model, curves, x)
        held = [fit.ci_low[k] <= v <= fit.ci_high[k] for fit in fits for k, v in zip(model.names, truth)]
        rows.append({"date": now(), "model": name, "replicates": replicates, "noise": noise,
                     "coverage": round(float(np.mean(held)), 3), "failed": sum(not f.success for f in fits)})
    if results is not None:
        append_rows(results, COVERAGE_FIELDS, rows)
    return rows


def run_folder(path, *, results=RUN_RESULTS) -> list[dict]:
    """Fit time and failures per layer of a finished run, from its stored responses (with minus without fits)."""
    from v1lab.characterisation import characterise_layer
    from v1lab.protocol import parse_protocol
    from v1lab.runs import load_run

    run = load_run(path)
    protocol = parse_protocol(run.protocol, source=str(run.path / "protocol.yaml"))
    roles, criteria = protocol.analyses.roles, protocol.analyses.criteria
    base = {"date": now(), "machine": _machine(torch.device("cpu")), "run": str(path)}
    rows = []
    for layer in run.layers:
        responses = run.responses(layer)
        without = np.inf
        for _ in range(2):   # the first call also pays one-off set-up costs; keep the faster
            start = time.perf_counter()
            characterise_layer(responses, roles, criteria, fits=False)
            without = min(without, time.perf_counter() - start)
        start = time.perf_counter()
        table = characterise_layer(responses, roles, criteria, fits=True)
        with_fits = time.perf_counter() - start
        status = pd.concat([table[f"{p}_status"] for p in ("ori_vm", "sf_lg", "size_rog", "contrast_nr")])
        reason = pd.concat([table[f"{p}_reason"] for p in ("ori_vm", "sf_lg", "size_rog", "contrast_nr")])
        failed = reason[status == "failed"].fillna("")
        flat = int(failed.str.contains("do not vary").sum())
        stuck = int(failed.str.contains("did not converge").sum())
        rows.append({**base, "layer": layer, "units": len(table), "analysis_s": round(without, 2),
                     "fits": int(status.isin(["ok", "failed"]).sum()),
                     "fits_s": round(with_fits - without, 2), "flat": flat, "not_converged": stuck,
                     "other_failed": len(failed) - flat - stuck})
    if results is not None:
        append_rows(results, RUN_FIELDS, rows)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks fits", description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=3904, help="curves per model (default 3904)")
    parser.add_argument("--reference", type=int, default=200, help="curves also fitted one call each (default 200)")
    parser.add_argument("--noise", type=float, default=0.05, help="noise SD as a fraction of the curve's range")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--coverage", action="store_true", help="measure the coverage of the 95 %% intervals")
    parser.add_argument("--replicates", type=int, default=100, help="noisy replicates per model for --coverage")
    parser.add_argument("--run", help="a finished run folder: time its fits from the stored responses")
    args = parser.parse_args(argv)
    if args.coverage:
        rows = coverage(replicates=args.replicates)
        print(f"coverage of the 95 % intervals ({args.replicates} replicates, noise sd 2 % of the range)")
        for r in rows:
            print(f"{r['model']:<20}{r['coverage']:>7.3f}   failed {r['failed']}")
        print(f"appended to {COVERAGE_RESULTS}")
        return 0
    if args.run:
        rows = run_folder(args.run)
        print(f"fits of {args.run} on {rows[0]['machine']}")
        print(f"{'layer':<10}{'units':>7}{'analysis s':>12}{'fits':>7}{'fit s':>8}{'flat':>7}{'not converged':>15}"
              f"{'other':>7}")
        for r in rows:
            print(f"{r['layer']:<10}{r['units']:>7}{r['analysis_s']:>12.2f}{r['fits']:>7}{r['fits_s']:>8.2f}"
                  f"{r['flat']:>7}{r['not_converged']:>15}{r['other_failed']:>7}")
        print(f"total: analysis without fits {sum(r['analysis_s'] for r in rows):.1f} s, "
              f"{sum(r['fits'] for r in rows)} fits in {sum(r['fits_s'] for r in rows):.1f} s; "
              f"appended to {RUN_RESULTS}")
        return 0
    rows = run(curves=args.curves, reference=args.reference, noise=args.noise, seed=args.seed)
    print(f"tuning-curve fits on {rows[0]['machine']}")
    print(f"{'model':<20}{'curves':>7}{'batched s':>10}{'ms/curve':>10}{'curve_fit ms':>13}{'speed-up':>9}"
          f"{'failed (batch/cf)':>19}{'R2 better by (batch/cf)':>26}")
    for r in rows:
        print(f"{r['model']:<20}{r['curves']:>7}{r['batched_s']:>10.2f}{r['batched_ms_per_curve']:>10.3f}"
              f"{r['per_curve_ms']:>13.2f}{r['speedup']:>8.0f}x{r['batched_failed']:>10}/{r['per_curve_failed']:<8}"
              f"{r['batched_better_r2']:>15.2g}/{r['per_curve_better_r2']:<10.2g}")
    print(f"appended to {RESULTS}")
    return 0
