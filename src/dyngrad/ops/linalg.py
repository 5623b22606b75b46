"""Products: dot, vdot, mv, mm, bmm, matmul (dispatching to them as torch does) and outer.
The fused ``beta·input + alpha·product`` forms (addmm ...) are in linalg_fused.py.

For z = A·B:  Ā = z̄·Bᵀ,  B̄ = Aᵀ·z̄;  forward mode (bilinear):  ż = Ȧ·B + A·Ḃ.
All products run on NumPy's BLAS-backed matmul. Like torch, the products do not promote:
both operands must have one dtype (their tangents too).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import _TYPE_NAMES, OpNode, register, tangent_sum
from .shape import SqueezeBackward4

__all__ = ["dot", "vdot", "mv", "mm", "bmm", "matmul", "outer"]

# torch names C++ scalar types in some of its dtype errors
_C_TYPE_NAMES = {
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
}


def _no_bool(kernel: str, *tensors: Tensor, skip_empty: bool = True) -> None:
    """torch has no bool kernels for products; it only notices when there is work to do."""
    bool_seen = False
    for t in tensors:  # (a plain loop: every product calls this)
        data = t._data
        if skip_empty and data.size == 0:
            return
        if data.dtype == np.bool_:
            bool_seen = True
    if bool_seen:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(
            f"{op} : expected both vectors to have same dtype, but found "
            f"{_TYPE_NAMES[a.dtype.name]} and {_TYPE_NAMES[b.dtype.name]}"
        )


def _require_tensor(fn: str, value: Any, name: str, position: int) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{fn}(): argument '{name}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}"
        )


# --- vector products --------------------------------------------------------------------


class DotBackward0(OpNode):
    """z = Σ aᵢbᵢ;  ā = z̄·b,  b̄ = z̄·a."""

    save = (0, 1)
    save_for = ((1,), (0,))  # each operand only for the other's gradient

    def forward(self, a: np.ndarray, b: np.ndarray) -> Any:
        return np.dot(a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Any:
        """ż = ȧ·b + a·ḃ."""
        return tangent_sum(None if da is None else dot(da, b), None if db is None else dot(a, db))


class VdotBackward0(DotBackward0):
    """z = Σ conj(aᵢ)bᵢ (= dot for real tensors);  ā = z̄·b,  b̄ = z̄·a."""


def _check_vectors(op: str, a: Tensor, b: Tensor) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
            f"number of elements, but got {n} and {m} elements respectively"
        )
    _same_dtype("dot", a, b)
    _no_bool(op, a, b, skip_empty=False)


@register
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of one dtype: ``Σᵢ inputᵢ·tensorᵢ``."""
    _check_vectors("dot", input, tensor)
    return DotBackward0.apply(input, tensor)


@register
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product conjugating the first argument (for real tensors the same as dot)."""
    _check_vectors("dot", input, other)
    return VdotBackward0.apply(input, other)


@register(aliases=("ger",))
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product ``outᵢⱼ = inputᵢ·vec2ⱼ`` of two 1-D tensors (promoting, as torch does)."""
    _require_tensor("outer", vec2, "vec2", 2)
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.unsqueeze(1) * vec2  # type: ignore[attr-defined,no-any-return]


# --- matrix-vector, matrix-matrix, batched ------------------------------------------------


class MvBackward0(OpNode):
    """z = A·v;  Ā = z̄ ⊗ v,  v̄ = Aᵀ·z̄;  ż = Ȧ·v + A·v̇."""

    save = (0, 1)
    save_for = ((1,), (0,))  # each operand only for the other's gradient

    def forward(self, a: np.ndarray, v: np.ndarray) -> Any:
        return a @ v

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, v = self.saved_tensors
        need_a, need_v = self.needs_input_grad
        ga = g.unsqueeze(1) * v if need_a else None  # type: ignore[attr-defined]
        gv = mv(a.t(), g) if need_v else None  # type: ignore[attr-defined]
        return ga, gv

    def jvp(self, da: Any, dv: Any, a: Tensor, v: Tensor, z: Tensor) -> Any:
        """ż = Ȧ·v + A·v̇."""
        return tangent_sum(None if da is None else mv(da, v), None if dv is None else mv(a, dv))


