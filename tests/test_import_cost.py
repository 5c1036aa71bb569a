"""Starting `v1lab` does not import torchvision (with it come torch._dynamo and sympy: about 3 s a process, paid
by every `v1lab run` of a user's own network, every Ray worker of a sweep and every subprocess of the suite)."""

import subprocess
import sys


def test_the_cli_protocols_and_zoo_load_without_torchvision():
    code = ("import sys, v1lab.cli.run_cmd, v1lab.protocol, v1lab.models, v1lab.sweep; "
            "print(sorted(m for m in ('torchvision', 'torch._dynamo', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "[]"
