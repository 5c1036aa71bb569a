"""The model zoo: spec strings -> :class:`LoadedModel` (module, preprocessing, weights hash, metadata).

>>> from v1lab.models import load_model, list_models
>>> [m.spec for m in list_models()][:2]
['resnet50-caffe', 'squeezenet1.1']

See ``docs/models.md`` for the spec syntax, the zoo (``resnet50-caffe``, ``squeezenet1.1``,
``efficientnet-lite0``, ``resnet18-plain``, ``resnet34-plain``) and how each model's weights are converted.
"""

from v1lab.models.core import IMAGENET_PREPROCESSING, LoadedModel, ModelInfo, Preprocessing
from v1lab.models.spec import ModelSpec, parse_spec
from v1lab.models.weights_cache import FetchResult
from v1lab.models.zoo import DEFAULT_MODEL, fetch_model, list_models, load_model

__all__ = [
    "DEFAULT_MODEL",
    "IMAGENET_PREPROCESSING",
    "FetchResult",
    "LoadedModel",
    "ModelInfo",
    "ModelSpec",
    "Preprocessing",
    "fetch_model",
    "list_models",
    "load_model",
    "parse_spec",
]
