"""The tutorial pages run as written: every ```python block is executed and what it prints
must be exactly the ```text block that follows it.

Convention (also stated at the end of each page): the blocks of a page run in order in one
namespace, in a fresh thread (grad mode and "the last backward" are per thread). A
```python block that prints something is followed directly by a ```text block holding that
output; a block that prints nothing has none. Code runs under the page's file name with the
page's line numbers, so messages that quote source lines quote the page.

After changing a page: ``PYTHONPATH=src .venv/bin/python tests/test_tutorial.py --update``
rewrites the ```text blocks from a fresh run (read the diff before committing it), and
``docs/tutorial/make_images.py`` redraws the pictures.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import re
import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial"
PAGES = [TUTORIAL / "autograd.zh.md", TUTORIAL / "autograd.en.md"]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass
class Block:
    lang: str
    code: str
    line: int  # line number of the first line of code in the page
    start: int  # character span of the whole fence in the page
    end: int


@dataclass
class Run:
    code: Block
    expected: Block | None  # the ```text block that follows, if any
    output: str


def blocks(text: str) -> list[Block]:
    return [
        Block(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2, m.start(), m.end())
        for m in FENCE.finditer(text)
    ]


def run_page(path: Path) -> list[Run]:
    """Execute the page's python blocks in order (in a new thread); collect their output."""
    text = path.read_text(encoding="utf-8")
    found = blocks(text)
    filename = path.name
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    runs: list[Run] = []
    errors: list[BaseException] = []

    def work() -> None:
        namespace: dict[str, object] = {"__name__": "__tutorial__"}
        for k, block in enumerate(found):
            if block.lang != "python":
                continue
            nxt = found[k + 1] if k + 1 < len(found) else None
            between = text[block.end : nxt.start] if nxt else ""
            expected = nxt if nxt and nxt.lang == "text" and not between.strip() else None
            out = io.StringIO()
            # pad with newlines so that line numbers are the page's
            code = compile("\n" * (block.line - 1) + block.code, filename, "exec")
            try:
                with contextlib.redirect_stdout(out):
                    exec(code, namespace)
            except BaseException as exc:  # reported on the test's thread
                errors.append(exc)
                return
            runs.append(Run(block, expected, out.getvalue()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return runs


@pytest.fixture(scope="module", params=PAGES, ids=lambda p: p.name)
def page(request: pytest.FixtureRequest) -> tuple[Path, list[Run]]:
    return request.param, run_page(request.param)


def test_every_block_prints_what_the_page_shows(page: tuple[Path, list[Run]]) -> None:
    path, runs = page
    assert len(runs) >= 15
    for run in runs:
        where = f"{path.name}:{run.code.line}"
        if run.expected is None:
            assert run.output == "", f"{where} prints output the page does not show"
        else:
            assert run.output == run.expected.code, f"{where}: output differs from the page"


def test_pages_follow_the_notes_sections() -> None:
    zh = PAGES[0].read_text(encoding="utf-8")
    en = PAGES[1].read_text(encoding="utf-8")
    for title in (
        "## 1 y 是标量",
        "## 2 y 是向量",
        "## 3 分离计算",
        "## 4 Python 控制流的梯度计算",
    ):
        assert title in zh
    for title in (
        "## 1 y is a scalar",
        "## 2 y is a vector",
        "## 3 Detaching",
        "## 4 Python control flow",
    ):
        assert title in en
    # the same code in both languages (comments aside), but for the learner tools' language
    code = [
        [_without_comments(b.code) for b in blocks(text) if b.lang == "python"] for text in (zh, en)
    ]
    assert [_english(c) for c in code[0]] == code[1]
    assert sum('lang="zh"' in c or 'explain="zh"' in c for c in code[0]) >= 5


def _english(code: str) -> str:
    return re.sub(r', lang="zh"', "", code).replace('explain="zh"', "explain=True")


def _without_comments(code: str) -> str:
    return "\n".join(re.sub(r"\s*#.*$", "", line) for line in code.splitlines())


def test_key_results_of_the_notes(page: tuple[Path, list[Run]]) -> None:
    _, runs = page
    shown = "".join(run.output for run in runs)
    for result in (
        "tensor(28., grad_fn=<MulBackward0>)",
        "tensor([ 0.,  4.,  8., 12.])",
        "tensor([2., 2., 2., 2.])",
        "tensor([ 0.,  1.,  8., 27.], grad_fn=<MulBackward0>)",
        "tensor([0., 2., 4., 6.])",
    ):
        assert result in shown


def picture_labels(svg: str) -> list[str]:
    return sorted(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_pictures_exist_and_match_the_examples(tmp_path: Path) -> None:
    sys.path.insert(0, str(TUTORIAL))
    try:
        import make_images  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(TUTORIAL))
    pictures = make_images.pictures()
    for page_path in PAGES:
        referenced = re.findall(r"\]\(img/([^)]+\.svg)\)", page_path.read_text(encoding="utf-8"))
        assert sorted(set(referenced)) == sorted(pictures), page_path.name
    for name in pictures:
        assert (TUTORIAL / "img" / name).is_file(), name
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")
    for path in make_images.main(tmp_path):
        committed = (TUTORIAL / "img" / path.name).read_text(encoding="utf-8")
        fresh = path.read_text(encoding="utf-8")
        assert picture_labels(committed) == picture_labels(fresh), path.name


def update(path: Path) -> None:
    """Rewrite the page's ```text blocks from fresh runs (until the line numbers that the
    output quotes stop moving)."""
    for _ in range(5):
        before = path.read_text(encoding="utf-8")
        _update_once(path)
        if path.read_text(encoding="utf-8") == before:
            return


def _update_once(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    runs = run_page(path)
    for run in reversed(runs):
        if run.expected is not None:
            new = f"```text\n{run.output}```" if run.output else ""
            text = text[: run.expected.start] + new + text[run.expected.end :]
            if not run.output:  # drop the blank line left between the fences
                text = text[: run.code.end] + text[run.code.end :].replace("\n\n\n", "\n\n", 1)
        elif run.output:
            text = text[: run.code.end] + f"\n\n```text\n{run.output}```" + text[run.code.end :]
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:2] != ["--update"]:
        raise SystemExit("usage: PYTHONPATH=src python tests/test_tutorial.py --update [PAGE...]")
    for name in sys.argv[2:] or [str(p) for p in PAGES]:
        update(Path(name))
        print("updated", name)
