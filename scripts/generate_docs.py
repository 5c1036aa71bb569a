"""Regenerate the documentation that is read off the code: the units table's data dictionary (docs/units.md),
the protocol keys (the marked block of docs/protocols.md) and the JSON Schemas of protocol and stimulus-set
files (schemas/). Tests fail when any is stale.

    python scripts/generate_docs.py
"""

from pathlib import Path

from v1lab.protocol.json_schema import SCHEMA_FILES, schema_text
from v1lab.protocol.keys import protocol_keys_markdown
from v1lab.units import data_dictionary

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
START, END = "<!-- generated: protocol keys -->", "<!-- end of generated protocol keys -->"

UNITS_HEADER = """# The units table

One row per recorded unit: the centre unit of one channel of one layer. Its columns are declared once, in
`v1lab.units` (name, dtype, unit, description, the analysis that fills it, the source of its definition); the
characterisation fills exactly these columns, `v1lab.units.write_units` writes them (`units.csv` and/or
`units.parquet`, whichever the protocol's `output.formats` names; Parquet fields carry the unit, description,
analysis and citation as metadata) and `v1lab.units.read_units` reads either back in the declared dtypes. This
page is generated from the declarations (`python scripts/generate_docs.py`).

Booleans are nullable (`<NA>` where the data for a class do not exist, e.g. `simple` of an unresponsive unit).
Fit statuses: `ok`, `failed` (with the reason), `skipped` (unresponsive unit, or `fits: false`) and `no data` (the
role's stimulus set is not in the protocol). Definitions, equations and conventions: docs/metrics.md.

"""


def main() -> None:
    (DOCS / "units.md").write_text(UNITS_HEADER + data_dictionary(), encoding="utf-8")
    path = DOCS / "protocols.md"
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{protocol_keys_markdown()}{END}{tail}", encoding="utf-8")
    SCHEMAS.mkdir(exist_ok=True)
    for name, filename in SCHEMA_FILES.items():
        (SCHEMAS / filename).write_text(schema_text(name), encoding="utf-8")


if __name__ == "__main__":
    main()
