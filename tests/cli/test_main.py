"""The command line as a whole: help for every command, fast start, one-line errors."""

import subprocess
import sys

import pytest

from v1lab.cli import build_parser, main
from v1lab.models import DEFAULT_MODEL


def test_help_imports_no_heavy_library():
    """`v1lab --help` must not pay for torch: command modules import their work lazily."""
    code = ("import sys; from v1lab.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'torchvision', 'pandas', 'xarray', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_command_has_help(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"run", "validate", "models", "fetch", "stimuli", "report", "lesion", "preferred"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
        assert "usage: v1lab " + name in capsys.readouterr().out


def test_default_model_name_is_the_zoo_default():
    from v1lab.cli.models_cmd import DEFAULT_MODEL as shown

    assert shown == DEFAULT_MODEL


def test_console_script_reports_errors_in_one_line(tmp_path):
    missing = tmp_path / "absent.yaml"
    out = subprocess.run([sys.executable, "-m", "v1lab", "validate", str(missing)], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == f"v1lab: error: {missing}: no such file"
