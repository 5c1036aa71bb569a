import pytest
import torchvision

from v1lab.errors import LayerError
from v1lab.recording import RESPONSE_MODES, check_response_mode, layer_names, resolve_layer


@pytest.fixture(scope="module")
def net():
    return torchvision.models.resnet18(weights=None)


def test_dotted_names_resolve_to_the_modules(net):
    assert resolve_layer(net, "conv1") is net.conv1
    assert resolve_layer(net, "layer2.1") is net.layer2[1]
    assert resolve_layer(net, "layer3.0.conv2") is net.layer3[0].conv2


def test_layer_names_are_named_modules_without_the_root(net):
    names = layer_names(net)
    assert names[:4] == ["conv1", "bn1", "relu", "maxpool"]
    assert "" not in names and "layer4.1.bn2" in names


@pytest.mark.parametrize("wrong, suggestion", [("layr2", "layer2"), ("layer3.0.cnv2", "layer3.0.conv2")])
def test_wrong_names_list_close_matches(net, wrong, suggestion):
    with pytest.raises(LayerError, match=rf"{wrong!r}.*'{suggestion}'"):
        resolve_layer(net, wrong)


def test_the_root_is_not_a_layer(net):
    with pytest.raises(LayerError, match="not found"):
        resolve_layer(net, "")


def test_response_modes():
    assert RESPONSE_MODES == ("output", "post_relu", "pre_relu", "shortcut", "residual", "sum")
    assert check_response_mode("pre_relu") == "pre_relu"
    with pytest.raises(LayerError, match="'relu'.*expected one of"):
        check_response_mode("relu")
