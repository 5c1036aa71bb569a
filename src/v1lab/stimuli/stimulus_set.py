"""Stimulus sets: a family and a full-factorial parameter grid, read from YAML, rendered in batches.

File format (``stimuli/NAME.yaml``)::

    name: gratings_osp            # the set's name (a contract with the protocols)
    family: grating               # one of v1lab.stimuli.FAMILIES
    description: ...              # free text
    ppd: 28                       # optional, pixels per degree (default 28: 224 px = 8 deg)
    fixed:                        # constant parameters
      contrast: 1.0
    grid:                         # swept parameters, full factorial, first key varies slowest
      orientation_deg: {linspace: [0, 180], num: 12, endpoint: false}
      sf_cpd: {geomspace: [0.5, 8], num: 5}
      phase_deg: [0, 90, 180, 270]
      seed: {range: [0, 10]}      # integers start..stop-1

``grid`` may also be a list of such mappings: the set is then the union of their factorial designs, in order.
The file's structure and types are validated by the family's model (:mod:`v1lab.stimuli.schema`), its values
on the expanded rows (:func:`v1lab.stimuli.families.prepare_params`).
"""

import numpy as np
import pandas as pd
import torch

from v1lab.errors import StimulusError
from v1lab.safe_yaml import read_yaml
from v1lab.stimuli.colorimetry import encode_srgb
from v1lab.stimuli.families import CATEGORICAL, FAMILIES, prepare_params
from v1lab.stimuli.geometry import Geometry, subpixel_coordinates
from v1lab.stimuli.patterns import FAMILY_PATTERNS
from v1lab.stimuli.schema import MAX_STIMULI, check_stimulus_count, parse_stimulus_set

__all__ = ["StimulusSet", "load_stimulus_set", "stimulus_set_from_dict", "build_stimulus_set", "blank",
           "RENDER_BYTES_PER_PIXEL"]
_DEFAULT_SUPERSAMPLE = 4
#: Bytes per stimulus pixel that :meth:`StimulusSet.render` holds while drawing (float32: the pattern's
#: temporaries, its running sum and the three colour channels with the sRGB encoding's temporaries).
RENDER_BYTES_PER_PIXEL = 4 * 16


def blank(geometry: Geometry, *, mean_luminance: float = 0.5, device="cpu", dtype=torch.float32) -> torch.Tensor:
    """The uniform grey screen (1, 3, H, W) of CIE Y ``mean_luminance`` (linear light), as display sRGB."""
    grey = torch.full((1, 3, geometry.height_px, geometry.width_px), float(mean_luminance), device=device,
                      dtype=dtype)
    return encode_srgb(grey).clamp(0.0, 1.0)  # the same operations as StimulusSet.render, bit for bit


