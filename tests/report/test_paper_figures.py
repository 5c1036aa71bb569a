"""The report a paper would print: every figure kind (also as PDF), the status, tuning curves rebuilt from the
responses, stimuli, receptive fields, fractions beside macaque V1, caveats beside their numbers, legible galleries."""

import base64
import contextlib
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from statsmodels.stats.proportion import proportion_confint

from .html_tree import parse_report
from .paper_run import LAYERS, PPD, make_paper_run
from v1lab.cli import main
from v1lab.fits import von_mises
from v1lab.references import load_reference
from v1lab.report import axis_label, build_report
from v1lab.report._draw import Drawn
from v1lab.report.figures import _fraction_columns
from v1lab.report.image_grid import CAPTION_KEY
from v1lab.units import METRIC_COLUMNS, read_units

STEM = "planted_net"
KINDS = ([f"{k}_{STEM}.png" for k in ("scores", "class_fractions", "macaque_fractions", "ppd_sensitivity")]
         + [f"{k}_{STEM}_{layer}.png" for k in ("distributions", "tuning_examples") for layer in LAYERS]
         + ["stimulus_sheet.png", "filters_conv1.png", "gallery_conv1_p1.png"])


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    """The paper run folder, its report built once (progress bar forced on, written to a captured stream)."""
    path = tmp_path_factory.mktemp("paper") / "run"
    datasets = make_paper_run(path)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        report = build_report(path, progress=True)
    return path, report, datasets, err.getvalue()


def _html(report) -> str:
    return " ".join(report.read_text(encoding="utf-8").split())


def test_each_figure_kind_is_embedded_and_written_as_pdf(paper):
    run, report, _, _ = paper
    written = {p.name for p in (run / "figures").glob("*.png")}
    assert set(KINDS) <= written
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in parse_report(report).images}
    html = report.read_text(encoding="utf-8")
    for name in written:
        png = run / "figures" / name
        assert png.read_bytes() in embedded, name
        assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF"), name
        assert f'href="figures/{png.with_suffix(".pdf").name}"' in html, name   # the vector copy is linked
    # the preferred step's one-image gallery is replaced by the legible pages
    assert (run / "preferred" / "gallery_conv1.png").read_bytes() not in embedded


