"""``dyngrad.linalg``: torch.linalg's functions.

The decompositions (and their gradients) live in ``dyngrad.ops``; the norms here are
composed from public ops (vector_norm, svdvals, abs, sum, amax/amin), so their gradients
come from those ops, as in torch.

>>> import dyngrad as torch
>>> A = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
>>> torch.linalg.det(A)
tensor(5.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tensor import Tensor
from .ops._registry import _TYPE_NAMES
from .ops.linalg import matmul
from .ops.linalg_common import (
    LinAlgError,
    check_float,
    check_lapack_dtype,
    check_matrix,
    check_not_low_precision,
    check_square,
    result_type,
)
from .ops.linalg_decomp import (
    det,
    linalg_cholesky,
    linalg_inv,
    linalg_slogdet,
    linalg_solve,
)
from .ops.linalg_spectral import (
    linalg_eigh,
    linalg_eigvalsh,
    linalg_pinv,
    linalg_qr,
    linalg_svd,
    linalg_svdvals,
)
from .ops.matrix_parts import diagonal as _diagonal
from .ops.reduction import vector_norm

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "matmul",
    "matrix_norm",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]

inv = linalg_inv
slogdet = linalg_slogdet
solve = linalg_solve
cholesky = linalg_cholesky
qr = linalg_qr
svd = linalg_svd
svdvals = linalg_svdvals
eigh = linalg_eigh
eigvalsh = linalg_eigvalsh
pinv = linalg_pinv

_inv_ex_result = result_type("linalg_inv_ex", ("inverse", "info"))
_cholesky_ex_result = result_type("linalg_cholesky_ex", ("L", "info"))
_solve_ex_result = result_type("linalg_solve_ex", ("result", "info"))


def _zero_info(A: Tensor) -> Tensor:
    from ._creation import zeros
    from ._dtype import int32

    return zeros(tuple(A.shape[:-2]), dtype=int32)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> Any:
    """(inverse, info): info is 0 for each matrix that could be inverted, else the 1-based
    index of LU's first zero pivot; the inverse is then LAPACK's (±inf, NaN), as torch's
    (``check_errors``: torch's error instead)."""
    from ._creation import tensor
    from .ops.linalg_decomp import singular_inverse_error
    from .ops.linalg_solve import lu_info

    inverse = linalg_inv(A, ex=True)
    # a zero pivot divides by zero: a finite (or empty) inverse rules it out
    if np.isfinite(inverse._data).all():
        return _inv_ex_result((inverse, _zero_info(A)))
    info = lu_info(A._data)
    if check_errors and info.any():
        raise singular_inverse_error("linalg.inv_ex", A._data)
    return _inv_ex_result((inverse, tensor(info)))


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> Any:
    """(L, info): info is 0 for each matrix that was positive-definite, else the order of
    its first leading minor that is not (L then holds LAPACK's partial factor)."""
    from ._creation import tensor
    from .ops.linalg_decomp import LinalgCholeskyExBackward0, cholesky_info

    check_square("linalg.cholesky_ex", A)
    if A._data.size:
        check_lapack_dtype("cholesky_cpu", A)
    try:
        low = LinalgCholeskyExBackward0.apply(A, upper=upper, check_errors=check_errors)
    except LinAlgError as exc:
        raise LinAlgError(str(exc).replace("linalg.cholesky:", "linalg.cholesky_ex:")) from None
    return _cholesky_ex_result((low, tensor(cholesky_info(low._data))))


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> Any:
    """(result, info) of solve: info (of A's batch shape) is 0 for each matrix LU factorizes
    with nonzero pivots, else the 1-based index of the first zero pivot; the result is then
    what LAPACK's solve gives from those factors (±inf, NaN), as torch's (``check_errors``:
    torch's error instead)."""
    from ._creation import tensor
    from .ops.linalg_decomp import singular_solve_error, solve_system
    from .ops.linalg_solve import lu_info

    result = solve_system(A, B, left, ex=True)
    # a zero pivot divides by zero in the solve: a finite, non-empty result rules it out
    if result._data.size and np.isfinite(result._data).all():
        return _solve_ex_result((result, _zero_info(A)))
    info = lu_info(A._data)
    if check_errors and info.any():
        raise singular_solve_error("torch.linalg.solve_ex", tuple(A.shape), info)
    return _solve_ex_result((result, tensor(info)))


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The ``offset`` diagonal of the matrices in the last two dims (a view)."""
    return _diagonal(A, offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Σ over ``dim`` of x·y (broadcasting); x and y of one floating dtype.

    As torch, two 1-D tensors go to ``vdot`` (``dim`` is then not looked at)."""
    from .ops.linalg import vdot

    for name, position, value in (("x", 1, x), ("y", 2, y)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"linalg_vecdot(): argument '{name}' (position {position}) must be Tensor, not "
                f"{type(value).__name__}"
            )
    check_float("linalg.vecdot", x)
    if x.dtype is not y.dtype:
        raise RuntimeError(
            "linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{_TYPE_NAMES[x.dtype.name]} and y of type {_TYPE_NAMES[y.dtype.name]} instead"
        )
    if x.ndim == 1 and y.ndim == 1:
        return vdot(x, y)
    return (x * y).sum(dim)  # type: ignore[operator,no-any-return]


_INF = float("inf")
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, _INF, -_INF)


