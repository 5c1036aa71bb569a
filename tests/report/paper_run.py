"""A small, coherent run folder built by hand: responses of two layers to real stimulus parameters, the units
table the characterisation computes from them, the population tables, and preferred/ and lesion/ results."""

import json

import numpy as np
import pandas as pd
import yaml

from v1lab.characterisation import AnalysisRoles, characterise_layer
from v1lab.population import write_tables
from v1lab.recording import layer_dataset, save_layer
from v1lab.stimuli import stimulus_set_from_dict
from v1lab.units import write_units

MODEL = "planted/net"
PPD = 28.0
LAYERS = {"conv1": (6, 7), "layer1": (8, 35)}          # label -> (units, receptive field in pixels)
ROLES = {"luminance_gratings": "lum", "chromatic_gratings": "chrom", "uniform_fields": "fields",
         "size_sweep": "size", "contrast_sweep": "contrast"}
LUM = {"name": "lum", "family": "grating", "fixed": {"color_direction": "luminance"},
       "grid": {"orientation_deg": {"linspace": [0, 180], "num": 6, "endpoint": False},
                "sf_cpd": [0.5, 1.0, 2.0, 4.0, 8.0], "phase_deg": [0, 90, 180, 270]}}
CHROM = {**LUM, "name": "chrom", "fixed": {"color_direction": "L-M"}}
FIELDS = {"name": "fields", "family": "color_field", "grid": {"color_direction": ["L-M", "S", "luminance"]}}
SIZE = {"name": "size", "family": "grating", "fixed": {"aperture": "circular", "orientation_deg": 0, "sf_cpd": 1.0,
                                                       "size_deg": 1.0},
        "grid": {"phase_deg": [0, 90, 180, 270]}}
CONTRAST = {"name": "contrast", "family": "grating", "fixed": {"orientation_deg": 0, "sf_cpd": 1.0},
            "grid": {"contrast": [0.0625, 0.125, 0.25, 0.5, 1.0], "phase_deg": [0, 90, 180, 270]}}
SIZES = [0.25, 0.5, 1.0, 2.0, 4.0]


def _params(definition, expand=None):
    stim = stimulus_set_from_dict({**definition, "ppd": PPD})
    return stim.expand(expand).params if expand else stim.params


def _drive(p: pd.DataFrame, unit: dict) -> np.ndarray:
    """A planted unit: von Mises in orientation, log-Gaussian in SF, half-wave phase modulation, ratio of
    Gaussians in size, Naka-Rushton in contrast; colour by the colour direction; ``gain`` 0: silent."""
    def col(name, default):
        return np.nan_to_num(p[name].to_numpy(float), nan=default) if name in p else np.full(len(p), default)

    ori, sf, phase, size = col("orientation_deg", unit["ori"]), col("sf_cpd", 0.01), col("phase_deg", 0), col(
        "size_deg", 8.0)
    c = p["contrast"].to_numpy(float)
    g = np.exp(2.0 * (np.cos(2 * np.deg2rad(ori - unit["ori"])) - 1)) * np.exp(-np.log2(sf / unit["sf"]) ** 2 / 2)
    g *= (1 - unit["simple"]) + unit["simple"] * np.maximum(0, np.cos(np.deg2rad(phase)))
    g *= np.tanh(size / 0.6) / (1 + 0.5 * np.tanh(size / 2.0))
    g *= c ** 2 / (c ** 2 + 0.2 ** 2)
    colour = p["color_direction"].astype(str).map({"luminance": 1.0, "L-M": unit["lm"]}).fillna(0.3).to_numpy()
    return 0.2 + 3.0 * unit["gain"] * g * colour


