"""``dyngrad.why_no_grad(t)``: the reason ``t.grad`` is None, in one short paragraph.

The cases, checked in this order: an integer or bool dtype; a tensor that is not a leaf
(named by the op that made it: ``.double()`` gives ``ToCopyBackward0``); a leaf that does
not require grad because it came from ``detach()``, or was computed under ``no_grad`` from
tensors that do require grad (the op registry and ``Tensor.detach`` tag such results), or
was simply never asked to; a leaf that requires grad but that the backward did not reach
(the engine remembers, weakly and per thread, where the last ``backward()`` started; or pass
``of=loss``), or no backward ran yet.
"""

from __future__ import annotations

from ._learner import TensorNames, caller_names, wrap
from ._tensor import Tensor
from .autograd.engine import last_backward
from .autograd.graph import AccumulateGrad, Node
from .autograd.graph_summary import reachable_nodes

__all__ = ["why_no_grad", "Reason"]

REASONS = {
    "en": {
        "has_grad": "{n} has a gradient: {n}.grad is set (shape {shape}).",
        "integer": (
            "{n} has dtype {dtype}: only floating-point tensors can require gradients, so "
            "autograd never tracks it. torch.arange(4) makes int64; use torch.arange(4.0), or "
            "convert with {n}.float() before calling requires_grad_()."
        ),
        "retained": (
            "{n} called retain_grad(), but no backward that reaches it has run since then."
        ),
        "copy": (
            "{n} is not a leaf: it is a copy made by .double(), .float() or .to() "
            "(ToCopyBackward0) of {source}. PyTorch fills .grad only for leaves, so the "
            "gradient went on to {source}. Read {source_grad} instead, or make the converted "
            "tensor the leaf: convert first, then call requires_grad_() (for example "
            "torch.arange(4.0, dtype=torch.float64).requires_grad_()). {n}.retain_grad() "
            "before backward() also keeps this one's gradient."
        ),
        "non_leaf": (
            "{n} is not a leaf: it was computed by an op ({node}) from {source}. PyTorch fills "
            ".grad only for leaves (tensors created with requires_grad=True), so read "
            "{source_grad} instead, or call {n}.retain_grad() before backward() to keep this "
            "tensor's gradient too."
        ),
        "detached": (
            "{n} was made by .detach() (of {source}): it has the same values but is cut off "
            "from the graph, so autograd treats it as a constant: no gradient flows to it or "
            "through it."
        ),
        "no_grad": (
            "{n} was computed by an op ({node}) while gradient recording was off (inside "
            "torch.no_grad(), torch.inference_mode() or torch.set_grad_enabled(False)) from "
            "tensors that require grad: no graph was recorded, so it has no grad_fn and "
            "backward cannot reach it. Compute it outside no_grad to get gradients."
        ),
        "not_requires": (
            "{n} does not require grad (requires_grad=False), so autograd does not track it. "
            "Call {n}.requires_grad_(True) before computing with it, or create it with "
            "requires_grad=True."
        ),
        "no_backward": (
            "{n} is a leaf that requires grad, but no backward() has run in this thread yet "
            "(its .grad is filled by y.backward() for a y computed from {n})."
        ),
        "unreached": (
            "{n} is a leaf that requires grad, but {of} does not depend on it: no path in the "
            "graph of {of} leads back to {n} (it was not used, or only through detach(), "
            "no_grad or an integer op), so backward() from {of} gives it no gradient."
        ),
        "reached_reset": (
            "{n} was reached by the last backward() (from {of}), but {n}.grad is None again: "
            "it was reset since (optimizer.zero_grad() sets it to None), or that backward "
            "was limited with inputs=[...] leaving {n} out."
        ),
        "reachable_pending": (
            "{n} is used in the graph of {of}, but no backward() from {of} has run yet "
            "(or {n}.grad was reset to None since, e.g. by optimizer.zero_grad())."
        ),
        "gone": (
            "{n} is a leaf that requires grad; the graph of the last backward() is gone, so "
            "dyngrad cannot tell whether it reached {n}: pass of=loss to check."
        ),
        "this": "this tensor",
        "the_output": "the tensor backpropagated",
        "a_leaf": "a leaf",
        "its_leaf": "the leaf's .grad",
        "leaf_word": "a leaf",
        "tensor_with": "a tensor with grad_fn={node}",
        "several": "its inputs",
    },
    "zh": {
        "has_grad": "{n} 有梯度：{n}.grad 已经有值（形状 {shape}）。",
        "integer": (
            "{n} 的类型是 {dtype}：只有浮点张量才能求导，自动微分不会追踪它。torch.arange(4) "
            "得到的是 int64，请用 torch.arange(4.0)，或先用 {n}.float() 转换，再调用 "
            "requires_grad_()。"
        ),
        "retained": "{n} 调用过 retain_grad()，但之后还没有经过它的反向传播。",
        "copy": (
            "{n} 不是叶子节点：它是 {source} 用 .double()、.float() 或 .to() 复制出来的"
            "（ToCopyBackward0）。PyTorch 只把梯度存到叶子节点的 .grad 里，梯度传给了 "
            "{source}。请读 {source_grad}，或者先转换类型、再调用 requires_grad_()，让转换后的"
            "张量成为叶子（例如 torch.arange(4.0, dtype=torch.float64).requires_grad_()）。"
            "在 backward() 之前调用 {n}.retain_grad() 也能保留它的梯度。"
        ),
        "non_leaf": (
            "{n} 不是叶子节点：它是由运算（{node}）从 {source} 计算出来的。PyTorch 只把梯度"
            "存到叶子节点（用 requires_grad=True 创建的张量）的 .grad 里，请读 "
            "{source_grad}，或者在 backward() 之前调用 {n}.retain_grad() 保留它的梯度。"
        ),
        "detached": (
            "{n} 是用 .detach() 得到的（来自 {source}）：数值相同，但不在计算图里，自动微分把它"
            "当作常数，梯度不会传到它，也不会经过它。"
        ),
        "no_grad": (
            "{n} 是在关闭梯度记录时（torch.no_grad()、torch.inference_mode() 或 "
            "torch.set_grad_enabled(False) 里面）由需要梯度的张量计算出来的（{node}）：没有"
            "记录计算图，所以它没有 grad_fn，反向传播到不了它。要梯度的话请在 no_grad 外面计算。"
        ),
        "not_requires": (
            "{n} 不需要梯度（requires_grad=False），自动微分不会追踪它。请在计算之前调用 "
            "{n}.requires_grad_(True) 开启自动微分，或者创建时传入 requires_grad=True。"
        ),
        "no_backward": (
            "{n} 是需要梯度的叶子节点，但这个线程还没有调用过 backward()（对由 {n} 计算出的 "
            "y 调用 y.backward() 之后 {n}.grad 才有值）。"
        ),
        "unreached": (
            "{n} 是需要梯度的叶子节点，但 {of} 不依赖它：{of} 的计算图里没有路径通向 {n}"
            "（没有用到它，或者只经过了 detach()、no_grad 或整数运算），所以从 {of} 反向传播"
            "不会给它梯度。"
        ),
        "reached_reset": (
            "上一次 backward()（从 {of} 开始）到达过 {n}，但 {n}.grad 又变成了 None：之后被重置了"
            "（optimizer.zero_grad() 会把它设为 None），或者那次 backward 用 inputs=[...] "
            "排除了 {n}。"
        ),
        "reachable_pending": (
            "{n} 在 {of} 的计算图里，但还没有从 {of} 调用 backward()（或者之后 {n}.grad 被"
            "重置成了 None，例如 optimizer.zero_grad()）。"
        ),
        "gone": (
            "{n} 是需要梯度的叶子节点；上一次 backward() 的计算图已经不在了，无法判断是否到达 "
            "{n}：请传入 of=loss 来检查。"
        ),
        "this": "这个张量",
        "the_output": "被反向传播的张量",
        "a_leaf": "一个叶子节点",
        "its_leaf": "叶子节点的 .grad",
        "leaf_word": "一个叶子节点",
        "tensor_with": "grad_fn={node} 的张量",
        "several": "它的输入",
    },
}


