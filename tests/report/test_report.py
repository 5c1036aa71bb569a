"""The HTML report: tables equal the CSVs, figures embedded, self-contained, optional sections, CLI errors."""

import base64
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from .conftest import EXTRA_IMAGE, EXTRA_TABLES, LAYERS, MODEL, make_run
from .html_tree import parse_report
from v1lab.cli import main
from v1lab.errors import RunFolderError
from v1lab.population import population_table
from v1lab.references import list_references, load_reference
from v1lab.report import build_report, format_value

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _text(parser) -> str:
    return " ".join(" ".join(parser.text).split())


def assert_cell_matches(text: str, value, where: str) -> None:
    """A displayed cell equals the CSV value: exactly for text, flags and integers; to 3 digits otherwise."""
    if isinstance(value, (bool, np.bool_)):
        assert text == str(bool(value)), where
    elif isinstance(value, (int, np.integer)):
        assert text == str(int(value)), where
    elif isinstance(value, (float, np.floating)):
        if math.isnan(value):
            assert text == "", where
        else:
            shown = float(text)
            assert shown == pytest.approx(value, rel=5e-3, abs=0.0), f"{where}: {text!r} vs {value!r}"
    else:
        assert text == str(value), where


def assert_table_equals_csv(table: dict, csv: pd.DataFrame, name: str, n_rows=None) -> None:
    assert table["header"] == list(csv.columns), name
    expected = csv if n_rows is None else csv.head(n_rows)
    assert len(table["rows"]) == len(expected), name
    for i, (row, (_, values)) in enumerate(zip(table["rows"], expected.iterrows())):
        assert len(row) == len(values), f"{name} row {i}"
        for text, (col, value) in zip(row, values.items()):
            assert_cell_matches(text, value, f"{name} row {i} column {col}")


@pytest.mark.parametrize("stem", ["population", "comparison", "most_v1_like", "depth_tests"])
def test_tables_equal_the_csvs(built, stem):
    run, report = built
    parser = parse_report(report)
    csv = pd.read_csv(run / f"{stem}.csv")
    assert len(csv) > 0
    assert_table_equals_csv(parser.tables[f"table-{stem}.csv"], csv, stem)


def test_unit_tables_show_small_layers_whole_and_the_first_rows_of_large_ones(built):
    run, report = built
    parser = parse_report(report)
    units = pd.read_csv(run / "units.csv")
    for layer, n in LAYERS.items():
        rows = units[units["layer"] == layer].reset_index(drop=True)
        table = parser.tables[f"table-units-torchvision_resnet18_{layer}"]
        assert_table_equals_csv(table, rows, layer, n_rows=10)
        assert len(table["rows"]) == min(n, 10)
    text = _text(parser)
    assert "First 10 of 30 rows; all rows in units.csv." in text  # layer1
    assert "First 10 of 12 rows" in text  # conv1
    assert "of 9 rows" not in text  # layer2 is shown whole
    # tiny fit parameters keep their significant digits instead of rounding to 0
    assert any("e-0" in cell for row in parser.tables["table-units-torchvision_resnet18_conv1"]["rows"]
               for cell in row)


def test_every_figure_is_embedded_as_a_png(built):
    run, report = built
    parser = parse_report(report)
    written = sorted((run / "figures").glob("*.png"))
    # one distribution figure per layer, the class fractions, the fractions beside macaque V1, the score heatmap
    # and the pixels-per-degree sensitivity of the model (no responses in this folder: no curves, no stimuli)
    assert sorted(p.name for p in written) == sorted(
        [f"distributions_torchvision_resnet18_{layer}.png" for layer in LAYERS]
        + [f"{kind}_torchvision_resnet18.png" for kind in ("class_fractions", "macaque_fractions", "scores",
                                                            "ppd_sensitivity")])
    assert all(p.with_suffix(".pdf").is_file() for p in written)
    expected = [p.read_bytes() for p in written] + [(run / EXTRA_IMAGE).read_bytes()]
    assert len(parser.images) == len(expected)
    embedded = []
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG_SIGNATURE)
        embedded.append(data)
    assert sorted(embedded) == sorted(expected)
    for path in written:
        with Image.open(path) as image:
            assert image.info["dpi"] == pytest.approx((150, 150), abs=0.05)  # PNG stores pixels per metre


def test_preferred_and_lesion_folders_are_embedded(built):
    _, report = built
    parser = parse_report(report)
    assert {"preferred", "lesion"} <= set(parser.section_ids)
    for name, table in EXTRA_TABLES.items():
        assert_table_equals_csv(parser.tables[f"table-{name.replace('/', '_')}"], table, name)


def test_the_page_loads_nothing_from_outside(built):
    _, report = built
    parser = parse_report(report)
    assert "script" not in parser.tags and "link" not in parser.tags and "iframe" not in parser.tags
    for tag, attr, value in parser.attributes:
        if attr == "src":
            assert value.startswith("data:"), (tag, value[:40])
        if attr == "href":  # in-page anchors, DOI links a reader may follow, each figure's PDF beside the report
            assert (value.startswith("#") or value.startswith("https://doi.org/")
                    or (value.startswith("figures/") and (report.parent / value).is_file())), value
    assert "url(" not in parser.style and "@import" not in parser.style
    assert "http://" not in report.read_text(encoding="utf-8")