def make_paper_run(path, *, status="complete"):
    """Write the run folder; returns {layer: responses Dataset}."""
    rng = np.random.default_rng(11)
    path.mkdir(parents=True, exist_ok=True)
    protocol = {"name": "paper", "description": "planted units", "model": MODEL, "seed": 0, "ppd": PPD,
                "layers": [{"name": "relu", "label": "conv1"}, {"name": "layer1"}],
                "stimuli": ["lum", "chrom", "fields", {"file": "size", "at": "preferred"},
                            {"file": "contrast", "at": "preferred"}],
                "analyses": {"roles": ROLES}, "references": ["ringach2002", "cavanaugh2002"]}
    frames, datasets = [], {}
    for layer, (n, rf) in LAYERS.items():
        units = [dict(ori=rng.uniform(0, 180), sf=2 ** rng.uniform(-0.5, 2.5), simple=float(rng.random() < 0.5),
                      lm=rng.uniform(0.0, 1.5), gain=float(i > 0 or layer != "conv1")) for i in range(n)]
        optima = pd.DataFrame({"closed_loop_orientation_deg": [30.0 * round(u["ori"] / 30) % 180 for u in units],
                               "closed_loop_sf_cpd": [2.0 ** round(np.log2(u["sf"])) for u in units]})
        optima[[u["gain"] == 0 for u in units]] = np.nan     # conv1 channel 0 is silent: no closed-loop optimum
        points = [{"orientation_deg": o, "sf_cpd": f}
                  for o, f in optima.dropna().drop_duplicates().itertuples(index=False)]
        tables = {"lum": _params(LUM), "chrom": _params(CHROM), "fields": _params(FIELDS),
                  "size": _params(SIZE, [{**pt, "size_deg": s} for pt in points for s in SIZES]),
                  "contrast": _params(CONTRAST, points)}
        parts = [(name, t, np.stack([_drive(t, u) for u in units], axis=1)
                  * rng.uniform(0.97, 1.03, (len(t), n))) for name, t in tables.items()]
        attrs = {"model": MODEL, "layer": layer, "ppd": PPD, "module": "relu" if layer == "conv1" else layer,
                 "response": "post_relu", "rf_size_px": [rf, rf], "rf_size_deg": [rf / PPD, rf / PPD],
                 "rf_jump_px": [2, 2], "crop_box_px": [0, rf + 1, 0, rf + 1]}
        ds = layer_dataset(parts, np.full(n, 0.2), channels=np.arange(n), attrs=attrs,
                           unit_variables={k: v.to_numpy() for k, v in optima.items()})
        save_layer(path / "responses" / f"{layer}.nc", ds)
        datasets[layer] = ds
        frames.append(characterise_layer(ds, AnalysisRoles(**ROLES)))
    units = pd.concat(frames, ignore_index=True)
    write_units(units, path, formats=("csv",))
    (path / "protocol.yaml").write_text(yaml.safe_dump(protocol, sort_keys=False), encoding="utf-8")
    manifest = {"v1lab_run": 2, "model": MODEL, "seed": 0, "status": status, "protocol": yaml.safe_dump(protocol),
                "started": "2026-11-30T10:00:00+00:00", "finished": "2026-11-30T10:01:00+00:00"}
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_tables(units, path, references=["ringach2002_simple_fraction", "ringach2002_circular_variance",
                                          "cavanaugh2002_strongly_suppressed_fraction", "devalois1982b_peak_sf"],
                 n_boot=20, seed=0, layer_order=list(LAYERS))
    _preferred(path / "preferred", units[units["layer"] == "conv1"], rng)
    (path / "lesion").mkdir()
    (path / "lesion" / "notes.txt").write_text("Images: the shared ImageNet sample.\n", encoding="utf-8")
    pd.DataFrame({"set": ["simple", "random"], "delta_top1": [-0.01, 0.0]}).to_csv(path / "lesion" / "lesion.csv",
                                                                                   index=False)
    return datasets


def _preferred(folder, rows: pd.DataFrame, rng):
    folder.mkdir(parents=True)
    n = len(rows)
    np.savez_compressed(folder / "preferred_images_conv1.npz", channels=rows["channel"].to_numpy(),
                        optimised=rng.uniform(0.3, 0.7, (n, 3, 8, 8)).astype(np.float32),
                        filter=rng.uniform(0, 1, (n, 3, 8, 8)).astype(np.float32),
                        filter_rf_box=np.array([0, 7, 0, 7]),
                        top_mean=rng.uniform(0, 1, (n, 3, 8, 8)).astype(np.float32),
                        top_product=rng.normal(0, 1, (n, 3, 8, 8)).astype(np.float32))
    pd.DataFrame({"layer": "conv1", "channel": rows["channel"].to_numpy(), "stim_orientation_deg": 10.0,
                  "stim_sf_cpd": 2.0, "stim_color_class": "luminance"}).to_csv(
        folder / "preferred_stimuli_conv1.csv", index=False)
    from PIL import Image

    Image.new("RGB", (3456, 40), (90, 90, 90)).save(folder / "gallery_conv1.png")  # the one-image gallery
