"""Small-graph workloads, where dyngrad's own overhead is the whole cost: the notes' sequence,
a chain of 100 elementwise ops, a 2-16-16-1 tanh MLP step, a 200,000-op scalar chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def seed_sequence(m: Any) -> Callable[[], Any]:
    """The notes' cells In[2]..In[25] once: arange, dot, backward, accumulate, zero_, sum,
    x*x with a gradient argument, detach, and the while/if function."""

    def f(a: Any) -> Any:
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        return b if b.sum() > 0 else 100 * b

    def run() -> Any:
        x = m.arange(4.0)
        x.requires_grad_(True)
        y = 2 * m.dot(x, x)
        y.backward()
        x.grad.zero_()
        y = x.sum()
        y.backward()
        y.backward()
        x.grad.zero_()
        y = x * x
        y.sum().backward()
        x.grad.zero_()
        y = x * x
        y.backward(m.ones(len(x)))
        x.grad.zero_()
        y = x * x
        u = y.detach()
        z = u * x
        z.sum().backward()
        x.grad.zero_()
        y.sum().backward()
        a = m.tensor(0.3, requires_grad=True)
        d = f(a)
        d.backward()
        return x.grad, a.grad

    return run


def seed_numpy() -> Callable[[], Any]:
    """The same arithmetic with hand-derived gradients."""

    def run() -> Any:
        x = np.arange(4.0, dtype=np.float32)
        gx = 4 * x
        gx[:] = 0
        gx += 1
        gx += 1
        gx[:] = 0
        gx += 2 * x
        gx[:] = 0
        gx += 2 * x
        u = x * x
        gx[:] = 0
        gx += u
        gx[:] = 0
        gx += 2 * x
        a = np.float32(0.3)
        b = a * 2
        k = 1
        while abs(b) < 1000:
            b = b * 2
            k += 1
        ga = np.float32(2.0**k) if b > 0 else np.float32(100 * 2.0**k)
        return gx, ga

    return run


_CHAIN = 100


def small_ops(m: Any) -> Callable[[], Any]:
    """100 elementwise ops on a 16-element float32 vector, then sum().backward()."""
    x = m.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)

    def run() -> Any:
        y = x
        for _ in range(_CHAIN // 4):
            y = (y * 0.9).sin() + 0.1
            y = y.tanh()
        y.sum().backward()
        g = x.grad
        x.grad = None
        return g

    return run


def small_ops_numpy() -> Callable[[], Any]:
    x = np.linspace(-1, 1, 16, dtype=np.float32)

    def run() -> Any:
        saved = []
        y = x
        for _ in range(_CHAIN // 4):
            a = y * np.float32(0.9)
            s = np.sin(a)
            y2 = s + np.float32(0.1)
            t = np.tanh(y2)
            saved.append((a, t))
            y = t
        g = np.ones_like(x)
        for a, t in reversed(saved):
            g = g * (1 - t * t)
            g = g * np.cos(a) * np.float32(0.9)
        return g

    return run


def _mlp_data() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (100, 2)).astype(np.float32)
    y = (np.sin(3 * x[:, :1]) * x[:, 1:]).astype(np.float32)
    w1 = (rng.standard_normal((2, 16)) * 0.5).astype(np.float32)
    w2 = (rng.standard_normal((16, 16)) * 0.25).astype(np.float32)
    w3 = (rng.standard_normal((16, 1)) * 0.25).astype(np.float32)
    return x, y, w1, w2, w3


def scalar_mlp(m: Any) -> Callable[[], Any]:
    """A 2-16-16-1 tanh MLP on 100 points: forward, MSE, backward, SGD step."""
    x, y, *ws = _mlp_data()
    x, y = m.tensor(x), m.tensor(y)
    params = [m.tensor(w.copy(), requires_grad=True) for w in ws]

    def run() -> Any:
        w1, w2, w3 = params
        out = ((x @ w1).tanh() @ w2).tanh() @ w3
        loss = ((out - y) ** 2).mean()
        loss.backward()
        with m.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
        return loss

    return run


def scalar_mlp_numpy() -> Callable[[], Any]:
    x, y, *ws = _mlp_data()
    params = [w.copy() for w in ws]

    def run() -> Any:
        w1, w2, w3 = params
        h1 = np.tanh(x @ w1)
        h2 = np.tanh(h1 @ w2)
        out = h2 @ w3
        diff = out - y
        loss = np.mean(diff * diff)
        g = (2.0 / diff.size) * diff
        g3 = h2.T @ g
        g = (g @ w3.T) * (1 - h2 * h2)
        g2 = h1.T @ g
        g = (g @ w2.T) * (1 - h1 * h1)
        g1 = x.T @ g
        for p, gp in zip(params, (g1, g2, g3)):
            p -= np.float32(0.01) * gp
        return loss

    return run


DEEP = 200_000


def deep_chain(m: Any, depth: int = DEEP) -> Callable[[], Any]:
    """``depth`` (200,000) scalar ops, then backward."""

    def run() -> Any:
        x = m.tensor(1.0, requires_grad=True)
        y = x
        for _ in range(depth // 2):
            y = y * 1.0000001
            y = y + 0.0
        y.backward()
        return x.grad

    return run


def deep_chain_numpy() -> Callable[[], Any]:
    def run() -> Any:
        y = np.float32(1.0)
        saved = []
        for _ in range(DEEP // 2):
            saved.append(y)
            y = y * np.float32(1.0000001)
            y = y + np.float32(0.0)
        g = np.float32(1.0)
        for _ in reversed(saved):
            g = g * np.float32(1.0000001)
        return g

    return run
