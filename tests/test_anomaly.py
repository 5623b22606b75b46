"""Anomaly detection: NaN in a backward output raises torch's error naming the node, after a
warning that shows the user's forward line (not dyngrad's internals)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dyngrad

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _run(m):  # type: ignore[no-untyped-def]
    x = m.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with m.autograd.detect_anomaly():
            w = (x / x).sum()  # THE-FORWARD-LINE
            with pytest.raises(RuntimeError) as err:
                w.backward()
    return str(err.value), [str(c.message) for c in caught]


def test_nan_in_backward_names_node_and_forward_line() -> None:
    message, warned = _run(dyngrad)
    assert message == "Function 'DivBackward0' returned nan values in its 1th output."
    forward = [w for w in warned if w.startswith("Error detected in DivBackward0")]
    assert forward and "THE-FORWARD-LINE" in forward[0]
    assert "dyngrad/ops" not in forward[0]


@pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")
def test_same_error_as_torch() -> None:
    assert _run(dyngrad)[0] == _run(torch)[0]


def test_anomaly_mode_is_restored_and_off_by_default() -> None:
    assert not dyngrad.autograd.is_anomaly_enabled()
    with dyngrad.autograd.set_detect_anomaly(True):
        assert dyngrad.autograd.is_anomaly_enabled()
    assert not dyngrad.autograd.is_anomaly_enabled()
    x = dyngrad.tensor([0.0], requires_grad=True)
    (x / x).sum().backward()  # no anomaly mode: nan gradients, silently, as torch
    assert np.isnan(x.grad.numpy()).all()