def _check_mv(self_: Tensor, mat: Tensor, vec: Tensor) -> None:
    if self_.ndim != 1 or mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {self_.ndim}, {mat.ndim}, {vec.ndim}"
        )
    r, c = mat._data.shape
    if c != vec._data.shape[0] or r != self_._data.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({self_._data.shape[0]}), mat ({r}x{c}), "
            f"vec ({vec._data.shape[0]})"
        )
    if not self_.dtype is mat.dtype is vec.dtype:
        names = ", ".join(_TYPE_NAMES[t.dtype.name] for t in (self_, mat))
        raise RuntimeError(
            f"addmv input tensors must have the same dtype, but got {names}, and "
            f"{_TYPE_NAMES[vec.dtype.name]}"
        )
    _no_bool("addmv_impl_cpu", mat, vec)


@register
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product ``outᵢ = Σⱼ inputᵢⱼ·vecⱼ``."""
    if input.ndim == 0:  # (torch sizes its result from input.size(0) before any check)
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    rows = input._data.shape[0]
    # torch's mv is addmv into a result of vec's dtype, and its checks read that way
    result_like = Tensor._make(np.empty(rows, vec._data.dtype), False, None, 0)
    _check_mv(result_like, input, vec)
    return MvBackward0.apply(input, vec)


def column_major(x: np.ndarray) -> bool:
    """A 2-D array laid out column by column (a transposed matrix, like ``Linear``'s
    ``weight.t()``): its gradient is best computed in that layout too."""
    return x.ndim == 2 and x.strides[0] < x.strides[1] and x.shape[0] > 1 and x.shape[1] > 1


def mat1_grad(g: Tensor, b: Tensor, cols: bool) -> Tensor:
    """Ā = Ȳ·Bᵀ for Y = A·B, computed as (B·Ȳᵀ)ᵀ when A is column-major (``cols``), so that
    Ā has A's layout, as torch lays it out."""
    return mm(b, g.t()).t() if cols else mm(g, b.t())  # type: ignore[attr-defined,no-any-return]


def mat2_grad(a: Tensor, g: Tensor, cols: bool) -> Tensor:
    """B̄ = Aᵀ·Ȳ for Y = A·B, computed as (Ȳᵀ·A)ᵀ when B is column-major (``cols``): then
    the gradient of ``Linear``'s ``weight.t()`` transposes back to a C-ordered array, and the
    weight's ``.grad`` needs no copy to match the weight."""
    return mm(g.t(), a).t() if cols else mm(a.t(), g)  # type: ignore[attr-defined,no-any-return]


class MmBackward0(OpNode):
    """Z = A·B;  Ā = Z̄·Bᵀ,  B̄ = Aᵀ·Z̄ (each computed in its input's layout);  Ż = Ȧ·B + A·Ḃ."""

    save = (0, 1)
    save_for = ((1,), (0,))  # each operand only for the other's gradient

    def forward(self, a: np.ndarray, b: np.ndarray) -> Any:
        self.layout = (column_major(a), column_major(b))
        return a @ b

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        a_cols, b_cols = self.layout
        ga = mat1_grad(g, b, a_cols) if need_a else None
        gb = mat2_grad(a, g, b_cols) if need_b else None
        return ga, gb

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Any:
        """Ż = Ȧ·B + A·Ḃ."""
        return tangent_sum(None if da is None else mm(da, b), None if db is None else mm(a, db))


def _mm_check(a: Tensor, b: Tensor) -> None:
    if a._data.shape[-1] != b._data.shape[-2]:
        r1, c1 = a._data.shape[-2:]
        r2, c2 = b._data.shape[-2:]
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({r1}x{c1} and {r2}x{c2})")


def _mm_dtypes(a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_C_TYPE_NAMES[a.dtype.name]} != {_C_TYPE_NAMES[b.dtype.name]}"
        )
    _no_bool("addmm_impl_cpu_", a, b)


