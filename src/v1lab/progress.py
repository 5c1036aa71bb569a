"""Progress for steps that take more than a couple of seconds and have no natural count: a line with the
step's name and its elapsed time (tqdm), which turns into the step's duration when it ends."""

from __future__ import annotations

from contextlib import contextmanager

from tqdm.auto import tqdm

__all__ = ["step"]


@contextmanager
def step(desc: str, *, enabled: bool = True):
    """``with step("layer3: recorder set-up"): ...`` shows ``layer3: recorder set-up 00:05`` while it runs."""
    with tqdm(total=1, desc=desc, bar_format="{desc} {elapsed}", disable=not enabled) as bar:
        yield
        bar.update()
