"""Op table entries for products (dot ... matmul, addmm), einsum/tensordot, and the parts of
matrices (diagonal, diag, diag_embed, trace, tril, triu). The decompositions and norms are in
``linalg_decomp.py``, appended here."""

from __future__ import annotations

from . import OpInfo, Sample, arr
from .linalg_decomp import OPS as DECOMP_OPS


def _pair(rng, a, b, dt, grad=None, name=""):  # type: ignore[no-untyped-def]
    return Sample((arr(rng, a, dt), arr(rng, b, dt)), grad=grad, name=name or f"{a}{b}")


def _dot_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        _pair(rng, (4,), (4,), dt),
        _pair(rng, (0,), (0,), dt, name="empty"),
        _pair(rng, (4,), (3,), dt, name="size-mismatch"),
        _pair(rng, (2, 2), (4,), dt, name="2-d"),
        Sample((arr(rng, (3,), dt), arr(rng, (3,), "float16")), name="dtype-mismatch"),
    ]


def _mv_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        _pair(rng, (3, 4), (4,), dt),
        Sample((arr(rng, (4, 3), dt).T, arr(rng, (4,), dt)), name="non-contiguous"),
        _pair(rng, (0, 3), (3,), dt, name="empty-rows"),
        _pair(rng, (3, 0), (0,), dt, name="empty-inner"),
        _pair(rng, (3, 4), (3,), dt, name="size-mismatch"),
        _pair(rng, (3, 4), (4, 1), dt, name="matrix-vec"),
    ]


def _mm_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        _pair(rng, (2, 3), (3, 4), dt),
        Sample((arr(rng, (3, 2), dt).T, arr(rng, (4, 3), dt).T), name="non-contiguous"),
        _pair(rng, (0, 3), (3, 2), dt, name="empty-rows"),
        _pair(rng, (2, 0), (0, 2), dt, name="empty-inner"),
        _pair(rng, (2, 3), (2, 3), dt, name="size-mismatch"),
        _pair(rng, (3,), (3, 2), dt, name="1-d"),
        Sample((arr(rng, (2, 3), dt), arr(rng, (3, 2), "int64")), name="dtype-mismatch"),
    ]


def _bmm_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        _pair(rng, (5, 2, 3), (5, 3, 4), dt),
        _pair(rng, (0, 2, 3), (0, 3, 4), dt, name="empty-batch"),
        _pair(rng, (5, 2, 3), (4, 3, 4), dt, name="batch-mismatch"),
        _pair(rng, (5, 2, 3), (5, 2, 4), dt, name="inner-mismatch"),
        _pair(rng, (2, 3), (5, 3, 4), dt, name="2-d"),
    ]


_MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)), ((1, 5, 2, 3), (7, 1, 3, 4)), ((1, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (1, 3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((0, 2, 3), (3, 4)), ((2, 3), (0, 3, 4)),
    ((2, 0), (0, 3)), ((1, 3), (5, 3, 4)), ((3, 1), (5, 1, 4)),
]  # fmt: skip
_BAD_MATMUL_SHAPES = [
    ((3,), (4,)), ((2, 3), (4,)), ((4,), (2, 3)), ((2, 3), (2, 3)), ((5, 2, 3), (5, 4, 3)),
    ((5, 2, 3), (4, 3, 2)), ((5, 2, 3), (4, 2)), ((2, 3), (5, 4, 3)), ((5, 2, 3), (4,)),
    ((), (3,)),
]  # fmt: skip


def _matmul_samples(rng, dt):  # type: ignore[no-untyped-def]
    out = []
    for a, b in _MATMUL_SHAPES:
        # which operands require grad decides between torch's mm (fold) and bmm paths
        for grad in ((True, True), (True, False), (False, True)):
            out.append(_pair(rng, a, b, dt, grad=grad, name=f"{a}@{b}-{grad}"))
    out += [_pair(rng, a, b, dt, name=f"bad-{a}@{b}") for a, b in _BAD_MATMUL_SHAPES]
    out.append(Sample((arr(rng, (3, 2), dt).T, arr(rng, (4, 3), dt).T), name="non-contiguous"))
    out.append(Sample((arr(rng, (2, 3), dt), arr(rng, (3,), "int64")), name="dtype-mismatch"))
    return out


def _outer_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        _pair(rng, (3,), (4,), dt),
        _pair(rng, (0,), (4,), dt, name="empty"),
        Sample((arr(rng, (3,), "int64"), arr(rng, (2,), dt)), name="int-promotes"),
        _pair(rng, (3, 1), (4,), dt, name="2-d"),
        _pair(rng, (), (4,), dt, name="0-d"),
    ]


def _addmm_samples(rng, dt):  # type: ignore[no-untyped-def]
    def s(c, a, b, name, **kw):  # type: ignore[no-untyped-def]
        return Sample((arr(rng, c, dt), arr(rng, a, dt), arr(rng, b, dt)), kw, name=name)

    return [
        s((2, 4), (2, 3), (3, 4), "plain"),
        s((4,), (2, 3), (3, 4), "broadcast-row"),
        s((2, 1), (2, 3), (3, 4), "broadcast-col"),
        s((), (2, 3), (3, 4), "0-d", beta=0.5, alpha=2.0),
        s((2, 4), (2, 3), (3, 4), "beta0", beta=0),
        s((2, 4), (2, 0), (0, 4), "empty-inner", alpha=-1.5),
        Sample(
            (arr(rng, (2, 4), dt), arr(rng, (3, 2), dt).T, arr(rng, (3, 4), dt)),
            name="non-contiguous",
        ),  # fmt: skip
        s((3,), (2, 3), (3, 4), "bad-input"),
        s((2, 4), (2, 3), (2, 4), "size-mismatch"),
        s((2, 4), (3,), (3, 4), "1-d"),
    ]


def _addmv_samples(rng, dt):  # type: ignore[no-untyped-def]
    def s(c, a, b, name, **kw):  # type: ignore[no-untyped-def]
        return Sample((arr(rng, c, dt), arr(rng, a, dt), arr(rng, b, dt)), kw, name=name)

    return [
        s((2,), (2, 3), (3,), "plain"),
        s((1,), (2, 3), (3,), "broadcast"),
        s((), (2, 3), (3,), "0-d", beta=2.0, alpha=0.5),
        s((2,), (2, 3), (3,), "beta0", beta=0),
        s((3,), (2, 3), (3,), "bad-input"),
        s((2,), (2, 3), (4,), "size-mismatch"),
    ]


def _baddbmm_samples(rng, dt):  # type: ignore[no-untyped-def]
    def s(c, a, b, name, **kw):  # type: ignore[no-untyped-def]
        return Sample((arr(rng, c, dt), arr(rng, a, dt), arr(rng, b, dt)), kw, name=name)

    return [
        s((2, 2, 5), (2, 2, 3), (2, 3, 5), "plain"),
        s((5,), (2, 2, 3), (2, 3, 5), "broadcast", beta=-1.0, alpha=3.0),
        s((2, 2, 5), (2, 2, 3), (2, 3, 5), "beta0", beta=0),
        s((2, 5), (2, 2, 3), (2, 3, 5), "bad-input"),
        s((5,), (2, 2, 3), (3, 3, 5), "batch-mismatch"),
    ]


# --- einsum / tensordot ---------------------------------------------------------------

_EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij,jk->ki", [(2, 3), (3, 4)]),
    ("i,i", [(4,), (4,)]),
    ("i,i->i", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,kl->ijkl", [(2, 3), (2, 2)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ij,ji->ij", [(2, 3), (3, 2)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("ij,k->k", [(2, 3), (4,)]),
    ("ij,jk->i", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->ji", [(3, 3, 2)]),
    ("bii->bi", [(2, 3, 3)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij,ii->j", [(3, 2), (3, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (5, 3, 4)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("...,...->...", [(2, 1), (3,)]),
    ("ij,ij->ij", [(3, 1), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,j,i->j", [(3,), (2,), (3,)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ij,jk,k->i", [(2, 3), (3, 4), (4,)]),
    ("i,->i", [(3,), ()]),
    (",->", [(), ()]),
    ("bA,Ab", [(2, 3), (3, 2)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("ij,jk->ik", [(0, 3), (3, 2)]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),
]
_EINSUM_ERRORS = [
    ("ij,jk", [(2, 3), (4, 5)]),
    ("ij,jk", [(2, 3)]),
    ("ijk", [(2, 3)]),
    ("ij->ii", [(3, 3)]),
    ("ij->k", [(3, 3)]),
    ("ii->i", [(3, 4)]),
    ("i,i", [(3,), (3,), (3,)]),
    ("i1", [(3, 3)]),
]


def _einsum_samples(rng, dt):  # type: ignore[no-untyped-def]
    out = []
    for eq, shapes in _EINSUM_CASES + _EINSUM_ERRORS:
        args = tuple(arr(rng, s, dt) for s in shapes)
        out.append(Sample(args, {"eq": eq}, name=f"{eq.replace(' ', '')}-{shapes}"))
    out.append(Sample((arr(rng, (3, 2), dt).T, arr(rng, (4, 3), dt).T), {"eq": "ij,jk->ik"},
                      name="non-contiguous"))  # fmt: skip
    out.append(Sample((arr(rng, (3,), dt), arr(rng, (3,), "float16")), {"eq": "i,i"},
                      name="dtype-mismatch"))  # fmt: skip
    return out


def _einsum_sublist_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [Sample((arr(rng, (2, 3), dt), arr(rng, (3, 4), dt)), name="sublist")]


def _tensordot_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (2, 3, 4), dt), arr(rng, (3, 4, 5), dt)), name="dims-2"),
        Sample((arr(rng, (2, 3), dt), arr(rng, (3, 4), dt)), {"dims": 1}, name="dims-1"),
        Sample((arr(rng, (2, 3), dt), arr(rng, (4,), dt)), {"dims": 0}, name="dims-0"),
        Sample(
            (arr(rng, (2, 3, 4), dt), arr(rng, (4, 2, 5), dt)),
            {"dims": ([0, 2], [1, 0])},
            name="lists",
        ),  # fmt: skip
        Sample(
            (arr(rng, (2, 3), dt), arr(rng, (3, 2), dt)), {"dims": ([0, 1], [1, 0])}, name="full"
        ),  # fmt: skip
        Sample((arr(rng, (2, 0), dt), arr(rng, (0, 3), dt)), {"dims": 1}, name="empty"),
        Sample((arr(rng, (2, 3), dt), arr(rng, (4, 3), dt)), {"dims": 1}, name="mismatch"),
        Sample((arr(rng, (2, 3), dt), arr(rng, (3, 2), dt)), {"dims": -1}, name="negative"),
        Sample(
            (arr(rng, (2, 3), dt), arr(rng, (3, 2), dt)), {"dims": ([0, 1], [1])}, name="lengths"
        ),  # fmt: skip
    ]


# --- parts of matrices ----------------------------------------------------------------


def _trace_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (3, 3), dt),), name="square"),
        Sample((arr(rng, (3, 5), dt),), name="wide"),
        Sample((arr(rng, (4, 3), dt).T,), name="non-contiguous"),
        Sample((arr(rng, (0, 3), dt),), name="empty"),
        Sample((arr(rng, (3,), dt),), name="1-d"),
        Sample((arr(rng, (2, 3, 3), dt),), name="3-d"),
    ]