@register
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors: ``outᵢₖ = Σⱼ inputᵢⱼ·mat2ⱼₖ``."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _mm_check(input, mat2)
    _mm_dtypes(input, mat2)
    return MmBackward0.apply(input, mat2)


class BmmBackward0(OpNode):
    """Z[i] = A[i]·B[i];  Ā[i] = Z̄[i]·B[i]ᵀ,  B̄[i] = A[i]ᵀ·Z̄[i];  Ż[i] = Ȧ[i]·B[i] + A[i]·Ḃ[i]."""

    save = (0, 1)
    save_for = ((1,), (0,))  # each operand only for the other's gradient

    def forward(self, a: np.ndarray, b: np.ndarray) -> Any:
        return np.matmul(a, b)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        a, b = self.saved_tensors
        need_a, need_b = self.needs_input_grad
        ga = bmm(g, b.transpose(1, 2)) if need_a else None  # type: ignore[attr-defined]
        gb = bmm(a.transpose(1, 2), g) if need_b else None  # type: ignore[attr-defined]
        return ga, gb

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, z: Tensor) -> Any:
        """Ż[i] = Ȧ[i]·B[i] + A[i]·Ḃ[i]."""
        return tangent_sum(None if da is None else bmm(da, b), None if db is None else bmm(a, db))


def _check_bmm(a: Tensor, b: Tensor) -> None:
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    batch, _, k = a._data.shape
    if b._data.shape[0] != batch or b._data.shape[1] != k:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k}] "
            f"but got: [{b._data.shape[0]}, {b._data.shape[1]}]."
        )


@register
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-D tensors with the same batch size."""
    _check_bmm(input, mat2)
    if input.dtype is not mat2.dtype:
        raise RuntimeError(
            f"expected scalar type {_TYPE_NAMES[input.dtype.name]} but found "
            f"{_TYPE_NAMES[mat2.dtype.name]}"
        )
    _no_bool("bmm", input, mat2)
    return BmmBackward0.apply(input, mat2)


# --- matmul -------------------------------------------------------------------------------


class UnsafeViewBackward0(OpNode):
    """y = x in a new shape (matmul's final reshape);  x̄ = ȳ reshaped back;  ẏ = ẋ reshaped."""

    linear = True  # forward mode: the tangent is reshaped the same way

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g: Tensor) -> Tensor:
        return g.reshape(self.shape)  # type: ignore[attr-defined,no-any-return]


