"""Helpers shared by the learner tools (``dyngrad.viz``, ``dyngrad.explain``,
``dyngrad.why_no_grad``): names of tensors, compact tensor text, terminal width."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ._tensor import Tensor
from ._tensor_str import printoptions

__all__ = [
    "TensorNames",
    "caller_names",
    "names_from",
    "shape_text",
    "tensor_text",
    "width",
    "fit",
    "wrap",
]


class TensorNames:
    """Names for tensors: leaves by identity, computed tensors by (grad_fn, output_nr)."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.by_node: dict[tuple[int, int], str] = {}
        self._keep: list[Tensor] = []  # keeps named tensors alive, so ids stay valid

    def add(self, name: str, t: Tensor) -> None:
        if id(t) in self.by_id:
            return
        self.by_id[id(t)] = name
        self._keep.append(t)
        if t.grad_fn is not None:
            self.by_node.setdefault((id(t.grad_fn), t.output_nr), name)

    def of(self, t: Any) -> str | None:
        return self.by_id.get(id(t))

    def of_output(self, node: Any, output_nr: int = 0) -> str | None:
        return self.by_node.get((id(node), output_nr))


def names_from(params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> TensorNames:
    """Names from a dict ``name -> tensor`` or pairs such as ``model.named_parameters()``."""
    names = TensorNames()
    if params is None:
        return names
    items = params.items() if isinstance(params, Mapping) else params
    for name, t in items:
        if isinstance(t, Tensor):
            names.add(str(name), t)
    return names


def caller_names(depth: int) -> TensorNames:
    """The tensors visible as variables in the caller's frame (``depth`` frames up from the
    caller of this function): locals first, then globals; names starting with ``_`` and
    ``In``/``Out`` (IPython history) are skipped."""
    names = TensorNames()
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:
        return names
    try:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                if isinstance(value, Tensor) and not name.startswith("_"):
                    names.add(name, value)
    finally:
        del frame
    return names


def shape_text(shape: tuple[int, ...]) -> str:
    """``[2, 3]``, and ``[]`` for a 0-d tensor (as torch's messages write shapes)."""
    return "[" + ", ".join(str(s) for s in shape) + "]"


def tensor_text(value: Any, width: int = 60, one_line: bool = False) -> str:
    """A tensor (or array) as torch prints it, without autograd suffixes, summarised so that
    it fits ``width`` columns per line (``one_line`` joins rows with spaces)."""
    if isinstance(value, Tensor):
        data = value._data
    else:
        data = np.asarray(value)
    t = Tensor._make(data, False, None, 0)
    text = ""
    for threshold, edge in ((1000, 3), (16, 2), (6, 1)):
        with printoptions(threshold=threshold, edgeitems=edge, linewidth=max(width, 20)):
            text = repr(t)
        if one_line:
            text = " ".join(part.strip() for part in text.splitlines())
        if all(len(line) <= width for line in text.splitlines()):
            return text
    return text


def width(text: str) -> int:
    """Columns a line takes in a terminal: CJK characters count two, combining marks none."""
    cols = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        cols += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return cols


def fit(text: str, limit: int = 80) -> str:
    """Cut a single line to ``limit`` columns, ending with an ellipsis when cut."""
    if width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def wrap(text: str, limit: int = 80, indent: str = "", hang: str = "") -> list[str]:
    """Wrap a paragraph to ``limit`` columns: at spaces, and between any two characters of
    Chinese text; the first line starts with ``indent``, the others with ``hang``."""
    lines: list[str] = []
    line = indent
    start = len(indent)
    for token in _tokens(text):
        if token == " " and len(line) == start:
            continue
        if width(line + token) > limit and len(line) > start:
            lines.append(line.rstrip())
            line = hang
            start = len(hang)
            if token == " ":
                continue
        line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


_OPENING = "（「《“‘"
_CLOSING = "，。、；：）」》”’！？"


def _tokens(text: str) -> list[str]:
    """Words, single spaces, and single wide (CJK) characters; an opening bracket sticks to
    what follows it and closing punctuation to what precedes it, so neither is left alone
    at the end or the start of a line."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if ch == " " or wide:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    merged: list[str] = []
    for token in tokens:
        if merged and (merged[-1][-1] in _OPENING or token[0] in _CLOSING) and token != " ":
            merged[-1] += token
        else:
            merged.append(token)
    return merged