def _diag_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (3,), dt),), name="vector"),
        Sample((arr(rng, (3,), dt), 2), name="vector+2"),
        Sample((arr(rng, (3,), dt), -1), name="vector-1"),
        Sample((arr(rng, (0,), dt),), name="empty-vector"),
        Sample((arr(rng, (3, 4), dt),), name="matrix"),
        Sample((arr(rng, (3, 4), dt), 1), name="matrix+1"),
        Sample((arr(rng, (3, 4), dt), -2), name="matrix-2"),
        Sample((arr(rng, (3, 4), dt), 10), name="matrix-beyond"),
        Sample((arr(rng, (4, 3), dt).T,), name="non-contiguous"),
        Sample((arr(rng, (2, 2, 2), dt),), name="3-d"),
        Sample((arr(rng, (), dt),), name="0-d"),
    ]


def _diag_embed_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (2, 3), dt),), name="default"),
        Sample((arr(rng, (3,), dt),), {"offset": 1}, name="1-d+1"),
        Sample((arr(rng, (2, 3), dt),), {"offset": 1, "dim1": 0, "dim2": 2}, name="dims"),
        Sample((arr(rng, (2, 3), dt),), {"offset": -1, "dim1": 2, "dim2": 0}, name="dims-swapped"),
        Sample((arr(rng, (2, 0), dt),), name="empty"),
        Sample((arr(rng, (2, 3), dt),), {"dim1": 1, "dim2": -2}, name="same-dims"),
        Sample((arr(rng, (2, 3), dt),), {"dim1": 3}, name="dim-out-of-range"),
    ]


