"""``v1lab lesion`` end to end on the planted network and a folder of synthetic PNG images."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import planted
from v1lab.cli import main


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("images")
    x, y = planted.images(n=60)
    for i, (img, label) in enumerate(zip(x, y)):
        folder = root / ("b_red" if int(label) else "a_other")
        folder.mkdir(exist_ok=True)
        Image.fromarray(np.round(img.permute(1, 2, 0).numpy() * 255).astype(np.uint8)).save(folder / f"{i:03d}.png")
    return root


def test_lesion_command_writes_a_resumable_run(image_dir, tmp_path, capsys):
    model = f"python:{Path(planted.__file__)}:make"
    out = tmp_path / "run"
    argv = ["lesion", "--model", model, "--images", str(image_dir), "--out", str(out), "--n-random", "3",
            "--no-single-units", "--no-progress", "--batch-size", "32"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "filter_norm inactive units (1 unit)" in printed and "smallest possible p is 2/4" in printed
    lesions = pd.read_csv(out / "lesion.csv")
    # 3 inactive sets, each with 3 matched and 3 random-active null sets
    assert set(lesions["kind"]) == {"inactive", "random"} and len(lesions) == 3 + 3 * 3 * 2
    assert lesions["null"].value_counts().to_dict() == {"matched": 9, "random-active": 9}
    for name in ("null.png", "inactive.csv", "matching.csv", "tests.csv", "notes.txt"):
        assert (out / name).is_file(), name
    assert json.loads((out / "manifest.json").read_text())["notes"][0].startswith("Primary test: McNemar")
    # A finished run resumes without recomputing anything; a new run never overwrites it.
    stamp = {p: p.stat().st_mtime_ns for p in (out / "sets").glob("*.npz")}
    assert main(argv + ["--resume"]) == 0
    assert {p: p.stat().st_mtime_ns for p in (out / "sets").glob("*.npz")} == stamp
    assert main(argv) == 2
    assert "not empty" in capsys.readouterr().err
    changed = [a if a != "3" else "4" for a in argv]
    assert main(changed + ["--resume"]) == 2
    assert "differs" in capsys.readouterr().err
    assert main(argv + ["--null", "matched", "--strata", "4", "--resume"]) == 2   # part of the settings
    assert "differs" in capsys.readouterr().err