class Reason(str):
    """The answer of :func:`why_no_grad`: a ``str`` that shows as plain text in the REPL."""

    def __repr__(self) -> str:
        return str(self)


def _leaf_sources(node: Node) -> list[Tensor]:
    return [
        n.variable  # type: ignore[attr-defined]
        for n, _ in node.next_functions
        if n is not None and n.__class__ is AccumulateGrad
    ]


def _reaches(roots: list[Node], t: Tensor) -> bool:
    for node in reachable_nodes(roots):
        if node.__class__ is AccumulateGrad and node.variable is t:  # type: ignore[attr-defined]
            return True
    return False


def _reason(t: Tensor, n: str, of: Tensor | None, names: TensorNames, lang: str) -> str:
    r = REASONS[lang]
    if t._grad is not None:
        return r["has_grad"].format(n=n, shape=list(t._data.shape))
    if t._data.dtype.kind != "f":
        return r["integer"].format(n=n, dtype=t.dtype)
    node = t.grad_fn
    if node is not None:
        if t.retains_grad:
            return r["retained"].format(n=n)
        leaves = _leaf_sources(node)
        inputs = [e for e in node.next_functions if e[0] is not None]
        if len(leaves) == 1 and len(inputs) == 1:
            leaf_name = names.of(leaves[0])
            source = leaf_name or r["a_leaf"]
            source_grad = f"{leaf_name}.grad" if leaf_name else r["its_leaf"]
        else:
            source, source_grad = r["several"], r["its_leaf"]
        key = "copy" if node.name() == "ToCopyBackward0" else "non_leaf"
        return r[key].format(n=n, node=node.name(), source=source, source_grad=source_grad)
    if not t.requires_grad:
        origin = t._meta.origin if t._meta is not None else None
        if origin is not None and origin[0] == "detach":
            source = r["a_leaf"] if origin[1] == "leaf" else r["tensor_with"].format(node=origin[1])
            return r["detached"].format(n=n, source=source)
        if origin is not None and origin[0] == "no_grad":
            return r["no_grad"].format(n=n, node=origin[1])
        return r["not_requires"].format(n=n)
    # a leaf that requires grad
    if of is not None:
        of_name = names.of(of) or r["the_output"]
        roots = [of.grad_fn] if of.grad_fn is not None else []
        if not roots or not _reaches(roots, t):
            return r["unreached"].format(n=n, of=of_name)
        return r["reachable_pending"].format(n=n, of=of_name)
    refs = last_backward.roots
    if not refs:
        return r["no_backward"].format(n=n)
    alive = [node for node in (ref() for ref in refs) if node is not None]
    if not alive:
        return r["gone"].format(n=n)
    of_name = r["the_output"]
    for root in alive:
        if root.__class__ is AccumulateGrad:
            continue
        for name_node, name in names.by_node.items():
            if name_node[0] == id(root):
                of_name = name
    if _reaches(alive, t):
        return r["reached_reset"].format(n=n, of=of_name)
    return r["unreached"].format(n=n, of=of_name)


def why_no_grad(t: Tensor, of: Tensor | None = None, lang: str = "en") -> Reason:
    """Say exactly why ``t.grad`` is None (or that it is not).

    Args:
        t: the tensor whose gradient is missing.
        of: the tensor you backpropagated (``loss``), to check that ``t`` is in its graph;
            by default the last ``backward()`` of this thread is used.
        lang: ``"en"`` or ``"zh"``.

    Returns:
        The reason as a string (wrapped to 80 columns); it prints without quotes in the REPL.
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"why_no_grad() expects a Tensor, got {type(t).__name__}")
    if lang not in REASONS:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    names = caller_names(1)
    n = names.of(t) or REASONS[lang]["this"]
    text = _reason(t, n, of, names, lang)
    text = text[0].upper() + text[1:] if text.startswith("this") else text
    return Reason("\n".join(wrap(text, 80)))
