"""Synthetic finished runs with planted differences, written as `v1lab run` writes them."""

import numpy as np
import pandas as pd

from v1lab.population import write_tables
from v1lab.runs import RunFolder
from v1lab.units import empty_table, write_units

PROTOCOL = "name: planted\nppd: 28.0\nstimuli: [gratings_osp_quick]\nlayers:\n  - {name: relu, label: conv1}\n" \
           "  - {name: layer1}\n"


def planted_units(model: str, os_fraction: float, *, n: int = 200, seed: int = 0, layers=("conv1", "layer1")):
    """Units of two layers: orientation selectivity with the given fraction; every metric drawn from one
    distribution whatever the model (circular variance uniform, peak SF log-normal, modulation ratio uniform)."""
    rng = np.random.default_rng(seed)
    frames = []
    for layer in layers:
        t = empty_table(n)
        t["model"], t["layer"], t["channel"] = model, layer, np.arange(n)
        t["responsive"] = True
        t["response_threshold"] = 0.0
        os_ = rng.random(n) < os_fraction
        t["orientation_selective"] = os_
        t["simple"] = rng.random(n) < 0.4
        t["circular_variance"] = rng.uniform(0, 1, n)
        t["orientation_bandwidth_deg"] = np.where(os_, rng.uniform(10, 60, n), np.nan)
        t["peak_sf_cpd"] = rng.lognormal(0.5, 0.6, n)
        t["modulation_ratio"] = rng.uniform(0, 2, n)
        t["f0_above_blank_at_preferred"] = 1.0
        t["luminance_peak_amplitude"] = 1.0
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def planted_run(path, model: str, os_fraction: float, *, seed: int = 0, layers=("conv1", "layer1")):
    folder = RunFolder.create("unused", "planted", out=path)
    text = PROTOCOL if layers == ("conv1", "layer1") else PROTOCOL.replace("  - {name: layer1}\n", "")
    folder.start(protocol_text=text, model_spec=model, weights_sha256=None, device="cpu", seed=0, argv=["test"])
    units = planted_units(model, os_fraction, seed=seed, layers=layers)
    write_units(units, folder.path, ("csv",))
    write_tables(units, folder.path, references=["ringach2002_circular_variance", "ringach2002_simple_fraction",
                                                 "devalois1982b_peak_sf"], n_boot=50)
    folder.finish(n_units=len(units))
    return folder.path
