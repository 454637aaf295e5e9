r"""Mode dynamics of the two-layer linear network, and first-order SVD perturbation.

With whitened inputs and a small balanced initialisation aligned with the
singular vectors of :math:`\Sigma_{yx} = \sum_k s_k u_k v_k^\top`, gradient
flow on the mean loss keeps :math:`W_2 W_1 = \sum_k G_k(t)\, u_k v_k^\top`,
and each mode strength follows the logistic equation (Saxe, McClelland and
Ganguli, 2014)

.. math::

    \tau \dot G = 2 G (s - G), \qquad
    G(t) = \frac{s\, G_0\, e^{2st/\tau}}{s - G_0 + G_0\, e^{2st/\tau}} ,

with :math:`\tau` the inverse learning rate. Reweighting an example moves
the singular values (through :math:`\partial G / \partial s`) and rotates the
singular vectors; the rotation to first order is the SVD perturbation below.
"""

from functools import cache

import sympy as sp

from .steps import Derivation, register

__all__ = [
    "half_height_time",
    "mode_sensitivity",
    "mode_strength",
    "svd_generators",
    "transition_time",
]

s, G0, tau, t = sp.symbols("s G_0 tau t", positive=True)


@cache
def _solution():
    """Solve the logistic mode equation with SymPy's dsolve (cached)."""
    G = sp.Function("G")
    ode = sp.Eq(tau * G(t).diff(t), 2 * G(t) * (s - G(t)))
    solved = sp.dsolve(ode, G(t), ics={G(0): G0})
    return sp.simplify(solved.rhs)


def mode_strength(strength=s, init=G0, time_constant=tau, time=t):
    r"""The mode strength :math:`G(t)` solving :math:`\tau\dot G = 2G(s - G)`.

    Derived by ``sympy.dsolve`` with :math:`G(0) = G_0`; arguments replace the
    symbols ``s``, ``G_0``, ``tau`` and ``t``.

    Examples
    --------
    >>> from derivations.deep_linear import mode_strength
    >>> import sympy as sp
    >>> sp.simplify(mode_strength(time=0))
    G_0
    """
    return _solution().subs({s: strength, G0: init, tau: time_constant, t: time})


def mode_sensitivity(strength=s, init=G0, time_constant=tau, time=t):
    r"""The sensitivity :math:`\partial G(t) / \partial s` at fixed :math:`G_0`.

    It is 0 at :math:`t = 0`, peaks near the transition time and tends to 1 as
    :math:`t \to \infty` (the learned strength equals s).
    """
    derivative = sp.diff(_solution(), s)
    return derivative.subs({s: strength, G0: init, tau: time_constant, t: time})


def half_height_time(strength=s, init=G0, time_constant=tau):
    r"""The exact time at which :math:`G = s/2`.

    :math:`t_{1/2} = \frac{\tau}{2s}\ln\frac{s - G_0}{G_0}`, found by SymPy.
    """
    half = sp.solve(sp.Eq(_solution(), s / 2), t)
    if len(half) != 1:
        raise ArithmeticError(f"expected one half-height time, SymPy found {half}")
    return sp.simplify(half[0]).subs({s: strength, G0: init, tau: time_constant})


def transition_time(strength=s, init=G0, time_constant=tau):
    r"""The usual transition time :math:`\frac{\tau}{2s}\ln\frac{s}{G_0}`, small G_0."""
    return time_constant / (2 * strength) * sp.log(strength / init)


def svd_generators(singular_values, E):
    r"""First-order rotation generators of the SVD under :math:`W \to W + \epsilon E`.

    For :math:`W = U S V^\top` with distinct nonzero singular values and
    :math:`\tilde E = U^\top E V`,

    .. math::

        \dot s_k = \tilde E_{kk}, \qquad
        \dot U = U A, \quad A_{jk} = \frac{s_k \tilde E_{jk} + s_j \tilde E_{kj}}
            {s_k^2 - s_j^2}, \qquad
        \dot V = V B, \quad B_{jk} = \frac{s_j \tilde E_{jk} + s_k \tilde E_{kj}}
            {s_k^2 - s_j^2}

    (off-diagonal; A and B are antisymmetric). Only when :math:`\tilde E` is
    symmetric do both reduce to the familiar :math:`\tilde E_{jk} / (s_k - s_j)`.

    Parameters
    ----------
    singular_values : sequence, length r
        :math:`s_1, \dots, s_r` (symbols or numbers), distinct and nonzero.
    E : sympy.Matrix, shape (r, r)
        The perturbation in the singular bases, :math:`\tilde E = U^\top E V`.

    Returns
    -------
    ds : sympy.Matrix, shape (r, 1)
    A, B : sympy.Matrix, shape (r, r)
    """
    S = [sp.sympify(v) for v in singular_values]
    E = sp.Matrix(E)
    r = len(S)
    if E.shape != (r, r):
        raise ValueError(
            f"E: need shape ({r}, {r}) to match the singular values, got {E.shape}."
        )
    if len(set(S)) != r:
        raise ValueError(
            f"singular_values: need distinct values for a first-order rotation, got "
            f"{S}; a repeated singular value has no unique singular vectors."
        )
    ds = sp.Matrix([E[k, k] for k in range(r)])
    A, B = sp.zeros(r, r), sp.zeros(r, r)
    for j in range(r):
        for k in range(r):
            if j != k:
                gap = S[k] ** 2 - S[j] ** 2
                A[j, k] = sp.cancel((S[k] * E[j, k] + S[j] * E[k, j]) / gap)
                B[j, k] = sp.cancel((S[j] * E[j, k] + S[k] * E[k, j]) / gap)
    return ds, A, B


@register("deep-linear-modes", "Logistic mode strengths of a two-layer linear network")
def _modes():
    story = Derivation("Mode strengths of the two-layer linear network")
    G = sp.Function("G")
    story.add(
        "Whitened inputs, balanced aligned initialisation: each mode obeys",
        sp.Eq(tau * G(t).diff(t), 2 * G(t) * (s - G(t))),
    )
    story.add("dsolve with G(0) = G_0 gives the logistic curve", mode_strength())
    story.add("It reaches s/2 exactly at", half_height_time())
    story.add(
        "For small G_0 this is about the usual transition time", transition_time()
    )
    story.add(
        "Sensitivity to the target strength, dG/ds (0 at t = 0, 1 as t -> oo):",
        sp.simplify(mode_sensitivity()),
    )
    return story


@register(
    "svd-rotation", "First-order SVD perturbation: general generators vs symmetric"
)
def _rotation():
    s1, s2 = sp.symbols("s_1 s_2", positive=True)
    e = sp.Matrix(2, 2, sp.symbols("E_11 E_12 E_21 E_22"))
    ds, A, B = svd_generators([s1, s2], e)
    story = Derivation("Rotation of the singular bases under W -> W + eps E")
    story.add("Perturbation in the singular bases, E~ = U^T E V:", e)
    story.add("Singular values move by the diagonal:", ds)
    story.add("Left rotation generator A (dU = U A):", A)
    story.add("Right rotation generator B (dV = V B):", B)
    symmetric = {e[1, 0]: e[0, 1]}
    story.add(
        "Only for a symmetric E~ do both reduce to E_12 / (s_2 - s_1):",
        sp.Matrix(
            [sp.factor(A[0, 1].subs(symmetric)), sp.factor(B[0, 1].subs(symmetric))]
        ),
    )
    return story