class StimulusSet:
    """A named, validated table of stimuli of one family, rendered on demand.

    Attributes
    ----------
    name, family, description : str
    params : pandas.DataFrame
        One row per stimulus, every parameter as a column (degrees and pixels at ``ppd``; colour as
        direction name, DKL angles, DKL length, cone contrasts and luminance contrast at the peak).
    ppd : float
        Pixels per degree the pixel columns refer to; :meth:`render` requires a geometry with this ``ppd``.
    source : str
        Where the set came from (file path or protocol location), used in error messages.
    """

    def __init__(self, name: str, family: str, description: str, params: pd.DataFrame, ppd: float,
                 source: str, *, rows: list[dict], background: np.ndarray, amplitude: np.ndarray):
        self.name, self.family, self.description = name, family, description
        self.params, self.ppd, self.source = params, float(ppd), source
        self._rows, self._background, self._amplitude = rows, background, amplitude

    def __len__(self) -> int:
        return len(self.params)

    def __repr__(self) -> str:
        return f"StimulusSet({self.name!r}, family={self.family!r}, n={len(self)}, ppd={self.ppd:g})"

    def with_ppd(self, ppd: float) -> "StimulusSet":
        """The same stimuli (in degrees) with pixel columns at another ``ppd`` (validated again: Nyquist)."""
        return _build(self.name, self.family, self.description, self._rows, ppd, self.source)

    def expand(self, assignments, *, name: str | None = None) -> "StimulusSet":
        """The union, over ``assignments`` (mappings of parameter values), of this set's stimuli with those
        parameters set: e.g. a size sweep shown at several (orientation, SF) optima. Validated again."""
        rows = [{**row, **dict(assignment)} for assignment in assignments for row in self._rows]
        return _build(name or self.name, self.family, self.description, rows, self.ppd, self.source)

    def blank(self, geometry: Geometry, *, device="cpu", dtype=torch.float32) -> torch.Tensor:
        """The uniform mean-grey screen (1, 3, H, W), identical to the background of every stimulus."""
        levels = np.unique(self.params["mean_luminance"])
        if len(levels) != 1:
            raise StimulusError(f"{self.source}: field 'mean_luminance' takes {len(levels)} values "
                                f"({', '.join(f'{v:g}' for v in levels)}), expected one for a single blank screen")
        return blank(geometry, mean_luminance=levels[0], device=device, dtype=dtype)

    def render(self, geometry: Geometry, rows=None, *, device="cpu", dtype=torch.float32,
               supersample: int = _DEFAULT_SUPERSAMPLE, batch_size: int = 16) -> torch.Tensor:
        """Display-sRGB images (len(rows), 3, H, W) in [0, 1] of the chosen stimuli, drawn on ``device``.

        Parameters
        ----------
        geometry : Geometry
            Canvas and stimulus centre; ``geometry.ppd`` must equal the set's ``ppd``.
        rows : array of int, optional
            Positions (0-based) in :attr:`params`; all stimuli if omitted.
        supersample : int
            Sub-pixel samples per pixel side; the pattern is averaged over ``supersample**2`` points per
            pixel (box-filter anti-aliasing of edges). 1 samples pixel centres only.
        batch_size : int
            Stimuli drawn at once: besides the returned images, drawing holds about
            ``RENDER_BYTES_PER_PIXEL * batch_size * H * W`` bytes (float32), whatever ``supersample``.

        Notes
        -----
        Each image is ``encode_srgb(background + m(x, y) * amplitude)``: the modulation ``m`` is averaged over
        each pixel in linear light, then sRGB-encoded, as a calibrated display would show it. The average is
        accumulated one sub-pixel offset at a time (:func:`~v1lab.stimuli.geometry.subpixel_coordinates`).
        """
        if not np.isclose(geometry.ppd, self.ppd, rtol=1e-12, atol=0):
            raise StimulusError(f"{self.source}: geometry ppd {geometry.ppd:g} differs from the set's ppd "
                                f"{self.ppd:g}, expected the same (use StimulusSet.with_ppd({geometry.ppd:g}))")
        index = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64).reshape(-1)
        if index.size and (index.min() < -len(self) or index.max() >= len(self)):
            raise StimulusError(f"{self.source}: field 'rows' holds {index.min()}..{index.max()}, "
                                f"expected positions in 0..{len(self) - 1}")
        index = index % max(len(self), 1)
        out = torch.empty((len(index), 3, geometry.height_px, geometry.width_px), device=device, dtype=dtype)
        if not len(index):
            return out
        x, y = subpixel_coordinates(geometry, supersample, device=device, dtype=dtype)
        sub = self.params.iloc[index]
        keys = [c for c in CATEGORICAL if c in sub and c != "color_direction"]
        groups = sub.groupby(keys, sort=False).indices if keys else {(): np.arange(len(sub))}
        for key, positions in groups.items():
            categorical = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
            for start in range(0, len(positions), batch_size):
                pos = positions[start:start + batch_size]
                out[torch.as_tensor(pos, device=device)] = self._draw(index[pos], categorical, x, y,
                                                                      supersample, device, dtype)
        return out

    def _draw(self, stim_rows, categorical, x, y, supersample, device, dtype):
        table = self.params.iloc[stim_rows]
        numeric = {}
        for column in FAMILIES[self.family]:
            if column == "polarity":
                values = np.where(table["polarity"].to_numpy() == "light", 1.0, -1.0)
            elif column in CATEGORICAL:
                continue
            else:
                values = table[column].to_numpy(dtype=np.float64)
            numeric[column] = torch.tensor(values, dtype=dtype).to(device).reshape(-1, 1, 1)
        if "seed" in table:
            numeric["seed"] = torch.tensor(table["seed"].to_numpy(np.int64), device=device).reshape(-1, 1, 1)
        numeric["contrast"] = torch.tensor(table["contrast"].to_numpy(), dtype=dtype).to(device).reshape(-1, 1, 1)
        numeric["sample_deg"] = 1.0 / (self.ppd * supersample)  # width of one sub-pixel sample, degrees
        pattern = FAMILY_PATTERNS[self.family]
        m = torch.zeros((len(stim_rows), y[0].shape[0], x[0].shape[1]), device=device, dtype=dtype)
        for ys in y:
            for xs in x:
                m += pattern(xs, ys, numeric, categorical)
        m /= supersample * supersample
        background = torch.tensor(self._background[stim_rows], dtype=dtype).to(device)[:, :, None, None]
        amplitude = torch.tensor(self._amplitude[stim_rows], dtype=dtype).to(device)[:, :, None, None]
        return encode_srgb(background + m[:, None] * amplitude).clamp(0.0, 1.0)


def _build(name, family, description, rows, ppd, source) -> StimulusSet:
    params, background, amplitude = prepare_params(rows, family, source, ppd)
    return StimulusSet(name, family, description, params, ppd, source, rows=rows,
                       background=background, amplitude=amplitude)


def build_stimulus_set(model, *, source: str = "<dict>") -> StimulusSet:
    """The :class:`StimulusSet` of a validated file model (:func:`v1lab.stimuli.schema.parse_stimulus_set`)."""
    return _build(model.name, model.family, model.description, model.rows(), model.ppd, source)


def stimulus_set_from_dict(data: dict, *, source: str = "<dict>", max_stimuli: int = MAX_STIMULI) -> StimulusSet:
    """Validate a stimulus-set definition (the YAML file's content, or a protocol's inline set).

    A set of more than ``max_stimuli`` stimuli is refused before its grid is expanded.
    """
    model = parse_stimulus_set(data, source=source)
    check_stimulus_count(model.n_stimuli, max_stimuli, f"{source}: field 'grid'")
    return build_stimulus_set(model, source=source)


def load_stimulus_set(path, *, max_stimuli: int = MAX_STIMULI) -> StimulusSet:
    """Read and validate a stimulus-set YAML file (format in the module docstring and docs/stimuli.md).

    The file is read with bounds (:mod:`v1lab.safe_yaml`); a set of more than ``max_stimuli`` stimuli is refused.
    """
    return stimulus_set_from_dict(read_yaml(path), source=str(path), max_stimuli=max_stimuli)
