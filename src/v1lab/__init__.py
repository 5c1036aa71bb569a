"""v1lab: a virtual neurophysiology lab for convolutional networks.

Show a network the stimuli a physiologist shows a V1 cell (gratings, bars, colour patches inside the
receptive field), record the centre unit of every channel, and characterise the units as V1 cells are
characterised: tuning curves, simple/complex, orientation selectivity, colour opponency.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
