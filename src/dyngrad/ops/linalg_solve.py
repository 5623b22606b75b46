"""Linear solves that go on where the matrix is singular: ``linalg.solve_ex`` returns the
result LAPACK computes from its LU factorization, with ``info`` (torch's values).

A = Pᵀ L U by LU with partial pivoting (LAPACK getrf: the row of largest |aᵢⱼ| is the pivot,
the first on ties; a column with no nonzero entry gets no swap and no scaling, and ``info``
is the 1-based index of the first such pivot). Then AX = B is solved as L Y = P B, U X = Y,
and XA = B (``left=False``) as Aᵀ Xᵀ = Bᵀ from the same factors: Uᵀ Y = Bᵀ, Lᵀ Z = Y,
Xᵀ = Pᵀ Z. A zero pivot divides by zero there: ±inf, or NaN for 0/0 and inf·0, as torch.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lu_info", "solve_with_info"]


def _lu(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(LU factors in one matrix, row order, info) of one square matrix, as LAPACK getrf."""
    lu = np.array(a, copy=True)
    n = lu.shape[0]
    rows = np.arange(n)
    info = 0
    for j in range(n):
        p = j + int(np.argmax(np.abs(lu[j:, j])))
        pivot = lu[p, j]
        if pivot != 0:
            if p != j:
                lu[[j, p]] = lu[[p, j]]
                rows[[j, p]] = rows[[p, j]]
            lu[j + 1 :, j] *= 1 / pivot  # (LAPACK scales by the reciprocal)
        elif not info:
            info = j + 1
        lu[j + 1 :, j + 1 :] -= np.outer(lu[j + 1 :, j], lu[j, j + 1 :])
    return lu, rows, info


def _solve_factored(lu: np.ndarray, rows: np.ndarray, b: np.ndarray, left: bool) -> np.ndarray:
    """X from the factors of A: AX = B (``left``), else XA = B; ``b`` is n×k (left) or k×n."""
    n = lu.shape[0]
    if left:
        y = b[rows].copy()
        for i in range(n):  # L Y = P B (unit diagonal)
            y[i + 1 :] -= np.outer(lu[i + 1 :, i], y[i])
        for k in reversed(range(n)):  # U X = Y
            y[k] /= lu[k, k]
            y[:k] -= np.outer(lu[:k, k], y[k])
        return y
    y = b.T.copy()
    for k in range(n):  # Uᵀ Y = Bᵀ
        y[k] /= lu[k, k]
        y[k + 1 :] -= np.outer(lu[k, k + 1 :], y[k])
    for k in reversed(range(n)):  # Lᵀ Z = Y (unit diagonal)
        y[:k] -= np.outer(lu[k, :k], y[k])
    x = np.empty_like(y)
    x[rows] = y  # Xᵀ = Pᵀ Z
    return x.T


def lu_info(a: np.ndarray) -> np.ndarray:
    """getrf's ``info`` for each matrix of ``a`` (int32, of a's batch shape)."""
    mats = a.reshape(int(np.prod(a.shape[:-2], dtype=np.int64)), *a.shape[-2:])
    return np.array([_lu(m)[2] for m in mats], np.int32).reshape(a.shape[:-2])


def solve_with_info(
    a: np.ndarray, b: np.ndarray, left: bool, vector: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(X, info) for matrices some of which may be singular: LAPACK's gesv result for each
    (``numpy.linalg.solve`` where it succeeds, the factors above where it refuses); ``b`` with
    A's batch dims broadcast, a batch of vectors when ``vector``; info of A's batch shape."""
    bm = b[..., None] if vector else b
    batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    count = int(np.prod(batch, dtype=np.int64))  # (explicit: -1 is ambiguous for 0 elements)
    a_all = np.broadcast_to(a, (*batch, *a.shape[-2:])).reshape(count, *a.shape[-2:])
    b_all = np.broadcast_to(bm, (*batch, *bm.shape[-2:])).reshape(count, *bm.shape[-2:])
    out = np.empty(b_all.shape, np.result_type(a, b))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i, (m, rhs) in enumerate(zip(a_all, b_all)):
            try:
                out[i] = np.linalg.solve(m, rhs) if left else np.linalg.solve(m.T, rhs.T).T
            except np.linalg.LinAlgError:
                lu, rows, _ = _lu(m)
                out[i] = _solve_factored(lu, rows, rhs, left)
    x = out.reshape(*batch, *bm.shape[-2:])
    return (x[..., 0] if vector else x), lu_info(a)
