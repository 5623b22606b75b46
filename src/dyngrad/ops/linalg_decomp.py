"""Inverse, determinants, linear solves and the Cholesky factor, on (batches of) square
matrices via ``numpy.linalg``.

Their backward formulas are written with dyngrad ops on the saved input and output, so they
can be differentiated again (``create_graph=True``):

- Y = A⁻¹:            Ā = −Yᵀ Ȳ Yᵀ
- d = det A:          Ā = d̄ · d · A⁻ᵀ  (the adjugate, from the SVD, where A is singular)
- (s, l) = slogdet A: Ā = l̄ · A⁻ᵀ
- X = A⁻¹ B:          B̄ = A⁻ᵀ X̄,  Ā = −B̄ Xᵀ   (X = B A⁻¹: B̄ = X̄ A⁻ᵀ,  Ā = −Xᵀ B̄)
- A = L Lᵀ:           Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹), Φ = lower triangle with the diagonal halved

and their forward-mode rules (jvp):

- Ẏ = −Y Ȧ Y;  ḋ = d · tr(A⁻¹Ȧ);  l̇ = tr(A⁻¹Ȧ), ṡ = 0;  Ẋ = A⁻¹(Ḃ − Ȧ X) (X = B A⁻¹:
  Ẋ = (Ḃ − X Ȧ) A⁻¹);  L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import _TYPE_NAMES, OWN, OpNode, check_saved_versions, register
from .linalg import _broadcast_batch, matmul
from .linalg_common import (
    LinAlgError,
    batch_prefix,
    batch_trace,
    check_float,
    check_lapack_dtype,
    check_not_low_precision,
    check_outputs,
    check_square,
    constant,
    half_through_single,
    lapack_layout,
    result_type,
    sym,
    watch_outputs,
)
from .linalg_solve import solve_with_info

__all__ = ["linalg_inv", "det", "slogdet", "logdet", "linalg_solve", "linalg_cholesky"]

linalg_slogdet_result = result_type("linalg_slogdet", ("sign", "logabsdet"))
slogdet_result = result_type("slogdet", ("sign", "logabsdet"))


def _first_zero_pivot(a: np.ndarray) -> int:
    """LAPACK getrf's ``info`` for one matrix: the 1-based index of the first exactly-zero
    pivot of LU with partial pivoting (0 when there is none)."""
    lu = np.array(a, copy=True)
    n = lu.shape[0]
    info = 0
    for j in range(n):
        p = j + int(np.argmax(np.abs(lu[j:, j])))
        if lu[p, j] == 0:
            info = info or j + 1
            continue
        lu[[j, p]] = lu[[p, j]]
        lu[j + 1 :, j] /= lu[j, j]
        lu[j + 1 :, j + 1 :] -= np.outer(lu[j + 1 :, j], lu[j, j + 1 :])
    return info


def singular_inverse_error(op: str, a: np.ndarray) -> LinAlgError:
    mats = a.reshape(-1, *a.shape[-2:])
    for i, m in enumerate(mats):
        info = _first_zero_pivot(m)
        if info:
            return LinAlgError(
                f"{op}: {batch_prefix(a.shape, i)}The diagonal element {info} is zero, the "
                "inversion could not be completed because the input matrix is singular."
            )
    return LinAlgError(f"{op}: The input matrix is singular.")


class LinalgInvExBackward0(OpNode):
    """Y = A⁻¹;  Ā = −Yᵀ Ȳ Yᵀ;  Ẏ = −Y Ȧ Y."""

    promote = OWN
    save_output = True

    def forward(self, a: np.ndarray, ex: bool = False) -> Any:
        """``ex`` (inv_ex): a singular matrix gives LAPACK's result (±inf, NaN), no error."""
        try:
            return lapack_layout(np.linalg.inv(a))
        except np.linalg.LinAlgError:
            if not ex:
                raise singular_inverse_error("linalg.inv", a) from None
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return lapack_layout(solve_with_info(a, eye, True, False)[0])

    def backward(self, g: Tensor) -> Tensor:
        yt = self.saved_output.mT  # type: ignore[attr-defined]
        return -matmul(matmul(yt, g), yt)

    def jvp(self, da: Tensor, a: Tensor, y: Tensor) -> Tensor:
        """Ẏ = −Y Ȧ Y."""
        return -matmul(matmul(y, da), y)


def linalg_inv(A: Tensor, *, ex: bool = False) -> Tensor:
    """The inverse of a square matrix (or of each in a batch); singular -> LinAlgError
    (``ex``, for inv_ex: LAPACK's inf/NaN result instead)."""
    check_square("linalg.inv", A)
    check_not_low_precision("linalg.inv", A)
    return LinalgInvExBackward0.apply(A, ex=ex)  # type: ignore[no-any-return]