@register(dunders=("__matmul__",))
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with torch's rules for 1-D, 2-D and batched (broadcast) operands.

    1-D @ 1-D is dot, 2-D @ 1-D mv, 1-D @ 2-D and 2-D @ 2-D mm; with a batched operand the
    batch dims broadcast, a 1-D operand gets a dim added (and removed from the result), and
    the product runs as one mm/mv when one side can be folded into a matrix, else as one bmm.
    The choice follows torch's (it decides which node ends up as ``grad_fn``).
    """
    _require_tensor("matmul", input, "input", 1)
    _require_tensor("matmul", other, "other", 2)
    da, db = input.ndim, other.ndim
    if da == 0 or db == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
        )
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        row = input.unsqueeze(0)  # type: ignore[attr-defined]
        return SqueezeBackward4.apply(mm(row, other), dims=(0,))  # type: ignore[no-any-return]
    if da == 2 and db == 2:
        return mm(input, other)
    # Note: torch turns a batch of one into a matrix when both operands are 3-D and that
    # operand requires grad, so that its gradient comes from one mm instead of a batched sum.
    if da == 3 and db == 3 and (input.shape[0] == 1) != (other.shape[0] == 1):
        if input.shape[0] == 1 and input.requires_grad:
            return matmul(input.squeeze(0), other)  # type: ignore[attr-defined]
        if other.shape[0] == 1 and other.requires_grad:
            return matmul(input, other.squeeze(0))  # type: ignore[attr-defined]
    if _should_fold(input, other):
        return _folded_matmul(input, other)
    return _batched_matmul(input, other)


def _rows_foldable(x: np.ndarray) -> bool:
    """True when the leading dims of ``x`` flatten into rows without a copy (torch's view rule)."""
    if x.size == 0:
        return True
    item = x.itemsize
    strides = [s // item for s in x.strides]
    return all(strides[i] == strides[i + 1] * x.shape[i + 1] for i in range(x.ndim - 2))


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """Whether the larger operand (b as bᵀ when b is larger) folds into one mm/mv (torch's rule)."""
    a_larger = a.ndim >= b.ndim
    big_ndim, small_ndim = (a.ndim, b.ndim) if a_larger else (b.ndim, a.ndim)
    if not (big_ndim >= 3 and small_ndim in (1, 2)):
        return False
    small_requires_grad = b.requires_grad if a_larger else a.requires_grad
    if small_requires_grad:
        return True
    if a.ndim == 2:
        return False
    big = a._data if a_larger else np.swapaxes(b._data, -1, -2)
    return _rows_foldable(big)


def _folded_matmul(a: Tensor, b: Tensor) -> Tensor:
    """The batched operand flattened into the rows of one matrix: one mm or mv, then a view.

    When ``b`` is the batched one, Aᵀ·… is computed as (bᵀ·aᵀ)ᵀ and copied contiguous."""
    if a.ndim >= b.ndim:
        k = a.shape[-1]
        # (the row count is explicit: with k = 0 a -1 would be ambiguous)
        flat = a.reshape(int(np.prod(a.shape[:-1])), k)  # type: ignore[attr-defined]
        if b.ndim == 2:
            out = mm(flat, b)
            return UnsafeViewBackward0.apply(out, shape=(*a.shape[:-1], b.shape[-1]))  # type: ignore[no-any-return]
        return UnsafeViewBackward0.apply(mv(flat, b), shape=tuple(a.shape[:-1]))  # type: ignore[no-any-return]
    bt = b.mT  # type: ignore[attr-defined]
    flat = bt.reshape(int(np.prod(bt.shape[:-1])), bt.shape[-1])
    if a.ndim == 1:
        return UnsafeViewBackward0.apply(mv(flat, a), shape=tuple(bt.shape[:-1]))  # type: ignore[no-any-return]
    out = UnsafeViewBackward0.apply(mm(flat, a.t()), shape=(*bt.shape[:-1], a.shape[0]))  # type: ignore[attr-defined]
    return out.mT.contiguous()  # type: ignore[no-any-return]


def _batched_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Broadcast the batch dims, run one bmm, and view the result in the batch shape."""
    a2 = a.unsqueeze(0) if a.ndim == 1 else a  # type: ignore[attr-defined]
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b  # type: ignore[attr-defined]
    batch_a, batch_b = tuple(a2.shape[:-2]), tuple(b2.shape[:-2])
    n, k = a2.shape[-2:]
    k2, m = b2.shape[-2:]
    batch = _broadcast_batch(batch_a, batch_b)
    count = int(np.prod(batch))
    a3 = a2.expand(*batch, n, k).reshape(count, n, k)  # type: ignore[union-attr]
    b3 = b2.expand(*batch, k2, m).reshape(count, k2, m)  # type: ignore[union-attr]
    out_shape = list(batch) + [n, m]
    if a.ndim == 1:
        out_shape.pop(-2)
    if b.ndim == 1:
        out_shape.pop(-1)
    return UnsafeViewBackward0.apply(bmm(a3, b3), shape=tuple(out_shape))  # type: ignore[no-any-return]


def _broadcast_batch(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast batch shape, with torch's error naming the first mismatched dim."""
    n = max(len(a), len(b))
    out = []
    for i in range(n):
        da = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        db = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                f"non-singleton dimension {i}"
            )
        out.append(db if da == 1 else da)
    return tuple(out)


Tensor.__rmatmul__ = lambda self, other: matmul(other, self)  # type: ignore[attr-defined, method-assign]
