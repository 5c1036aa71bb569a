import pytest
import torch

from v1lab.errors import RecordingError
from v1lab.recording import is_out_of_memory, map_batches, resolve_device


class _Budget:
    """A planted memory limit: batches above ``limit`` raise the given out-of-memory error."""

    def __init__(self, limit, error):
        self.limit, self.error, self.sizes = limit, error, []

    def __call__(self, batch):
        self.sizes.append(batch.shape[0])
        if batch.shape[0] > self.limit:
            raise self.error
        return 2 * batch


@pytest.mark.parametrize("error", [
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB"),
    RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory"),
])
def test_batch_size_halves_until_it_fits_and_stays_there(error):
    fn = _Budget(limit=5, error=error)
    x = torch.arange(23.0)
    out, size = map_batches(fn, x, batch_size=32)
    torch.testing.assert_close(out, 2 * x)
    assert size == 4
    assert fn.sizes == [23, 16, 8, 4, 4, 4, 4, 4, 3]  # 23 images: 5 batches of 4, then 3


def test_out_of_memory_at_batch_size_one_is_raised():
    with pytest.raises(torch.OutOfMemoryError):
        map_batches(_Budget(limit=0, error=torch.OutOfMemoryError("CUDA out of memory")), torch.ones(3), 4)


def test_other_errors_are_not_swallowed():
    fn = _Budget(limit=1, error=RuntimeError("shape mismatch"))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        map_batches(fn, torch.ones(4), 4)
    assert fn.sizes == [4]


def test_is_out_of_memory():
    assert is_out_of_memory(torch.OutOfMemoryError("x"))
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    assert not is_out_of_memory(RuntimeError("expected scalar type Float"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_invalid_batch_sizes_and_empty_stacks():
    with pytest.raises(RecordingError, match=r"batch_size=0; expected an integer >= 1"):
        map_batches(lambda b: b, torch.ones(2), 0)
    with pytest.raises(RecordingError, match="no images"):
        map_batches(lambda b: b, torch.ones(0), 2)


def test_resolve_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(RecordingError, match="'gpu0' is not known"):
        resolve_device("gpu0")
    with pytest.raises(RecordingError, match="meta is not supported"):
        resolve_device("meta")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given when CUDA is absent")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(RecordingError, match="CUDA is not available"):
        resolve_device("cuda")