@register
def inverse(input: Tensor) -> Tensor:
    """The inverse of a square matrix (torch.inverse, the same as torch.linalg.inv)."""
    return linalg_inv(input)


# --- determinants --------------------------------------------------------------------


class LinalgDetBackward0(OpNode):
    """d = det A;  Ā = d̄ · d · A⁻ᵀ = d̄ · adj(A)ᵀ (from the SVD where A is singular);
    ḋ = d · tr(A⁻¹Ȧ) (0 where d = 0, as torch's forward mode gives)."""

    promote = OWN
    save = (0,)
    save_output = True

    @half_through_single
    def forward(self, a: np.ndarray) -> Any:
        return np.linalg.det(a)

    def backward(self, g: Tensor) -> Tensor:
        (a,) = self.saved_tensors
        if a.shape[-1] == 1:  # det A = a₁₁: Ā = d̄, which does not depend on A (as torch's)
            return g.unsqueeze(-1).unsqueeze(-1)  # type: ignore[attr-defined,no-any-return]
        d = self.saved_output
        scale = (g * d).unsqueeze(-1).unsqueeze(-1)  # type: ignore[operator]
        if np.all(d._data != 0):
            return scale * linalg_inv(a).mT  # type: ignore[attr-defined,no-any-return]
        return g.unsqueeze(-1).unsqueeze(-1) * _adjugate_t(a)  # type: ignore[attr-defined,no-any-return]

    def jvp(self, da: Tensor, a: Tensor, d: Tensor) -> Tensor:
        """ḋ = d · tr(A⁻¹Ȧ)."""
        # Note: torch's forward mode gives 0 at a singular A (d = 0 times a finite trace),
        # although adj(A) may not vanish there (its reverse mode gives adj(A)ᵀ): followed.
        return d * batch_trace(_solve_where_regular(a, d._data == 0, da))  # type: ignore[no-any-return]


def _solve_where_regular(a: Tensor, singular: np.ndarray, b: Tensor) -> Tensor:
    """A⁻¹B, with the identity in place of the (batch) matrices marked ``singular``."""
    if np.any(singular):
        from .elementwise import where

        n = a.shape[-1]
        eye = constant(np.eye(n, dtype=a._data.dtype))
        a = where(constant(singular[..., None, None]), eye, a)
    return linalg_solve(a, b)


def _adjugate_t(a: Tensor) -> Tensor:
    """adj(A)ᵀ = det(U)·det(V) · U diag(∏_{j≠i} sⱼ) Vᵀ for A = U diag(s) Vᵀ (any rank)."""
    from .linalg_spectral import linalg_svd

    u, s, vh = linalg_svd(a, full_matrices=False)
    n = s.shape[-1]
    signs = np.linalg.det(u._data) * np.linalg.det(vh._data)
    eye = constant(np.eye(n, dtype=bool))
    from .elementwise import where

    others = where(eye, 1.0, s.unsqueeze(-2).expand(*s.shape[:-1], n, n))  # type: ignore[attr-defined]
    cofactor_s = others.prod(-1)
    adj_t = matmul(u * cofactor_s.unsqueeze(-2), vh)
    return adj_t * constant(signs.astype(a._data.dtype)).unsqueeze(-1).unsqueeze(-1)  # type: ignore[attr-defined,no-any-return]


@register
def det(input: Tensor) -> Tensor:
    """The determinant of a square matrix (or of each in a batch)."""
    check_square("linalg.det", input)
    if input._data.size:
        check_lapack_dtype("lu_cpu", input)
    return LinalgDetBackward0.apply(input)  # type: ignore[no-any-return]


