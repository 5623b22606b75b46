"""In-place errors name both places: where the value was saved and where it was modified."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import ModuleType

import pytest

import dyngrad
from dyngrad.autograd import sites


def run_script(tmp_path: Path, source: str) -> tuple[Path, str]:
    """Run ``source`` as a file (so its lines can be read back); return the error text."""
    path = tmp_path / "user_code.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    with pytest.raises(RuntimeError) as info:
        exec(code, {"torch": dyngrad})
    return path, str(info.value)


def test_saved_input_modified(tmp_path: Path) -> None:
    path, message = run_script(
        tmp_path,
        """\
        x = torch.arange(4.0, requires_grad=True)
        a = x * 2
        y = a * a
        a.add_(1)
        y.sum().backward()
        """,
    )
    torch_part, _, ours = message.partition("\n\n")
    assert torch_part.startswith("one of the variables needed for gradient computation")
    assert "is at version 1; expected version 0 instead" in torch_part
    assert ours.splitlines() == [
        "dyngrad: the value was saved, then modified in place, here:",
        f"  saved for backward by MulBackward0 at {path}:3: y = a * a",
        f"  modified in place (version 0 -> 1) at {path}:4: a.add_(1)",
    ]


def test_torch_text_first_and_unchanged(tmp_path: Path, torch_ref: ModuleType) -> None:
    source = """\
        x = torch.arange(4.0, requires_grad=True)
        a = x * 2
        y = a * a
        a.add_(1)
        y.sum().backward()
        """
    _, ours = run_script(tmp_path, source)
    with pytest.raises(RuntimeError) as info:
        exec(textwrap.dedent(source), {"torch": torch_ref})
    assert ours.split("\n\n")[0] == str(info.value).split("\n\n")[0]


def test_saved_output_modified_in_a_function(tmp_path: Path) -> None:
    path, message = run_script(
        tmp_path,
        """\
        def forward(x):
            y = x.exp()
            return y

        def tweak(t):
            t.mul_(2)

        x = torch.ones(4, requires_grad=True)
        y = forward(x)
        tweak(y)
        y.sum().backward()
        """,
    )
    lines = message.split("\n\n", 1)[1].splitlines()
    assert lines[1] == f"  saved for backward by ExpBackward0 at {path}:2, in forward: y = x.exp()"
    assert lines[2] == f"  modified in place (version 0 -> 1) at {path}:6, in tweak: t.mul_(2)"


def test_first_change_after_saving_is_named(tmp_path: Path) -> None:
    path, message = run_script(
        tmp_path,
        """\
        x = torch.ones(4, requires_grad=True)
        a = x + 0
        a.add_(1)
        y = a * a
        a[0] = 5.0
        a.add_(1)
        y.sum().backward()
        """,
    )
    assert "is at version 3; expected version 1 instead" in message
    assert f"at {path}:4: y = a * a" in message
    assert f"modified in place (version 1 -> 2) at {path}:5: a[0] = 5.0" in message


def test_no_anomaly_mode_needed(tmp_path: Path) -> None:
    assert not dyngrad.autograd.is_anomaly_enabled()
    path, message = run_script(
        tmp_path,
        """\
        w = torch.ones(4, requires_grad=True)
        h = w.sigmoid()
        with torch.no_grad():
            h.zero_()
        h.sum().backward()
        """,
    )
    assert f"saved for backward by SigmoidBackward0 at {path}:2: h = w.sigmoid()" in message
    assert f"at {path}:4: h.zero_()" in message


def test_user_site_skips_dyngrad_frames() -> None:
    def user_function() -> sites.Site | None:
        return sites.user_site(0)

    site = user_function()
    assert site is not None and site[0] is user_function.__code__
    assert sites.describe_site(site) is not None
    assert "return sites.user_site(0)" in (sites.describe_site(site) or "")
    assert sites.describe_site(None) is None
