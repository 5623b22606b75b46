"""Grad modes: whether ops record the graph. Per thread, usable as context managers and decorators.

``no_grad`` turns recording off, ``enable_grad`` on, ``set_grad_enabled(mode)`` either way;
``inference_mode`` turns it off too (tensors made inside are plain values). Each thread starts
with recording on, as in torch.
"""

from __future__ import annotations

import _thread
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
]


class _ThreadState(_thread._local):
    """Per-thread flags; class attributes give each new thread its defaults."""

    grad_enabled: bool = True
    inference: bool = False


state = _ThreadState()


def is_grad_enabled() -> bool:
    """True when ops on tensors that require grad record a graph."""
    return state.grad_enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _GradModeContext:
    """Base for the grad-mode context managers; also decorates functions and generators."""

    def __call__(self, func: F) -> F:
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                gen = func(*args, **kwargs)
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as exc:
                        with self.clone():
                            response = gen.throw(exc)
                    else:
                        with self.clone():
                            response = gen.send(request)

            return gen_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def clone(self) -> _GradModeContext:
        return self.__class__()

    def __enter__(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        raise NotImplementedError


class no_grad(_GradModeContext):  # noqa: N801 - torch's name
    """Context manager / decorator: ops inside record no graph."""

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = state.grad_enabled
        state.grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self.prev


class enable_grad(_GradModeContext):  # noqa: N801 - torch's name
    """Context manager / decorator: recording on, even inside ``no_grad``."""

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = state.grad_enabled
        state.grad_enabled = True

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self.prev


class set_grad_enabled(_GradModeContext):  # noqa: N801 - torch's name
    """Set recording on or off; takes effect at once, and as a context manager restores it."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(
                "set_grad_enabled(): argument 'mode' (position 1) must be bool, "
                f"not {type(mode).__name__}"
            )
        self.prev = state.grad_enabled
        self.mode = mode
        state.grad_enabled = mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled = self.prev

    def clone(self) -> set_grad_enabled:
        return self.__class__(self.mode)


class inference_mode(_GradModeContext):  # noqa: N801 - torch's name
    """Like ``no_grad``, for code that only evaluates (``inference_mode(False)`` is a no-op)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self.prev = (False, False)

    def __call__(self, func: F) -> F:  # also used bare: @inference_mode
        if isinstance(func, bool):  # pragma: no cover - torch accepts a bool positional
            return inference_mode(func)  # type: ignore[return-value]
        return super().__call__(func)

    def __enter__(self) -> None:
        self.prev = (state.grad_enabled, state.inference)
        if self.mode:
            state.grad_enabled = False
            state.inference = True

    def __exit__(self, *exc: object) -> None:
        state.grad_enabled, state.inference = self.prev

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)


class set_multithreading_enabled:  # noqa: N801 - torch's name
    """Accepted for torch compatibility: dyngrad's engine runs each backward on the calling
    thread, so there is no multithreaded backward to switch on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
