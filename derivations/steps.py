"""Derivations shown step by step, and the catalogue ``python -m derivations`` prints.

A :class:`Derivation` is a titled list of steps, each a sentence and a SymPy
object. It prints readably in a terminal (SymPy's pretty printer, ASCII so any
terminal shows it) and renders as LaTeX in Jupyter.
"""

from dataclasses import dataclass, field

import sympy as sp

__all__ = ["CATALOG", "Derivation", "Step", "register"]

CATALOG = {}


@dataclass(frozen=True)
class Step:
    """One step: a statement in words and the SymPy object it is about."""

    statement: str
    expr: object = None


@dataclass
class Derivation:
    """A titled sequence of :class:`Step` objects."""

    title: str
    steps: list = field(default_factory=list)

    def add(self, statement, expr=None):
        """Append a step and return its expression, for chaining."""
        self.steps.append(Step(statement, expr))
        return expr

    def __iter__(self):
        return iter((s.statement, s.expr) for s in self.steps)

    def __len__(self):
        return len(self.steps)

    def __getitem__(self, k):
        step = self.steps[k]
        return step.statement, step.expr

    def __str__(self):
        lines = [self.title, "=" * len(self.title), ""]
        for k, step in enumerate(self.steps, 1):
            lines.append(f"{k}. {step.statement}")
            if step.expr is not None:
                pretty = sp.pretty(step.expr, use_unicode=False, wrap_line=False)
                lines.extend("     " + line for line in pretty.splitlines())
            lines.append("")
        return "\n".join(lines)

    def _repr_latex_(self):
        rows = [rf"\textbf{{{_escape(self.title)}}}"]
        for k, step in enumerate(self.steps, 1):
            rows.append(rf"\text{{{k}. {_escape(step.statement)}}}")
            if step.expr is not None:
                rows.append(r"\quad " + sp.latex(step.expr))
        return "$\\displaystyle\\begin{array}{l}" + r" \\ ".join(rows) + r"\end{array}$"


def register(name, summary):
    """Add a zero-argument function returning a :class:`Derivation` to the catalogue."""

    def decorate(build):
        CATALOG[name] = (summary, build)
        return build

    return decorate


def _escape(text):
    for char in "&%$#_{}":
        text = text.replace(char, "\\" + char)
    return text
