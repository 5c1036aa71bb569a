"""Mutation score per module from mutmut's results in mutants/ (after `make mutation`; docs/testing.md).

score = killed / (killed + survived), timeouts counted as killed; mutants listed in docs/testing.md as equivalent
are left out (EQUIVALENT below), mutants no test reaches count as survivors, mutants not yet run are reported
apart.

Usage: python scripts/mutation_scores.py [--survivors | --timeouts]

--survivors adds the survivors' names to the table; --timeouts prints only the names of the mutants that timed out
(counted as killed), to rerun them with one worker: mutmut run --max-children 1 $(python scripts/mutation_scores.py
--timeouts).
"""

import json
import sys
from collections import Counter
from pathlib import Path

#: Mutants that cannot change behaviour, each with its reason in docs/testing.md ("Equivalent mutants").
EQUIVALENT = {
    "v1lab.metrics.chromatic.x__peak_ratio__mutmut_21",
    "v1lab.metrics.chromatic.x__peak_ratio__mutmut_26",
    "v1lab.metrics.chromatic.x_preferred_dkl_azimuth__mutmut_45",
    "v1lab.metrics.orientation.x_orthogonal_preferred_ratio__mutmut_31",
    "v1lab.metrics.orientation.x_orthogonal_preferred_ratio__mutmut_38",
    "v1lab.metrics.orientation.x_orthogonal_preferred_ratio__mutmut_54",
    "v1lab.metrics.size.x_surround_suppression_index__mutmut_23",
    "v1lab.metrics.size.x_grating_summation_field__mutmut_30",
    *(f"v1lab.metrics._checks.x_{f}__mutmut_{n}" for f, ns in (("sorted_unique", (18, 20, 22)),
                                                               ("orientation_grid", (25, 27, 29))) for n in ns),
    "v1lab.metrics.orientation.x_circular_variance__mutmut_39",
    "v1lab.metrics.orientation.x_preferred_orientation__mutmut_43",
    "v1lab.metrics.phase.x_modulation_ratio__mutmut_36",
    *(f"v1lab.metrics.phase.x_phase_harmonics__mutmut_{n}" for n in (108, 109, 110, 111, 113)),
    "v1lab.metrics.phase.x_modulation_ratio__mutmut_13",
    "v1lab.metrics.phase.x_modulation_ratio__mutmut_15",
    "v1lab.metrics.phase.x_phase_harmonics__mutmut_83",
    "v1lab.metrics.phase.x_phase_harmonics__mutmut_86",
    "v1lab.metrics.orientation.x_circular_variance__mutmut_17",
    "v1lab.metrics.orientation.x_circular_variance__mutmut_19",
    "v1lab.metrics.orientation.x_circular_variance__mutmut_36",
    *(f"v1lab.metrics.orientation.x_orientation_bandwidth__mutmut_{n}" for n in (54, 80, 95, 160, 171, 174)),
    "v1lab.metrics.orientation.x_orthogonal_preferred_ratio__mutmut_46",
    "v1lab.metrics.spatial_frequency.x__sf_spline__mutmut_51",
    *(f"v1lab.metrics.spatial_frequency.x_peak_spatial_frequency__mutmut_{n}" for n in (73, 74, 84, 85, 90, 91)),
    *(f"v1lab.metrics.spatial_frequency.x_spatial_frequency_bandwidth__mutmut_{n}"
      for n in (52, 54, 69, 79, 80, 85, 86, 93)),
    "v1lab.metrics.spatial_frequency.x_spatial_frequency_falloff__mutmut_47",
    "v1lab.metrics.spatial_frequency.x_spatial_frequency_falloff__mutmut_57",
    *(f"v1lab.metrics.cone_weights.x_{name}" for name in (
        "_energy_fit__mutmut_58", "_energy_fit__mutmut_65", "_energy_fit__mutmut_66", "_failed__mutmut_16",
        "_first_harmonic_fit__mutmut_5", "_first_harmonic_fit__mutmut_20", "_first_harmonic_fit__mutmut_21",
        "_full_rank__mutmut_3", "_harmonics__mutmut_58", "_harmonics__mutmut_61", "_normalised__mutmut_9",
        "_r_squared__mutmut_23", "_unanswered__mutmut_10", "cone_opponency__mutmut_4", "cone_opponency__mutmut_6",
        "cone_weights__mutmut_76", "cone_weights__mutmut_110", "cone_weights__mutmut_111")),
    "v1lab.classify.x__bool__mutmut_3",
    "v1lab.classify.x__bool__mutmut_5",
    "v1lab.classify.x__bool__mutmut_7",
    "v1lab.classify.x__bool__mutmut_9",
    "v1lab.classify.x__bool__mutmut_12",
    "v1lab.classify.x__bool__mutmut_15",
    "v1lab.classify.x__bool__mutmut_17",
    "v1lab.classify.x_classify_units__mutmut_11",
    "v1lab.classify.x_classify_units__mutmut_55",
    "v1lab.classify.x_classify_units__mutmut_56",
    "v1lab.classify.x_classify_units__mutmut_61",
    "v1lab.classify.x_classify_units__mutmut_77",
    "v1lab.classify.x_classify_units__mutmut_95",
    "v1lab.classify.x_classify_units__mutmut_196",
    "v1lab.classify.x_classify_units__mutmut_198",
    "v1lab.classify.x_classify_units__mutmut_206",
    "v1lab.classify.x_classify_units__mutmut_208",
    "v1lab.classify.x_classify_units__mutmut_252",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_3",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_4",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_7",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_8",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_22",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_30",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_31",
    "v1lab.stimuli.colorimetry.x__lms_to_xyz__mutmut_39",
    "v1lab.stimuli.colorimetry.x_cone_contrast_to_dkl__mutmut_8",
    "v1lab.stimuli.colorimetry.x_cone_contrast_to_dkl__mutmut_10",
    "v1lab.stimuli.colorimetry.x_dkl_to_cone_contrast__mutmut_2",
    "v1lab.stimuli.colorimetry.x_dkl_to_cone_contrast__mutmut_4",
    "v1lab.stimuli.colorimetry.x_cone_isolating_direction__mutmut_14",
    "v1lab.stimuli.colorimetry.x_cone_isolating_direction__mutmut_26",
    "v1lab.stimuli.colorimetry.x_cone_isolating_direction__mutmut_28",
    "v1lab.stimuli.colorimetry.x_cone_isolating_direction__mutmut_30",
    "v1lab.stimuli.colorimetry.x_dkl_to_srgb__mutmut_11",
    "v1lab.stimuli.colorimetry.x_dkl_to_srgb__mutmut_22",
    "v1lab.stimuli.colorimetry.x_dkl_to_srgb__mutmut_28",
    "v1lab.stimuli.colorimetry.x_dkl_to_srgb__mutmut_38",
    "v1lab.stimuli.colorimetry.x_dkl_to_srgb__mutmut_39",
    "v1lab.stimuli.colorimetry.x_srgb_to_dkl__mutmut_5",
    "v1lab.stimuli.colorimetry.x_srgb_to_dkl__mutmut_7",
    "v1lab.stimuli.colorimetry.x_srgb_to_dkl__mutmut_9",
    "v1lab.stimuli.colorimetry.x_srgb_to_dkl__mutmut_11",
    "v1lab.stimuli.colorimetry.x_srgb_to_dkl__mutmut_12",
    "v1lab.stimuli.colorimetry.x_srgb_to_dkl__mutmut_19",
    "v1lab.stimuli.colorimetry.x__gamut_limit__mutmut_19",
    "v1lab.stimuli.colorimetry.x_dkl_direction__mutmut_4",
    "v1lab.stimuli.colorimetry.x_dkl_direction__mutmut_6",
    "v1lab.stimuli.colorimetry.x_dkl_direction__mutmut_9",
    "v1lab.stimuli.colorimetry.x_dkl_direction__mutmut_11",
    "v1lab.stimuli.colorimetry.x_modulation_rgb__mutmut_9",
    "v1lab.stimuli.colorimetry.x_modulation_rgb__mutmut_11",
    "v1lab.stimuli.colorimetry.x_modulation_rgb__mutmut_13",
    "v1lab.stimuli.colorimetry.x_modulation_rgb__mutmut_15",
    "v1lab.stimuli.colorimetry.x_modulation_rgb__mutmut_17",
    "v1lab.stimuli.colorimetry.x_modulation_rgb__mutmut_19",
    "v1lab.stimuli.colorimetry.x_luminance__mutmut_2",
    "v1lab.stimuli.colorimetry.x_luminance__mutmut_4",
    "v1lab.stimuli.patterns.x__gabor__mutmut_25",
    "v1lab.stimuli.patterns.x__opponent_patch__mutmut_47",
    "v1lab.stimuli.patterns.x__grating__mutmut_30",
    "v1lab.stimuli.patterns.x__grating__mutmut_31",
    "v1lab.stimuli.patterns.x_aperture__mutmut_80",
    "v1lab.stimuli.patterns.x_carrier__mutmut_18",
    "v1lab.stimuli.patterns.x__white_noise__mutmut_13",
    "v1lab.stimuli.patterns.x__white_noise__mutmut_20",
    "v1lab.fits.contrast.x_naka_rushton__mutmut_4",
    "v1lab.fits.contrast.x_naka_rushton__mutmut_6",
    "v1lab.fits.orientation.x_von_mises_jacobian__mutmut_5",
    "v1lab.fits.orientation.x_von_mises_jacobian__mutmut_7",
    "v1lab.fits.orientation.x_von_mises_bandwidth__mutmut_21",
    "v1lab.fits.size.x_ratio_of_gaussians__mutmut_3",
    "v1lab.fits.size.x_ratio_of_gaussians__mutmut_5",
    "v1lab.fits.contrast.x__starts__mutmut_27",
    "v1lab.fits.orientation.x__starts__mutmut_36",
    "v1lab.fits.spatial_frequency.x__starts__mutmut_36",
    *(f"v1lab.fits.{module}.x_fit_{name}__mutmut_{n}" for module, name in (
        ("contrast", "naka_rushton"), ("orientation", "von_mises"), ("size", "ratio_of_gaussians"),
        ("spatial_frequency", "log_gaussian")) for n in (9, 11)),
    *(f"v1lab.fits._batch.xǁFitBatchǁpredict__mutmut_{n}" for n in (6, 8, 13, 15)),
    "v1lab.fits.size.x__derive__mutmut_27",
    "v1lab.fits.size.x__derive__mutmut_32",
    "v1lab.fits.size.x__starts__mutmut_31",
    "v1lab.fits._core.x__vectorised__mutmut_6",
    "v1lab.fits._core.x__vectorised__mutmut_8",
    "v1lab.fits._core.x_inner_bounds__mutmut_19",
    "v1lab.fits._core.x_inner_bounds__mutmut_21",
    *(f"v1lab.fits._core.x__covariance__mutmut_{n}" for n in (19, 21, 22, 48, 61, 67)),
    *(f"v1lab.fits._core.x_fit_least_squares__mutmut_{n}" for n in (20, 35, 78, 91, 115, 117, 121, 123, 139)),
    *(f"v1lab.fits._core.x__levenberg_marquardt__mutmut_{n}" for n in (53, 65, 74, 89, 122, 188, 196, 224, 225, 230)),
    "v1lab.fits._core.x__solve__mutmut_13",
    "v1lab.characterisation.uniform.x_analyse_uniform__mutmut_7",
    "v1lab.characterisation.uniform.x_analyse_uniform__mutmut_43",
    "v1lab.characterisation.uniform.x_analyse_uniform__mutmut_46",
    "v1lab.characterisation.curves.x_tuning_curves__mutmut_25",
    "v1lab.characterisation.curves.x_tuning_curves__mutmut_27",
    "v1lab.characterisation.curves.x_tuning_curves__mutmut_75",
    "v1lab.characterisation.curves.x_tuning_curves__mutmut_77",
    "v1lab.characterisation.curves.x_tuning_curves__mutmut_79",
    "v1lab.characterisation.curves.x_tuning_curves__mutmut_81",
    "v1lab.characterisation.layer.x__cone_optimum__mutmut_43",
    "v1lab.characterisation.layer.x__cone_optimum__mutmut_44",
    *(f"v1lab.characterisation.layer.x__identity__mutmut_{n}" for n in (16, 18, 23, 26, 42, 44, 63, 69)),
    *(f"v1lab.characterisation.layer.x_characterise_layer__mutmut_{n}" for n in (43, 45, 121, 148)),
    *(f"v1lab.characterisation.layer.x__ratios__mutmut_{n}" for n in (2, 14, 18, 22, 24)),
    "v1lab.recording.receptive_field.x__module_rule__mutmut_76",
    "v1lab.recording.receptive_field.xǁ_CallTracerǁis_leaf_module__mutmut_3",
    *(f"v1lab.characterisation.cones.x_{f}__mutmut_{n}" for f, ns in (
        ("_peak_cone_contrasts", (82,)), ("_folded", (41, 62, 65, 71, 78, 79)), ("_nearest", (7, 12, 23, 25, 37)),
        ("_chosen_patterns", (22, 27, 32, 79)),
        ("analyse_cones", (2, 3, 7, 9, 10, 11, 12, 58, 61, 85, 86, 102, 103, 116, 117))) for n in ns),
    *(f"v1lab.characterisation.closed_loop.x_closed_loop_optima__mutmut_{n}" for n in (3, 5, 20, 22, 50, 53, 57)),
    "v1lab.characterisation.closed_loop.x_closed_loop_set__mutmut_18",
    *(f"v1lab.characterisation.closed_loop.x_at_optimum__mutmut_{n}" for n in (3, 21, 34)),
    *(f"v1lab.characterisation.in_memory.x_characterise__mutmut_{n}" for n in (13, 15, 51, 53)),
    "v1lab.characterisation.in_memory.x__varies__mutmut_3",
    *(f"v1lab.characterisation.chromatic.x__with_colour_key__mutmut_{n}" for n in (11, 12, 20, 22)),
    *(f"v1lab.characterisation.chromatic.x_analyse_chromatic__mutmut_{n}" for n in (27, 29, 57, 118)),
    "v1lab.characterisation.chromatic.x_analyse_matched_luminance__mutmut_23",
    "v1lab.characterisation.chromatic.x__rms_cone_contrast__mutmut_6",
    *(f"v1lab.characterisation._grid.x{name}__mutmut_{n}" for name, ns in (
        ("_argmax_each", (16,)), ("_components", (5,)), ("ǁGridǁ__init__", (8, 13, 21, 23, 28)),
        ("ǁGridǁharmonics", (12,)), ("ǁGridǁlevel", (1,))) for n in ns),
    *(f"v1lab.characterisation.luminance.x_analyse_luminance__mutmut_{n}" for n in (62, 161, 163, 168, 171, 234)),
}

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 36: "timeout", -24: "timeout",
          24: "timeout", 152: "timeout", 255: "timeout", None: "not run"}


