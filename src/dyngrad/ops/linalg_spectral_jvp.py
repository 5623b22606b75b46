"""Forward-mode rules (jvp) of QR, SVD, the symmetric eigendecomposition and the
pseudo-inverse (their nodes are in linalg_spectral.py), written with dyngrad ops so that
tangents can be differentiated again.

Real matrices; F is the matrix 1/(λⱼ − λᵢ) off the diagonal, 0 on it (F over s² for the SVD):

- A = QR (m ≥ n): with X = Qᵀ Ȧ R⁻¹ and Ω = tril(X, −1) − tril(X, −1)ᵀ (QᵀQ̇ is skew, ṘR⁻¹
  upper): Ṙ = (X − Ω) R,  Q̇ = Q Ω + (I − QQᵀ) Ȧ R⁻¹. For m < n, A = [X | Y] with X = Q R₁:
  (Q̇, Ṙ₁) from the square case, Ṙ₂ = Qᵀ (Ẏ − Q̇ R₂).
- A = U diag(s) Vᵀ (reduced, k = min(m, n)): P = Uᵀ Ȧ V,  ṡ = diag(P),
  U̇ = U (F ∘ (P S + S Pᵀ)) + (I − UUᵀ) Ȧ V S⁻¹,  V̇ = V (F ∘ (S P + Pᵀ S)) + (I − VVᵀ) Ȧᵀ U S⁻¹;
  with ``full_matrices`` the extra columns of U (rows of Vh) get a zero tangent, as in torch.
- A = V diag(λ) Vᵀ: P = Vᵀ Ȧ V,  λ̇ = diag(P),  V̇ = V (F ∘ P).
- P = A⁺: Ṗ = −P Ȧ P + (I − PA) Ȧᵀ Pᵀ P + P Pᵀ Ȧᵀ (I − AP).
"""

from __future__ import annotations

from .._tensor import Tensor
from ._registry import FUNCTIONS
from .linalg import matmul
from .linalg_common import off_diagonal_reciprocal
from .linalg_decomp import linalg_solve

__all__ = ["qr_jvp", "svd_jvp", "eigh_jvp", "pinv_jvp"]


def qr_jvp(da: Tensor, q: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
    """(Q̇, Ṙ) for A = QR (reduced, or complete with m ≤ n)."""
    m, n = da.shape[-2:]
    if m >= n:
        return _qr_jvp_tall(da, q, r)
    r_x, r_y = r[..., :m], r[..., m:]  # type: ignore[index]
    dq, dr_x = _qr_jvp_tall(da[..., :m], q, r_x)  # type: ignore[index]
    dr_y = matmul(q.mT, da[..., m:] - matmul(dq, r_y))  # type: ignore[attr-defined,index]
    return dq, FUNCTIONS["cat"]([dr_x, dr_y], -1)


def _qr_jvp_tall(da: Tensor, q: Tensor, r: Tensor) -> tuple[Tensor, Tensor]:
    da_rinv = linalg_solve(r, da, left=False)  # Ȧ R⁻¹
    x = matmul(q.mT, da_rinv)  # type: ignore[attr-defined]
    low = x.tril(-1)  # type: ignore[attr-defined]
    omega = low - low.mT
    dr = matmul(x - omega, r)
    dq = matmul(q, omega - x) + da_rinv
    return dq, dr


def svd_jvp(
    da: Tensor, u: Tensor, s: Tensor, vh: Tensor, full_matrices: bool
) -> tuple[Tensor, Tensor, Tensor]:
    """(U̇, ṡ, V̇h) for A = U diag(s) Vh (``u``/``vh`` may be the full factors)."""
    m, n = da.shape[-2:]
    k = s.shape[-1]
    u_k, v = u[..., :k], vh[..., :k, :].mT  # type: ignore[index]
    p = matmul(matmul(u_k.mT, da), v)
    ds = p.diagonal(0, -2, -1)  # type: ignore[attr-defined]
    s_row, s_col = s.unsqueeze(-2), s.unsqueeze(-1)  # type: ignore[attr-defined]
    s2 = s * s  # type: ignore[operator]
    f = off_diagonal_reciprocal(s2.unsqueeze(-2) - s2.unsqueeze(-1))  # type: ignore[attr-defined]
    pt = p.mT  # type: ignore[attr-defined]
    du = matmul(u_k, f * (p * s_row + s_col * pt))
    dv = matmul(v, f * (s_col * p + pt * s_row))
    if m > k:
        du = du + (matmul(da, v) - matmul(u_k, p)) / s_row
    if n > k:
        dv = dv + (matmul(da.mT, u_k) - matmul(v, pt)) / s_row  # type: ignore[attr-defined]
    dvh = dv.mT  # type: ignore[attr-defined]
    if full_matrices:
        du = _pad_last(du, u.shape[-1] - k)
        dvh = _pad_last(dvh.mT, vh.shape[-2] - k).mT  # type: ignore[attr-defined]
    return du, ds, dvh


def _pad_last(x: Tensor, extra: int) -> Tensor:
    """``x`` with ``extra`` columns of zeros appended."""
    if extra <= 0:
        return x
    from .._creation import zeros

    pad = zeros((*x.shape[:-1], extra), dtype=x.dtype)
    return FUNCTIONS["cat"]([x, pad], -1)  # type: ignore[no-any-return]


def eigh_jvp(da: Tensor, w: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
    """(λ̇, V̇) for A = V diag(λ) Vᵀ."""
    p = matmul(matmul(v.mT, da), v)  # type: ignore[attr-defined]
    dw = p.diagonal(0, -2, -1)  # type: ignore[attr-defined]
    f = off_diagonal_reciprocal(w.unsqueeze(-2) - w.unsqueeze(-1))  # type: ignore[attr-defined]
    return dw, matmul(v, f * p)


def pinv_jvp(da: Tensor, a: Tensor, p: Tensor) -> Tensor:
    """Ṗ = −P Ȧ P + (I − PA) Ȧᵀ Pᵀ P + P Pᵀ Ȧᵀ (I − AP)."""
    dat = da.mT  # type: ignore[attr-defined]
    pt = p.mT  # type: ignore[attr-defined]
    left = matmul(dat, matmul(pt, p))  # Ȧᵀ Pᵀ P
    right = matmul(matmul(p, pt), dat)  # P Pᵀ Ȧᵀ
    out = -matmul(matmul(p, da), p)
    out = out + left - matmul(p, matmul(a, left))
    return out + right - matmul(matmul(right, a), p)  # type: ignore[no-any-return]
