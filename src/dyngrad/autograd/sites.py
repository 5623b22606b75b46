"""Source locations in the user's code, for errors and warnings that name a line.

A *site* is ``(code object, f_lasti)`` of the first frame outside dyngrad: cheap to take
(one frame object, usually no walk), and safe to keep (code objects live as long as their
function; a frame would keep every local variable alive). The line and its text are worked
out only when a message needs them.

Note: the op registry takes a site for every node that saves a tensor (an input or its
output: so that an in-place error can say where the value was saved; a node that saved only
numbers can raise no such error and takes none) and every in-place change records one on the
version counter (so it can say where the value was modified). Nothing else takes sites on
the hot path (anomaly mode keeps its own traceback). See docs/ARCHITECTURE.md, "Learner
tools", for the measured cost.
"""

from __future__ import annotations

import io
import linecache
import os
import sys
import tokenize
from types import CodeType, FrameType
from typing import Any

__all__ = ["Site", "user_site", "site_line", "describe_site", "source_text", "both_places"]

Site = tuple[CodeType, int]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_getframe = sys._getframe
# co_filename -> is it dyngrad's own code? Filled on first sight of each file; the hot path
# is one subscript per frame (file names hash once, and match on identity).
_internal: dict[str, bool] = {}


def _classify(filename: str) -> bool:
    known = _internal[filename] = os.path.abspath(filename).startswith(_PACKAGE_DIR)
    return known


def user_site(depth: int = 1) -> Site | None:
    """The site of the first caller outside dyngrad, starting ``depth`` frames above the
    caller of this function (pass the number of dyngrad frames known to sit in between)."""
    # Note: measured on `y = x * x` this costs ~0.2-0.4 µs (see ARCHITECTURE.md); keep it
    # lean: a subscript per frame, no method calls.
    internal = _internal
    try:
        f: FrameType = _getframe(depth + 1)
        while internal[f.f_code.co_filename]:
            f = f.f_back  # type: ignore[assignment]  # None ends in AttributeError below
        return (f.f_code, f.f_lasti)
    except KeyError:  # a file seen for the first time
        return _first_sight(depth + 2)
    except (ValueError, AttributeError):  # stack too shallow / walked off its top
        return None


def _first_sight(depth: int) -> Site | None:
    f: FrameType | None = _getframe(depth)
    while f is not None:
        filename = f.f_code.co_filename
        known = _internal.get(filename)
        if known is None:
            known = _classify(filename)
        if not known:
            return (f.f_code, f.f_lasti)
        f = f.f_back
    return None


def site_line(site: Site) -> int | None:
    """The line number of the instruction at the site."""
    code, lasti = site
    line = None
    for start, end, lineno in code.co_lines():
        if start <= lasti < end:
            return lineno
        if start <= lasti:
            line = lineno if lineno is not None else line
    return line if line is not None else code.co_firstlineno


def describe_site(site: Site | None) -> str | None:
    """``file.py:12, in f: y = x * x`` (the source text when the file can be read)."""
    if site is None:
        return None
    code = site[0]
    lineno = site_line(site)
    where = f"{code.co_filename}:{lineno}"
    if code.co_name != "<module>":
        where += f", in {code.co_name}"
    text = source_text(site)
    return f"{where}: {text}" if text else where


def source_text(site: Site | None) -> str:
    """The source line of the site, stripped, without a trailing comment ('' when it
    cannot be read)."""
    if site is None:
        return ""
    lineno = site_line(site)
    line = linecache.getline(site[0].co_filename, lineno).strip() if lineno else ""
    return _without_comment(line)


def _without_comment(line: str) -> str:
    """``y = a * a  # note`` -> ``y = a * a`` (a ``#`` inside a string stays)."""
    if "#" not in line:
        return line
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line).readline):
            if tok.type == tokenize.COMMENT:
                return line[: tok.start[1]].rstrip()
    except (tokenize.TokenError, SyntaxError):  # e.g. an unclosed bracket on this line
        pass
    return line


def both_places(node: Any, vc: Any, saved_version: int) -> str:
    """The paragraph added to torch's in-place error: where the value was saved for
    backward and where it was then modified ('' when neither is known)."""
    saved = describe_site(getattr(node, "_site", None)) if node is not None else None
    changes = getattr(vc, "sites", None) or []
    modified = None
    for version, site in changes:
        if version == saved_version + 1:  # the first change after the value was saved
            modified = (describe_site(site), f"version {saved_version} -> {version}")
            break
    else:
        if changes and changes[-1][0] > saved_version:
            version, site = changes[-1]
            modified = (describe_site(site), f"last change, to version {version}")
    if saved is None and (modified is None or modified[0] is None):
        return ""
    lines = ["", "", "dyngrad: the value was saved, then modified in place, here:"]
    if saved is not None:
        lines.append(f"  saved for backward by {node.name()} at {saved}")
    if modified is not None and modified[0] is not None:
        lines.append(f"  modified in place ({modified[1]}) at {modified[0]}")
    return "\n".join(lines)