def test_the_final_status_is_shown_and_other_states_warn(paper, run_dir, monkeypatch):
    _, report, _, progress = paper
    status = re.search(r'<p id="run-status" class="status (\w+)">(.*?)</p>', report.read_text(), re.DOTALL)
    assert status[1] == "complete" and "<strong>complete</strong>" in status[2] and "Warning" not in status[2]
    assert "v1lab report" in progress and "9/9" in progress           # the progress bar, over the drawing steps
    manifest = json.loads((run_dir / "manifest.json").read_text())
    (run_dir / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    monkeypatch.setattr("v1lab.report.build.draw_figures", lambda *a, **k: Drawn())   # the banner, not the figures
    status = re.search(r'<p id="run-status" class="status (\w+)">(.*?)</p>',
                       build_report(run_dir, n_boot=10).read_text(), re.DOTALL)
    assert status[1] == "warning" and "<strong>interrupted</strong>" in status[2] and "--resume" in status[2]


def test_cli_no_progress_turns_the_bar_off(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr("v1lab.report.build_report", lambda run_dir, **kw: seen.update(kw) or tmp_path)
    assert main(["report", str(tmp_path), "--no-progress"]) == 0
    assert seen["progress"] is False
    assert main(["report", str(tmp_path)]) == 0 and seen["progress"] is None


def test_the_cell_class_panel_has_no_unresponsive_bar(paper):
    run, _, _, _ = paper
    population = pd.read_csv(run / "population.csv")
    assert "cell_class=unresponsive.fraction" in population   # the table keeps the level (0 of responsive units)
    panels = _fraction_columns(population)
    assert ("cell_class", "simple") in panels["cell_class"]
    assert all(level != "unresponsive" for classes in panels.values() for _, level in classes)


def test_class_fractions_are_drawn_beside_the_macaque_fractions(paper):
    run, report, _, _ = paper
    table = parse_report(report).tables["table-macaque-fractions"]
    rows = [dict(zip(table["header"], r)) for r in table["rows"]]
    comparison = pd.read_csv(run / "comparison.csv")
    assert len(rows) == (comparison["kind"] == "proportion").sum() == 2 * len(LAYERS)
    for row in rows:
        ref = load_reference(row["reference"])
        assert float(row["fraction_bio"]) == pytest.approx(ref.fraction, abs=5e-4)
        lo, hi = proportion_confint(int(ref.counts[1]), ref.n, method="wilson")   # the reference's own n
        assert (float(row["bio_ci_low"]), float(row["bio_ci_high"])) == pytest.approx((lo, hi), abs=5e-4)
        k, n = round(float(row["fraction_model"]) * int(row["n_model"])), int(row["n_model"])
        lo, hi = proportion_confint(k, n, method="wilson")
        assert (float(row["model_ci_low"]), float(row["model_ci_high"])) == pytest.approx((lo, hi), abs=5e-4)


def _after(html: str, anchor: str, window: int = 4000) -> str:
    start = html.index(anchor)
    return html[start:start + window]


def test_caveats_stand_beside_the_numbers_they_concern(paper):
    _, report, _, _ = paper
    html = _html(report)
    colour = parse_report(report).tables["table-colour-caveats"]
    caveat = colour["header"].index("caveat")
    do = colour["header"].index("double-opponent (of responsive units)")
    for row in colour["rows"]:   # every layer's double-opponent fraction with its caveat in the same row
        assert re.match(r"\d+ % \[\d+, \d+\] \(\d+ of \d+\)", row[do])
        assert "No cone weights measured" in row[caveat] and "unverified against Johnson et al. 2008" in row[caveat]
    for layer in LAYERS:  # each distribution figure is followed by the conventions of its numbers
        block = _after(html, f"{STEM}_{layer}: model vs macaque V1.")
        assert "Conventions:" in block and "Brain-Score" in block, layer
    after_table = _after(html, 'id="table-comparison.csv"', 200000)
    assert "Spatial-frequency comparisons assume 28 pixels per degree" in after_table
    lesion = html[html.index('<section id="lesion">'):]
    assert "Training overlap" in lesion and "Images: the shared ImageNet sample." in lesion


def test_gallery_captions_are_at_least_10_px_tall_at_100_percent(paper):
    _, report, _, _ = paper
    parser = parse_report(report)
    style = " ".join(parser.style.split())
    assert "figure.natural img { max-width: none; }" in style      # natural-size figures are never scaled down
    natural = [a for a in parser.image_attrs if "width" in a]
    assert len(natural) == 2                                        # the filter figure and one gallery page
    for attrs in natural:
        data = base64.b64decode(attrs["src"].split(",", 1)[1])
        with Image.open(io.BytesIO(data)) as png:
            width_px, caption_px = png.size[0], float(png.info[CAPTION_KEY])
        shown = int(attrs["width"])                                # CSS pixels at 100 % zoom
        assert shown == width_px and width_px <= 1150              # fits the 1200 px page: no horizontal scroll
        assert caption_px * shown / width_px >= 10


def test_tuning_examples_are_the_curves_the_analysis_measured(paper):
    run, _, datasets, _ = paper
    drawn = pd.read_csv(run / "figures" / f"tuning_examples_{STEM}_conv1.csv")
    units = read_units(run).set_index(["layer", "channel"])
    ds = datasets["conv1"]
    for channel in pd.unique(drawn["channel"]):
        rows = drawn[(drawn["channel"] == channel) & (drawn["curve"] == "orientation")]
        # by hand: mean over phase of each (SF, orientation), the curve over orientation at the SF of the largest
        lum = ds["set"].values == "lum"
        t = pd.DataFrame({"sf": ds["sf_cpd"].values[lum], "ori": ds["orientation_deg"].values[lum],
                          "r": ds["responses"].values[channel, lum]})
        f0 = t.groupby(["sf", "ori"])["r"].mean()
        best_sf = f0.idxmax()[0]
        np.testing.assert_allclose(rows["x"], f0.loc[best_sf].index, rtol=1e-9)
        np.testing.assert_allclose(rows["response"], f0.loc[best_sf].to_numpy(), rtol=1e-5)
        u = units.loc[("conv1", channel)]
        fit = von_mises(rows["x"].to_numpy(), *(u[f"ori_vm_{n}"] for n in ("baseline", "amplitude", "kappa",
                                                                           "pref_deg")))
        np.testing.assert_allclose(rows["fit"], fit, rtol=1e-6)
    assert set(drawn["curve"]) == {"orientation", "spatial_frequency", "size", "contrast",
                                   "chromatic_spatial_frequency"}
    classes = units.loc["conv1"]["cell_class"]
    assert set(drawn["cell_class"]) == set(classes[classes != "unresponsive"])   # one unit of each class


def test_stimuli_and_receptive_fields_per_layer(paper):
    run, report, _, _ = paper
    table = parse_report(report).tables["table-receptive-fields"]
    rows = {r[0]: dict(zip(table["header"], r)) for r in table["rows"]}
    for layer, (_, rf) in LAYERS.items():
        assert rows[layer]["receptive field (pixels)"] == f"{rf} x {rf}"
        assert float(rows[layer]["receptive field (deg)"].split(" x ")[0]) == pytest.approx(rf / PPD, rel=1e-3)
    with Image.open(run / "figures" / "stimulus_sheet.png") as sheet:
        assert sheet.size[0] > 600
    assert "Example stimuli of each set" in _html(report)


def test_axis_labels_are_words_with_units():
    assert axis_label("sf_cpd", log=True) == "spatial frequency (cycles/deg, log scale)"
    assert axis_label("orientation_deg") == "orientation (deg)"
    assert axis_label("size_deg") == "aperture diameter (deg)"
    assert axis_label("peak_sf_cpd") == "peak spatial frequency (cycles/deg)"
    for name in METRIC_COLUMNS:
        assert "_" not in axis_label(name), name


def test_the_example_unit_is_the_median_fit_of_its_class():
    from v1lab.report import representative_units
    from v1lab.units import empty_table

    units = empty_table(5).assign(
        model="m", layer="l", channel=range(5), responsive=[True, True, True, True, False],
        cell_class=["complex", "simple", "simple", "simple", "unresponsive"],
        ori_vm_status=["ok", "ok", "ok", "failed", "skipped"], ori_vm_r2=[0.2, 0.9, 0.5, 0.99, np.nan],
        sf_lg_status="ok", sf_lg_r2=[0.4, 0.9, 0.7, 0.1, np.nan], peak_response_above_blank=1.0)
    picked = representative_units(units)
    assert list(picked["cell_class"]) == ["simple", "complex"]        # luminance classes in a fixed order
    # simple: mean R^2 of the successful fits 0.9, 0.6 and 0.1 (unit 3's failed fit does not count) -> 0.6
    assert list(picked["channel"]) == [2, 0] and picked["score"].tolist() == pytest.approx([0.6, 0.3])
