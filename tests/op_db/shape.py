"""Op table entries for shape ops, views, copies and basic indexing."""

from __future__ import annotations

from . import OpInfo, Sample, arr


def _one(shape):  # type: ignore[no-untyped-def]
    return lambda rng, dt: [Sample((arr(rng, shape, dt),))]


def _getitem_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [Sample((arr(rng, (4, 5), dt),), name="4x5")]


OPS = [
    OpInfo("reshape", lambda m, a: a.reshape(6, -1), _one((3, 4)), ("ViewBackward0",)),
    OpInfo("view", lambda m, a: a.view(2, 2, 3), _one((3, 4)), ("ViewBackward0",)),
    OpInfo("expand", lambda m, a: a.expand(2, 3, 4), _one((3, 1)), ("ExpandBackward0",)),
    OpInfo("unsqueeze", lambda m, a: a.unsqueeze(-1), _one((3, 4)), ("UnsqueezeBackward0",)),
    OpInfo("squeeze", lambda m, a: a.squeeze(), _one((3, 1, 4, 1)), ("SqueezeBackward0",)),
    OpInfo("squeeze_dim", lambda m, a: a.squeeze(1), _one((3, 1, 4)), ("SqueezeBackward1",)),
    OpInfo("squeeze_dims", lambda m, a: a.squeeze((1, 3)), _one((3, 1, 4, 1)),
           ("SqueezeBackward2",)),  # fmt: skip
    OpInfo("matmul_vec_mat", lambda m, a: m.matmul(a[0], a), _one((3, 3)), ("SqueezeBackward4",),
           check_grad_fn=True),  # fmt: skip
    OpInfo("transpose", lambda m, a: a.transpose(0, 2), _one((2, 3, 4)), ("TransposeBackward0",)),
    OpInfo("t", lambda m, a: a.t(), _one((3, 4)), ("TBackward0",)),
    OpInfo("t_1d", lambda m, a: a.t(), _one((3,)), ("TBackward0",)),
    OpInfo("mT", lambda m, a: a.mT, _one((2, 3, 4)), ("TransposeBackward0",)),
    OpInfo("unbind", lambda m, a: a.unbind(1), _one((3, 4)), ("UnbindBackward0",)),
    OpInfo("iter", lambda m, a: tuple(a), _one((3, 4)), ("UnbindBackward0",)),
    OpInfo("stack", lambda m, a, b: m.stack([a, b], 1),
           lambda rng, dt: [Sample((arr(rng, (3, 4), dt), arr(rng, (3, 4), dt)))],
           ("StackBackward0",)),  # fmt: skip
    OpInfo("clone", lambda m, a: a.clone(), _one((3, 4)), ("CloneBackward0",)),
    OpInfo("select", lambda m, a: a[1], _getitem_samples, ("SelectBackward0",)),
    OpInfo("select_neg", lambda m, a: a[:, -2], _getitem_samples, ("SelectBackward0",)),
    OpInfo("slice", lambda m, a: a[1:3], _getitem_samples, ("SliceBackward0",)),
    OpInfo("slice_step", lambda m, a: a[:, ::2], _getitem_samples, ("SliceBackward0",)),
    OpInfo("index_none", lambda m, a: a[None], _getitem_samples, ("UnsqueezeBackward1",),
           check_grad_fn=False),  # fmt: skip
    OpInfo("index_tensor", lambda m, a: a[m.tensor([0, 2, 0])], _getitem_samples,
           ("IndexBackward0",)),  # fmt: skip
    OpInfo("index_mask", lambda m, a: a[a > 0], _getitem_samples, ("IndexBackward0",)),
]