def test_run_information_and_methods_come_from_the_folder(built):
    run, report = built
    parser = parse_report(report)
    text = _text(parser)
    manifest = json.loads((run / "manifest.json").read_text())
    for value in (manifest["weights_sha256"], MODEL, "2025-01-01T10:05:00+00:00", "2.14.0", "seed 3"):
        assert value in text
    assert "A hand-built run folder <for tests> & nothing else." in text  # escaped, shown as text
    used = set(pd.read_csv(run / "comparison.csv")["reference"])
    cited = {" ".join(str(load_reference(name).citation).split()) for name in used}
    for name in list_references():
        citation = " ".join(str(load_reference(name).citation).split())
        assert (citation in text) == (citation in cited), name  # the citations of exactly the references used
    assert "Schiller P.H." not in text  # the citation of a source the run was not compared with


def test_cli_recomputes_missing_tables_and_builds_without_optional_folders(tmp_path, rng, capsys):
    run = tmp_path / "run"
    units = make_run(run, rng, tables=False)
    assert main(["report", str(run), "--n-boot", "20"]) == 0
    out = capsys.readouterr()
    report = run / "report.html"
    assert out.out.strip() == f"v1lab: report in {report}" and out.err == ""
    for stem in ("population", "population_long", "depth_tests", "comparison", "most_v1_like"):
        assert (run / f"{stem}.csv").is_file()
    pd.testing.assert_frame_equal(pd.read_csv(run / "population.csv"),
                                  pd.read_csv(io.StringIO(population_table(units).to_csv(index=False))))
    # protocol.yaml names "cavanaugh2002" (every file of that source) and "devalois1982b_peak_sf" (one file)
    expected = {n for n in list_references() if n.startswith("cavanaugh2002_")} | {"devalois1982b_peak_sf"}
    assert len(expected) == 3
    assert set(pd.read_csv(run / "comparison.csv")["reference"]) == expected
    parser = parse_report(report)
    assert "Computed from units.csv by this report" in _text(parser)
    assert_table_equals_csv(parser.tables["table-comparison.csv"], pd.read_csv(run / "comparison.csv"), "comparison")
    assert {"preferred", "lesion"}.isdisjoint(parser.section_ids)  # optional folders absent: no sections
    assert len(parser.images) == len(list((run / "figures").glob("*.png"))) == len(LAYERS) + 4


def test_a_units_table_without_the_declared_columns_is_refused_in_one_line(tmp_path, rng):
    run = tmp_path / "run"
    make_run(run, rng, tables=False)
    units = pd.read_csv(run / "units.csv")[["model", "layer", "channel", "responsive", "cell_class"]]
    units.to_csv(run / "units.csv", index=False)
    with pytest.raises(RunFolderError, match=r"declared column\(s\) \['orientation_selective'.* written by v1lab "
                       r"0\.1\.0") as info:
        build_report(run, n_boot=10)
    assert "\n" not in str(info.value) and not (run / "report.html").exists()


@pytest.mark.parametrize("case", ["missing", "no manifest", "bad manifest", "no units"])
def test_report_on_a_bad_folder_exits_2_with_one_line(tmp_path, capsys, case):
    run = tmp_path / "run"
    if case != "missing":
        run.mkdir()
    if case == "bad manifest":
        (run / "manifest.json").write_text("{not json", encoding="utf-8")
    if case == "no units":
        (run / "manifest.json").write_text(json.dumps({"status": "running"}), encoding="utf-8")
    assert main(["report", str(run)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("v1lab: error: ") and str(run) in lines[0]
    assert not (run / "report.html").exists()


def test_unknown_protocol_reference_is_a_run_folder_error(tmp_path, rng):
    run = tmp_path / "run"
    make_run(run, rng, tables=False)
    text = (run / "protocol.yaml").read_text().replace("- cavanaugh2002", "- smith1999")
    assert "smith1999" in text
    (run / "protocol.yaml").write_text(text)
    with pytest.raises(RunFolderError, match=r"protocol.yaml: field `references`: reference 'smith1999' matches no"):
        build_report(run, n_boot=10)


@pytest.mark.parametrize("value, text", [
    (0.60512, "0.605"), (23.25, "23.2"), (1234.56, "1235"), (2.41e-7, "2.41e-07"), (123456.7, "1.23e+05"),
    (12.0, "12"), (np.int64(308), "308"), (True, "True"), (np.bool_(False), "False"), (float("nan"), ""),
    (float("inf"), "inf"), (-0.0456, "-0.0456"), ("colour-luminance", "colour-luminance"),
])
def test_format_value_rounds_to_three_significant_digits(value, text):
    assert format_value(value) == text