def _matrix_dims(A: Tensor, dim: Any) -> tuple[int, int]:
    from ._tensor import _wrap_dim

    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if len(dims) != 2:
        raise RuntimeError(
            "linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(str(d) for d in dims)
        )
    d0, d1 = (_wrap_dim(int(d), A.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(
            f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})"
        )
    return d0, d1


def matrix_norm(
    A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """Matrix norms over the two dims ``dim``: 'fro' (√Σ a²), 'nuc' (Σ σᵢ), 2 / -2 (largest /
    smallest σ), 1 / -1 (max / min column sum of |a|), inf / -inf (max / min row sum)."""
    check_matrix("linalg.matrix_norm", A)
    if not A.dtype.is_floating_point:
        check_float("linalg.matrix_norm", A)
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in ("nuc", 2, -2):
        check_not_low_precision("linalg.matrix_norm", A)
    d0, d1 = _matrix_dims(A, dim)
    if dtype is not None:
        A = A.to(dtype)  # type: ignore[attr-defined]
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        rest = [d for d in range(A.ndim) if d not in (d0, d1)]
        s = linalg_svdvals(A.permute(*rest, d0, d1))  # type: ignore[attr-defined]
        if ord == "nuc":
            out = s.sum(-1, keepdim=keepdim)  # type: ignore[attr-defined]
        elif ord == 2 and s.shape[-1] == 0:  # torch: the largest of no values is 0
            out = _zeros_reduced(s, -1, keepdim)
        else:
            out = s.amax(-1, keepdim=keepdim) if ord == 2 else s.amin(-1, keepdim=keepdim)  # type: ignore[attr-defined]
        if not keepdim:
            return out  # type: ignore[no-any-return]
        order = [*rest, d0, d1]  # put the two size-1 dims back where dim said
        return out.unsqueeze(-1).permute(*(order.index(i) for i in range(A.ndim)))  # type: ignore[no-any-return]
    # 1-norms sum |a| down the columns (over d0) then take the max over d1; ∞-norms the other way
    summed, picked = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = A.abs().sum(summed, keepdim=keepdim)  # type: ignore[attr-defined]
    if not keepdim and picked > summed:
        picked -= 1
    if ord > 0 and sums.shape[picked] == 0:
        return _zeros_reduced(sums, picked, keepdim)
    return sums.amax(picked, keepdim=keepdim) if ord > 0 else sums.amin(picked, keepdim=keepdim)  # type: ignore[no-any-return]


def _zeros_reduced(x: Tensor, dim: int, keepdim: bool) -> Tensor:
    from ._creation import zeros

    shape = list(x.shape)
    if keepdim:
        shape[dim] = 1
    else:
        del shape[dim]
    return zeros(shape, dtype=x.dtype)


def norm(
    A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """A vector or matrix norm: with ``dim`` an int (or None and ``A`` 1-D) a vector norm, with
    ``dim`` a pair (or None and ``A`` 2-D) a matrix norm; ``ord=None`` is the 2-norm of all
    elements, flattened."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1:
            return vector_norm(A, 2 if ord is None else ord, dims[0], keepdim, dtype=dtype)
        if len(dims) == 2:
            return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
        raise RuntimeError(
            "linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
            f"[{', '.join(map(str, dims))}]"
        )
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    if A.ndim == 2 or isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, None, keepdim, dtype=dtype)


def matrix_rank(
    A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False
) -> Tensor:
    """The number of singular values above max(atol, rtol·σ₁) (int64; not differentiable)."""
    import numpy as np

    from ._creation import tensor
    from .ops.linalg_spectral import lapack_svd

    check_matrix("linalg.matrix_rank", A)
    if A.dtype.name not in ("float32", "float64", "complex64", "complex128"):
        raise RuntimeError("This function doesn't handle types other than float and double")
    a = A._data
    if a.size == 0:  # (torch answers 0 before looking at the shape, hermitian or not)
        return tensor(np.zeros(a.shape[:-2], np.int64))
    if hermitian:
        check_square("linalg.eigh", A)
    s = np.abs(np.linalg.eigvalsh(a)) if hermitian else lapack_svd(a, False, compute_uv=False)
    atol = atol.item() if isinstance(atol, Tensor) else atol
    rtol = rtol.item() if isinstance(rtol, Tensor) else rtol
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else np.finfo(a.dtype).eps * max(a.shape[-2:])
    tol = np.maximum(atol or 0.0, rtol * s.max(axis=-1, keepdims=True, initial=0.0))
    return tensor(np.sum(s > tol, axis=-1).astype(np.int64))
