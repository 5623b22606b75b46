"""class Tensor: one NumPy array plus its autograd state. No math of its own.

Math methods and operators (``x.exp()``, ``x * y``, ``x.add_(1)``) are bound onto the class by
the op registry (``ops/_registry.py``); this module holds state, conversions, ``backward`` and
the hooks API. Only leaves that require grad get ``.grad`` filled (or tensors that called
``retain_grad()``).
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype
from ._device import CPU
from ._device import device as Device
from ._size import Size, size_from_shape
from .autograd.graph import Node, RemovableHandle, _add_hook, version_counter
from .autograd.views import refresh as refresh_view
from .autograd.views import refresh_requires_grad as refresh_view_requires_grad

__all__ = ["Tensor"]

NUMPY_REQUIRES_GRAD_MESSAGE = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)
SCALAR_REQUIRES_GRAD_WARNING = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
    "behavior.\nConsider using tensor.detach() first."
)
_LEGACY_TYPE_NAMES = {
    "float32": "torch.FloatTensor",
    "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor",
    "int64": "torch.LongTensor",
    "int32": "torch.IntTensor",
    "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor",
    "uint8": "torch.ByteTensor",
    "bool": "torch.BoolTensor",
}

NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)


class _Extras:
    """Rarely used per-tensor state, allocated on first need to keep tensors small."""

    __slots__ = ("hooks", "post_acc_hooks", "retains_grad", "origin")

    def __init__(self) -> None:
        self.hooks: dict[int, Callable[..., Any]] = {}
        self.post_acc_hooks: dict[int, Callable[..., Any]] = {}
        self.retains_grad = False
        # how a tensor came to have no graph, for dyngrad.why_no_grad: ("no_grad", node
        # name) or ("detach", node name or "leaf")
        self.origin: tuple[str, str] | None = None


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    >>> x = dyngrad.arange(4.0).requires_grad_()
    >>> y = 2 * dyngrad.dot(x, x)
    >>> y
    tensor(28., grad_fn=<MulBackward0>)
    """

    # _fw: forward-mode tangents, None or {level: tangent} (autograd/forward_ad.py)
    # _view: for a view, (base, kind, version) (autograd/views.py); None otherwise
    __slots__ = ("_data", "_rg", "_grad_fn", "_output_nr", "_grad", "_vc", "_acc", "_meta",
                 "_fw", "_view", "__weakref__")  # fmt: skip

    # NumPy must hand binary operators with a Tensor on the right back to us.
    __array_ufunc__ = None

    if TYPE_CHECKING:
        # Note: the op registry binds math methods and operators onto the class at import
        # time. For type checkers they are declared here; every such method returns tensors.
        def __getattr__(self, name: str) -> Any: ...
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __isub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __itruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __getitem__(self, index: Any) -> Tensor: ...
        def __setitem__(self, index: Any, value: Any) -> None: ...

    def __init__(self, *args: Any, device: Any = None, requires_grad: bool = False) -> None:
        """torch's legacy constructor: ``Tensor()`` is empty, ``Tensor(2, 3)`` and
        ``Tensor(Size)`` allocate that shape (zeros here), ``Tensor(sequence or array)``
        converts to the default float dtype, and ``Tensor(tensor)`` aliases its memory.
        ``dyngrad.tensor()`` is the constructor to use."""
        from ._creation import legacy_tensor_data

        arr, source = legacy_tensor_data(args, device)
        self._data = arr
        self._rg = False
        self._grad_fn: Node | None = None
        self._output_nr = 0
        self._grad: Tensor | None = None
        self._vc: Any = None
        self._acc: Any = None
        self._meta: _Extras | None = None
        self._fw: dict[Any, Tensor] | None = None
        self._view: Any = None
        if source is not None:  # Tensor(tensor): an alias of ``source``
            self._rg = source._rg
            self._vc = version_counter(source)
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make_subclass(cls: type, data: Tensor, require_grad: bool = False) -> Any:
        """An instance of the Tensor subclass ``cls`` sharing ``data``'s memory and version
        counter, as a fresh leaf (how ``nn.Parameter`` is built)."""
        t: Any = _new_tensor(cls)
        t._data = data._data
        t._rg = False
        t._grad_fn = None
        t._output_nr = 0
        t._grad = None
        t._vc = version_counter(data)
        t._acc = None
        t._meta = None
        t._fw = None
        t._view = None
        if require_grad:
            t.requires_grad_(True)
        return t

    @staticmethod
    def _make(
        data: np.ndarray, requires_grad: bool, grad_fn: Node | None, output_nr: int
    ) -> Tensor:
        """Wrap an array the caller owns (the ops' fast path: no checks, no copy)."""
        t = _new_tensor(Tensor)
        t._data = data
        t._rg = requires_grad
        t._grad_fn = grad_fn
        t._output_nr = output_nr
        t._grad = None
        t._vc = None
        t._acc = None
        t._meta = None
        t._fw = None
        t._view = None
        return t

    def _extras(self) -> _Extras:
        meta = self._meta
        if meta is None:
            meta = self._meta = _Extras()
        return meta

    # --- metadata -----------------------------------------------------------------------
    @property
    def dtype(self) -> _dtype.dtype:
        return _dtype._BY_NUMPY[self._data.dtype]

    @property
    def shape(self) -> Size:
        return size_from_shape(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of dimension ``dim`` (negative counts from the end)."""
        if dim is None:
            return size_from_shape(self._data.shape)
        return self._data.shape[_wrap_size_dim(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def nelement(self) -> int:
        return int(self._data.size)

    def element_size(self) -> int:
        return int(self._data.itemsize)

    @property
    def itemsize(self) -> int:
        return int(self._data.itemsize)

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    @property
    def device(self) -> Device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    def type(self, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
        """Without ``dtype``: the legacy type name (``'torch.FloatTensor'``); with one (a
        dtype or such a name): this tensor converted to it."""
        if dtype is None:
            return _LEGACY_TYPE_NAMES[self.dtype.name]
        if isinstance(dtype, str):
            by_name = {v: k for k, v in _LEGACY_TYPE_NAMES.items()}
            if dtype not in by_name:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = getattr(_dtype, by_name[dtype] if by_name[dtype] != "bool" else "bool_")
        return self.to(dtype)  # type: ignore[attr-defined]

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None) -> Any:
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_wrap_size_dim(dim, self._data.ndim)]

    # --- new tensors with this one's dtype ------------------------------------------------
    def new_tensor(self, data: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
        """``dyngrad.tensor(data)`` with this tensor's dtype unless ``dtype`` is given."""
        from ._creation import new_tensor_from

        return new_tensor_from(
            data,
            dtype or self.dtype,
            kwargs.get("device"),
            kwargs.get("requires_grad", False),
            "tensor.new_tensor",
        )

    def new_zeros(self, *size: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
        from ._creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, **kwargs)

    def new_ones(self, *size: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
        from ._creation import ones

        return ones(*size, dtype=dtype or self.dtype, **kwargs)

    def new_empty(self, *size: Any, dtype: Any = None, **kwargs: Any) -> Tensor:
        from ._creation import empty

        return empty(*size, dtype=dtype or self.dtype, **kwargs)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, **kwargs: Any) -> Tensor:
        from ._creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, **kwargs)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element: Any) -> bool:
        """``element in t``: whether any entry of ``t`` equals ``element`` (broadcast)."""
        if isinstance(element, Tensor):
            other: Any = element._data
        elif isinstance(element, (int, float, bool, np.number, np.bool_)):
            other = element
        else:
            raise RuntimeError(
                "Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                f"{type(element)}."
            )
        from ._creation_args import broadcast_shapes

        broadcast_shapes(np.shape(other), self._data.shape)  # torch's error on a mismatch
        return bool(np.any(self._data == other))

    # --- conversion to Python and NumPy ----------------------------------------------
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The array itself (shared memory); torch's error if the tensor requires grad."""
        if self._rg and not force:
            raise RuntimeError(NUMPY_REQUIRES_GRAD_MESSAGE)
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.asarray(t)`` shares memory (as ``t.numpy()``); ``np.array(t)`` copies."""
        if self._rg:
            raise RuntimeError(NUMPY_REQUIRES_GRAD_MESSAGE)
        arr = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return arr.copy() if copy and arr is self._data else arr

    def _scalar(self, what: str) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._rg and what in ("float", "complex"):
            warnings.warn(SCALAR_REQUIRES_GRAD_WARNING, UserWarning, stacklevel=3)
        return self._data.reshape(()).item()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            if self._data.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    def __repr__(self) -> str:
        from ._tensor_str import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild, (self._data, self._rg))

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        new = Tensor._make(self._data.copy(), self._rg, None, 0)
        if type(self) is not Tensor:
            new = Tensor._make_subclass(type(self), new, self._rg)
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    # --- autograd state ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        if self._view is not None:  # its base may have started to require grad since
            return refresh_view_requires_grad(self)
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self._set_requires_grad(
            bool(value), "only Tensors of floating point and complex dtype can require gradients"
        )

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf to record operations on it (in place; returns self)."""
        self._set_requires_grad(
            bool(requires_grad), "only Tensors of floating point dtype can require gradients"
        )
        return self

    def _set_requires_grad(self, value: bool, int_message: str) -> None:
        if self._grad_fn is not None:
            if not value:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to "
                    "use a computed variable in a subgraph that doesn't require differentiation "
                    "use var_no_grad = var.detach()."
                )
            return
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(int_message)
        self._rg = value

    @property
    def grad_fn(self) -> Node | None:
        if self._view is not None:  # a view whose memory changed in place gets a new grad_fn
            return refresh_view(self)  # type: ignore[no-any-return]
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _base(self) -> Tensor | None:
        """The tensor whose memory this view shares (None for a tensor that is not a view)."""
        return None if self._view is None else self._view[0]

    def _is_view(self) -> bool:
        return self._view is not None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self) -> Tensor | None:
        if self._grad_fn is not None and not (self._meta is not None and self._meta.retains_grad):
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type "
                    f"{type(value).__name__}"
                )
            if value._data.dtype != self._data.dtype:
                own = _LEGACY_TYPE_NAMES[self.dtype.name][len("torch.") : -len("Tensor")]
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_dtype_name(value)}' to a "
                    f"tensor with grad_dtype '{own}'. The gradient must match the tensor's "
                    "grad_dtype (defaults to the tensor's dtype). You can set the tensor's "
                    "grad_dtype attribute with a specific dtype, or None to allow any dtype. Set "
                    "grad_dtype with caution. Diverging the dtypes of a tensor and its gradient "
                    "may break downstream systems that assume they match."
                )
            if value._data.shape != self._data.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{_bracketed(value._data.shape)}' "
                    f"to a tensor of size '{_bracketed(self._data.shape)}'. Please ensure that "
                    "the gradient and the tensor are the same size"
                )
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self._meta is not None and self._meta.retains_grad

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf after backward (leaves keep it anyway)."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self.retains_grad:
            return
        self._extras().retains_grad = True
        self._grad_fn._init_hooks().retain[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is None:
            return _add_hook(self._extras().hooks, hook)
        per_output = self._grad_fn._init_hooks().tensor_pre
        return _add_hook(per_output.setdefault(self._output_nr, {}), hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(tensor)`` after a gradient was accumulated into this leaf's ``.grad``."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        return _add_hook(self._extras().post_acc_hooks, hook)

    @property
    def _version(self) -> int:
        return 0 if self._vc is None else self._vc.value

    def _bump_version(self) -> None:
        vc = version_counter(self)
        vc.value += 1
        vc.record_site()  # where: named by the in-place error if a saved value changed

    @property
    def data(self) -> Tensor:
        """The same values as a tensor outside the graph (shares memory and nothing else)."""
        return Tensor._make(self._data, False, None, 0)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory and version counter, with no graph history."""
        t = Tensor._make(self._data, False, None, 0)
        t._vc = version_counter(self)
        if self._rg:  # remembered for dyngrad.why_no_grad
            t._extras().origin = ("detach", _history_name(self))
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor out of the graph, in place."""
        if self._rg:
            self._extras().origin = ("detach", _history_name(self))
        self._grad_fn = None
        self._output_nr = 0
        self._rg = False
        return self

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Sequence[Tensor] | Tensor | None = None,
        *,
        explain: bool | str = False,
    ) -> None:
        """Compute the gradient of this tensor w.r.t. graph leaves (added into their .grad).

        ``explain=True`` (dyngrad only) prints each step of the backward pass as it runs, see
        :func:`dyngrad.explain`; ``explain="zh"`` prints it in Chinese."""
        if explain:
            from ._explain import explain as explain_backward

            explain_backward(
                self, gradient, lang=explain if isinstance(explain, str) else "en",
                retain_graph=retain_graph, create_graph=create_graph, inputs=inputs, _depth=2,
            )  # fmt: skip
            return
        global _backward, _backward_implicit
        if _backward is None:
            from .autograd import backward as _backward
            from .autograd import backward_implicit as _backward_implicit
        if gradient is None and inputs is None:  # the common case: no argument handling
            _backward_implicit(self, retain_graph, create_graph)
        else:
            _backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def __setstate__(self, state: Any) -> None:  # pragma: no cover - pickling goes via _rebuild
        raise RuntimeError("use dyngrad.load")


_new_tensor = object.__new__
_backward: Any = None  # autograd.backward, imported on first use (it imports this module)
_backward_implicit: Any = None  # autograd.backward_implicit, likewise


def _history_name(t: Tensor) -> str:
    return "leaf" if t._grad_fn is None else t._grad_fn.name()


def _rebuild(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(data, False, None, 0)
    t._rg = requires_grad
    return t


def _wrap_size_dim(dim: int, ndim: int) -> int:
    """``_wrap_dim`` for size()/stride(), which a 0-d tensor has no dimension for."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _wrap_dim(dim: int, ndim: int) -> int:
    """Bring a possibly negative ``dim`` into ``range(ndim)``, with torch's IndexError."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def _bracketed(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _dtype_name(t: Tensor) -> str:
    return {
        "float32": "float",
        "float64": "double",
        "float16": "c10::Half",
        "int64": "long int",
        "int32": "int",
        "int16": "short int",
        "int8": "signed char",
        "uint8": "unsigned char",
        "bool": "bool",
    }[t.dtype.name]
