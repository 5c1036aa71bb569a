"""`v1lab run --dry-run`: the plan counts what the run will show, times it on this device, and writes nothing."""

from pathlib import Path

import yaml

from v1lab.cli import main
from v1lab.protocol.plan import plan_protocol

HERE = Path(__file__).parent
REPO = HERE.parents[1]


def _protocol(tmp_path):
    data = {"name": "plan", "model": f"python:{HERE / 'tiny_net.py'}:make", "device": "cpu",
            "layers": [{"name": "relu", "label": "conv1"}, "layer1"],
            "stimuli": [str(REPO / "stimuli" / "gratings_osp_quick.yaml"),
                        {"file": str(REPO / "stimuli" / "size_tuning.yaml"), "at": "preferred",
                         "size_rf": [0.5, 1.0, 2.0]}],
            "analyses": {"roles": {"luminance_gratings": "gratings_osp_quick", "size_sweep": "size_tuning"},
                         "closed_loop": {"orientation_step_deg": 45, "sf_step_oct": 2.0}},
            "output": {"root": str(tmp_path / "runs")}}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_plan_counts_stage_one_and_bounds_the_closed_loop(tmp_path):
    plan = plan_protocol(_protocol(tmp_path), trust_code=True)
    conv1, layer1 = plan.layers
    assert conv1.stage1 == layer1.stage1 == 192                      # 8 orientations x 6 SFs x 4 phases
    # lattice: the sweep's 8 orientations round to 4 (45-deg steps) and its 6 SFs, 0.4375 to 14 c/deg in octave
    # steps, to 3 (2-octave steps: 0, 2 and 4 octaves above the lowest; 5 rounds to 4): at most 12 optima, fewer
    # where a layer has fewer channels (conv1: 8); per optimum 3 sizes x 4 phases
    assert conv1.closed_loop == 8 * 12 and layer1.closed_loop == 12 * 12
    assert 0 < conv1.seconds_per_stimulus < 1 and plan.total_s > 0
    assert "predicted total" in str(plan)


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    assert main(["run", str(_protocol(tmp_path)), "--dry-run", "--trust-code"]) == 0
    out = capsys.readouterr().out
    assert "conv1" in out and "layer1" in out and "predicted total" in out
    assert not (tmp_path / "runs").exists()
