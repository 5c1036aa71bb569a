"""A hand corpus of hostile protocol and stimulus-set files: each ends in exit 2 with one line naming the file and
the field, in bounded time and memory, without running or echoing anything it should not."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from v1lab.cli import main
from v1lab.protocol import prepare_run

HERE = Path(__file__).parent
GRATINGS = {"name": "g", "family": "grating", "fixed": {"sf_cpd": 2.0}, "grid": {"orientation_deg": [0, 90]}}


def _protocol(**changes) -> str:
    data = {"name": "h", "model": "resnet50-caffe", "device": "cpu", "layers": ["conv1"],
            "stimuli": [{"inline": GRATINGS}]}
    data.update(changes)
    return yaml.safe_dump(data)


def _inline(**changes) -> str:
    return _protocol(stimuli=[{"inline": {**GRATINGS, **changes}}])


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs" in YAML: ``width ** levels`` strings from a few hundred bytes."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + f"\nname: h\ndescription: *l{levels - 1}\n"


SECRET = "password: hunter2\nkey: sk-0123456789\n"
# (case, files: name -> text or bytes, extra command-line arguments, words the one line must contain)
CORPUS = [
    ("alias bomb", {"p.yaml": alias_bomb()}, [], ["p.yaml", "expands to more than 100000 values"]),
    ("alias bomb in a set file", {"p.yaml": _protocol(stimuli=["bomb"]), "bomb.yaml": alias_bomb()}, [],
     ["bomb.yaml", "expands to more than"]),
    ("recursive alias", {"p.yaml": "name: &a [*a]\n"}, [], ["p.yaml", "recursive"]),
    ("deep nesting", {"p.yaml": "name: " + "[" * 5000 + "]" * 5000 + "\n"}, [], ["p.yaml", "nest"]),
    ("huge file", {"p.yaml": "# " + "x" * (2 << 20) + "\n"}, [], ["p.yaml", "larger than 1024 KiB"]),
    ("binary file", {"p.yaml": b"name: \xff\xfe\x00\x01"}, [], ["p.yaml", "not UTF-8"]),
    ("python tag", {"p.yaml": 'name: !!python/object/apply:os.system ["touch PWNED"]\n'}, [],
     ["p.yaml", "python/object/apply:os.system"]),
    ("a list", {"p.yaml": "- name\n"}, [], ["p.yaml", "expected a mapping"]),
    ("empty", {"p.yaml": ""}, [], ["p.yaml", "expected a mapping"]),
    ("huge grid", {"p.yaml": _inline(grid={"orientation_deg": {"range": [0, 10**12]}})}, [],
     ["p.yaml", "field 'stimuli'", "1,000,000,000,000 stimuli per layer", "of recording", "--max-stimuli"]),
    ("huge linspace", {"p.yaml": _inline(grid={"orientation_deg": {"linspace": [0, 1], "num": 10**7},
                                               "phase_deg": [0, 90]})}, [], ["p.yaml", "20,000,000 stimuli"]),
    ("huge set file", {"p.yaml": _protocol(stimuli=["big", "big2"]),
                       "big.yaml": yaml.safe_dump({**GRATINGS, "grid": {"orientation_deg": {"range": [0, 600_000]}}}),
                       "big2.yaml": yaml.safe_dump({**GRATINGS, "name": "g2",
                                                    "grid": {"orientation_deg": {"range": [0, 600_000]}}})},
     [], ["p.yaml", "field 'stimuli'", "1,200,000 stimuli"]),
    ("nan ppd", {"p.yaml": _protocol(ppd=float("nan"))}, [], ["p.yaml", "'ppd'"]),
    ("inf ppd", {"p.yaml": _protocol(ppd=float("inf"))}, [], ["p.yaml", "'ppd'", "finite"]),
    ("inf seed", {"p.yaml": _protocol(seed=float("inf"))}, [], ["p.yaml", "'seed'"]),
    ("huge seed", {"p.yaml": _protocol(seed=10**30)}, [], ["p.yaml", "'seed'"]),
    ("nan criterion", {"p.yaml": _protocol(analyses={"criteria": {"simple_modulation_ratio": float("nan")}})}, [],
     ["p.yaml", "'analyses.criteria.simple_modulation_ratio'"]),
    ("nan sf", {"p.yaml": _inline(fixed={"sf_cpd": float("nan")})}, [], ["p.yaml", "stimuli.0.inline", "'sf_cpd'"]),
    ("inf linspace", {"p.yaml": _inline(grid={"orientation_deg": {"linspace": [0, float("inf")], "num": 2}})}, [],
     ["p.yaml", "stimuli.0.inline", "'grid.orientation_deg.linspace.1'", "finite"]),
    ("layers: 3", {"p.yaml": _protocol(layers=3)}, [], ["p.yaml", "'layers'"]),
    ("stimuli: mapping", {"p.yaml": _protocol(stimuli={"a": 1})}, [], ["p.yaml", "'stimuli'"]),
    ("name: list", {"p.yaml": _protocol(name=[1, 2])}, [], ["p.yaml", "'name'"]),
    ("units: 5", {"p.yaml": _protocol(units=5)}, [], ["p.yaml", "'units'"]),
    ("grid: text", {"p.yaml": _inline(grid="x")}, [], ["p.yaml", "stimuli.0.inline", "'grid'"]),
    ("unknown set", {"p.yaml": _protocol(stimuli=["nope"])}, [], ["p.yaml", "field 'stimuli'", "nope"]),
    ("unknown reference", {"p.yaml": _protocol(references=["nope2003"])}, [], ["p.yaml", "'references'", "nope2003"]),
    ("unknown role set", {"p.yaml": _protocol(analyses={"roles": {"luminance_gratings": "nope"}})}, [],
     ["p.yaml", "'analyses.roles.luminance_gratings'", "nope"]),
    ("unknown layer label", {"p.yaml": _protocol(preferred_stimuli={"layers": ["nope"]})}, [],
     ["p.yaml", "'preferred_stimuli.layers.0'", "nope"]),
    ("set file is a folder", {"p.yaml": _protocol(stimuli=["sub.yaml"]), "sub.yaml/x": ""}, [],
     ["p.yaml", "field 'stimuli'", "sub.yaml"]),
    ("a device as a set", {"p.yaml": _protocol(stimuli=["../../../../../../../../../../dev/zero"])}, [],
     ["p.yaml", "field 'stimuli'", "dev/zero"]),
    ("a secret outside the project", {"project/p.yaml": _protocol(stimuli=["../outside/secret.yaml"]),
                                      "outside/secret.yaml": SECRET}, [], ["secret.yaml", "field 'family'"]),
    ("--set bomb", {"p.yaml": _protocol()}, ["--set", "description=&a [*a]"], ["--set description", "recursive"]),
    ("--set deep", {"p.yaml": _protocol()}, ["--set", "description=" + "[" * 100], ["--set description", "nested"]),
]


def _write(tmp_path: Path, files: dict) -> Path:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return tmp_path / next(iter(files))


@pytest.mark.parametrize("case, files, extra, words", CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_input_is_one_line_naming_file_and_field(tmp_path, monkeypatch, capsys, case, files, extra, words):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, files)
    assert main(["validate", str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("v1lab: error: ") and len(err) < 1000, err
    for word in words:
        assert word in err, err
    assert "hunter2" not in err and "sk-0123" not in err      # a file read by mistake is not echoed
    assert not (tmp_path / "PWNED").exists()


def test_an_unreadable_file(tmp_path, monkeypatch, capsys):
    path = _write(tmp_path, {"p.yaml": _protocol()})

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("v1lab.safe_yaml.open", denied, raising=False)
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == f"v1lab: error: {path}: cannot be read (Permission denied); expected a " \
                                      "readable YAML file\n"


def test_the_limit_is_explicit_and_checked_before_expansion(tmp_path):
    path = _write(tmp_path, {"p.yaml": _inline(grid={"orientation_deg": {"linspace": [0, 180], "num": 300},
                                                     "phase_deg": [0, 90, 180, 270]})})
    with pytest.raises(Exception, match="1,200 stimuli per layer, above the limit of 1,000"):
        prepare_run(path, max_stimuli=1000)
    assert len(prepare_run(path, max_stimuli=1200).sets["g"]) == 1200


def test_results_cannot_go_where_they_cannot_be_written(tmp_path, capsys):
    path = _write(tmp_path, {"p.yaml": _protocol(output={"root": "/proc/v1lab-cannot-be-here"})})
    tiny = f"python:{HERE / 'tiny_net.py'}:make"
    assert main(["run", str(path), "--model", tiny, "--layers", "relu", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("v1lab: error: /proc/v1lab-cannot-be-here: run folder not created")
    assert main(["run", str(path), "--model", tiny, "--layers", "relu", "--no-progress", "--out", str(path)]) == 2
    assert "a file, not a folder" in capsys.readouterr().err


MEASURE = """
import contextlib, io, json, resource, sys, time, tracemalloc
from v1lab.cli import main
import v1lab.protocol.prepare   # what a validation imports, before the baseline

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

