"""docs/tutorial.md runs: its code blocks, in order, in one namespace, from a folder with protocols/ and stimuli/."""

import os
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_tutorial_runs(tmp_path, monkeypatch, capsys):
    for folder in ("protocols", "stimuli"):
        os.symlink(REPO / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    text = (REPO / "docs" / "tutorial.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/tutorial.md", "exec"), namespace)
    run = namespace["run"]
    assert run.status == "complete" and run.path.parent == tmp_path / "runs"
    assert len(namespace["table"]) == 64 and "conv1" in capsys.readouterr().out
