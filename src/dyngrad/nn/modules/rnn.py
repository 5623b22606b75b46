"""Recurrent layers ``RNN``, ``LSTM``, ``GRU`` and their single-step cells ``RNNCell``,
``LSTMCell``, ``GRUCell``, with torch's parameter names, shapes, gate order and init.

Per step, with gates stacked in one matrix (LSTM: i, f, g, o; GRU: r, z, n):

- RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)  (or relu);
- LSTM: (i, f, g, o) = (σ, σ, tanh, σ)(W_ih x + b_ih + W_hh h + b_hh),
  c' = f·c + i·g,  h' = o·tanh(c')  (then h' W_hrᵀ when ``proj_size`` > 0);
- GRU:  r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z}),
  n = tanh(W_in x + b_in + r·(W_hn h + b_hn)),  h' = (1 − z)·n + z·h.

Every parameter starts as U(−1/√hidden_size, 1/√hidden_size).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ..._factories import empty, zeros
from ..._tensor import Tensor
from ...ops.elementwise import relu, tanh
from ...ops.nn_rnn import fused_gru_cell, fused_lstm_cell
from ...ops.shape_join import cat, stack
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ._rnn_layers import run_layer

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _shape_list(t: Tensor) -> list[int]:
    return list(t.shape)


class RNNBase(Module):
    """The parameters and the layer/direction loop shared by RNN, LSTM and GRU.

    Per layer ``k`` and direction (suffix ``_reverse`` for the backward one): ``weight_ih_lk``
    (gates·H, input), ``weight_hh_lk`` (gates·H, H or proj_size), ``bias_ih_lk``,
    ``bias_hh_lk`` (gates·H), and for LSTM with ``proj_size`` ``weight_hr_lk`` (proj, H)."""

    mode: str
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool
    proj_size: int

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        _check_options(mode, hidden_size, num_layers, dropout, proj_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, dtype=dtype, device=device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self) -> list[Tensor | None]:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """Nothing to do: the weights are used as they are (torch packs them for cuDNN)."""

    def _layer_params(self, layer: int, direction: int) -> tuple[Any, ...]:
        suffix = "_reverse" if direction == 1 else ""
        return tuple(
            getattr(self, f"{kind}_l{layer}{suffix}", None)
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
        )

    # --- forward ---------------------------------------------------------------------------

    def _state_shapes(self, batch: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        layers = self.num_layers * (2 if self.bidirectional else 1)
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (layers, batch, real_hidden), (layers, batch, self.hidden_size)

    def _check_input(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            tail = " tensor" if self.mode.startswith("RNN") and input.ndim < 2 else ""
            name = "RNN" if self.mode.startswith("RNN") else self.mode
            raise ValueError(
                f"{name}: Expected input to be 2D or 3D, got {input.ndim}D{tail} instead"
            )
        weight = self.weight_ih_l0
        if input.dtype is not weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]}"
            )
        if input.shape[0 if (input.ndim == 2 or not self.batch_first) else 1] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")

    def _run(
        self, x: Tensor, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """All layers and directions over x (T, B, I) from the states (h0, c0)."""
        directions = 2 if self.bidirectional else 1
        h_states = h0.unbind(0)  # type: ignore[attr-defined]
        c_states = c0.unbind(0) if c0 is not None else None  # type: ignore[attr-defined]
        h_last: list[Tensor] = []
        c_last: list[Any] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                out, h, c = run_layer(self.mode, x, h_states[k],
                                      c_states[k] if c_states is not None else None,
                                      self._layer_params(layer, direction), direction == 1)  # fmt: skip
                outputs.append(out)
                h_last.append(h)
                c_last.append(c)
            x = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout > 0.0 and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, stack(h_last), (stack(c_last) if c0 is not None else None)

    def _prepare(self, input: Tensor) -> tuple[Tensor, bool]:
        """The input as (T, B, I), and whether it had a batch dim."""
        self._check_input(input)
        batched = input.ndim == 3
        if not batched:
            input = input.unsqueeze(1)  # type: ignore[attr-defined]
        elif self.batch_first:
            input = input.transpose(0, 1)  # type: ignore[attr-defined]
        return input, batched

    def _finish(self, output: Tensor, batched: bool) -> Tensor:
        if not batched:
            return output.squeeze(1)  # type: ignore[attr-defined,no-any-return]
        return output.transpose(0, 1) if self.batch_first else output  # type: ignore[attr-defined,no-any-return]

    def _initial(self, hx: Tensor | None, shape: tuple[int, ...], like: Tensor, batched: bool,
                 which: str) -> Tensor:  # fmt: skip
        if hx is None:
            return zeros(shape, dtype=like.dtype)
        if not batched:
            hx = hx.unsqueeze(1)  # type: ignore[attr-defined]
        if tuple(hx.shape) != shape:
            raise RuntimeError(f"Expected {which} size {shape}, got {_shape_list(hx)}")
        return hx

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        x, batched = self._prepare(input)
        if hx is not None and hx.ndim != (3 if batched else 2):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(
                f"For {kind} input, hx should also be {3 if batched else 2}-D but got "
                f"{hx.ndim}-D tensor"
            )
        h_shape, _ = self._state_shapes(x.shape[1])
        h0 = self._initial(hx, h_shape, x, batched, "hidden")
        output, h_n, _ = self._run(x, h0, None)
        return self._finish(output, batched), (h_n if batched else h_n.squeeze(1))  # type: ignore[attr-defined]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text


def _check_options(
    mode: str, hidden_size: Any, num_layers: int, dropout: Any, proj_size: int
) -> None:
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):  # type: ignore[operator]  # fmt: skip
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    if dropout > 0 and num_layers == 1:  # type: ignore[operator]
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            stacklevel=3,
        )
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)
    if proj_size and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class RNN(RNNBase):
    """Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (``nonlinearity='relu'``: relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; forward(input, h0) returns
    (output, h_n)."""

    nonlinearity: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; forward(input, (h0, c0)) returns (output, (h_n, c_n)).

    With ``proj_size`` > 0 the hidden state is projected, h = (o·tanh c) W_hrᵀ."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:  # type: ignore[override]
        x, batched = self._prepare(input)
        if hx is not None:
            want = 3 if batched else 2
            if hx[0].ndim != want or hx[1].ndim != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({hx[0].ndim}-D, {hx[1].ndim}-D) tensors"
                )
        h_shape, c_shape = self._state_shapes(x.shape[1])
        h0 = self._initial(None if hx is None else hx[0], h_shape, x, batched, "hidden[0]")
        c0 = self._initial(None if hx is None else hx[1], c_shape, x, batched, "hidden[1]")
        output, h_n, c_n = self._run(x, h0, c0)
        if not batched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)  # type: ignore[union-attr]
        return self._finish(output, batched), (h_n, c_n)  # type: ignore[return-value]


class GRU(RNNBase):
    """Gated recurrent unit; forward(input, h0) returns (output, h_n)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# --- cells -----------------------------------------------------------------------------------


class RNNCellBase(Module):
    """``weight_ih`` (gates·H, input), ``weight_hh`` (gates·H, H), ``bias_ih``, ``bias_hh``."""

    input_size: int
    hidden_size: int
    bias: bool

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:  # fmt: skip
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gates = num_chunks * hidden_size
        self.weight_ih = Parameter(empty((gates, input_size), dtype=dtype, device=device))
        self.weight_hh = Parameter(empty((gates, hidden_size), dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(gates, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(gates, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            text += f", nonlinearity={nonlinearity}"
        return text

    def _batched(self, input: Tensor, states: tuple[Any, ...]) -> tuple[Tensor, list[Tensor], bool]:
        """The input and states as 2-D tensors (zeros for missing states), checked."""
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)  # type: ignore[attr-defined]
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected {self.input_size}"
            )
        out = []
        for k, hx in enumerate(states):
            if hx is None:
                hx = zeros(input.shape[0], self.hidden_size, dtype=input.dtype)
            elif not batched:
                hx = hx.unsqueeze(0)
            if input.shape[0] != hx.shape[0]:
                raise RuntimeError(
                    f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size {hx.shape[0]}"
                )
            if hx.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{k} has inconsistent hidden_size: got {hx.shape[1]}, expected {self.hidden_size}"
                )
            out.append(hx)
        return input, out, batched

    def _check_dims(self, input: Tensor, states: dict[str, Tensor | None]) -> None:
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for label, hx in states.items():
            if hx is not None and hx.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {hx.ndim}D instead")


class RNNCell(RNNCellBase):
    """One Elman RNN step, h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    nonlinearity: str

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check_dims(input, {"hidden": hx})
        x, (h,), batched = self._batched(input, (hx,))
        pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        if self.nonlinearity == "tanh":
            out = tanh(pre)
        elif self.nonlinearity == "relu":
            out = relu(pre)
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return out if batched else out.squeeze(0)  # type: ignore[attr-defined,no-any-return]


class LSTMCell(RNNCellBase):
    """One LSTM step; forward(input, (h, c)) returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Tensor]:
        states = (None, None) if hx is None else tuple(hx)
        self._check_dims(input, {"hx[0]": states[0], "hx[1]": states[1]})
        x, (h, c), batched = self._batched(input, states)
        h, c = fused_lstm_cell(
            F.linear(x, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh), c
        )
        if not batched:
            return h.squeeze(0), c.squeeze(0)  # type: ignore[attr-defined]
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step; forward(input, h) returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:  # fmt: skip
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        self._check_dims(input, {"hidden": hx})
        x, (h,), batched = self._batched(input, (hx,))
        out = fused_gru_cell(
            F.linear(x, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh), h
        )
        return out if batched else out.squeeze(0)  # type: ignore[attr-defined,no-any-return]
