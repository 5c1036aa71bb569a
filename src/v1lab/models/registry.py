"""The named zoo models, in the order ``v1lab models`` lists them (name -> :class:`NamedModel`)."""

from v1lab.models import efficientnet_lite, plain_resnet, resnet50_caffe, squeezenet
from v1lab.models.named import NamedModel

__all__ = ["NAMED"]

#: Every named model: those with converted ImageNet weights first, then architectures for checkpoints.
NAMED: dict[str, NamedModel] = {m.name: m for m in (
    resnet50_caffe.MODEL, squeezenet.MODEL, efficientnet_lite.MODEL,
    plain_resnet.RESNET18_PLAIN, plain_resnet.RESNET34_PLAIN,
)}
