"""The centre-unit recorder: responses of every channel's centre unit of one layer, by an exact fast path.

Two shortcuts change no number:

1. **Truncation.** The forward pass stops once the recorded layer has run (forward hook + private
   exception, see :mod:`v1lab.recording.capture`).
2. **Crop.** The centre unit depends only on the input pixels in its receptive field, so the network is
   fed only a crop that contains that field. The crop is chosen so the cropped network computes the very
   same numbers:

   * its origin is a multiple of the layer's jump :math:`J` (or 0), hence a multiple of the jump
     :math:`j_l` of every intermediate layer (each :math:`j_l` divides :math:`J`): every intermediate
     grid of the crop is the full grid shifted by a whole number of units, :math:`i' = i - y_0 / j_l`;
   * it contains the field clipped to the image, and on a side where the field runs past the image
     border the crop runs to that border, so the zero padding the unit sees lies exactly where it lies
     in the full image.

   Every unit the centre unit depends on has its field inside the centre unit's field (fields are
   unions along the graph), so by induction over the layers each such unit sees the same inputs and
   padding in the crop as in the full image and has the same value. Where the field was measured instead
   (``method="empirical"``: a graph torch.fx cannot read, e.g. a user's model), the same box is used only
   after the recorder checks it: random images recorded on the crop must give the full image's responses
   (to 1e-5 of the largest); otherwise the whole image is used and :attr:`crop_note` says why and how many
   times more pixels each stimulus costs.

The recorder runs a copy of the network in which every eval-mode batch norm is folded into the convolution
before it (:mod:`v1lab.recording._folding`): the same affine maps in one pass instead of two, equal up to float32
rounding. Convolutions that are themselves the recorded layer are not folded.

On the CPU the recorder also stores the model's weights and feeds its input in channels-last memory order
(``torch.channels_last``), which oneDNN convolves faster. On layer1 to layer3 of resnet50-caffe on the 2-core
development CPU, channels-last is 1.4-1.6x faster than contiguous order and folding adds another 1.3-1.8x
(``python -m benchmarks recorder_modes``); the arithmetic is the same up to float32
summation order (within 2e-6 of the largest response there; tests bound it). On CUDA the layout is left as the
model has it.

Pixel coordinates are pixel-centre coordinates as in :class:`v1lab.stimuli.geometry.Geometry`: pixel
``k`` spans ``[k - 0.5, k + 0.5]``.
"""

import numpy as np
import torch

from v1lab.errors import RecordingError
from v1lab.recording.capture import UnitCapture
from v1lab.recording._folding import fold_batch_norms
from v1lab.recording.blocks import BLOCK_MODES, residual_block
from v1lab.recording.batching import map_batches, resolve_device
from v1lab.recording.layers import check_response_mode, resolve_layer
from v1lab.recording.receptive_field import ReceptiveField, receptive_field
from v1lab.stimuli.geometry import DEFAULT_PPD, Geometry

__all__ = ["CentreUnitRecorder", "grid_offsets"]


def grid_offsets(radius: int, step: int = 1) -> list[tuple[int, int]]:
    """Offsets ``(dy, dx)`` in feature-map units of a square grid around the centre unit.

    ``radius=1`` gives the 3 x 3 neighbourhood; offsets run from ``-radius*step`` to ``radius*step``.
    """
    if radius < 0 or step < 1:
        raise RecordingError(f"grid radius={radius!r}, step={step!r}; expected radius >= 0 and step >= 1")
    r = range(-radius * step, radius * step + 1, step)
    return [(dy, dx) for dy in r for dx in r]


