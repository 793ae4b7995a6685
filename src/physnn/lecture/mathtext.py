r"""Render the small LaTeX of the lecture's texts as HTML, with nothing fetched at run time.

The report is one self-contained HTML file, so MathJax or KaTeX (fetched from a
CDN) are out, and no LaTeX-to-MathML package is a dependency of physnn.  The
sections' maths is short: Greek letters, sub- and superscripts, fractions and a
few operators.  :func:`latex_to_html` turns such a formula into HTML
(``<sub>``, ``<sup>``, Unicode symbols, ``a/b`` for ``\frac{a}{b}``), and
:func:`render_math` replaces every ``$...$`` and ``$$...$$`` span of an HTML
text with it.

    >>> latex_to_html(r"\delta^{(l)} = (W^{(l+1)\top}\delta^{(l+1)}) \odot f'(z^{(l)})")
    "δ<sup>(l)</sup> = (W<sup>(l+1)ᵀ</sup>δ<sup>(l+1)</sup>) ⊙ f'(z<sup>(l)</sup>)"
    >>> render_math("<p>a step $\\eta \\le 2/\\lambda_{max}$</p>")
    '<p>a step <span class="math">η ≤ 2/λ<sub>max</sub></span></p>'
"""

from __future__ import annotations

import re

__all__ = ["latex_to_html", "render_math"]

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "Delta": "Δ", "epsilon": "ε", "varepsilon": "ε",
    "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "phi": "φ", "omega": "ω", "Omega": "Ω", "nabla": "∇", "partial": "∂", "odot": "⊙",
    "cdot": "·", "times": "×", "top": "ᵀ", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "approx": "≈", "sim": "~", "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "infty": "∞", "sum": "Σ", "prod": "Π",
    "in": "∈", "pm": "±", "mp": "∓", "ll": "≪", "gg": "≫", "propto": "∝", "quad": "\u2003", "qquad": "\u2003\u2003",
    "sin": "sin", "cos": "cos", "tanh": "tanh", "exp": "exp", "log": "log", "ln": "ln", "max": "max",
    "min": "min", "lVert": "‖", "rVert": "‖", "Vert": "‖", "mid": "|", ",": "\u2009", ";": "\u2002", "!": "",
    "left": "", "right": "", "big": "", "Big": "", "cdots": "⋯", "ldots": "…", "dots": "…",
}
_CALLIGRAPHIC = {"O": "𝒪", "L": "ℒ", "N": "𝒩", "U": "𝒰"}


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at ``s[i]``: a ``{...}`` group (nested) or one character; returns (text, next i)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] != "{":
        if s[i] == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", s[i:])
            return m.group(0), i + len(m.group(0))
        return s[i], i + 1
    depth, j = 0, i
    while j < len(s):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return s[i + 1:j], j + 1
        j += 1
    return s[i + 1:], len(s)


def latex_to_html(tex: str) -> str:
    """One LaTeX formula (without the ``$``) as HTML text; unknown commands are written without the backslash."""
    out: list[str] = []
    i = 0
    while i < len(tex):
        c = tex[i]
        if c in "^_":
            arg, i = _group(tex, i + 1)
            tag = "sup" if c == "^" else "sub"
            out.append(f"<{tag}>{latex_to_html(arg)}</{tag}>")
            continue
        if c == "{" or c == "}":
            if c == "{":
                arg, i = _group(tex, i)
                out.append(latex_to_html(arg))
            else:
                i += 1
            continue
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            name = m.group(1)
            i += len(m.group(0))
            if name in ("frac", "dfrac", "tfrac"):
                a, i = _group(tex, i)
                b, i = _group(tex, i)
                wrap = lambda t: t if re.fullmatch(r"[\w.∂δ]+", t) else f"({t})"  # noqa: E731
                out.append(f"{wrap(latex_to_html(a))}/{wrap(latex_to_html(b))}")
            elif name == "sqrt":
                a, i = _group(tex, i)
                out.append(f"√({latex_to_html(a)})")
            elif name in ("mathcal", "mathbb", "mathrm", "text", "operatorname", "mathbf", "boldsymbol"):
                a, i = _group(tex, i)
                a = a.strip()
                out.append(_CALLIGRAPHIC.get(a, latex_to_html(a)) if name == "mathcal" else latex_to_html(a))
            elif name == "underbrace":
                a, i = _group(tex, i)
                out.append(latex_to_html(a))
            else:
                out.append(_SYMBOLS.get(name, name))
            continue
        out.append(c)
        i += 1
    return "".join(out)


def render_math(html_text: str) -> str:
    """Replace each ``$$...$$`` (a centred line) and ``$...$`` span of an HTML text by :func:`latex_to_html`.

    A span never crosses a tag or a line, so a lone ``$`` (``$PHYSNN_CACHE``) is left alone.
    """
    html_text = re.sub(r"\$\$([^$<>\n]+?)\$\$",
                       lambda m: f'<span class="math display">{latex_to_html(m.group(1).strip())}</span>', html_text)
    return re.sub(r"\$([^$<>\n]+?)\$", lambda m: f'<span class="math">{latex_to_html(m.group(1))}</span>', html_text)
