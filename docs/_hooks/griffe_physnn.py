"""A griffe extension for physnn's docstrings, written for Sphinx/doctest habits, read by mkdocstrings.

physnn's docstrings use reST roles (``:class:`~physnn.nn.MLP```, ``:math:`y = f(x)```) and doctest
examples (``>>> ...``) inside ordinary paragraphs.  In Markdown, a role's text can read as a link
(``\\big](x)``) and a doctest's output as a reference (``[4, 4, 2]``), so before mkdocstrings renders
a docstring this extension turns each role into a code span and fences each doctest block as
``pycon``.  Nothing else is changed.
"""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|obj|exc|const|ref|doc|term|math|envvar|file|program)"
                  r":`~?([^`]+)`")


def role(match: re.Match) -> str:
    text = match.group(1)
    if match.group(0).split("`")[0].endswith(":math:"):
        return f"`{text}`"
    if match.group(0).startswith((":class:`~", ":func:`~", ":meth:`~", ":attr:`~", ":mod:`~", ":data:`~",
                                  ":obj:`~", ":exc:`~", ":const:`~")):
        text = text.rsplit(".", 1)[-1]
    return f"`{text}`"


def fence_doctests(text: str) -> str:
    """Wrap every run of ``>>>`` lines (with their ``...`` continuations and output) in a ``pycon`` fence."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if stripped.startswith(">>>"):
            indent = lines[i][: len(lines[i]) - len(stripped)]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].strip())
                i += 1
            if out and out[-1].strip():
                out.append("")
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


class PhysnnDocstrings(griffe.Extension):
    """Roles to code spans and doctests to fenced blocks, on every docstring griffe loads."""

    def on_instance(self, *, node, obj, agent, **kwargs) -> None:
        doc = obj.docstring
        if doc is not None:
            doc.value = fence_doctests(ROLE.sub(role, doc.value))