class CentreUnitRecorder:
    """Record the centre unit of every channel of one layer (optionally a grid of positions).

    Parameters
    ----------
    model : LoadedModel-like
        Has ``module`` (an ``nn.Module`` in eval mode taking normalised input) and ``preprocessing``
        (``normalize(x)`` for display RGB in [0, 1], ``input_size`` in pixels).
    layer : str
        Dotted module name (see :mod:`v1lab.recording.layers`).
    response : {"post_relu", "output", "pre_relu", "shortcut", "residual", "sum"}
        Which tensor of the layer is recorded (see :mod:`v1lab.recording.layers`; the last three, the parts of a
        residual block, :mod:`v1lab.recording.blocks`).
    device : str or torch.device
        ``"cpu"``, ``"cuda[:N]"`` or ``"auto"``; the module is moved there (in place).
    positions : "centre" or sequence of (int, int)
        ``"centre"`` records the centre unit and :meth:`record` returns ``(N, C)``; a sequence of
        offsets ``(dy, dx)`` from it (e.g. :func:`grid_offsets`) returns ``(N, P, C)``.
    batch_size : int
        Starting batch size; halved on out-of-memory (:func:`~v1lab.recording.batching.map_batches`).
    ppd : float
        Pixels per degree of visual angle written into :attr:`canvas` (default 28: 224 px = 8 deg).
    memory_format : torch.memory_format, optional
        Memory order of the model's weights and input (the module is converted in place); default
        ``torch.channels_last`` on the CPU, ``torch.contiguous_format`` elsewhere.
    fold_batch_norm : bool
        Record with a copy of the network whose conv -> batch-norm pairs that run before ``layer`` are folded
        into single convolutions (default; :func:`~v1lab.recording._folding.fold_batch_norms`, checked on a
        random input of the crop's size). ``False`` runs the model as it is.

    Attributes
    ----------
    crop_box : (int, int, int, int)
        Rows ``y0:y1`` and columns ``x0:x1`` of the input that :meth:`record` takes.
    crop_note : str
        Why the whole image is recorded although the field is smaller (empty when the crop is used).
    module : nn.Module
        The network the recorder runs: the folded copy, or ``model.module`` itself when nothing was folded.
    folded_pairs : int
        How many conv -> batch-norm pairs :attr:`module` has folded.
    """

    def __init__(self, model, layer: str, *, response: str = "post_relu", device="cpu",
                 positions="centre", batch_size: int = 64, ppd: float = DEFAULT_PPD, memory_format=None,
                 fold_batch_norm: bool = True):
        module = model.module
        if module.training:
            raise RecordingError(
                f"model {type(module).__name__} is in training mode; expected eval mode (call .eval())"
            )
        self.model = model
        self.layer = layer
        self.response = check_response_mode(response)
        resolve_layer(module, layer)
        if self.response in BLOCK_MODES:
            residual_block(module, layer)  # a one-line LayerError for a module without a shortcut and a branch
        self.device = resolve_device(device)
        if memory_format is None:
            memory_format = torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        self.memory_format = memory_format
        module.to(self.device, memory_format=self.memory_format)
        self.batch_size = int(batch_size)
        self.ppd = float(ppd)
        size = int(model.preprocessing.input_size)
        self.input_shape = (size, size)
        self.receptive_field: ReceptiveField = receptive_field(module, layer, self.input_shape,
                                                               device=self.device)
        self._single = isinstance(positions, str)
        if self._single and positions != "centre":
            raise RecordingError(f"positions={positions!r}; expected 'centre' or a sequence of (dy, dx) offsets")
        offsets = [(0, 0)] if self._single else [(int(dy), int(dx)) for dy, dx in positions]
        cy, cx = self.receptive_field.centre_index
        ny, nx = self.receptive_field.map_shape
        self.unit_positions = [(cy + dy, cx + dx) for dy, dx in offsets]
        for (y, x), off in zip(self.unit_positions, offsets):
            if not (0 <= y < ny and 0 <= x < nx):
                raise RecordingError(
                    f"position offset {off} from the centre unit ({cy}, {cx}) leaves the {ny}x{nx} map"
                    f" of layer {layer!r}"
                )
        self.crop_box, self.crop_note = self._crop_box(), ""
        self.module, self.folded_pairs = module, 0
        if fold_batch_norm:
            height, width = self.input_shape
            y0, y1, x0, x1 = self.crop_box if self.receptive_field.method == "analytic" else (0, height, 0, width)
            probe = torch.randn(1, 3, y1 - y0, x1 - x0, device=self.device,
                                generator=torch.Generator(self.device).manual_seed(0))
            with _full_fp32():
                self.module, self.folded_pairs = fold_batch_norms(
                    module, probe.contiguous(memory_format=memory_format), keep=[layer], layer=layer,
                    response=self.response)
        if self.receptive_field.method != "analytic":
            self._check_crop()
        self.n_channels = int(self.record(torch.full((1, 3, *self.canvas_shape), 0.5)).shape[-1])

    # -- geometry ----------------------------------------------------------------------------
    def _crop_box(self) -> tuple[int, int, int, int]:
        rf = self.receptive_field
        spans = [rf.span(y, x) for y, x in self.unit_positions]
        box = []
        for axis, size in enumerate(self.input_shape):
            lo = min(s[2 * axis] for s in spans)
            hi = max(s[2 * axis + 1] for s in spans)  # exclusive
            jump = rf.jump[axis]
            start = 0 if lo <= 0 else (lo // jump) * jump
            stop = size if hi >= size else hi
            box += [start, stop]
        return tuple(box)

    def _check_crop(self) -> None:
        """Keep a crop of a measured field only if it reproduces the full image's responses (module docs)."""
        full = (0, self.input_shape[0], 0, self.input_shape[1])
        if self.crop_box == full:
            return
        images = 0.5 + 0.2 * torch.randn(2, 3, *self.input_shape, generator=torch.Generator().manual_seed(1))
        want = self.record_full(images)
        try:
            got = self.record(self.crop(images))
            ok = got.shape == want.shape and bool(torch.all(torch.abs(got - want) <= 1e-5 * want.abs().max() + 1e-7))
            why = "the crop gives other responses than the whole image"
        except Exception as err:  # the network may not run on a smaller input at all
            ok, why = False, f"the network does not run on the crop ({type(err).__name__}: {str(err)[:80]})"
        if not ok:
            h, w = self.canvas_shape
            self.crop_note = (f"layer {self.layer!r}: recording the whole image, not the {h} x {w} crop of its "
                              f"measured receptive field ({why}); each stimulus costs about "
                              f"{self.input_shape[0] * self.input_shape[1] / (h * w):.0f} times the pixels")
            self.crop_box = full

    @property
    def canvas_shape(self) -> tuple[int, int]:
        """``(height, width)`` of the images :meth:`record` takes (the crop)."""
        y0, y1, x0, x1 = self.crop_box
        return (y1 - y0, x1 - x0)

    @property
    def rf_centre(self) -> tuple[float, float]:
        """Receptive-field centre of the centre unit in full-image pixel coordinates."""
        return self.receptive_field.centre(*self.receptive_field.centre_index)

    @property
    def canvas(self) -> Geometry:
        """Where to render stimuli for :meth:`record`: the crop, centred on the centre unit's field."""
        y0, _, x0, _ = self.crop_box
        cy, cx = self.rf_centre
        return Geometry(*self.canvas_shape, cy - y0, cx - x0, self.ppd)

    @property
    def full_canvas(self) -> Geometry:
        """The full input image with the same stimulus centre (for :meth:`record_full`)."""
        return Geometry(*self.input_shape, *self.rf_centre, self.ppd)

    def crop(self, images: torch.Tensor) -> torch.Tensor:
        """The crop of full-size images that :meth:`record` takes (a view)."""
        self._check(images, self.input_shape, "record_full")
        y0, y1, x0, x1 = self.crop_box
        return images[..., y0:y1, x0:x1]

    # -- recording ---------------------------------------------------------------------------
    def record(self, images: torch.Tensor) -> torch.Tensor:
        """Responses to display images rendered on :attr:`canvas` (fast path: crop + truncation).

        Parameters
        ----------
        images : Tensor, shape (N, 3, H, W)
            Display sRGB in [0, 1] with ``(H, W) == canvas_shape``; any device.

        Returns
        -------
        Tensor, float32 on the CPU, shape (N, C), or (N, P, C) for a grid of positions.
        """
        self._check(images, self.canvas_shape, "record")
        y0, _, x0, _ = self.crop_box
        jy, jx = self.receptive_field.jump
        shifted = [(y - y0 // jy, x - x0 // jx) for y, x in self.unit_positions]
        return self._run(images, shifted, truncate=True)

    def record_set(self, stimuli, *, batch_size: int | None = None, render_batch_size: int | None = None,
                   progress=None) -> np.ndarray:
        """Responses (n_stimuli, C) to every stimulus of a :class:`~v1lab.stimuli.StimulusSet`.

        Stimuli are rendered on the recording device, on :attr:`canvas`, ``batch_size`` at a time (default the
        recorder's), drawn ``render_batch_size`` at a time (default ``batch_size``), so memory does not grow
        with the size of the set (:func:`~v1lab.recording.memory.plan_memory` sizes both); ``progress`` (a tqdm
        bar) is advanced by the number of stimuli recorded.
        """
        n, step, out = len(stimuli.params), int(batch_size or self.batch_size), []
        draw = int(render_batch_size or step)
        for start in range(0, n, step):
            rows = np.arange(start, min(start + step, n))
            out.append(self.record(stimuli.render(self.canvas, rows, device=self.device, batch_size=draw)))
            if progress is not None:
                progress.update(len(rows))
        return torch.cat(out).numpy() if out else np.zeros((0, self.n_channels), np.float32)

    def record_full(self, images: torch.Tensor) -> torch.Tensor:
        """Responses to full-size images by the naive path (whole image, whole network); as :meth:`record`."""
        self._check(images, self.input_shape, "record_full")
        return self._run(images, self.unit_positions, truncate=False)

    def _check(self, images, shape, where):
        if images.dim() != 4 or images.shape[1] != 3 or tuple(images.shape[-2:]) != tuple(shape):
            raise RecordingError(
                f"{where}: images of shape {tuple(images.shape)}; expected (N, 3, {shape[0]}, {shape[1]})"
                f" for layer {self.layer!r}"
            )

    def _run(self, images, positions, *, truncate):
        normalize = self.model.preprocessing.normalize

        def forward(batch):
            x = normalize(batch.to(self.device, torch.float32)).contiguous(memory_format=self.memory_format)
            return cap.run(x).cpu()

        with torch.no_grad(), _full_fp32(), UnitCapture(self.module, self.layer, self.response, positions,
                                                        truncate=truncate) as cap:
            out, self.batch_size = map_batches(forward, images, self.batch_size)
        return out[:, 0] if self._single else out


def _full_fp32():
    """cuDNN with TF32 off (its default for convolutions is on): responses are float32 on every device.

    TF32 rounds the inputs of each convolution to a 10-bit mantissa, which changes responses by about
    1e-3 relative and lets the crop and the full image differ by more than float32 rounding.
    """
    cudnn = torch.backends.cudnn
    return cudnn.flags(enabled=cudnn.enabled, benchmark=cudnn.benchmark, deterministic=cudnn.deterministic,
                       allow_tf32=False)