out = {}
for name in sys.argv[1:]:
    start, used, rss = time.perf_counter(), cpu(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = main(["validate", name])
    seconds, cpu_seconds = time.perf_counter() - start, cpu() - used
    tracemalloc.start()   # a second pass for the allocations: tracing slows Python several-fold
    with contextlib.redirect_stderr(io.StringIO()):
        main(["validate", name])
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out[name.rsplit("/", 1)[-1]] = {
        "code": code, "seconds": round(seconds, 3), "cpu_seconds": round(cpu_seconds, 3),
        "peak_rss_mib_above_start": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024,
        "peak_python_allocations_mib": round(allocated / 2**20, 2)}
print(json.dumps(out))
"""


def test_bombs_are_refused_in_bounded_time_and_memory(tmp_path):
    """The alias bomb, a 10^12 grid and a 1 MiB file of values, validated in a fresh process: exit 2 in under 5 s
    with under 500 MB above start-up (the time measured untraced, the Python allocations in a traced pass)."""
    bomb = _write(tmp_path, {"bomb.yaml": alias_bomb()})
    grid = _write(tmp_path, {"grid.yaml": _inline(grid={"orientation_deg": {"range": [0, 10**12]}})})
    flat = _write(tmp_path, {"flat.yaml": "name: [" + "1, " * 340_000 + "1]\n"})
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(bomb), str(grid), str(flat)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    print(json.dumps(result, indent=1))
    for name, measured in result.items():
        assert measured["code"] == 2, name
        assert measured["seconds"] < 5.0, (name, measured)
        assert measured["peak_rss_mib_above_start"] < 500 and measured["peak_python_allocations_mib"] < 500, name
    assert len(proc.stderr.strip().splitlines()) == 3
