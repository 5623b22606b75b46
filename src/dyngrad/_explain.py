"""``dyngrad.explain(y)``: run ``y.backward()`` and print each step as the engine runs it.

For every node, in the engine's order: the gradient that arrives (and, when several paths
meet, the sum it is made of), the node's local rule (the first line of its docstring, which
states the math: ``MulBackward0: z = a · b;  ā = z̄ · b,  b̄ = z̄ · a.``), the gradient each
input receives, the dimensions summed away where broadcasting made the gradient bigger than
the input, and, at each leaf, how the gradient lands in ``.grad`` (old + new = total when it
already held one: the notes' "why is x.grad 2 now?"). Lines fit 80 columns; ``lang="zh"``
says it in Chinese.

It observes the engine through ``dyngrad.autograd.engine.tracers`` and changes nothing: the
gradients are exactly those of ``y.backward()``.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

import numpy as np

from ._explain_text import TEXT
from ._learner import TensorNames, caller_names, names_from, shape_text, tensor_text, width, wrap
from ._tensor import Tensor
from ._tensor_str import printoptions
from .autograd import engine
from .autograd.graph import AccumulateGrad, Node

__all__ = ["explain", "local_rule"]

LIMIT = 80
_RULE = re.compile(r"(?<![\w\u0304])([^\W\d_][\w]*)\u0304\s*=")


def local_rule(node_type: type) -> tuple[str, list[str]]:
    """The node's rule from its docstring's first line: the whole line, and one rule per
    input (``['ā = z̄ · b', 'b̄ = z̄ · a']``) when the line has one per input."""
    doc = (node_type.__doc__ or "").strip()
    line = doc.splitlines()[0].strip() if doc else ""
    text = unicodedata.normalize("NFD", line)
    _, _, backward = text.partition(";")
    starts = [m.start() for m in _RULE.finditer(backward)]
    rules = []
    for a, b in zip(starts, starts[1:] + [len(backward)]):
        rules.append(backward[a:b].strip().rstrip(",.").strip())
    return unicodedata.normalize("NFC", line), [unicodedata.normalize("NFC", r) for r in rules]


class _Explainer:
    """Collects the engine's steps and prints them."""

    def __init__(self, root: Tensor, names: TensorNames, lang: str, out: TextIO) -> None:
        if lang not in TEXT:
            raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
        self.t = TEXT[lang]
        self.lang = lang
        self.out = out
        self.names = names
        self.root = root
        self.root_name = names.of(root) or self.t["output"]
        self.thread = threading.get_ident()
        self.step = 0
        self.steps_of: dict[Node, int] = {}
        # gradients sent to each node so far, per output slot: (step, input index, array)
        self.arrived: dict[tuple[Node, int], list[tuple[int, int, np.ndarray]]] = {}
        self.leaves: list[Tensor] = []

    # --- output helpers -----------------------------------------------------------------
    def say(self, text: str, indent: int = 0) -> None:
        pad = " " * indent
        for line in wrap(text, LIMIT, pad, pad + "  "):
            print(line, file=self.out)

    def show(self, label: str, value: Any, indent: int = 2) -> None:
        """``label value`` on one line when it fits, else the value below the label."""
        pad = " " * indent
        one = tensor_text(value, LIMIT - indent - width(label) - 1)
        if "\n" not in one and width(pad + _join(label, one)) <= LIMIT:
            print(pad + _join(label, one), file=self.out)
            return
        self.say(label, indent)
        for line in tensor_text(value, LIMIT - indent - 4).splitlines():
            print(" " * (indent + 4) + line, file=self.out)

    # --- naming -------------------------------------------------------------------------
    def leaf_name(self, var: Tensor) -> str:
        name = self.names.of(var)
        return name or f"{self.t['leaf']} {shape_text(var._data.shape)} {var._data.dtype}"

    def target(self, node: Node, nr: int) -> str:
        if node.__class__ is AccumulateGrad:
            return self.leaf_name(node.variable)  # type: ignore[attr-defined]
        text = node.name()
        return text + (f" (output {nr})" if node.n_outputs > 1 else "")

    # --- the trace ----------------------------------------------------------------------
    def header(self, gradient: Any) -> None:
        t = self.t
        with printoptions(threshold=6, edgeitems=2, linewidth=10**6):
            value = " ".join(line.strip() for line in repr(self.root).splitlines())
        self.say(t["start"].format(root=self.root_name, value=value))
        seed = gradient if gradient is not None else np.ones(self.root._data.shape)
        seed_arr = getattr(seed, "_data", np.asarray(seed)).astype(self.root._data.dtype)
        key = "seed" if gradient is None else "seed_given"
        self.say(t[key].format(grad=tensor_text(seed_arr, 40, one_line=True), root=self.root_name))
        self.say(t["notation"].format(root=self.root_name))

    def trace(self, node: Node, grads_in: tuple[Any, ...], grads_out: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        self.step += 1
        self.steps_of[node] = self.step
        print(file=self.out)
        if node.__class__ is AccumulateGrad:
            self.leaf_step(node, grads_in[0])
        else:
            self.op_step(node, grads_in, grads_out)

    def arrivals(self, node: Node, nr: int, grad: Any, symbol: str, label: str) -> None:
        """The gradient arriving at output ``nr``: the sum of what earlier steps sent."""
        t = self.t
        parts = self.arrived.pop((node, nr), [])
        colon = t["colon"]
        if len(parts) > 1:
            self.say(label + colon + t["sum_of"].format(n=len(parts)), 2)
            for k, (step, i, arr) in enumerate(parts):
                sign = "+" if k else " "
                self.show(f"{sign} {t['from'].format(step=step, i=i)}", arr, 4)
            self.show(f"= {symbol}" if symbol else "=", grad, 4)
        else:
            self.show(
                f"{label}{colon}{symbol} =" if symbol else f"{label}{colon}".rstrip(), grad, 2
            )

    def op_step(self, node: Node, grads_in: tuple[Any, ...], grads_out: Any) -> None:
        t = self.t
        name = node.name()
        made = self.names.of_output(node, 0)
        if node is self.root.grad_fn:
            made = self.root_name
        title = t["step"].format(k=self.step, node=name)
        self.say(title + (t["paren"].format(t["made"].format(name=made)) if made else ""))
        line, rules = local_rule(type(node))
        self.say(f"{t['rule']}{t['colon']}{line or t['no_rule']}", 2)
        out_symbol = _output_symbol(line)
        for nr, g in enumerate(grads_in):
            if g is None:
                continue
            label = t["arrives"] if len(grads_in) == 1 else t["arrives_out"].format(nr=nr)
            self.arrivals(node, nr, g, out_symbol, label)
        per_input = len(rules) == len(node.next_functions)
        for i, (nxt, nr) in enumerate(node.next_functions):
            if nxt is None:
                self.say(t["constant"].format(i=i), 2)
                continue
            g = grads_out[i] if grads_out is not None and i < len(grads_out) else None
            target = self.target(nxt, nr)
            if g is None:
                self.say(t["none"].format(i=i, target=target), 2)
                continue
            rule = rules[i] if per_input else ""
            arr = g._data if isinstance(g, Tensor) else np.asarray(g)
            meta = node._in_meta[i] if node._in_meta and i < len(node._in_meta) else None
            head = t["input"].format(i=i, target=target) + t["colon"].rstrip()
            reduced = self.reduce(arr, meta, head, rule)
            self.arrived.setdefault((nxt, nr), []).append((self.step, i, reduced))

    def reduce(self, arr: np.ndarray, meta: Any, head: str, rule: str) -> np.ndarray:
        """Show the input's gradient, summed to its shape and cast to its dtype as the
        engine does; returns what the input receives."""
        if meta is None or (arr.shape == meta[0] and arr.dtype == meta[1]):
            self.show(_join(head, f"{rule} =") if rule else head, arr, 2)
            return arr
        shape, dtype = meta
        self.show(_join(head, f"{rule} =") if rule else head, arr, 2)
        out = arr
        if arr.shape != shape:
            lead = arr.ndim - len(shape)
            dims = list(range(lead)) + [
                lead + k for k, n in enumerate(shape) if n == 1 and arr.shape[lead + k] != 1
            ]
            out = arr.sum(axis=tuple(dims)).reshape(shape) if dims else arr.reshape(shape)
            dims_text = ", ".join(str(d) for d in dims)
            self.say(
                self.t["broadcast"].format(
                    gshape=shape_text(arr.shape), shape=shape_text(shape), dims=dims_text
                ),
                4,
            )
        if out.dtype != dtype:
            out = out.astype(dtype)
            self.say(self.t["cast"].format(dtype=dtype), 4)
        self.show("→", out, 4)
        return out

    def leaf_step(self, node: Node, grad: Any) -> None:
        t = self.t
        var = node.variable  # type: ignore[attr-defined]
        name = self.names.of(var) or t["leaf"]
        self.say(
            t["leaf_step"].format(
                k=self.step,
                leaf=f"{name} {shape_text(var._data.shape)} {var._data.dtype}",
            )
        )
        if grad is None:
            self.say(t["leaf_nothing"].format(name=name), 2)
            return
        new = grad._data
        self.arrivals(node, 0, new, "", t["arrives"])
        if all(v is not var for v in self.leaves):
            self.leaves.append(var)
        old = var._grad
        if old is None:
            self.show(t["leaf_new"].format(name=name), new, 2)
            return
        self.say(t["leaf_acc"].format(name=name), 2)
        self.show(t["old"], old, 4)
        self.show("+ " + t["new"], new, 4)
        self.show(f"= {name}.grad", old._data + new, 4)

    def footer(self) -> None:
        if not self.leaves:
            return
        print(file=self.out)
        self.say(self.t["done"])
        for var in self.leaves:
            name = self.names.of(var) or self.t["leaf"]
            if var._grad is not None:
                self.show(f"{name}.grad =", var._grad, 2)


def _join(label: str, text: str) -> str:
    """``label text``, without a space after a Chinese full-width colon."""
    return label + text if label.endswith("：") else f"{label} {text}"


def _output_symbol(rule_line: str) -> str:
    """The rule's name for the output gradient: ``z̄`` for ``z = a · b; ...``."""
    head = unicodedata.normalize("NFD", rule_line).split("=", 1)[0].strip()
    if re.fullmatch(r"[^\W\d_]\w*", head):
        return unicodedata.normalize("NFC", head + "\u0304")
    return ""


def explain(
    y: Tensor,
    gradient: Any = None,
    lang: str = "en",
    file: TextIO | None = None,
    *,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
    params: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None,
    _depth: int = 1,
) -> None:
    """Run ``y.backward(gradient)`` and print every step of it (see the module docstring).

    Args:
        y: the tensor to backpropagate from.
        gradient: as for ``backward`` (needed when ``y`` is not a scalar).
        lang: ``"en"`` or ``"zh"``.
        file: where to print (default: standard output).
        params: names for tensors (``{"x": x}`` or ``model.named_parameters()``); default:
            the caller's variables.
        retain_graph: as for ``backward``.
        create_graph: as for ``backward``.
        inputs: as for ``backward``.
    """
    from .autograd import backward

    names = caller_names(_depth) if params is None else names_from(params)
    explainer = _Explainer(y, names, lang, file if file is not None else sys.stdout)
    explainer.header(gradient)
    engine.tracers.append(explainer.trace)
    try:
        backward(y, gradient, retain_graph, create_graph, inputs=inputs)
    finally:
        engine.tracers.remove(explainer.trace)
    explainer.footer()
