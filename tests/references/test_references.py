"""Shipped reference files: schema, citations, the Ringach 2002 figures, and agreement with the database."""

import json
from importlib import resources

import numpy as np
import pytest

from v1lab.errors import ReferenceDataError
from v1lab.references import list_references, load_reference
from v1lab.references._reference import _check

EXPECTED = {
    "ringach2002_circular_variance", "ringach2002_orientation_bandwidth", "ringach2002_orthogonal_preferred_ratio",
    "ringach2002_modulation_ratio", "ringach2002_simple_fraction", "ringach2002_orientation_selective_fraction",
    "devalois1982a_preferred_orientation", "devalois1982b_peak_sf", "schiller1976_sf_bandwidth",
    "schiller1976_sf_selective_fraction", "cavanaugh2002_surround_suppression_index",
    "cavanaugh2002_strongly_suppressed_fraction",
}


def _raw(name):
    return json.loads(resources.files("v1lab.references").joinpath("data", f"{name}.json").read_text())


def test_every_expected_reference_is_shipped():
    assert EXPECTED <= set(list_references())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_names_its_source_and_definition(name):
    ref = load_reference(name)
    c = ref.citation
    assert c.authors and c.year > 1900 and c.journal and c.figure and c.title
    assert len(ref.definition) > 20 and ref.inclusion and ref.species and ref.area
    assert ref.n == ref.counts.sum() > 0
    assert ref.provenance.get("derived_from")
    assert np.isclose(ref.probabilities.sum(), 1.0)


def test_ringach_reproduces_the_database_figures():
    cv = load_reference("ringach2002_circular_variance")
    bw = load_reference("ringach2002_orientation_bandwidth")
    f1f0 = load_reference("ringach2002_modulation_ratio")
    simple = load_reference("ringach2002_simple_fraction")
    # the 304 of 308 cells with maxdc > spont + 5 (Brain-Score's inclusion rule)
    assert cv.n == 304 and f1f0.n == 304 and simple.n == 304
    assert round(cv.summary["median"], 3) == 0.599
    assert bw.summary["median_all_cells"] == 23.5 and bw.summary["n_all_cells"] == 304
    assert round(100 * f1f0.summary["fraction_above_1"], 1) == 39.8
    assert simple.counts.tolist() == [183, 121] and round(100 * simple.fraction, 1) == 39.8
    assert round(f1f0.summary["median"], 2) == 0.57
    assert all(load_reference(n).convention["model_inclusion"] == "luminance_f0" for n in
               ("ringach2002_circular_variance", "ringach2002_modulation_ratio", "ringach2002_simple_fraction"))


@pytest.mark.parametrize("name", ["ringach2002_circular_variance", "ringach2002_orientation_bandwidth",
                                  "ringach2002_modulation_ratio"])
def test_binned_counts_agree_with_exact_median(name):
    ref = load_reference(name)
    cum = np.concatenate([[0], np.cumsum(ref.counts)]) / ref.n
    k = np.searchsorted(cum, 0.5)  # the median lies in the bin where the cumulative fraction crosses 1/2
    assert ref.bin_edges[k - 1] <= ref.summary["median"] <= ref.bin_edges[k]


def test_digitised_totals_match_their_sources():
    assert load_reference("devalois1982a_preferred_orientation").counts.tolist() == [110, 83, 100, 92]
    sf = load_reference("devalois1982b_peak_sf")
    assert sf.n == 363 and np.array_equal(np.sum(list(sf.subgroups.values()), axis=0), sf.counts)
    sb = load_reference("schiller1976_sf_bandwidth")
    assert sb.n == 73 == load_reference("schiller1976_sf_selective_fraction").counts[1]
    assert load_reference("cavanaugh2002_surround_suppression_index").n == 190
    assert load_reference("cavanaugh2002_strongly_suppressed_fraction").counts.tolist() == [42, 148]


def test_histogram_clips_into_end_bins_and_drops_nan():
    ref = load_reference("ringach2002_circular_variance")
    counts = ref.histogram([-5.0, 0.0, 0.5, 1.0, 7.0, np.nan])
    assert counts.sum() == 5 and counts[0] == 2 and counts[-1] == 2