def _diagonal_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (3, 4), dt),), name="default"),
        Sample((arr(rng, (3, 4), dt),), {"offset": 1}, name="offset+1"),
        Sample((arr(rng, (3, 4), dt),), {"offset": -2}, name="offset-2"),
        Sample((arr(rng, (2, 3, 4), dt),), {"offset": 1, "dim1": 2, "dim2": 0}, name="dims"),
        Sample((arr(rng, (2, 3, 4), dt),), {"offset": -1, "dim1": -1, "dim2": -3}, name="neg-dims"),
        Sample((arr(rng, (2, 3, 4), dt),), {"offset": 5}, name="beyond"),
        Sample((arr(rng, (4, 3), dt).T,), name="non-contiguous"),
        Sample((arr(rng, (3,), dt),), name="1-d"),
        Sample((arr(rng, (3, 3), dt),), {"dim1": 0, "dim2": 0}, name="same-dims"),
    ]


def _triangle_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (3, 4), dt),), name="default"),
        Sample((arr(rng, (3, 4), dt),), {"diagonal": -1}, name="k-1"),
        Sample((arr(rng, (3, 4), dt),), {"diagonal": 2}, name="k+2"),
        Sample((arr(rng, (3, 4), dt),), {"diagonal": -5}, name="k-beyond"),
        Sample((arr(rng, (2, 3, 4), dt),), {"diagonal": 1}, name="batch"),
        Sample((arr(rng, (4, 3), dt).T,), name="non-contiguous"),
        Sample((arr(rng, (0, 3), dt),), name="empty"),
        Sample((arr(rng, (3,), dt),), name="1-d"),
    ]


_INT_DTYPES = ("float32", "float64", "int64", "int32", "bool")

