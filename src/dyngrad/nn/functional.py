"""``dyngrad.nn.functional``: the functional forms of the layers and losses.

One facade over the modules that implement them (activations and losses, convolution and
pooling, normalization and recurrent helpers). Everything is built from public ops; the few
fused kernels (convolution, pooling, log-softmax) are ops in ``dyngrad/ops``.
"""

from ._functional_basic import *  # noqa: F403
from ._functional_conv import *  # noqa: F403
from ._functional_norm import *  # noqa: F403