def test_values_one_ulp_from_an_edge_share_the_edge_bin():
    """A grid SF of 11.2 cpd from a spline peak (11.199999999999998) and from a CSV (11.2) land in one bin."""
    ref = load_reference("devalois1982b_peak_sf")
    edge = 11.2
    assert edge in ref.bin_edges
    below, above = np.nextafter(edge, 0.0), np.nextafter(edge, np.inf)
    counts = [ref.histogram([v]) for v in (below, edge, above)]
    assert all(np.array_equal(c, counts[1]) for c in counts)
    assert np.flatnonzero(counts[1])[0] == np.flatnonzero(ref.bin_edges == edge)[0]  # [11.2, 16): the upper bin
    assert np.flatnonzero(ref.histogram([11.19]))[0] == np.flatnonzero(ref.bin_edges == edge)[0] - 1


def test_cdf_is_exact_at_edges_and_sample_follows_the_bins():
    ref = load_reference("devalois1982b_peak_sf")
    assert np.allclose(ref.cdf(ref.bin_edges), np.concatenate([[0], np.cumsum(ref.probabilities)]))
    x = ref.sample(200_000, rng=np.random.default_rng(0))
    assert np.all((x >= ref.bin_edges[0]) & (x <= ref.bin_edges[-1]))
    assert np.allclose(ref.histogram(x) / x.size, ref.probabilities, atol=0.005)
    # log2 bins: within one bin the mass is uniform in log2(x), so the bin's geometric midpoint splits it
    lo, hi = ref.bin_edges[4], ref.bin_edges[5]
    inside = x[(x >= lo) & (x < hi)]
    assert abs(np.mean(inside < np.sqrt(lo * hi)) - 0.5) < 0.02


def test_proportion_fraction_and_errors():
    assert load_reference("cavanaugh2002_strongly_suppressed_fraction").fraction == pytest.approx(148 / 190)
    with pytest.raises(ReferenceDataError, match="kind 'proportion'"):
        load_reference("devalois1982b_peak_sf").fraction
    with pytest.raises(ReferenceDataError, match="not shipped"):
        load_reference("hubel1962_everything")


@pytest.mark.parametrize("edit, match", [
    (lambda r: r.pop("definition"), "missing field"),
    (lambda r: r["citation"].pop("figure"), "citation lacks"),
    (lambda r: r.update(n=r["n"] + 1), "counts sum to"),
    (lambda r: r.update(bin_edges=r["bin_edges"][::-1]), "increasing"),
    (lambda r: r.update(kind="histogram"), "kind"),
])
def test_malformed_reference_files_are_refused(edit, match):
    raw = _raw("ringach2002_circular_variance")
    edit(raw)
    with pytest.raises(ReferenceDataError, match=match):
        _check("ringach2002_circular_variance", raw)


@pytest.mark.data
def test_shipped_ringach_files_match_the_database(ringach_db_path):
    from v1lab.references._ringach2002 import derive_ringach2002

    derived = derive_ringach2002(ringach_db_path)
    assert set(derived) == {n for n in EXPECTED if n.startswith("ringach2002")}
    for name, payload in derived.items():
        assert json.loads(json.dumps(payload)) == _raw(name), name


@pytest.mark.data
def test_database_medians_from_the_raw_file(ringach_db_path):
    from scipy.io import loadmat

    db = loadmat(ringach_db_path)["db"]
    keep = np.asarray(db["maxdc"][0, 0], float).ravel() > np.asarray(db["spont"][0, 0], float).ravel() + 5
    field = lambda k: np.asarray(db[k][0, 0], float).ravel()[keep]  # noqa: E731
    assert keep.size == 308 and field("orivar").size == 304
    shipped = load_reference("ringach2002_circular_variance")
    assert np.median(field("orivar")) == pytest.approx(shipped.summary["median"])
    assert np.median(field("bw")) == 23.5
    assert np.mean(field("maxfirst") / field("maxdc") > 1) == pytest.approx(121 / 304)
