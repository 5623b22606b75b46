"""Printing of tensors: rule for rule the same text as ``torch.Tensor.__repr__``.

How torch lays a tensor out, and so how this module does:

- Every element of a tensor is printed with one shared format, chosen by looking only at the
  finite, nonzero elements (of the summarised view, when the tensor is summarised):

  * integer-valued floats print as ``28.``;
  * scientific notation (``1.0000e-05``) is used when max/min > 1000, max > 1e8 or
    min < 1e-4 (absolute values), unless ``sci_mode`` forces it on or off;
  * otherwise fixed notation with ``precision`` digits (``0.1000``).

  The common width is the widest of those finite nonzero elements; zeros, nan and inf are
  right-aligned to it but never widen it.
- A row wraps after ``(linewidth - indent) // (width + 2)`` elements.
- A tensor with more than ``threshold`` elements is summarised: each dimension longer than
  ``2 * edgeitems`` keeps its first and last ``edgeitems`` entries around ``...``.
- Suffixes follow the data: ``size=`` (empty tensors that are not 1-d, or ``edgeitems=0``),
  ``dtype=`` (when the dtype cannot be told from the text), then ``grad_fn=<...>`` or
  ``requires_grad=True``; one that would pass ``linewidth`` goes on its own line.

Example::

    >>> print(tensor_repr(t))  # t holds np.array([1.0, 2.5], dtype=np.float64)
    tensor([1.0000, 2.5000], dtype=torch.float64)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

__all__ = [
    "default_float_name",
    "get_printoptions",
    "parameter_repr",
    "printoptions",
    "set_printoptions",
    "tensor_repr",
]

# Note: the name of the default float dtype (torch.get_default_dtype()). Tensors of this dtype,
# int64 and bool print no ``dtype=`` suffix. Whoever implements set_default_dtype keeps it in step.
default_float_name: str = "float32"

# Dtypes whose name torch leaves out of a non-empty tensor's repr (besides the default float).
_DTYPES_SHOWN_BY_VALUES = ("int64", "bool")


class _GradFnLike(Protocol):
    """A graph node as the printer sees it: only its printed name."""

    def name(self) -> str: ...


class _TensorLike(Protocol):
    """What the printer reads from a tensor."""

    @property
    def _data(self) -> np.ndarray[Any, Any]: ...

    @property
    def dtype(self) -> object: ...

    @property
    def requires_grad(self) -> bool: ...

    @property
    def grad_fn(self) -> _GradFnLike | None: ...


# ----------------------------------------------------------------------------- options


@dataclasses.dataclass
class _PrintOptions:
    """The current print options; the defaults are torch's 'default' profile."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTIONS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as ``torch.set_printoptions`` does.

    ``profile`` ('default', 'short' or 'full') is applied first and the other arguments then
    override it; an unknown profile name is ignored. Options left as None keep their value,
    except ``sci_mode``: every call sets it, so leaving it out returns it to automatic (None).

    Example::

        >>> set_printoptions(precision=2)
        >>> get_printoptions()["precision"]
        2
    """
    if profile in _PROFILES:
        (
            _OPTIONS.precision,
            _OPTIONS.threshold,
            _OPTIONS.edgeitems,
            _OPTIONS.linewidth,
        ) = _PROFILES[profile]
    if precision is not None:
        _OPTIONS.precision = precision
    if threshold is not None:
        _OPTIONS.threshold = threshold
    if edgeitems is not None:
        _OPTIONS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTIONS.linewidth = linewidth
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for :func:`set_printoptions`.

    Example::

        >>> get_printoptions()
        {'precision': 4, 'threshold': 1000, 'edgeitems': 3, 'linewidth': 80, 'sci_mode': None}
    """
    return dataclasses.asdict(_OPTIONS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Use other print options inside a ``with`` block; the old ones return on exit.

    Accepts the same arguments as :func:`set_printoptions`.
    """
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ----------------------------------------------------------------------------- element format


@dataclasses.dataclass(frozen=True)
class _ElementFormat:
    """One format shared by every element of a tensor, padded to a common width."""

    floating: bool
    width: int
    precision: int
    int_mode: bool = False
    sci_mode: bool = False

    def format(self, value: float | int | bool) -> str:
        """Format one Python scalar and right-align it to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = format(value, f".{self.precision}e")
        elif self.int_mode:
            text = format(value, ".0f")
            if math.isfinite(value):
                text += "."
        else:
            text = format(value, f".{self.precision}f")
        return text.rjust(self.width)


def _choose_format(values: np.ndarray[Any, Any], opts: _PrintOptions) -> _ElementFormat:
    """Pick the shared element format from the values that will be shown."""
    if values.dtype.kind != "f":
        width = max((len(str(v)) for v in values.reshape(-1).tolist()), default=1)
        return _ElementFormat(floating=False, width=max(width, 1), precision=opts.precision)
    flat = values.reshape(-1).astype(np.float64)
    shown = flat[np.isfinite(flat) & (flat != 0)]
    if shown.size == 0:
        # Note: with no finite nonzero element torch keeps its initial choice (integer mode,
        # width 1) and ignores sci_mode, so tensor([0., 0.]) prints the same whatever it is.
        return _ElementFormat(floating=True, width=1, precision=opts.precision, int_mode=True)
    int_mode = bool(np.all(shown == np.ceil(shown)))
    sci_mode = _wants_sci_mode(np.abs(shown)) if opts.sci_mode is None else opts.sci_mode
    unpadded = _ElementFormat(True, 0, opts.precision, int_mode=int_mode, sci_mode=sci_mode)
    width = max(len(unpadded.format(v)) for v in shown.tolist())
    return dataclasses.replace(unpadded, width=max(width, 1))


def _wants_sci_mode(magnitudes: np.ndarray[Any, Any]) -> bool:
    """Torch's automatic rule, on float64 absolute values of the finite nonzero elements."""
    low = float(magnitudes.min())
    high = float(magnitudes.max())
    return high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4


def _summarized_values(data: np.ndarray[Any, Any], edgeitems: int) -> np.ndarray[Any, Any]:
    """The elements a summarised print shows, flattened (they decide the format)."""
    if data.ndim == 0:
        return data.reshape(1)
    if data.ndim == 1:
        if data.shape[0] > 2 * edgeitems:
            # Note: with edgeitems=0 torch takes x[:0] and x[-0:], i.e. the whole row.
            return np.concatenate((data[:edgeitems], data[-edgeitems:]))
        return data
    if edgeitems == 0:
        return data[:0].reshape(-1)
    parts = [_summarized_values(data[i], edgeitems) for i in _shown_indices(data, edgeitems)]
    return np.concatenate(parts)


def _shown_indices(data: np.ndarray[Any, Any], edgeitems: int) -> list[int]:
    """Indices along the first axis that a summarised print keeps (all if few enough)."""
    n = data.shape[0]
    if n > 2 * edgeitems:
        return [*range(edgeitems), *range(n - edgeitems, n)]
    return list(range(n))


# ----------------------------------------------------------------------------- layout


def _format_vector(
    data: np.ndarray[Any, Any],
    indent: int,
    summarize: bool,
    fmt: _ElementFormat,
    opts: _PrintOptions,
) -> str:
    """Lay out a 1-d array, wrapping after as many elements as fit in the line width."""
    edge = opts.edgeitems
    if summarize and edge == 0:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        head = [fmt.format(v) for v in data[:edge].tolist()]
        tail = [fmt.format(v) for v in data[-edge:].tolist()]
        # Note: the gap counts as one element when wrapping and prints as ' ...' after ', '.
        items = [*head, " ...", *tail]
    else:
        items = [fmt.format(v) for v in data.tolist()]
    per_line = max(1, (opts.linewidth - indent) // (fmt.width + 2))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _format_array(
    data: np.ndarray[Any, Any],
    indent: int,
    summarize: bool,
    fmt: _ElementFormat,
    opts: _PrintOptions,
) -> str:
    """Lay out an array of any rank; rows of a rank-k block are k-1 blank lines apart."""
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _format_vector(data, indent, summarize, fmt, opts)
    edge = opts.edgeitems
    n = data.shape[0]
    if summarize and n > 2 * edge:
        head = [_format_array(data[i], indent + 1, summarize, fmt, opts) for i in range(edge)]
        tail = [
            _format_array(data[i], indent + 1, summarize, fmt, opts) for i in range(n - edge, n)
        ]
        blocks = [*head, "...", *tail]
    else:
        blocks = [_format_array(data[i], indent + 1, summarize, fmt, opts) for i in range(n)]
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _format_data(data: np.ndarray[Any, Any], indent: int, opts: _PrintOptions) -> str:
    """The bracketed values of a non-empty array, summarised past the threshold."""
    summarize = data.size > opts.threshold
    shown = _summarized_values(data, opts.edgeitems) if summarize else data
    fmt = _choose_format(shown, opts)
    return _format_array(data, indent, summarize, fmt, opts)


def _add_suffixes(text: str, suffixes: list[str], indent: int, linewidth: int) -> str:
    """Append ``, suffix`` items and the closing parenthesis, wrapping past ``linewidth``."""
    # Note: torch counts the current line as 2 characters longer than it is, until a suffix
    # has been wrapped onto a new line; reproduced so the wrap points match.
    line_length = len(text) - text.rfind("\n") + 1
    pieces = [text]
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            line_length += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def _content_and_suffixes(
    t: _TensorLike, indent: int, opts: _PrintOptions
) -> tuple[str, list[str]]:
    """The bracketed values and the size/dtype suffixes of a tensor."""
    data = t._data
    dtype_name = data.dtype.name
    suffixes: list[str] = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        # Note: an empty tensor has no values to show its dtype, so only the default float
        # dtype goes unnamed (int64 and bool are named here, unlike for non-empty tensors).
        if dtype_name != default_float_name:
            suffixes.append(f"dtype={t.dtype}")
        return "[]", suffixes
    if opts.edgeitems == 0:
        suffixes.append(f"size={tuple(data.shape)}")
    if dtype_name != default_float_name and dtype_name not in _DTYPES_SHOWN_BY_VALUES:
        suffixes.append(f"dtype={t.dtype}")
    return _format_data(data, indent, opts), suffixes


def _autograd_suffix(t: _TensorLike) -> str | None:
    """``grad_fn=<Name>`` for a graph output, ``requires_grad=True`` for such a leaf."""
    grad_fn = t.grad_fn
    if grad_fn is not None:
        return f"grad_fn=<{grad_fn.name()}>"
    if t.requires_grad:
        return "requires_grad=True"
    return None


# ----------------------------------------------------------------------------- public


def tensor_repr(t: _TensorLike) -> str:
    """``repr(t)`` (and ``str(t)``, which torch makes the same), exactly as torch prints it.

    Example::

        >>> print(tensor_repr(t))  # t = x * 2 with x = tensor([1., 2.], requires_grad=True)
        tensor([2., 4.], grad_fn=<MulBackward0>)
    """
    prefix = "tensor("
    opts = _OPTIONS
    content, suffixes = _content_and_suffixes(t, len(prefix), opts)
    autograd = _autograd_suffix(t)
    if autograd is not None:
        suffixes.append(autograd)
    return _add_suffixes(prefix + content, suffixes, len(prefix), opts.linewidth)


def parameter_repr(t: _TensorLike) -> str:
    """``repr`` of an ``nn.Parameter``: a header line above the tensor's own repr.

    Example::

        >>> print(parameter_repr(p))  # p = nn.Parameter(tensor([1., 2.]))
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
    """
    return "Parameter containing:\n" + tensor_repr(t)
