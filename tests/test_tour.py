"""`python -m dyngrad tour`: runs, shows the real results, and is deterministic."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from types import ModuleType

import pytest

from dyngrad import _tour

KEY_RESULTS = (
    "tensor(28., grad_fn=<MulBackward0>)",
    "tensor([ 0.,  4.,  8., 12.])",
    "tensor([2., 2., 2., 2.])",
    "tensor([ 0.,  1.,  8., 27.], grad_fn=<MulBackward0>)",
    "tensor(True)",
)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "dyngrad", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tour_en() -> str:
    result = run_cli("tour")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def tour_zh() -> str:
    result = run_cli("tour", "--lang", "zh")
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("expected", KEY_RESULTS)
def test_tour_shows_real_results(tour_en: str, tour_zh: str, expected: str) -> None:
    assert expected in tour_en
    assert expected in tour_zh


def test_tour_echoes_every_statement(tour_en: str) -> None:
    assert ">>> y = 2 * torch.dot(x, x)" in tour_en
    assert ">>> y.backward(torch.ones(len(x)))" in tour_en
    assert ">>> u = y.detach()" in tour_en
    assert "...     while b.norm() < 1000:" in tour_en
    assert tour_en.count("\n# ") == sum(len(s.steps) for s in _tour.SECTIONS)


def test_tour_zh_is_chinese(tour_en: str, tour_zh: str) -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert not cjk.search(tour_en)
    assert len(cjk.findall(tour_zh)) > 200
    for word in ("计算图", "反向传播", "梯度累计", "分离计算", "控制流"):
        assert word in tour_zh


def test_tour_zh_runs_the_same_code(tour_en: str, tour_zh: str) -> None:
    def transcript(text: str) -> list[str]:
        lines = text.splitlines()[1:]  # after the title
        return [line for line in lines if not line.startswith(("#", "=="))]

    assert transcript(tour_en) == transcript(tour_zh)


def test_tour_is_deterministic(tour_en: str) -> None:
    assert run_cli("tour").stdout == tour_en


def test_unknown_command_fails() -> None:
    result = run_cli("no-such-command")
    assert result.returncode != 0
    assert "tour" in result.stderr


def tour_text(module: ModuleType) -> str:
    out = io.StringIO()
    _tour.run_tour("en", module, out=out)
    return out.getvalue()


def test_tour_matches_torch(torch_ref: ModuleType) -> None:
    """Every step that does not depend on the random `a` prints the same as with torch."""
    import dyngrad

    ours, theirs = tour_text(dyngrad), tour_text(torch_ref)
    # Sections 1-3 use no random numbers, nor does the last step (a fixed a = -0.3).
    assert ours.split("== 4.")[0] == theirs.split("== 4.")[0]
    assert ours.split("\n\n")[-1] == theirs.split("\n\n")[-1]
