"""Devices and batches: stream a stack of images through a function, halving the batch on out-of-memory."""

import logging

import torch

from v1lab.errors import RecordingError

__all__ = ["resolve_device", "is_out_of_memory", "map_batches"]

log = logging.getLogger(__name__)


def resolve_device(device="auto") -> torch.device:
    """``"auto"`` -> ``cuda`` if available else ``cpu``; other names (``"cpu"``, ``"cuda:1"``) are checked.

    Raises
    ------
    RecordingError
        For a name torch does not know, or a CUDA device that is not available.
    """
    if isinstance(device, torch.device):
        dev = device
    elif device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError) as err:
            raise RecordingError(f"device {device!r} is not known; expected 'auto', 'cpu' or 'cuda[:N]'") from err
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise RecordingError(f"device {device!s} requested but CUDA is not available; expected 'cpu' or 'auto'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise RecordingError(
                f"device {device!s} requested but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
    elif dev.type != "cpu":
        raise RecordingError(f"device {device!s} is not supported; expected 'auto', 'cpu' or 'cuda[:N]'")
    return dev


def is_out_of_memory(err: BaseException) -> bool:
    """True for CUDA's ``torch.OutOfMemoryError`` and the allocators' "out of memory" runtime errors."""
    if isinstance(err, torch.OutOfMemoryError):
        return True
    text = str(err).lower()
    return isinstance(err, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def map_batches(fn, inputs: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, int]:
    """Apply ``fn`` to consecutive slices of ``inputs`` (first axis) and concatenate the results.

    When ``fn`` runs out of memory the batch size is halved and the same slice retried; the smaller size
    is kept for the rest of the stack. Out of memory at batch size 1 is re-raised.

    Parameters
    ----------
    fn : callable
        ``Tensor (B, ...) -> Tensor (B, ...)``.
    inputs : Tensor
        The stack, on any device (``fn`` moves each slice where it needs it).
    batch_size : int
        Starting batch size (>= 1).

    Returns
    -------
    out : Tensor
        ``fn`` of every slice, concatenated along the first axis.
    batch_size : int
        The batch size that last succeeded.
    """
    if int(batch_size) < 1:
        raise RecordingError(f"batch_size={batch_size!r}; expected an integer >= 1")
    size = int(batch_size)
    outs, start, n = [], 0, inputs.shape[0]
    while start < n:
        try:
            outs.append(fn(inputs[start:start + size]))
        except (RuntimeError, torch.OutOfMemoryError) as err:
            if not is_out_of_memory(err) or size == 1:
                raise
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            size = max(1, size // 2)
            log.warning("out of memory; batch size reduced to %d", size)
            continue
        start += outs[-1].shape[0]
    if not outs:
        raise RecordingError("no images to record; expected a stack of at least one image")
    return torch.cat(outs), size
