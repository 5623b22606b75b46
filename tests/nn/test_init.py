"""nn.init: every function fills in place without recording a graph; the statistics of the
random schemes over large tensors match torch's formulas; gains, fans and errors match
torch's."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import dyngrad
from dyngrad.nn import init

N = 200_000  # draws per statistic: the standard error of a mean is std/√N ≈ 0.2% of std


def _param(*shape: int, dtype: Any = None) -> dyngrad.nn.Parameter:
    return dyngrad.nn.Parameter(dyngrad.empty(*shape, dtype=dtype))


def _assert_moments(values: np.ndarray, mean: float, std: float) -> None:
    """Sample mean and std within 6 standard errors of the target (a deterministic seed)."""
    n = values.size
    assert abs(values.mean() - mean) < 6 * std / math.sqrt(n)
    assert abs(values.std() - std) < 6 * std / math.sqrt(2 * n)


@pytest.fixture(autouse=True)
def _seed() -> None:
    dyngrad.manual_seed(1234)


def test_fills_in_place_without_graph_and_bumps_version() -> None:
    p = _param(3, 4)
    data = p.detach().numpy()
    version = p._version
    out = init.uniform_(p, -1, 1)
    assert out is p and p.requires_grad and p.is_leaf and p.grad_fn is None
    assert np.shares_memory(data, p.detach().numpy())
    assert p._version > version
    for fn in (init.normal_, init.zeros_, init.ones_, init.xavier_uniform_, init.xavier_normal_,
               init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_, init.trunc_normal_,
               init.eye_):  # fmt: skip
        assert fn(p) is p and p.grad_fn is None and p.is_leaf
    assert init.constant_(p, 0.5) is p
    np.testing.assert_array_equal(p.detach().numpy(), 0.5)


def test_keeps_dtype() -> None:
    p = _param(50, 60, dtype=dyngrad.float64)
    init.kaiming_normal_(p)
    assert p.dtype == dyngrad.float64
    q = _param(50, 60)
    init.xavier_uniform_(q)
    assert q.dtype == dyngrad.float32


def test_uniform_and_normal_statistics() -> None:
    p = _param(N)
    init.uniform_(p, -2.0, 4.0)
    v = p.detach().numpy()
    assert v.min() >= -2.0 and v.max() < 4.0
    _assert_moments(v, 1.0, 6.0 / math.sqrt(12))
    init.normal_(p, 3.0, 0.5)
    _assert_moments(p.detach().numpy(), 3.0, 0.5)


def test_xavier_statistics() -> None:
    p = _param(400, 500)
    fan_in, fan_out = 500, 400
    init.xavier_uniform_(p, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    v = p.detach().numpy()
    assert np.abs(v).max() <= bound
    _assert_moments(v, 0.0, bound / math.sqrt(3))
    init.xavier_normal_(p, gain=0.5)
    _assert_moments(p.detach().numpy(), 0.0, 0.5 * math.sqrt(2.0 / (fan_in + fan_out)))


@pytest.mark.parametrize("a,mode,nonlinearity", [(0, "fan_in", "leaky_relu"),
                                                 (math.sqrt(5), "fan_in", "leaky_relu"),
                                                 (0, "fan_out", "relu"), (0.2, "fan_in", "tanh"),
                                                 (0, "FAN_OUT", "linear")])  # fmt: skip
def test_kaiming_statistics(a: float, mode: str, nonlinearity: str) -> None:
    p = _param(200, 50, 4, 5)  # conv-shaped: fan_in = 50·20, fan_out = 200·20
    fan = 50 * 20 if mode.lower() == "fan_in" else 200 * 20
    gain = init.calculate_gain(nonlinearity, a)
    init.kaiming_uniform_(p, a=a, mode=mode, nonlinearity=nonlinearity)
    bound = gain * math.sqrt(3.0 / fan)
    v = p.detach().numpy()
    assert np.abs(v).max() <= bound
    _assert_moments(v, 0.0, bound / math.sqrt(3))
    init.kaiming_normal_(p, a=a, mode=mode, nonlinearity=nonlinearity)
    _assert_moments(p.detach().numpy(), 0.0, gain / math.sqrt(fan))


def test_trunc_normal_statistics() -> None:
    p = _param(N)
    init.trunc_normal_(p, mean=0.5, std=1.0, a=-1.0, b=1.5)
    v = p.detach().numpy()
    assert v.min() >= -1.0 and v.max() <= 1.5
    # moments of N(0.5, 1) truncated to [-1, 1.5]: α = −1.5, β = 1
    alpha, beta = -1.5, 1.0
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    mass = cdf(beta) - cdf(alpha)
    mean = 0.5 + (pdf(alpha) - pdf(beta)) / mass
    var = (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - ((pdf(alpha) - pdf(beta)) / mass) ** 2
    )
    _assert_moments(v, mean, math.sqrt(var))


def test_trunc_normal_warns_when_mean_is_far_from_the_interval() -> None:
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(_param(10), mean=10.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (5, 2, 3)])
def test_orthogonal(shape: tuple[int, ...]) -> None:
    p = _param(*shape)
    init.orthogonal_(p, gain=2.0)
    m = p.detach().numpy().reshape(shape[0], -1).astype(np.float64) / 2.0
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-5)


def test_eye() -> None:
    p = _param(3, 5)
    init.eye_(p)
    np.testing.assert_array_equal(p.detach().numpy(), np.eye(3, 5))


@pytest.mark.parametrize("shape,groups", [((4, 2, 3, 3), 1), ((6, 1, 3), 3), ((2, 3, 3, 2, 1), 1)])
def test_dirac_matches_torch(shape: tuple[int, ...], groups: int) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")
    w = _param(*shape)
    init.dirac_(w, groups=groups)
    expected = torch.empty(*shape)
    torch.nn.init.dirac_(expected, groups=groups)
    np.testing.assert_array_equal(w.detach().numpy(), expected.numpy())


def test_generator_makes_draws_repeatable() -> None:
    a, b = _param(5, 5), _param(5, 5)
    init.kaiming_uniform_(a, generator=dyngrad.Generator().manual_seed(7))
    init.kaiming_uniform_(b, generator=dyngrad.Generator().manual_seed(7))
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_zero_element_kaiming_warns() -> None:
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(_param(0, 3))


def test_gains_and_fans_match_torch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")
    cases = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
             ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1),
             ("selu", None), ("conv_transpose3d", None)]  # fmt: skip
    for name, param in cases:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    for shape in [(3, 4), (5, 3, 2), (6, 4, 3, 3), (2, 3, 1, 1, 4)]:
        ours = init._calculate_fan_in_and_fan_out(dyngrad.empty(*shape))
        assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


ERRORS = [
    lambda m, t: m.nn.init.calculate_gain("swish"),
    lambda m, t: m.nn.init.calculate_gain("leaky_relu", "a"),
    lambda m, t: m.nn.init.xavier_uniform_(t(3)),
    lambda m, t: m.nn.init.kaiming_normal_(t(3, 4), mode="fan_avg"),
    lambda m, t: m.nn.init.eye_(t(3, 4, 5)),
    lambda m, t: m.nn.init.dirac_(t(3, 4)),
    lambda m, t: m.nn.init.dirac_(t(3, 4, 5), groups=2),
    lambda m, t: m.nn.init.orthogonal_(t(3)),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case: int) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")
    fn = ERRORS[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            fn(torch, torch.empty)
        with pytest.raises(theirs.type) as ours:
            fn(dyngrad, dyngrad.empty)
    assert str(ours.value) == str(theirs.value)


def test_deprecated_aliases_warn() -> None:
    with pytest.warns(FutureWarning, match="nn.init.normal"):
        init.normal(_param(3))
