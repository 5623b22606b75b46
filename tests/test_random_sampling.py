"""multinomial, bernoulli, uniform_, normal_, bernoulli_: the samples follow their
distribution (checked with tolerances from the sample size, not against dyngrad's own
output), dtypes, shapes, node names and (zero) gradients are torch's, a seeded generator
repeats itself. Errors are checked against torch in ``test_hostile_inputs.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad

N = 20000  # samples per check: a binomial proportion is within 5 sigma = 0.018 of p


def _seeded() -> dyngrad.Generator:
    return dyngrad.Generator().manual_seed(1234)


def test_uniform_fills_the_range_evenly() -> None:
    x = dyngrad.empty(N).uniform_(-2.0, 3.0, generator=_seeded())
    a = x.numpy()
    assert x.dtype == dyngrad.float32
    assert a.min() >= -2.0 and a.max() < 3.0
    counts = np.histogram(a, bins=5, range=(-2.0, 3.0))[0] / N
    np.testing.assert_allclose(counts, 0.2, atol=0.02)


def test_uniform_of_an_empty_range_is_that_number() -> None:
    a = dyngrad.empty(5, dtype=dyngrad.float64).uniform_(1.5, 1.5).numpy()
    np.testing.assert_array_equal(a, 1.5)


def test_normal_has_the_given_mean_and_std() -> None:
    a = dyngrad.empty(N, dtype=dyngrad.float64).normal_(3.0, 0.5, generator=_seeded()).numpy()
    assert abs(a.mean() - 3.0) < 5 * 0.5 / np.sqrt(N)
    assert abs(a.std() - 0.5) < 0.02


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_bernoulli_in_place_draws_ones_with_probability_p(p: float) -> None:
    for dtype in (dyngrad.float32, dyngrad.int64, dyngrad.bool):
        x = dyngrad.zeros(N, dtype=dtype).bernoulli_(p, generator=_seeded())
        assert x.dtype == dtype
        a = x.numpy().astype(np.float64)
        assert set(np.unique(a)) <= {0.0, 1.0}
        assert abs(a.mean() - p) < 0.02


def test_bernoulli_reads_each_probability() -> None:
    probs = dyngrad.tensor([0.0, 0.25, 0.75, 1.0], dtype=dyngrad.float64).expand(N, 4)
    draws = dyngrad.bernoulli(probs, generator=_seeded())
    assert draws.dtype == dyngrad.float64 and tuple(draws.shape) == (N, 4)
    np.testing.assert_allclose(draws.numpy().mean(axis=0), [0.0, 0.25, 0.75, 1.0], atol=0.02)
    tensor_p = dyngrad.zeros(N, 4).bernoulli_(probs.float(), generator=_seeded())
    np.testing.assert_allclose(tensor_p.numpy().mean(axis=0), [0.0, 0.25, 0.75, 1.0], atol=0.02)


def test_multinomial_with_replacement_follows_the_weights() -> None:
    weights = dyngrad.tensor([1.0, 0.0, 3.0, 4.0])  # unnormalised; category 1 never drawn
    draws = dyngrad.multinomial(weights, N, replacement=True, generator=_seeded())
    assert draws.dtype == dyngrad.int64 and tuple(draws.shape) == (N,)
    freq = np.bincount(draws.numpy(), minlength=4) / N
    np.testing.assert_allclose(freq, [0.125, 0.0, 0.375, 0.5], atol=0.02)
    assert freq[1] == 0.0


def test_multinomial_without_replacement_draws_each_category_once() -> None:
    rows = dyngrad.tensor([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 5.0, 1.0]])
    draws = dyngrad.multinomial(rows, 4, generator=_seeded()).numpy()
    assert draws.shape == (2, 4)
    for row in draws:
        assert sorted(row.tolist()) == [0, 1, 2, 3]
    assert set(draws[1, :2].tolist()) == {2, 3}  # the zero-weight categories come last
    # the first draw follows the weights
    first = np.array(
        [dyngrad.multinomial(rows[0], 1, generator=g).item() for g in _generators(2000)]
    )
    np.testing.assert_allclose(np.bincount(first, minlength=4) / 2000, [0.1, 0.2, 0.3, 0.4],
                               atol=0.045)  # fmt: skip


def _generators(n: int) -> list[dyngrad.Generator]:
    return [dyngrad.Generator().manual_seed(k) for k in range(n)]


@pytest.mark.parametrize(
    "draw",
    [
        lambda g: dyngrad.empty(6).uniform_(generator=g),
        lambda g: dyngrad.empty(6).normal_(generator=g),
        lambda g: dyngrad.empty(6).bernoulli_(0.5, generator=g),
        lambda g: dyngrad.multinomial(dyngrad.ones(6), 3, generator=g),
    ],
    ids=["uniform_", "normal_", "bernoulli_", "multinomial"],
)
def test_a_seeded_generator_repeats_its_draws(draw: Callable[[Any], Any]) -> None:
    np.testing.assert_array_equal(draw(_seeded()).numpy(), draw(_seeded()).numpy())
    dyngrad.manual_seed(7)
    first = draw(None).numpy()
    dyngrad.manual_seed(7)
    np.testing.assert_array_equal(first, draw(None).numpy())


# --- against torch: node names, gradients, dtypes -----------------------------------------------


@pytest.mark.parametrize(
    "fill",
    [
        lambda m, y, x: y.uniform_(),
        lambda m, y, x: y.normal_(),
        lambda m, y, x: y.bernoulli_(0.5),
        lambda m, y, x: y.bernoulli_(x.detach() * 0.5),
        lambda m, y, x: y.bernoulli_(x * 0.25),
        lambda m, y, x: m.bernoulli(x * 0.5),
        lambda m, y, x: m.bernoulli(x * 0.5).mul(2),
    ],
    ids=["uniform_", "normal_", "bernoulli_-number", "bernoulli_-tensor", "bernoulli_-grad-p",
         "bernoulli", "bernoulli-then-mul"],
)  # fmt: skip
def test_random_fills_record_torchs_nodes_with_zero_gradients(fill: Callable[..., Any]) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

    def run(m: Any) -> Any:
        x = m.tensor([1.0, 2.0, 0.5], requires_grad=True)
        y = x * 3
        z = fill(m, y, x)
        name = type(z.grad_fn).__name__
        (z.sum() + (x * x).sum()).backward()
        return name, z.dtype, x.grad.numpy().copy()

    (n_o, d_o, g_o), (n_t, d_t, g_t) = run(dyngrad), run(torch)
    assert n_o == n_t
    assert str(d_o) == str(d_t)
    np.testing.assert_allclose(g_o, g_t)


def test_bernoulli_with_a_number_p_has_no_derivative_as_in_torch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

    def run(m: Any) -> str:
        y = m.bernoulli(m.ones(3, requires_grad=True) * 1, 0.3)
        name = type(y.grad_fn).__name__
        with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not implemented"):
            y.sum().backward()
        return name

    assert run(dyngrad) == run(torch) == "NotImplemented"
