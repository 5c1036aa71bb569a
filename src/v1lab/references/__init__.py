"""Biological reference data: published V1 population distributions, with citations and provenance.

Each shipped reference is one JSON file in ``references/data`` (bin edges, counts, n, species, area,
source, definition, inclusion rule). See ``docs/references.md`` for the list and how each was obtained.

>>> from v1lab.references import load_reference, list_references
>>> "ringach2002_circular_variance" in list_references()
True
"""

from v1lab.references._reference import (CONVENTION_FIELDS, Citation, Reference, list_references, load_reference,
                                         match_references)

__all__ = ["CONVENTION_FIELDS", "Citation", "Reference", "list_references", "load_reference", "match_references"]