def main(argv: list[str]) -> int:
    metas = sorted(Path("mutants/src").rglob("*.py.meta"))
    if not metas:
        print("v1lab: error: mutants/: no mutmut results, expected a `make mutation` run first", file=sys.stderr)
        return 2
    lines = [f"{'module':<44}{'killed':>8}{'survived':>10}{'no tests':>10}{'equiv.':>8}{'not run':>9}{'score':>8}"]
    survivors, timeouts, total = [], [], Counter()
    for meta in metas:
        module = meta.relative_to("mutants/src").as_posix()[:-len(".py.meta")].replace("/", ".")
        count = Counter()
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            status = "equivalent" if name in EQUIVALENT else STATUS.get(code, "suspicious")
            count["killed" if status == "timeout" else status] += 1
            if status in ("survived", "no tests", "suspicious"):
                survivors.append(name)
            elif status == "timeout":
                timeouts.append(name)
        if not sum(count.values()):
            continue
        total.update(count)
        tested = count["killed"] + count["survived"] + count["no tests"] + count["suspicious"]
        score = f"{100 * count['killed'] / tested:.1f}%" if tested else "-"
        lines.append(f"{module:<44}{count['killed']:>8}{count['survived'] + count['suspicious']:>10}"
                     f"{count['no tests']:>10}{count['equivalent']:>8}{count['not run']:>9}{score:>8}")
    tested = total["killed"] + total["survived"] + total["no tests"] + total["suspicious"]
    if tested:
        lines.append(f"{'total':<44}{total['killed']:>8}{total['survived'] + total['suspicious']:>10}"
                     f"{total['no tests']:>10}{total['equivalent']:>8}{total['not run']:>9}"
                     f"{100 * total['killed'] / tested:>7.1f}%")
    if "--timeouts" in argv:
        lines = sorted(timeouts)
    elif "--survivors" in argv:
        lines += sorted(survivors)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