OPS = [
    OpInfo("dot", lambda m, a, b: m.dot(a, b), _dot_samples, ("DotBackward0",)),
    OpInfo("vdot", lambda m, a, b: m.vdot(a, b), _dot_samples, ("VdotBackward0",)),
    OpInfo(
        "dot_int",
        lambda m, a, b: a.dot(b),
        _dot_samples,
        dtypes=("int64", "int32", "bool"),
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),  # fmt: skip
    OpInfo("mv", lambda m, a, b: m.mv(a, b), _mv_samples, ("MvBackward0",)),
    OpInfo("mm", lambda m, a, b: m.mm(a, b), _mm_samples, ("MmBackward0",)),
    OpInfo("bmm", lambda m, a, b: a.bmm(b), _bmm_samples, ("BmmBackward0",)),
    OpInfo(
        "matmul",
        lambda m, a, b: a @ b,
        _matmul_samples,
        ("DotBackward0", "MvBackward0", "MmBackward0", "BmmBackward0", "UnsafeViewBackward0"),
    ),  # fmt: skip
    OpInfo(
        "matmul_int",
        lambda m, a, b: m.matmul(a, b),
        _matmul_samples,
        dtypes=("int64", "int32", "bool"),
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),  # fmt: skip
    OpInfo("outer", lambda m, a, b: m.outer(a, b), _outer_samples),
    OpInfo("ger", lambda m, a, b: a.ger(b), _outer_samples),
    OpInfo(
        "addmm", lambda m, c, a, b, **k: m.addmm(c, a, b, **k), _addmm_samples, ("AddmmBackward0",)
    ),  # fmt: skip
    OpInfo(
        "addmv", lambda m, c, a, b, **k: c.addmv(a, b, **k), _addmv_samples, ("AddmvBackward0",)
    ),  # fmt: skip
    OpInfo(
        "baddbmm",
        lambda m, c, a, b, **k: m.baddbmm(c, a, b, **k),
        _baddbmm_samples,
        ("BaddbmmBackward0",),
    ),  # fmt: skip
    OpInfo("einsum", lambda m, *xs, eq: m.einsum(eq, *xs), _einsum_samples, ("EinsumBackward0",)),
    OpInfo("einsum_list", lambda m, *xs, eq: m.einsum(eq, list(xs)), _einsum_samples),
    OpInfo(
        "einsum_int",
        lambda m, *xs, eq: m.einsum(eq, *xs),
        _einsum_samples,
        dtypes=("int64",),
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),  # fmt: skip
    OpInfo(
        "einsum_sublist",
        lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [2, 0]),
        _einsum_sublist_samples,
    ),  # fmt: skip
    OpInfo("tensordot", lambda m, a, b, **k: m.tensordot(a, b, **k), _tensordot_samples),
    OpInfo(
        "trace", lambda m, a: m.trace(a), _trace_samples, ("TraceBackward0",), dtypes=_INT_DTYPES
    ),  # fmt: skip
    OpInfo(
        "diag",
        lambda m, a, *k: m.diag(a, *k),
        _diag_samples,
        ("DiagEmbedBackward0", "DiagonalBackward0_copy"),
        dtypes=_INT_DTYPES,
    ),  # fmt: skip
    OpInfo(
        "diag_embed",
        lambda m, a, **k: a.diag_embed(**k),
        _diag_embed_samples,
        ("DiagEmbedBackward0",),
        dtypes=_INT_DTYPES,
    ),  # fmt: skip
    OpInfo(
        "diagonal",
        lambda m, a, **k: m.diagonal(a, **k),
        _diagonal_samples,
        ("DiagonalBackward0", "DiagonalBackwardBackward0"),
        dtypes=_INT_DTYPES,
    ),  # fmt: skip
    OpInfo("linalg.diagonal", lambda m, a: m.linalg.diagonal(a, offset=1), _diagonal_samples),
    OpInfo(
        "tril",
        lambda m, a, **k: m.tril(a, **k),
        _triangle_samples,
        ("TrilBackward0",),
        dtypes=_INT_DTYPES,
    ),  # fmt: skip
    OpInfo(
        "triu",
        lambda m, a, **k: a.triu(**k),
        _triangle_samples,
        ("TriuBackward0",),
        dtypes=_INT_DTYPES,
    ),  # fmt: skip
    OpInfo("tril_", lambda m, a, **k: (a * 1).tril_(**k), _triangle_samples, ("TrilBackward0",)),
    OpInfo("triu_", lambda m, a, **k: (a * 1).triu_(**k), _triangle_samples, ("TriuBackward0",)),
]

OPS += DECOMP_OPS
