"""QR, SVD, the symmetric eigendecomposition and the pseudo-inverse, via ``numpy.linalg``.

Backward formulas (real matrices; F is the matrix 1/(λⱼ − λᵢ) off the diagonal, 0 on it):

- A = QR (Q m×k, R k×n, m ≥ n): M = R R̄ᵀ − Q̄ᵀQ,  Ā = (Q̄ + Q·copyltu(M)) R⁻ᵀ, where
  copyltu(M) is M's lower triangle mirrored into the upper; for m < n, A = [X | Y] with
  X = Q·R[:, :m], so Ȳ = Q·R̄[:, m:] and X̄ comes from the square case with Q̄ + Y R̄[:, m:]ᵀ.
- A = U diag(s) Vᵀ (reduced): with F over s², Jᵤ = F ∘ (UᵀŪ − ŪᵀU), Jᵥ = F ∘ (VᵀV̄ − V̄ᵀV),
  Ā = U (Jᵤ S + diag(s̄) + S Jᵥ) Vᵀ + (I − UUᵀ) Ū S⁻¹ Vᵀ + U S⁻¹ V̄ᵀ (I − VVᵀ).
  U and V are only defined up to the sign of each singular pair: only losses that do not
  depend on those signs (as U diag(s) Vᵀ, or s) have a gradient, as in torch.
- A = V diag(λ) Vᵀ (symmetric): X = VᵀV̄,  Ā = V (diag(λ̄) + F ∘ (X − Xᵀ)/2) Vᵀ.
- P = A⁺: Ā = −Pᵀ P̄ Pᵀ + (I − AP) P̄ᵀ P Pᵀ + Pᵀ P P̄ᵀ (I − PA).

As torch, QR, SVD and eigh keep their outputs (not A) for the backward: as arrays on the
node, their versions watched, so that an in-place change of an output is caught as torch
catches it (and one of A is no error); with ``create_graph=True`` the backward uses the node's
outputs again, so the gradient can be differentiated. The forward-mode rules are in
linalg_spectral_jvp.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import _TYPE_NAMES, FUNCTIONS, OWN, OpNode, check_saved_versions, register
from .linalg import matmul
from .linalg_common import (
    LinAlgError,
    check_float,
    check_lapack_dtype,
    check_matrix,
    constant,
    half_through_single,
    lapack_layout,
    node_outputs,
    off_diagonal_reciprocal,
    result_type,
    watch_outputs,
)
from .linalg_decomp import solve_system
from .linalg_spectral_jvp import eigh_jvp, pinv_jvp, qr_jvp, svd_jvp

__all__ = ["linalg_qr", "linalg_svd", "linalg_svdvals", "linalg_eigh", "linalg_eigvalsh",
           "linalg_pinv", "qr", "svd", "pinverse"]  # fmt: skip

linalg_qr_result = result_type("linalg_qr", ("Q", "R"))
qr_result = result_type("qr", ("Q", "R"))
linalg_svd_result = result_type("linalg_svd", ("U", "S", "Vh"))
svd_result = result_type("svd", ("U", "S", "V"))
linalg_eigh_result = result_type("linalg_eigh", ("eigenvalues", "eigenvectors"))


def _recording(node: Any) -> bool:
    return isinstance(node, OpNode)


class _OutputGradients:
    """For decompositions: the backward gets None (not zeros) for outputs that received no
    gradient, so that e.g. the gradient of S alone skips the U and V terms."""

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        check_saved_versions(self)  # type: ignore[arg-type]
        result = self.backward(*grads)  # type: ignore[attr-defined]
        return result if type(result) is tuple else (result,)


_QR_MODE_R_MESSAGE = (
    "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
    "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
    "through linalg.qr."
)
_QR_COMPLETE_MESSAGE = (
    "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
)


# --- QR ------------------------------------------------------------------------------


class LinalgQrBackward0(OpNode):
    """A = QR (see the module docstring for Ā; Q̇, Ṙ in linalg_spectral_jvp.py)."""

    promote = OWN
    n_outputs = 2

    def forward(self, a: np.ndarray, mode: str) -> Any:
        self.mode = mode
        if mode == "r":
            r_only = np.linalg.qr(a, mode="r")
            return np.empty(0, a.dtype), lapack_layout(r_only)  # type: ignore[arg-type]
        q, r = np.linalg.qr(a, mode=mode)  # type: ignore[call-overload]
        q, r = lapack_layout(q), lapack_layout(r)
        if _recording(self):
            self.q, self.r = q, r
        return q, r

    def backward(self, gq: Tensor, gr: Tensor) -> Tensor:
        if self.mode == "r":
            raise RuntimeError(_QR_MODE_R_MESSAGE)
        q, r = node_outputs(self, ("q", "r"))
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError(_QR_COMPLETE_MESSAGE)
        if m >= n:
            return _qr_backward_tall(q, r, gq, gr)
        r_x, r_y = r[..., :m], r[..., m:]  # type: ignore[index]
        gr_x, gr_y = gr[..., :m], gr[..., m:]  # type: ignore[index]
        y = matmul(q, r_y)  # A's last n − m columns
        gx = _qr_backward_tall(q, r_x, gq + matmul(y, gr_y.mT), gr_x)  # type: ignore[attr-defined]
        gy = matmul(q, gr_y)
        return FUNCTIONS["cat"]([gx, gy], -1)  # type: ignore[no-any-return]

    def jvp(self, da: Tensor, a: Tensor, out: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """Q̇, Ṙ (see linalg_spectral_jvp.py); mode 'r' and 'complete' with m > n: torch's
        error, as in reverse mode."""
        m, n = a.shape[-2:]
        if self.mode == "r":
            raise RuntimeError(_QR_MODE_R_MESSAGE)
        if self.mode == "complete" and m > n:
            raise RuntimeError(_QR_COMPLETE_MESSAGE)
        return qr_jvp(da, *out)


def _qr_backward_tall(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor) -> Tensor:
    m = matmul(r, gr.mT) - matmul(gq.mT, q)  # type: ignore[attr-defined]
    copyltu = m.tril() + m.tril(-1).mT  # type: ignore[attr-defined]
    b = gq + matmul(q, copyltu)
    # (a rank-deficient R gives inf/NaN, as torch's triangular solve, not an error)
    return solve_system(r, b.mT, True, ex=True).mT  # type: ignore[attr-defined,no-any-return]


def linalg_qr(A: Tensor, mode: str = "reduced") -> Any:
    """A = QR with orthonormal columns in Q and R upper-triangular; mode 'reduced',
    'complete' or 'r' (R only, Q empty)."""
    check_matrix("linalg.qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    check_float("linalg.qr", A)
    check_lapack_dtype("geqrf_cpu", A)  # (even for an empty A)
    q, r = LinalgQrBackward0.apply(A, mode=mode)
    watch_outputs((q, r))
    return linalg_qr_result((q, r))


@register
def qr(input: Tensor, some: bool = True) -> Any:
    """torch.qr: linalg.qr with ``some`` choosing 'reduced' (True) or 'complete'."""
    q, r = linalg_qr(input, "reduced" if some else "complete")
    return qr_result((q, r))


# --- SVD -----------------------------------------------------------------------------


_SVD_NON_FINITE = (
    "linalg.svd: The algorithm failed to converge because the input matrix contained "
    "non-finite values."
)


def lapack_svd(a: np.ndarray, full_matrices: bool, compute_uv: bool = True) -> Any:
    """NumPy's SVD, with torch's answer for non-finite input: NaN anywhere raises torch's
    LinAlgError; a matrix with ±inf (and no NaN) gets NaN factors. Note: LAPACK is never
    given such a matrix (sgesdd can loop forever on one with -inf entries)."""
    finite = np.isfinite(a)
    if finite.all():
        return np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)  # type: ignore[call-overload]
    if np.isnan(a).any():
        raise LinAlgError(_SVD_NON_FINITE)
    bad = ~finite.all(axis=(-2, -1))  # per matrix of the batch (0-d for one matrix)
    result = np.linalg.svd(  # type: ignore[call-overload]
        np.where(bad[..., None, None], 0, a), full_matrices=full_matrices, compute_uv=compute_uv
    )
    parts = tuple(result) if compute_uv else (result,)
    for part in parts:
        part[bad] = np.nan
    return parts if compute_uv else result


class LinalgSvdBackward0(_OutputGradients, OpNode):
    """A = U diag(S) Vh (see the module docstring for Ā); also svdvals, whose node (as
    torch's) computes U and Vh as outputs that only the backward sees."""

    promote = OWN
    n_outputs = 3

    @half_through_single
    def forward(self, a: np.ndarray, full_matrices: bool, compute_uv: bool) -> Any:
        self.compute_uv, self.full_matrices = compute_uv, full_matrices
        if not _recording(self):
            if not compute_uv:
                return lapack_svd(a, False, compute_uv=False)
            u, s, vh = lapack_svd(a, full_matrices)
            return lapack_layout(u), s, lapack_layout(vh)
        u, s, vh = lapack_svd(a, full_matrices and compute_uv)
        u, vh = lapack_layout(u), lapack_layout(vh)
        self.u, self.s, self.vh = u, s, vh
        return u, s, vh

    def backward(self, gu: Tensor | None, gs: Tensor | None, gvh: Tensor | None) -> Tensor:
        u, s, vh = node_outputs(self, ("u", "s", "vh"))
        k = s.shape[-1]
        if u.shape[-1] != k:  # full_matrices: only the first k columns of U (rows of Vh) count
            u, gu = u[..., :k], None if gu is None else gu[..., :k]  # type: ignore[index]
        if vh.shape[-2] != k:
            vh, gvh = vh[..., :k, :], None if gvh is None else gvh[..., :k, :]  # type: ignore[index]
        if gs is None:
            gs = constant(np.zeros(s.shape, s._data.dtype))
        if (gu is None) != (gvh is None):
            if gu is None:
                gu = constant(np.zeros(u.shape, u._data.dtype))
            else:
                gvh = constant(np.zeros(vh.shape, vh._data.dtype))
        return _svd_backward(u, s, vh, gu, gs, gvh)

    def jvp(self, da: Tensor, a: Tensor, out: Any) -> Any:
        """U̇, ṡ, V̇h (see linalg_spectral_jvp.py)."""
        # (svdvals too: its hidden U and Vh get tangents, which a nested level needs)
        u, s, vh = out
        return svd_jvp(da, u, s, vh, self.full_matrices)


def _svd_backward(u: Tensor, s: Tensor, vh: Tensor, gu: Tensor | None, gs: Tensor,
                  gvh: Tensor | None) -> Tensor:  # fmt: skip
    m, n = u.shape[-2], vh.shape[-1]
    k = s.shape[-1]
    inner = gs.diag_embed()  # type: ignore[attr-defined]
    if gu is None and gvh is None:
        return matmul(u * gs.unsqueeze(-2), vh)  # type: ignore[attr-defined]
    s_row = s.unsqueeze(-2)  # type: ignore[attr-defined]
    s2 = s * s  # type: ignore[operator]
    f = off_diagonal_reciprocal(s2.unsqueeze(-2) - s2.unsqueeze(-1))  # type: ignore[attr-defined]
    v, gv = vh.mT, gvh.mT  # type: ignore[union-attr,attr-defined]
    utgu = matmul(u.mT, gu)  # type: ignore[attr-defined]
    vtgv = matmul(v.mT, gv)
    inner = inner + (f * (utgu - utgu.mT)) * s_row + s.unsqueeze(-1) * (f * (vtgv - vtgv.mT))  # type: ignore[attr-defined]
    ga = matmul(matmul(u, inner), vh)
    if m > k:
        ga = ga + matmul((gu - matmul(u, utgu)) / s_row, vh)  # type: ignore[operator]
    if n > k:
        ga = ga + matmul(u, ((gv - matmul(v, vtgv)) / s_row).mT)  # type: ignore[attr-defined]
    return ga


def linalg_svd(A: Tensor, full_matrices: bool = True) -> Any:
    """A = U diag(S) Vh, singular values S descending; ``full_matrices=False`` gives the
    reduced factors (U m×k, Vh k×n, k = min(m, n))."""
    check_matrix("linalg.svd", A)
    check_float("linalg.svd", A)
    if A._data.size:
        check_lapack_dtype("linalg_svd_cpu", A)
    outs = LinalgSvdBackward0.apply(A, full_matrices=full_matrices, compute_uv=True)
    watch_outputs(outs)
    return linalg_svd_result(outs)


def linalg_svdvals(A: Tensor) -> Tensor:
    """The singular values of A, descending."""
    check_matrix("linalg.svd", A)
    check_float("linalg.svd", A)
    if A._data.size:
        check_lapack_dtype("linalg_svd_cpu", A)
    out = LinalgSvdBackward0.apply(A, full_matrices=False, compute_uv=False)
    if type(out) is not tuple:  # (not recorded: S alone was computed)
        return out  # type: ignore[no-any-return]
    watch_outputs(out)
    return out[1]  # type: ignore[no-any-return]


@register
def svd(input: Tensor, some: bool = True, compute_uv: bool = True) -> Any:
    """torch.svd: (U, S, V) with V (not Vh); ``some`` chooses the reduced factors."""
    u, s, vh = linalg_svd(input, full_matrices=not some)
    if not compute_uv:
        zeros_u = constant(np.zeros(u.shape, u._data.dtype))
        zeros_v = constant(np.zeros(vh.mT.shape, vh._data.dtype))  # type: ignore[attr-defined]
        return svd_result((zeros_u, s, zeros_v))
    return svd_result((u, s, vh.mT))  # type: ignore[attr-defined]


# --- symmetric eigendecomposition ----------------------------------------------------


class LinalgEighBackward0(_OutputGradients, OpNode):
    """A = V diag(λ) Vᵀ, λ ascending (see the module docstring for Ā); also eigvalsh, whose
    node (as torch's) computes V as an output that only the backward sees."""

    promote = OWN
    n_outputs = 2

    @half_through_single
    def forward(self, a: np.ndarray, uplo: str, compute_v: bool) -> Any:
        self.uplo, self.compute_v = uplo, compute_v
        if not compute_v and not _recording(self):
            return np.linalg.eigvalsh(a, UPLO=uplo)  # type: ignore[call-overload]
        w, v = np.linalg.eigh(a, UPLO=uplo)  # type: ignore[call-overload]
        v = lapack_layout(v)
        if _recording(self):
            self.w, self.v = w, v
        return w, v

    def backward(self, gw: Tensor | None, gv: Tensor | None) -> Tensor:
        w, v = node_outputs(self, ("w", "v"))
        inner = None if gw is None else gw.diag_embed()  # type: ignore[attr-defined]
        if gv is not None:
            x = matmul(v.mT, gv)  # type: ignore[attr-defined]
            f = off_diagonal_reciprocal(w.unsqueeze(-2) - w.unsqueeze(-1))  # type: ignore[attr-defined]
            term = f * (x - x.mT) * 0.5  # type: ignore[attr-defined]
            inner = term if inner is None else inner + term
        return matmul(matmul(v, inner), v.mT)  # type: ignore[arg-type,attr-defined]

    def jvp(self, da: Tensor, a: Tensor, out: Any) -> Any:
        """λ̇ = diag(Vᵀ Ȧ V),  V̇ = V (F ∘ Vᵀ Ȧ V) (see linalg_spectral_jvp.py)."""
        # (eigvalsh too: its hidden V gets a tangent, which a nested level needs)
        w, v = out
        return eigh_jvp(da, w, v)


def _check_eigh(A: Tensor, UPLO: str) -> None:
    from .linalg_common import check_square

    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    check_matrix("linalg.eigh", A)
    if A.shape[-1] != A.shape[-2]:
        check_square("linalg.eigh", A)
    if not A.dtype.is_floating_point:
        from ._registry import _TYPE_NAMES

        raise NotImplementedError(
            f"\"linalg_eigh_cpu\" not implemented for '{_TYPE_NAMES[A.dtype.name]}'"
        )
    if A._data.size:
        check_lapack_dtype("linalg_eigh_cpu", A)


def linalg_eigh(A: Tensor, UPLO: str = "L") -> Any:
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, reading
    its lower (``UPLO='L'``) or upper triangle."""
    _check_eigh(A, UPLO)
    w, v = LinalgEighBackward0.apply(A, uplo=UPLO, compute_v=True)
    watch_outputs((w, v))
    return linalg_eigh_result((w, v))


def linalg_eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of a symmetric matrix."""
    _check_eigh(A, UPLO)
    out = LinalgEighBackward0.apply(A, uplo=UPLO, compute_v=False)
    if type(out) is not tuple:  # (not recorded: the eigenvalues alone were computed)
        return out  # type: ignore[no-any-return]
    watch_outputs(out)
    return out[0]  # type: ignore[no-any-return]


# --- pseudo-inverse ------------------------------------------------------------------


class LinalgPinvBackward0(OpNode):
    """P = A⁺ (singular values at or below the tolerance count as 0; see the module docstring)."""

    promote = OWN
    save = (0,)
    save_output = True

    def forward(self, a: np.ndarray, atol: Any, rtol: Any, hermitian: bool) -> Any:
        if hermitian:
            w, v = np.linalg.eigh(a)
            keep = _keep(np.abs(w), atol, rtol, a)
            inv_w = np.where(keep, 1 / np.where(keep, w, 1), 0).astype(a.dtype)
            return np.matmul(v * inv_w[..., None, :], np.swapaxes(v, -1, -2))
        u, s, vh = lapack_svd(a, False)
        keep = _keep(s, atol, rtol, a)
        inv_s = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
        return np.matmul(np.swapaxes(vh, -1, -2) * inv_s[..., None, :], np.swapaxes(u, -1, -2))

    def backward(self, g: Tensor) -> Tensor:
        (a,) = self.saved_tensors
        p = self.saved_output
        pt, gt = p.mT, g.mT  # type: ignore[attr-defined]
        ppt = matmul(p, pt)
        ptp = matmul(pt, p)
        first = -matmul(matmul(pt, g), pt)
        left = matmul(gt, ppt)
        right = matmul(ptp, gt)
        return first + left - matmul(a, matmul(p, left)) + right - matmul(matmul(right, p), a)

    def jvp(self, da: Tensor, a: Tensor, p: Tensor) -> Tensor:
        """Ṗ = −P Ȧ P + (I − PA) Ȧᵀ Pᵀ P + P Pᵀ Ȧᵀ (I − AP)."""
        return pinv_jvp(da, a, p)


def _keep(s: np.ndarray, atol: Any, rtol: Any, a: np.ndarray) -> np.ndarray:
    """Singular values above torch's cutoff max(atol, rtol·σ₁) (rtol defaults to ε·max(m, n)
    when atol is not given, else to 0)."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else np.finfo(a.dtype).eps * max(a.shape[-2:])
    smax = s.max(axis=-1, keepdims=True, initial=0.0)
    tol = np.maximum(atol or 0.0, rtol * smax)
    return s > tol


def linalg_pinv(
    A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False
) -> Tensor:
    """The Moore-Penrose pseudo-inverse (via the SVD, or eigh when ``hermitian``)."""
    if isinstance(atol, (int, float)) and rtol is None:
        A.size(-2)  # type: ignore[attr-defined]  # torch reads the rows first (IndexError)
    if A.ndim < 2 or A.dtype.name not in ("float32", "float64", "complex64", "complex128"):
        shape = ", ".join(map(str, A.shape))
        raise RuntimeError(
            f"linalg.pinv({_TYPE_NAMES.get(A.dtype.name, A.dtype.name)}{{[{shape}]}}): expected "
            "a tensor with 2 or more dimensions of float, double, cfloat or cdouble types"
        )
    check_matrix("linalg.pinv", A)
    check_float("linalg.pinv", A)
    return LinalgPinvBackward0.apply(A, atol=_number(atol), rtol=_number(rtol), hermitian=hermitian)  # type: ignore[no-any-return]


def _number(x: Any) -> Any:
    return x.item() if isinstance(x, Tensor) else x


@register
def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv with ``rcond`` as the relative tolerance."""
    return linalg_pinv(input, rtol=rcond)
