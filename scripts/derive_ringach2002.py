"""Write v1lab's Ringach, Shapley & Hawken (2002) reference files from the per-neuron database.

Usage::

    python scripts/derive_ringach2002.py [path/to/ringach_2002_db.mat]

The database defaults to ``../shared/data/ringach2002/ringach_2002_db.mat`` beside the checkout and is
never copied into the repository: only the binned distributions and summary statistics computed by
:func:`v1lab.references._ringach2002.derive_ringach2002` are written, one JSON file per reference,
into ``src/v1lab/references/data``. ``tests/references`` re-derives them and checks the shipped files.
"""

import json
import sys
from pathlib import Path

from v1lab.runs.atomic import write_text
from v1lab.references._ringach2002 import derive_ringach2002

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DB = REPO.parent / "shared" / "data" / "ringach2002" / "ringach_2002_db.mat"
OUT = REPO / "src" / "v1lab" / "references" / "data"


def main(argv: list[str]) -> int:
    db = Path(argv[0]) if argv else DEFAULT_DB
    for name, payload in derive_ringach2002(db).items():
        path = write_text(OUT / f"{name}.json", json.dumps(payload, indent=2) + "\n")
        print(f"wrote {path.relative_to(REPO)} (n={payload['n']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
