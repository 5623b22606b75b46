"""Op table entries for the decompositions (inv, det, slogdet, solve, cholesky, qr, svd, eigh,
pinv) and the norms of ``dyngrad.linalg``.

Inputs are well conditioned: general matrices get a multiple of the identity added, SPD ones
are B·Bᵀ + n·I, symmetric ones for eigh and matrices for svd are built from chosen, well
separated eigen/singular values. Singular vectors and eigenvectors are only defined up to
sign, so those entries compare sign-fixed vectors (v · sign(v[0])) and the reconstruction
U·diag(S)·Vh, which are gauge invariant, as torch's own tests do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr


def _general(rng, shape, dt):  # type: ignore[no-untyped-def]
    m, n = shape[-2:] if len(shape) >= 2 else (1, shape[-1])
    a = rng.uniform(-1, 1, size=shape) + n * np.eye(m, n)
    return np.asarray(a, dtype=dt)


def _negative_det(rng, shape, dt):  # type: ignore[no-untyped-def]
    a = _general(rng, shape, dt)
    a[..., 0, :] *= -1
    return a


def _spd(rng, shape, dt):  # type: ignore[no-untyped-def]
    n = shape[-1]
    b = rng.uniform(-1, 1, size=shape)
    return np.asarray(b @ np.swapaxes(b, -1, -2) + n * np.eye(n), dtype=dt)


def _orthogonal(rng, batch, n):  # type: ignore[no-untyped-def]
    q, r = np.linalg.qr(rng.standard_normal((*batch, n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _symmetric(rng, shape, dt):  # type: ignore[no-untyped-def]
    """Symmetric with eigenvalues at least 0.5 apart."""
    n = shape[-1]
    batch = shape[:-2]
    w = np.linspace(-1.0, 1.0, n) * n + rng.uniform(-0.2, 0.2, size=(*batch, n))
    q = _orthogonal(rng, batch, n)
    return np.asarray((q * w[..., None, :]) @ np.swapaxes(q, -1, -2), dtype=dt)


def _distinct_sv(rng, shape, dt):  # type: ignore[no-untyped-def]
    """m×n with singular values 3, 2.2, 1.4, ... (distinct, away from 0)."""
    m, n = shape[-2:]
    batch = shape[:-2]
    k = min(m, n)
    s = 3.0 - 0.8 * np.arange(k) + rng.uniform(-0.1, 0.1, size=(*batch, k))
    u = _orthogonal(rng, batch, m)[..., :k]
    v = _orthogonal(rng, batch, n)[..., :k]
    return np.asarray((u * s[..., None, :]) @ np.swapaxes(v, -1, -2), dtype=dt)


def _sym(m, a):  # type: ignore[no-untyped-def]
    """Read a symmetric input through (A + Aᵀ)/2, so finite differences see A as symmetric."""
    return (a + a.mT) * 0.5


def _samples(gen, shapes, **kwargs):  # type: ignore[no-untyped-def]
    def make(rng, dt):  # type: ignore[no-untyped-def]
        out = [Sample((gen(rng, s, dt),), dict(kwargs), name=str(s)) for s in shapes]
        if any(len(s) == 2 and s[0] == s[1] and s[0] > 1 for s in shapes):
            n = next(s[0] for s in shapes if len(s) == 2 and s[0] == s[1] and s[0] > 1)
            out.append(Sample((gen(rng, (n, n), dt).T,), dict(kwargs), name="non-contiguous"))
        return out

    return make


def _with_errors(make, *errors):  # type: ignore[no-untyped-def]
    """Add samples torch refuses: non-square, 1-D, integer."""

    def samples(rng, dt):  # type: ignore[no-untyped-def]
        out = make(rng, dt)
        for shape, dtype, name in errors:
            out.append(Sample((arr(rng, shape, dtype or dt),), name=name))
        return out

    return samples


_SQUARE_ERRORS = (((2, 3), None, "non-square"), ((3,), None, "1-d"), ((3, 3), "int64", "int"))
_SQUARE_SHAPES = ((3, 3), (2, 3, 3), (1, 1), (4, 4))
_EMPTY_SQUARE = ((0, 0), (2, 0, 0))

_inv_samples = _with_errors(_samples(_general, _SQUARE_SHAPES + _EMPTY_SQUARE), *_SQUARE_ERRORS)
_det_samples = _with_errors(
    lambda rng, dt: (
        _samples(_general, _SQUARE_SHAPES + _EMPTY_SQUARE)(rng, dt)
        + _samples(_negative_det, ((3, 3), (2, 2, 2)))(rng, dt)
    ),
    *_SQUARE_ERRORS,
)
# (integer input is no error case here: the symmetrizing (A + Aᵀ)/2 makes it float)
_spd_samples = _with_errors(_samples(_spd, _SQUARE_SHAPES + _EMPTY_SQUARE), *_SQUARE_ERRORS[:2])


def _solve_samples(rng, dt):  # type: ignore[no-untyped-def]
    def s(a_shape, b_shape, name, b_dtype=None, **kw):  # type: ignore[no-untyped-def]
        return Sample((_general(rng, a_shape, dt), arr(rng, b_shape, b_dtype or dt)), kw, name=name)

    return [
        s((3, 3), (3,), "vector"),
        s((3, 3), (3, 2), "matrix"),
        s((2, 3, 3), (3, 2), "broadcast-B"),
        s((2, 3, 3), (3,), "broadcast-vector"),
        s((2, 3, 3), (2, 3), "batch-of-vectors"),
        s((3, 3), (2, 3, 4), "broadcast-A"),
        s((3, 3), (2, 3), "left-false", left=False),
        s((2, 3, 3), (4, 3), "left-false-batch", left=False),
        s((0, 0), (0, 2), "empty"),
        Sample((_general(rng, (3, 3), dt).T, arr(rng, (3, 2), dt)), name="non-contiguous"),
        s((3, 3), (4,), "vector-mismatch"),
        s((3, 3), (4, 2), "matrix-mismatch"),
        s((2, 3), (2,), "non-square"),
        s((3, 3), (3,), "vector-left-false", left=False),
        s((2, 3, 3), (5, 3, 1), "batch-mismatch"),
        s((3, 3), (3,), "dtype-mismatch", b_dtype="float16"),
    ]


def _qr_op(m, a, **k):  # type: ignore[no-untyped-def]
    q, r = m.linalg.qr(a, **k)
    return q, r


def _svd_op(m, a):  # type: ignore[no-untyped-def]
    u, s, vh = m.linalg.svd(a, full_matrices=False)
    return u @ (s.unsqueeze(-1) * vh), s, u * u[..., :1, :].sign(), vh * vh[..., :, :1].sign()


def _svd_full_op(m, a):  # type: ignore[no-untyped-def]
    u, s, vh = m.linalg.svd(a)
    k = s.shape[-1]
    u, vh = u[..., :k], vh[..., :k, :]
    return s, u * u[..., :1, :].sign(), vh * vh[..., :, :1].sign()


def _old_svd_op(m, a):  # type: ignore[no-untyped-def]
    u, s, v = m.svd(a)
    return u * u[..., :1, :].sign(), s, v * v[..., :1, :].sign()


def _eigh_op(m, a, raw=False, **k):  # type: ignore[no-untyped-def]
    w, v = m.linalg.eigh(a if raw else _sym(m, a), **k)
    return w, v * v[..., :1, :].sign(), (v * w.unsqueeze(-2)) @ v.mT


def _eigh_samples(rng, dt):  # type: ignore[no-untyped-def]
    out = _samples(_symmetric, ((3, 3), (2, 4, 4), (1, 1), (0, 0)))(rng, dt)
    out.append(Sample((_symmetric(rng, (3, 3), dt),), {"UPLO": "U"}, name="upper"))
    out.append(Sample((arr(rng, (3, 3), dt),), {"raw": True, "UPLO": "U"}, grad=(False,),
                      name="reads-upper"))  # fmt: skip
    out.append(Sample((arr(rng, (3, 3), dt),), {"raw": True}, grad=(False,), name="reads-lower"))
    out.append(Sample((arr(rng, (2, 3), dt),), {"raw": True}, name="non-square"))
    out.append(Sample((_symmetric(rng, (3, 3), dt),), {"UPLO": "X"}, name="bad-uplo"))
    return out


_SV_SHAPES = ((4, 3), (3, 4), (3, 3), (2, 4, 3), (1, 1))


def _sv_samples(rng, dt):  # type: ignore[no-untyped-def]
    out = _samples(_distinct_sv, _SV_SHAPES)(rng, dt)
    out.append(Sample((_distinct_sv(rng, (3, 4), dt).T,), name="non-contiguous"))
    out.append(Sample((arr(rng, (3,), dt),), name="1-d"))
    return out


def _pinv_samples(rng, dt):  # type: ignore[no-untyped-def]
    out = _sv_samples(rng, dt)
    out.append(Sample((_distinct_sv(rng, (3, 4), dt),), {"rtol": 0.1}, name="rtol"))
    out.append(Sample((_distinct_sv(rng, (3, 4), dt),), {"atol": 0.5}, name="atol"))
    return out


def _rank_samples(rng, dt):  # type: ignore[no-untyped-def]
    low = arr(rng, (4, 2), dt) @ arr(rng, (2, 3), dt)
    return [
        Sample((_general(rng, (3, 3), dt),), name="full"),
        Sample((np.asarray(low, dtype=dt),), name="rank-2"),
        Sample((_distinct_sv(rng, (2, 4, 3), dt),), {"atol": 1.0}, name="atol"),
        Sample((_distinct_sv(rng, (4, 3), dt),), {"rtol": 0.5}, name="rtol"),
        Sample((_symmetric(rng, (3, 3), dt),), {"hermitian": True}, name="hermitian"),
    ]


_MATRIX_ORDS: tuple[Any, ...] = ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf"))


def _matrix_norm_samples(rng, dt):  # type: ignore[no-untyped-def]
    out = []
    for ord in _MATRIX_ORDS:
        out.append(Sample((_distinct_sv(rng, (3, 4), dt),), {"ord": ord}, name=f"{ord}"))
        out.append(Sample((_distinct_sv(rng, (2, 4, 3), dt),), {"ord": ord, "keepdim": True},
                          name=f"{ord}-keepdim"))  # fmt: skip
        out.append(Sample((_distinct_sv(rng, (3, 2, 4), dt),), {"ord": ord, "dim": (2, 0)},
                          name=f"{ord}-dims"))  # fmt: skip
    for ord in (2, -2, "nuc", 1, -1, float("inf")):
        out.append(Sample((arr(rng, (2, 0, 3), dt),), {"ord": ord}, name=f"{ord}-empty"))
    out.append(Sample((arr(rng, (3, 4), dt),), {"ord": 3}, name="bad-ord"))
    out.append(Sample((arr(rng, (4,), dt),), name="1-d"))
    out.append(Sample((arr(rng, (3, 4), dt),), {"dim": (0,)}, name="bad-dim"))
    return out


def _norm_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (2, 3, 4), dt),), name="flatten"),
        Sample((arr(rng, (4,), dt),), {"ord": 3}, name="vector-3"),
        Sample((arr(rng, (4,), dt),), {"ord": float("inf")}, name="vector-inf"),
        Sample((_distinct_sv(rng, (3, 4), dt),), {"ord": "nuc"}, name="matrix-nuc"),
        Sample((_distinct_sv(rng, (3, 4), dt),), {"ord": 2}, name="matrix-2"),
        Sample((arr(rng, (3, 4), dt),), {"ord": -1, "keepdim": True}, name="matrix-keepdim"),
        Sample((arr(rng, (2, 3, 4), dt),), {"dim": 1}, name="dim-int"),
        Sample((arr(rng, (2, 3, 4), dt),), {"ord": 1, "dim": (-1,)}, name="dim-1-tuple"),
        Sample((_distinct_sv(rng, (2, 3, 4), dt),), {"ord": -2, "dim": (0, 2)}, name="dim-pair"),
        Sample((arr(rng, (2, 3, 4), dt),), {"ord": 2}, name="3-d-with-ord"),
        Sample((arr(rng, (2, 3, 4), dt),), {"dim": (0, 1, 2)}, name="three-dims"),
        Sample((arr(rng, (4,), dt),), {"ord": "fro"}, name="fro-of-vector"),
        Sample((arr(rng, (4,), "int64"),), name="int"),
    ]


_DECOMP = {"atol": 1e-4, "rtol": 1e-4, "grad_atol": 1e-4, "grad_rtol": 1e-3}

OPS = [
    OpInfo(
        "linalg.inv",
        lambda m, a: m.linalg.inv(a),
        _inv_samples,
        ("LinalgInvExBackward0",),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo("inverse", lambda m, a: a.inverse(), _inv_samples, **_DECOMP),
    OpInfo(
        "linalg.inv_ex",
        lambda m, a: tuple(m.linalg.inv_ex(a)),
        _samples(_general, _SQUARE_SHAPES),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.det", lambda m, a: m.linalg.det(a), _det_samples, ("LinalgDetBackward0",), **_DECOMP
    ),  # fmt: skip
    OpInfo("det", lambda m, a: a.det(), _det_samples, **_DECOMP),
    OpInfo(
        "linalg.slogdet",
        lambda m, a: tuple(m.linalg.slogdet(a)),
        _det_samples,
        ("LinalgSlogdetBackward0",),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo("slogdet", lambda m, a: tuple(m.slogdet(a)), _det_samples, **_DECOMP),
    OpInfo("logdet", lambda m, a: a.logdet(), _spd_samples, **_DECOMP),
    OpInfo(
        "linalg.solve",
        lambda m, a, b, **k: m.linalg.solve(a, b, **k),
        _solve_samples,
        ("LinalgSolveExBackward0",),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.solve_ex",
        lambda m, a, b: tuple(m.linalg.solve_ex(a, b)),
        lambda rng, dt: _solve_samples(rng, dt)[:5],
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.cholesky",
        lambda m, a, **k: m.linalg.cholesky(_sym(m, a), **k),
        _spd_samples,
        ("LinalgCholeskyExBackward0",),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.cholesky_upper",
        lambda m, a: m.linalg.cholesky(_sym(m, a), upper=True),
        _samples(_spd, _SQUARE_SHAPES),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.cholesky_ex",
        lambda m, a: tuple(m.linalg.cholesky_ex(_sym(m, a))),
        _samples(_spd, _SQUARE_SHAPES),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.qr",
        _qr_op,
        _with_errors(
            _samples(_general, ((4, 3), (3, 3), (3, 5), (2, 4, 3), (1, 1), (0, 3), (3, 0))),
            ((3,), None, "1-d"),
            ((3, 3), "int64", "int"),
        ),
        ("LinalgQrBackward0",),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.qr_complete",
        lambda m, a: _qr_op(m, a, mode="complete"),
        _samples(_general, ((3, 3), (3, 5), (2, 2, 4))),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.qr_forward_only",
        lambda m, a, **k: _qr_op(m, a, **k),
        lambda rng, dt: [
            Sample((_general(rng, (4, 3), dt),), {"mode": "complete"}),
            Sample((_general(rng, (4, 3), dt),), {"mode": "r"}),
            Sample((_general(rng, (4, 3), dt),), {"mode": "bad"}),
        ],
        grad=False,
        gradcheck=False,
        gradgrad=False,
        # (in forward mode these modes raise torch's RuntimeError: test_forward_ad checks it)
        forward_ad=False,
        **_DECOMP,
    ),  # fmt: skip
    OpInfo("qr", lambda m, a: tuple(m.qr(a)), _samples(_general, ((4, 3), (3, 3))), **_DECOMP),
    OpInfo("linalg.svd", _svd_op, _sv_samples, ("LinalgSvdBackward0",), **_DECOMP),
    OpInfo("linalg.svd_full", _svd_full_op, _samples(_distinct_sv, _SV_SHAPES), **_DECOMP),
    OpInfo("svd", _old_svd_op, _samples(_distinct_sv, _SV_SHAPES), **_DECOMP),
    OpInfo("linalg.svdvals", lambda m, a: m.linalg.svdvals(a), _sv_samples, **_DECOMP),
    OpInfo("linalg.eigh", _eigh_op, _eigh_samples, ("LinalgEighBackward0",), **_DECOMP),
    OpInfo(
        "linalg.eigvalsh",
        lambda m, a, **k: m.linalg.eigvalsh(_sym(m, a), **k),
        _samples(_symmetric, ((3, 3), (2, 4, 4), (1, 1))),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.pinv",
        lambda m, a, **k: m.linalg.pinv(a, **k),
        _pinv_samples,
        ("LinalgPinvBackward0",),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.pinv_hermitian",
        lambda m, a: m.linalg.pinv(_sym(m, a), hermitian=True),
        _samples(_symmetric, ((3, 3), (2, 4, 4))),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo("pinverse", lambda m, a: a.pinverse(), _samples(_distinct_sv, _SV_SHAPES), **_DECOMP),
    OpInfo(
        "linalg.matrix_rank",
        lambda m, a, **k: m.linalg.matrix_rank(a, **k),
        _rank_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),  # fmt: skip
    OpInfo(
        "linalg.matrix_norm",
        lambda m, a, **k: m.linalg.matrix_norm(a, **k),
        _matrix_norm_samples,
        **_DECOMP,
    ),  # fmt: skip
    OpInfo("linalg.norm", lambda m, a, **k: m.linalg.norm(a, **k), _norm_samples, **_DECOMP),
    OpInfo(
        "linalg.vector_norm",
        lambda m, a: m.linalg.vector_norm(a, 3, -1),
        _samples(_general, ((3, 4),)),
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.vecdot",
        lambda m, a, b: m.linalg.vecdot(a, b, dim=0),
        lambda rng, dt: [Sample((arr(rng, (3, 4), dt), arr(rng, (3, 1), dt)))],
        **_DECOMP,
    ),  # fmt: skip
    OpInfo(
        "linalg.matmul",
        lambda m, a, b: m.linalg.matmul(a, b),
        lambda rng, dt: [Sample((arr(rng, (2, 3), dt), arr(rng, (3, 4), dt)))],
    ),  # fmt: skip
]
