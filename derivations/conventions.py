r"""One attribution in every convention, converted by :mod:`theory.conventions`.

The sandbox reports :math:`\mathcal{I}_i = d f/d b_i` for the sum loss; the
narrated derivation takes the influence of each example on a Gaussian mean
and shows what each paper or library would report for the same quantity,
together with the factor that converts it back.
"""

import sympy as sp

from theory import zoo
from theory.conventions import CONVENTIONS, convert, convert_beta

from .influence import influence
from .steps import Derivation, register

__all__ = []


@register("conventions", "One influence as each convention reports it: sign, n, beta")
def _conventions():
    z = sp.symbols("z_1:4", real=True)
    n, beta = sp.Integer(3), sp.Symbol("beta", positive=True)
    m = zoo.gaussian_mean(z)
    (mu,) = m.params
    others = [name for name in CONVENTIONS if name != "sandbox"]
    story = Derivation(
        f"Conventions: the same attribution, reported {len(others)} ways"
    )

    sandbox = influence(m, mu)[0]
    story.add(
        "Sandbox: d mu*(b)/d b_1 for the sum loss sum_i b_i (z_i - mu)^2/2 "
        "(for this model it is also the BIF, -beta Cov, at every beta):",
        sandbox,
    )
    for name in others:
        convention = CONVENTIONS[name]
        # The same posterior in every row: a mean-loss temperature is n beta.
        quoted = convert_beta(beta, "sandbox", name, n=n)
        reported = sp.factor(convert(sandbox, "sandbox", name, n=n, beta=quoted))
        back = sp.simplify(convert(reported, name, n=n, beta=quoted) - sandbox)
        temperature = f", its beta quoted as {quoted}" if quoted != beta else ""
        story.add(
            f"{name} (sign {convention.sign:+d}{temperature}) reports this; "
            f"converted back, it differs from the sandbox value by {back}:",
            reported,
        )
    return story