class LinalgSlogdetBackward0(OpNode):
    """(s, l) = (sign det A, log |det A|);  Ā = l̄ · A⁻ᵀ = l̄ · adj(A)ᵀ / det A (s is piecewise
    constant; at a singular A the gradient is infinite);  ṡ = 0,  l̇ = tr(A⁻¹Ȧ) (nan at a
    singular A, as in torch)."""

    promote = OWN
    save = (0,)
    n_outputs = 2

    def forward(self, a: np.ndarray) -> Any:
        sign, logabs = np.linalg.slogdet(a)
        self.singular = bool(np.any(sign == 0))
        sign = np.asarray(sign, a.dtype)
        if isinstance(self, OpNode):  # (recording: torch's backward checks the sign's version)
            self.sign = sign
        return sign, np.asarray(logabs, a.dtype)

    def backward(self, g_sign: Tensor, g_logabs: Tensor) -> Tensor:
        (a,) = self.saved_tensors
        check_outputs(self, ("sign",))
        scale = g_logabs.unsqueeze(-1).unsqueeze(-1)  # type: ignore[attr-defined]
        if not self.singular:
            return scale * linalg_inv(a).mT  # type: ignore[attr-defined,no-any-return]
        d = det(a).unsqueeze(-1).unsqueeze(-1)  # type: ignore[attr-defined]
        return scale * _adjugate_t(a) / d  # type: ignore[no-any-return]

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        # Note: only logabsdet carries a gradient; one that reaches only the sign gives
        # the input no gradient at all (None, as torch), not zeros.
        if grads[1] is None:
            check_saved_versions(self)  # (torch checks what it saved all the same)
            check_outputs(self, ("sign",))
            return (None,)
        return super().apply_backward(grads)

    def jvp(self, da: Tensor, a: Tensor, out: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """ṡ = 0,  l̇ = tr(A⁻¹Ȧ)."""
        from .._creation import zeros_like
        from .elementwise import where

        sign, _ = out
        singular = sign._data == 0
        trace = batch_trace(_solve_where_regular(a, singular, da))
        if np.any(singular):
            trace = where(constant(singular), float("nan"), trace)
        return zeros_like(sign), trace  # type: ignore[return-value]


def linalg_slogdet(A: Tensor) -> Any:
    """(sign, logabsdet) of det A: the log of |det A| without overflow."""
    check_square("linalg.slogdet", A)
    check_not_low_precision("linalg.slogdet", A)
    sign, logabs = LinalgSlogdetBackward0.apply(A)
    watch_outputs((sign,), tangents=False)  # (the backward reads only its version)
    return linalg_slogdet_result((sign, logabs))


@register
def slogdet(input: Tensor) -> Any:
    """(sign, logabsdet) of the determinant (torch.slogdet)."""
    check_square("linalg.slogdet", input)
    check_not_low_precision("linalg.slogdet", input)
    sign, logabs = LinalgSlogdetBackward0.apply(input)
    watch_outputs((sign,), tangents=False)  # (the backward reads only its version)
    return slogdet_result((sign, logabs))


@register
def logdet(input: Tensor) -> Tensor:
    """log det A: nan where det A < 0, -inf where it is 0."""
    from .elementwise import where

    check_square("logdet", input)
    check_not_low_precision("logdet", input)
    sign, logabs = LinalgSlogdetBackward0.apply(input)
    return where(sign < 0, float("nan"), logabs)  # type: ignore[no-any-return]


# --- solve ---------------------------------------------------------------------------


def _is_vector_rhs(a: Tensor, b: Tensor) -> bool:
    """torch treats B as a (batch of) vector(s) when it is 1-D or A's shape without a column."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]))


class LinalgSolveExBackward0(OpNode):
    """X = A⁻¹B;  B̄ = A⁻ᵀX̄,  Ā = −B̄Xᵀ;  Ẋ = A⁻¹(Ḃ − ȦX).
    (left=False: X = BA⁻¹;  B̄ = X̄A⁻ᵀ,  Ā = −XᵀB̄;  Ẋ = (Ḃ − XȦ)A⁻¹.)"""

    promote = OWN
    save = (0,)
    save_output = True

    @half_through_single
    def forward(self, a: np.ndarray, b: np.ndarray, left: bool, vector: bool,
                ex: bool = False) -> Any:  # fmt: skip
        """``ex`` (solve_ex): a singular matrix gives LAPACK's result (±inf, NaN), no error."""
        self.left, self.vector = left, vector
        if b.size == 0 and a.size != 0:
            # NumPy solves nothing here, but torch factors A (of its own batch shape) first,
            # so a singular A is still an error.
            x, info = solve_with_info(a, b, left, vector)
            if info.any() and not ex:
                raise singular_solve_error("torch.linalg.solve", a.shape, info)
            return x
        try:
            if vector:  # (only with left=True: torch refuses a vector B for XA = B)
                return lapack_layout(np.linalg.solve(a, b[..., None])[..., 0])  # (as torch's)
            if left:
                return lapack_layout(np.linalg.solve(a, b))
            return np.ascontiguousarray(
                np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
            )
        except np.linalg.LinAlgError:
            x, info = solve_with_info(a, b, left, vector)
            if not ex:
                raise singular_solve_error("torch.linalg.solve", a.shape, info) from None
            return lapack_layout(x) if left else np.ascontiguousarray(x)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        (a,) = self.saved_tensors
        x = self.saved_output
        need_a = self.needs_input_grad[0]
        if self.vector:
            gb = linalg_solve(a.mT, g)  # type: ignore[attr-defined]
            ga = -gb.unsqueeze(-1) * x.unsqueeze(-2) if need_a else None  # type: ignore[attr-defined]
            return ga, gb
        if self.left:
            gb = linalg_solve(a.mT, g)  # type: ignore[attr-defined]
            ga = -matmul(gb, x.mT) if need_a else None  # type: ignore[attr-defined]
            return ga, gb
        gb = linalg_solve(a.mT, g, left=False)  # type: ignore[attr-defined]
        ga = -matmul(x.mT, gb) if need_a else None  # type: ignore[attr-defined]
        return ga, gb

    def jvp(self, da: Any, db: Any, a: Tensor, b: Tensor, x: Tensor) -> Tensor:
        """Ẋ = A⁻¹(Ḃ − ȦX)  (left=False: Ẋ = (Ḃ − XȦ)A⁻¹)."""
        if da is None:
            change = None
        elif self.vector:
            change = -matmul(da, x.unsqueeze(-1)).squeeze(-1)  # type: ignore[attr-defined]
        else:
            change = -matmul(da, x) if self.left else -matmul(x, da)
        rhs = db if change is None else change if db is None else db + change
        return linalg_solve(a, rhs, left=self.left)


def singular_solve_error(op: str, shape: tuple[int, ...], info: np.ndarray) -> LinAlgError:
    """torch's error for the first singular matrix (``info`` > 0) of a batch."""
    i = int(np.argmax(info.reshape(-1) != 0))
    return LinAlgError(
        f"{op}: {batch_prefix(shape, i)}The solver failed because the input matrix is singular."
    )


def linalg_solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (``left=False``: X A = B); batch dims broadcast; B may be a vector."""
    return solve_system(A, B, left, ex=False)


def solve_system(A: Tensor, B: Tensor, left: bool, ex: bool) -> Tensor:
    """``linalg_solve``; ``ex`` (for solve_ex): no error for a singular A, LAPACK's result
    instead (see ``linalg_solve.solve_with_info``)."""
    check_square("linalg.solve", A)
    check_float("linalg.solve", B)
    if A.dtype is not B.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{_TYPE_NAMES[A.dtype.name]} and B of type {_TYPE_NAMES[B.dtype.name]} instead"
        )
    if B.ndim == 0:
        raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
    vector = _is_vector_rhs(A, B)
    n = A.shape[-1]
    if vector and not left and n == 1:  # (n > 1: the shapes' error below)
        raise RuntimeError(
            "linalg.solve: Vector broadcasting of the left hand side is not supported for "
            "left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)"
        )
    rows, cols = (B.shape[-1], 1) if vector else B.shape[-2:]
    if (rows if left else cols) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} "
            f"({n}x{n} and {rows}x{cols})"
        )
    batch_b = tuple(B.shape[:-1] if vector else B.shape[:-2])
    _broadcast_batch(batch_b, tuple(A.shape[:-2]))  # torch's error for mismatched batches
    if A._data.size:  # (torch factors A even when B is empty)
        check_lapack_dtype("lu_cpu", A)
    return LinalgSolveExBackward0.apply(A, B, left=left, vector=vector, ex=ex)  # type: ignore[no-any-return]


# --- Cholesky ------------------------------------------------------------------------


def _first_failing_minor(a: np.ndarray) -> int:
    """The order of the first leading minor of one matrix (lower triangle read) that is not
    positive-definite, as LAPACK potrf reports it."""
    n = a.shape[-1]
    low = np.zeros((n, n), dtype=np.float64)
    m = a.astype(np.float64)
    for j in range(n):
        d = m[j, j] - low[j, :j] @ low[j, :j]
        if not d > 0:
            return j + 1
        low[j, j] = np.sqrt(d)
        low[j + 1 :, j] = (m[j + 1 :, j] - low[j + 1 :, :j] @ low[j, :j]) / low[j, j]
    return n


def cholesky_partial(a: np.ndarray) -> np.ndarray:
    """LAPACK potf2's result for matrices that need not be positive-definite: column j gets
    d = a_jj − Σ_{k<j} l_jk²; if d > 0, l_jj = √d and l_ij = (a_ij − Σ_{k<j} l_ik l_jk) / l_jj
    below it; else d is stored as l_jj and the later columns keep a's lower triangle."""
    low = np.tril(a)
    n = a.shape[-1]
    with np.errstate(all="ignore"):  # inf entries give NaN, as in LAPACK
        for m in low.reshape(-1, n, n):
            for j in range(n):
                d = m[j, j] - m[j, :j] @ m[j, :j]
                m[j, j] = d
                if not d > 0:
                    break
                m[j, j] = np.sqrt(d)
                m[j + 1 :, j] = (m[j + 1 :, j] - m[j + 1 :, :j] @ m[j, :j]) / m[j, j]
    return low


def cholesky_info(low: np.ndarray) -> np.ndarray:
    """potrf's info per matrix: the order of the first diagonal entry of the (partial) factor
    that is not > 0 (the failing leading minor), or 0."""
    bad = ~(np.diagonal(low, axis1=-2, axis2=-1) > 0)
    if bad.shape[-1] == 0:  # 0×0 matrices always factor
        return np.zeros(bad.shape[:-1], np.int32)
    return np.where(bad.any(-1), bad.argmax(-1) + 1, 0).astype(np.int32)


def _not_pd_error(a: np.ndarray) -> LinAlgError:
    mats = a.reshape(-1, *a.shape[-2:])
    for i, m in enumerate(mats):
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            order = _first_failing_minor(m)
            return LinAlgError(
                f"linalg.cholesky: {batch_prefix(a.shape, i)}The factorization could not be "
                "completed because the input is not positive-definite (the leading minor of "
                f"order {order} is not positive-definite)."
            )
    return LinAlgError("linalg.cholesky: The input is not positive-definite.")


class LinalgCholeskyExBackward0(OpNode):
    """A = L Lᵀ (L lower; ``upper`` returns Lᵀ);
    Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹), Φ(M) = tril(M) with its diagonal halved;  L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ)."""

    promote = OWN
    save_output = True

    @half_through_single
    def forward(self, a: np.ndarray, upper: bool, check_errors: bool = True) -> Any:
        """``check_errors=False`` (cholesky_ex): a matrix that is not positive-definite gets
        LAPACK's partial factor instead of an error."""
        self.upper = upper
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            if check_errors:
                raise _not_pd_error(a) from None
            low = cholesky_partial(np.swapaxes(a, -1, -2) if upper else a)
        else:
            if np.isnan(np.diagonal(low, axis1=-2, axis2=-1)).any():  # NaN input: as LAPACK
                low = cholesky_partial(np.swapaxes(a, -1, -2) if upper else a)
                info = cholesky_info(low).reshape(-1)
                if check_errors and info.any():
                    i = int(np.argmax(info != 0))
                    raise LinAlgError(
                        f"linalg.cholesky: {batch_prefix(a.shape, i)}The factorization could not "
                        "be completed because the input is not positive-definite (the leading "
                        f"minor of order {info[i]} is not positive-definite)."
                    )
        return lapack_layout(np.swapaxes(low, -1, -2) if upper else low)

    def backward(self, g: Tensor) -> Tensor:
        low = self.saved_output
        if self.upper:
            low, g = low.mT, g.mT  # type: ignore[attr-defined]
        m = matmul(low.mT, g)  # type: ignore[attr-defined]
        phi = m.tril() - 0.5 * m.tril().triu()  # type: ignore[attr-defined]
        low_inv = linalg_inv(low, ex=True)  # (a zero on the diagonal: inf/NaN, as torch)
        return sym(matmul(matmul(low_inv.mT, phi), low_inv))  # type: ignore[attr-defined]

    def jvp(self, da: Tensor, a: Tensor, out: Tensor) -> Tensor:
        """L̇ = L Φ(L⁻¹ Ȧ L⁻ᵀ) (``upper``: U̇ = L̇ᵀ)."""
        low = out.mT if self.upper else out  # type: ignore[attr-defined]
        low_inv = linalg_inv(low, ex=True)  # (a zero on the diagonal: inf/NaN, as torch)
        m = matmul(matmul(low_inv, da), low_inv.mT)  # type: ignore[attr-defined]
        phi = m.tril() - 0.5 * m.tril().triu()  # type: ignore[attr-defined]
        dlow = matmul(low, phi)
        return dlow.mT if self.upper else dlow  # type: ignore[attr-defined,no-any-return]


def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L lower-triangular with A = L Lᵀ (``upper``: U = Lᵀ); not positive-definite ->
    LinAlgError naming the failing leading minor."""
    check_square("linalg.cholesky", A)
    if A._data.size:
        check_lapack_dtype("cholesky_cpu", A)
    return LinalgCholeskyExBackward0.apply(A, upper=upper)  # type: ignore[no-any-return]
