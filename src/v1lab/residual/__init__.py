"""What ResNet's skip connections do: block dissection (shortcut, residual branch, sum at the same units) and
block-drop lesions (each block's branch removed, its shortcut kept). See docs/skip_connections.md.

* :func:`run_block_drop`, :class:`BlockDropEngine`, :func:`block_drop_table`: top-1 with one block dropped at a time,
  beside Veit, Wilber & Belongie (2016);
* :func:`dissection_protocol`, :func:`dissection_table`: characterise each block's shortcut, residual, sum and output
  like any layer, and tabulate what the branch changes.
"""

from v1lab.residual.dissection import MODES, dissection_protocol, dissection_table, run_dissection
from v1lab.residual.drop import BlockDropEngine, block_drop_table, dropped_output
from v1lab.residual.experiment import evenly_spaced, plot_block_drop, run_block_drop

__all__ = ["BlockDropEngine", "block_drop_table", "dropped_output", "evenly_spaced", "plot_block_drop",
           "run_block_drop", "MODES", "dissection_protocol", "dissection_table", "run_dissection"]
