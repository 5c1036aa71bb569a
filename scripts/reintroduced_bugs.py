"""Put each bug of docs/testing.md ("Bugs the suite must catch") back into a copy of the sources, one at a time,
and run the test that must catch it; exit 1 if any bug goes unnoticed.

Each bug is a one-place text change of ``src/v1lab``, applied to a temporary copy of ``src`` that comes first on
``PYTHONPATH``; the test runs from this checkout, alone (``pytest -x TEST``). First the named tests run once on
the unchanged copy and must pass, so that a failure means the bug. A bug whose text is not found exactly once
stops the script: the code moved, and the list must follow it.

Usage: python scripts/reintroduced_bugs.py [-k WORD]   (from the repository root; -k keeps the bugs naming WORD)
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]


class Bug(NamedTuple):
    name: str
    path: str      # under src/v1lab
    old: str
    new: str
    test: str      # pytest node id


BUGS = [
    Bug("the protocol's ppd not passed to the recorder", "protocol/runner.py",
        "batch_size=p.output.batch_size, ppd=p.ppd)", "batch_size=p.output.batch_size)",
        "tests/protocol/test_run.py::test_the_protocol_ppd_reaches_the_recorder_and_sf_scales_with_it"),
    Bug("the crop aligned on the rows' jump for both axes", "recording/recorder.py",
        "jump = rf.jump[axis]", "jump = rf.jump[0]",
        "tests/recording/test_recorder.py::test_asymmetric_strides_align_the_crop_on_each_axis"),
    Bug("Gabor envelope exp(-r^2 / sigma^2)", "stimuli/patterns.py",
        '"sine", p) * torch.exp(-(r * r) / (2 * sigma * sigma))', '"sine", p) * torch.exp(-(r * r) / (sigma * sigma))',
        "tests/stimuli/test_gratings.py::test_gabor_envelope_is_a_gaussian_of_standard_deviation_sigma"),
    Bug("Gaussian aperture exp(-r^2 / sigma^2)", "stimuli/patterns.py",
        "        return torch.exp(-(r * r) / (2 * sigma * sigma))", "        return torch.exp(-(r * r) / (sigma * sigma))",
        "tests/stimuli/test_gratings.py::test_aperture_covers_expected_area"),
    Bug("natural log for log2 in the log-Gaussian SF model", "fits/spatial_frequency.py",
        "np.exp(-np.log2(np.asarray(sf_cpd) / peak_cpd) ** 2", "np.exp(-np.log(np.asarray(sf_cpd) / peak_cpd) ** 2",
        "tests/fits/test_fits.py::test_log_gaussian_bandwidth_is_in_octaves"),
    Bug("orientation curve blank-subtracted", "characterisation/luminance.py",
        "ori_curves = f0[units, peak_f0[:, 0]]", "ori_curves = f0[units, peak_f0[:, 0]] - blank[:, None]",
        "tests/classify/test_curves.py::test_orientation_sf_and_closed_loop_size_curves_are_the_analysers"),
    Bug("orientation curve at the SF of the largest amplitude", "characterisation/luminance.py",
        "ori_curves = f0[units, peak_f0[:, 0]]", "ori_curves = f0[units, peak_amp[:, 0]]",
        "tests/classify/test_labels.py::test_orientation_curve_is_the_f0_curve_at_the_largest_f0"),
    Bug("low-pass for colour at 0.5 instead of 1/sqrt2", "characterisation/chromatic.py",
        "M.spatial_frequency_falloff(curves, sfs)", "M.spatial_frequency_falloff(curves, sfs, threshold=0.5)",
        "tests/classify/test_thresholds.py::test_low_pass_for_colour_is_a_fall_to_1_over_sqrt2_on_the_high_side_only"),
    Bug("luminance/colour ratio threshold 0.5 instead of 0.2", "classify.py",
        '0.2, gt=0.0,\n        description="Luminance cell', '0.5, gt=0.0,\n        description="Luminance cell',
        "tests/classify/test_thresholds.py::test_luminance_and_colour_preferring_ratios_of_johnson_2001"),
    Bug('"double-opponent requires orientation" inverted', "classify.py",
        "if c.double_opponent_requires_orientation:", "if not c.double_opponent_requires_orientation:",
        "tests/classify/test_thresholds.py::test_double_opponent_requires_orientation_only_when_asked"),
    Bug("DKL gamut room one-sided (room = rgb0)", "stimuli/colorimetry.py",
        "room = np.minimum(rgb0, 1.0 - rgb0)", "room = rgb0",
        "tests/stimuli/test_colorimetry.py::test_full_contrast_touches_the_gamut_boundary"),
    Bug("cone-contrast equality of matched luminance gratings not checked", "characterisation/layer.py",
        "check_equated(responses, name, roles.chromatic_gratings)", "(responses, name, roles.chromatic_gratings)",
        "tests/classify/test_matched_luminance.py::test_matched_gratings_must_be_equated_in_cone_contrast"),
    Bug("matched luminance gratings ignored in the chromatic ratio", "characterisation/layer.py",
        'table["matched_luminance_peak_amplitude"].where(table["matched_luminance_peak_amplitude"].notna(),',
        'table["luminance_peak_amplitude"].where(table["luminance_peak_amplitude"].notna(),',
        "tests/classify/test_matched_luminance.py::test_chromatic_ratio_is_over_the_matched_luminance_gratings"),
    Bug("preferred DKL azimuth of gratings averaged as a direction", "characterisation/chromatic.py",
        "azimuths[ok], axial=True)", "azimuths[ok], axial=False)",
        "tests/classify/test_labels.py::test_preferred_dkl_azimuth_of_gratings_is_an_axis"),
]


def _copy_src(scratch: Path) -> Path:
    src = scratch / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return src


def _pytest(src: Path, tests: list[str]) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{tests}: pytest exited {proc.returncode} (not a pass or a failure):\n"
                         f"{proc.stdout[-2000:]}")
    return proc.returncode


def caught(bug: Bug, scratch: Path) -> bool:
    """Whether ``bug.test`` fails with ``bug`` in a copy of ``src`` (raises when the text is not found once)."""
    src = _copy_src(scratch)
    path = src / "v1lab" / bug.path
    text = path.read_text(encoding="utf-8")
    if text.count(bug.old) != 1:
        raise SystemExit(f"{bug.path}: the text of bug {bug.name!r} occurs {text.count(bug.old)} times; "
                         "expected once (update BUGS)")
    path.write_text(text.replace(bug.old, bug.new), encoding="utf-8")
    return _pytest(src, [bug.test]) == 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only the bugs whose name contains this")
    args = parser.parse_args()
    bugs = [b for b in BUGS if args.k in b.name]
    missed = []
    with tempfile.TemporaryDirectory(prefix="v1lab-bugs-") as tmp:
        if _pytest(_copy_src(Path(tmp)), sorted({b.test for b in bugs})) != 0:
            raise SystemExit("the named tests fail on the unchanged sources; fix them first")
        print(f"the {len({b.test for b in bugs})} tests pass on the unchanged sources", flush=True)
        for bug in bugs:
            ok = caught(bug, Path(tmp))
            print(f"{'caught' if ok else 'MISSED'}  {bug.name}  ({bug.test.split('::')[-1]})", flush=True)
            if not ok:
                missed.append(bug.name)
    if missed:
        print(f"{len(missed)} bug(s) no test caught: {missed}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
