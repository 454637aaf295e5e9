r"""Mode dynamics of the two-layer linear network and its first-order response.

With whitened inputs and a small balanced initialisation aligned with the
singular vectors of :math:`\Sigma_{yx} = \sum_k s_k u_k v_k^\top`, gradient
flow on the mean loss keeps :math:`W_2 W_1 = \sum_k G_k(t)\, u_k v_k^\top`,
and each mode strength follows the logistic equation (Saxe, McClelland and
Ganguli, 2014)

.. math::

    \tau \dot G = 2 G (s - c\, G), \qquad
    G(t) = \frac{s\, G_0\, e^{2st/\tau}}{s - c\,G_0 + c\,G_0\, e^{2st/\tau}} ,

with :math:`\tau` the inverse learning rate and :math:`c` the input variance
along the mode (1 for whitened inputs, kept to differentiate in it).

Reweighting an example moves :math:`\Sigma_{yx}` by :math:`E` and, for a
mean loss, the input covariance by :math:`C`. To first order the response
:math:`\Delta = U^\top \delta W\, V` splits exactly into

- the diagonal: :math:`\Delta_{kk} = E_{kk}\,\partial G/\partial s +
  C_{kk}\,\partial G/\partial c` (:func:`mode_sensitivity`,
  :func:`variance_sensitivity`);
- one pair of scalar equations per pair of modes j < k, for the symmetric and
  antisymmetric parts :math:`\Delta_{jk} \pm \Delta_{kj}`
  (:func:`pair_rates`). Their responses to a constant :math:`E` are closed
  forms (:func:`pair_correlation_response`); the symmetric one is what the
  first-order SVD rotation (:func:`svd_generators`) predicts, the
  antisymmetric one is that prediction times :math:`1 - e^{-(s_j + s_k)t}`.

The pair equations follow from the closed flow of the product for balanced
weights, :math:`\dot W = (WW^\top)^{1/2} R + R\,(W^\top W)^{1/2}` with
:math:`R = \Sigma_{yx} - W\Sigma_{xx}` (Arora, Cohen and Hazan, 2018, "On the
optimization of deep networks: implicit acceleration by overparameterization");
balance :math:`W_1W_1^\top = W_2^\top W_2` holds at every time and every data
weight because the initialisation is balanced and gradient flow conserves it.
"""

from functools import cache

import sympy as sp

from .steps import Derivation, register

__all__ = [
    "half_height_time",
    "mode_sensitivity",
    "mode_strength",
    "pair_correlation_response",
    "pair_equations",
    "pair_rates",
    "rotation_equations",
    "svd_generators",
    "transition_time",
    "variance_sensitivity",
]

s, G0, tau, t = sp.symbols("s G_0 tau t", positive=True)
c = sp.Symbol("c", positive=True)
# The two modes of a pair: strengths G_j, G_k and targets s_j, s_k.
Gj, Gk, sj, sk = sp.symbols("G_j G_k s_j s_k", positive=True)


@cache
def _solution():
    """Solve tau G' = 2 G (s - c G), G(0) = G_0, with SymPy's dsolve (cached).

    The equation is of Bernoulli type (1/G is linear); naming the hint saves
    dsolve from trying the slower separable route first.
    """
    G = sp.Function("G")
    ode = sp.Eq(tau * G(t).diff(t), 2 * G(t) * (s - c * G(t)))
    solved = sp.dsolve(ode, G(t), hint="Bernoulli", ics={G(0): G0})
    return sp.simplify(solved.rhs)


def _at(expr, strength, init, time_constant, time):
    return expr.subs({s: strength, G0: init, tau: time_constant, t: time})


def mode_strength(strength=s, init=G0, time_constant=tau, time=t, variance=1):
    r"""The mode strength :math:`G(t)` solving :math:`\tau\dot G = 2G(s - cG)`.

    Derived by ``sympy.dsolve`` with :math:`G(0) = G_0`; arguments replace the
    symbols ``s``, ``G_0``, ``tau``, ``t`` and ``c`` (``variance``, 1 for
    whitened inputs). It tends to :math:`s/c`.

    Examples
    --------
    >>> from derivations.deep_linear import mode_strength, t
    >>> import sympy as sp
    >>> sp.simplify(mode_strength(time=0))
    G_0
    >>> sp.limit(mode_strength(3, sp.Rational(1, 100), 1), t, sp.oo)
    3
    """
    return _at(_solution().subs(c, variance), strength, init, time_constant, time)


def mode_sensitivity(strength=s, init=G0, time_constant=tau, time=t):
    r"""The sensitivity :math:`\partial G(t) / \partial s` at fixed :math:`G_0`.

    It is 0 at :math:`t = 0`, overshoots near the transition time (to about
    :math:`\frac14\ln(s/G_0)`) and tends to 1 as :math:`t \to \infty` (the
    learned strength equals s).

    Examples
    --------
    >>> from derivations.deep_linear import mode_sensitivity
    >>> mode_sensitivity(time=0)
    0
    """
    derivative = sp.diff(_solution(), s).subs(c, 1)
    return _at(sp.simplify(derivative), strength, init, time_constant, time)


def variance_sensitivity(strength=s, init=G0, time_constant=tau, time=t):
    r"""The sensitivity :math:`\partial G(t)/\partial c` to the input variance at c = 1.

    Since :math:`c\,G` solves the whitened equation from :math:`c\,G_0`, it is
    :math:`G_0\,\partial G/\partial G_0 - G`: 0 at t = 0 and -s at the end.

    Examples
    --------
    >>> from derivations.deep_linear import variance_sensitivity
    >>> variance_sensitivity(time=0)
    0
    """
    derivative = sp.diff(_solution(), c).subs(c, 1)
    return _at(sp.simplify(derivative), strength, init, time_constant, time)


def half_height_time(strength=s, init=G0, time_constant=tau):
    r"""The exact time at which :math:`G = s/2`.

    :math:`t_{1/2} = \frac{\tau}{2s}\ln\frac{s - G_0}{G_0}`, found by SymPy.

    Examples
    --------
    >>> from derivations.deep_linear import half_height_time
    >>> half_height_time(2, 1, 1)
    0
    """
    half = sp.solve(sp.Eq(_solution().subs(c, 1), s / 2), t)
    if len(half) != 1:
        raise ArithmeticError(f"expected one half-height time, SymPy found {half}")
    return sp.simplify(half[0]).subs({s: strength, G0: init, tau: time_constant})


def transition_time(strength=s, init=G0, time_constant=tau):
    r"""The usual transition time :math:`\frac{\tau}{2s}\ln\frac{s}{G_0}`, small G_0.

    It differs from :func:`half_height_time` by
    :math:`\frac{\tau}{2s}\ln(1 - G_0/s) = -\tau G_0/(2s^2) + O(G_0^2)`.
    """
    return time_constant / (2 * strength) * sp.log(strength / init)


@cache
def pair_equations():
    r"""The first-order flow of one pair of off-diagonal entries, derived by SymPy.

    Linearising :math:`\dot W = (WW^\top)^{1/2}R + R(W^\top W)^{1/2}` about
    :math:`W = \mathrm{diag}(G)` in the singular bases, with
    :math:`\delta R = F - \Delta` and the source
    :math:`F = E - \mathrm{diag}(G)\,C` (the correlation change minus the
    covariance change seen through the current map), gives

    .. math::

        \dot\Delta_{jk} = \frac{(\Delta_{jk}G_k + G_j\Delta_{kj})(s_k - G_k)
            + (s_j - G_j)(G_j\Delta_{jk} + \Delta_{kj}G_k)}{G_j + G_k}
            + (G_j + G_k)(F_{jk} - \Delta_{jk})

    and its mirror image. The first-order square root
    :math:`\delta\sqrt M_{jk} = \delta M_{jk}/(G_j + G_k)` is solved for, not
    assumed.

    Returns
    -------
    (sympy.Expr, sympy.Expr)
        :math:`\dot\Delta_{jk}` and :math:`\dot\Delta_{kj}`, in the symbols
        ``D_jk, D_kj, F_jk, F_kj`` and ``G_j, G_k, s_j, s_k``.
    """
    D_jk, D_kj, F_jk, F_kj = sp.symbols("D_jk D_kj F_jk F_kj")
    G = sp.diag(Gj, Gk)
    Delta = sp.Matrix([[0, D_jk], [D_kj, 0]])
    F = sp.Matrix([[0, F_jk], [F_kj, 0]])
    R0 = sp.diag(sj - Gj, sk - Gk)

    def root_change(dM):
        # First order of (G^2 + eps dM)^(1/2) = G + eps X: solve G X + X G = dM.
        X = sp.Matrix(2, 2, sp.symbols("X_11 X_12 X_21 X_22"))
        solved = sp.solve(list(G * X + X * G - dM), list(X), dict=True)[0]
        return X.subs(solved)

    left = root_change(Delta * G + G * Delta.T)
    right = root_change(Delta.T * G + G * Delta)
    dR = F - Delta
    rate = left * R0 + G * dR + dR * G + R0 * right
    return sp.factor(rate[0, 1]), sp.factor(rate[1, 0])


@cache
def pair_rates():
    r"""The rates :math:`\kappa_\pm` of :math:`\Sigma_\pm = \Delta_{jk}\pm\Delta_{kj}`.

    .. math::

        \dot\Sigma_\pm = \kappa_\pm \Sigma_\pm + (G_j + G_k) F_\pm, \qquad
        \kappa_- = \frac{\dot\sigma}{\sigma} - (s_j + s_k), \quad
        \sigma = G_j + G_k,

    so the antisymmetric part has the propagator
    :math:`\sigma(t)/\sigma(t')\, e^{-(s_j + s_k)(t - t')}`.

    Returns
    -------
    (sympy.Expr, sympy.Expr)
        :math:`\kappa_+` and :math:`\kappa_-` in ``G_j, G_k, s_j, s_k``.

    Examples
    --------
    >>> from derivations.deep_linear import pair_rates, Gj, Gk, sj, sk
    >>> import sympy as sp
    >>> sigma = Gj + Gk
    >>> sigma_rate = 2 * Gj * (sj - Gj) + 2 * Gk * (sk - Gk)
    >>> sp.simplify(pair_rates()[1] - (sigma_rate / sigma - sj - sk))
    0
    """
    D_jk, D_kj, F_jk, F_kj = sp.symbols("D_jk D_kj F_jk F_kj")
    plus, minus = sp.symbols("Sigma_plus Sigma_minus")
    rate_jk, rate_kj = pair_equations()
    parts = {D_jk: (plus + minus) / 2, D_kj: (plus - minus) / 2, F_jk: 0, F_kj: 0}
    kappa_plus = sp.diff(sp.expand((rate_jk + rate_kj).subs(parts)), plus)
    kappa_minus = sp.diff(sp.expand((rate_jk - rate_kj).subs(parts)), minus)
    return sp.factor(kappa_plus), sp.factor(kappa_minus)


def pair_correlation_response(time=t):
    r"""The exact responses of :math:`\Sigma_\pm` to a constant correlation change.

    With :math:`E_\pm = E_{jk} \pm E_{kj}` and no covariance change,

    .. math::

        \Sigma_+ = E_+\,\frac{G_k - G_j}{s_k - s_j}, \qquad
        \Sigma_- = E_-\,\frac{G_j + G_k}{s_j + s_k}\bigl(1 - e^{-(s_j + s_k)t}\bigr),

    both 0 at t = 0 (equal initial strengths). The first-order SVD rotation of
    :math:`\Sigma_{yx}` predicts the first exactly and the second without the
    factor :math:`1 - e^{-(s_j+s_k)t}`: the initialisation, aligned with the
    old singular bases, is misaligned with the new ones by an antisymmetric
    rotation that relaxes at the rate :math:`s_j + s_k`.

    Returns
    -------
    (sympy.Expr, sympy.Expr)
        The responses per unit :math:`E_+` and per unit :math:`E_-`, in
        ``G_j, G_k, s_j, s_k`` and ``t``.

    Examples
    --------
    >>> from derivations.deep_linear import pair_correlation_response
    >>> pair_correlation_response(time=0)[1]
    0
    """
    relax = 1 - sp.exp(-(sj + sk) * time)
    return (Gk - Gj) / (sk - sj), (Gj + Gk) / (sj + sk) * relax


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
        mode_sensitivity(),
    )
    story.add(
        "Sensitivity to the input variance c along the mode, dG/dc at c = 1:",
        variance_sensitivity(),
    )
    return story


def rotation_equations(s_j, s_k, E):
    r"""The off-diagonal entries of :math:`\tilde E = AS + \dot S + SB^\top`.

    With :math:`A_{kj} = -A_{jk}`, :math:`B_{kj} = -B_{jk}`:
    :math:`\tilde E_{jk} = A_{jk}s_k - s_jB_{jk}` and
    :math:`\tilde E_{kj} = -A_{jk}s_j + s_kB_{jk}`, in the unknowns ``A_12``
    and ``B_12``; :func:`svd_generators` is their solution.

    Returns
    -------
    list of (sympy.Expr, sympy.Expr)
        The pairs (entry of E, entry of A S + S B^T).
    """
    a, b = sp.symbols("A_12 B_12")
    A = sp.Matrix([[0, a], [-a, 0]])
    B = sp.Matrix([[0, b], [-b, 0]])
    S = sp.diag(s_j, s_k)
    rhs = A * S + S * B.T
    return [(E[0, 1], rhs[0, 1]), (E[1, 0], rhs[1, 0])]


@register(
    "svd-rotation", "First-order SVD perturbation: general generators vs symmetric"
)
def _rotation():
    s1, s2 = sp.symbols("s_1 s_2", positive=True)
    e = sp.Matrix(2, 2, sp.symbols("E_11 E_12 E_21 E_22"))
    ds, A, B = svd_generators([s1, s2], e)
    story = Derivation("Rotation of the singular bases under W -> W + eps E")
    story.add("Perturbation in the singular bases, E~ = U^T E V:", e)
    a, b = sp.symbols("A_12 B_12")
    equations = rotation_equations(s1, s2, e)
    story.add(
        "Differentiate W = U S V^T with dU = U A, dV = V B (A, B antisymmetric): "
        "E~ = A S + dS + S B^T, whose off-diagonal entries read",
        tuple(sp.Eq(lhs, rhs) for lhs, rhs in equations),
    )
    story.add(
        "Solved for the generators:",
        sp.solve([lhs - rhs for lhs, rhs in equations], [a, b], dict=True)[0],
    )
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


@register(
    "deep-linear-response",
    "First-order response of the two-layer linear network: pairs of modes",
)
def _response():
    story = Derivation("Reweighting an example: the response of one pair of modes")
    rate_jk, _ = pair_equations()
    story.add(
        "Balanced flow dW/dt = (W W^T)^(1/2) R + R (W^T W)^(1/2), linearised in "
        "the singular bases (source F = E - diag(G) C):",
        sp.Eq(sp.Symbol("dD_jk/dt"), rate_jk),
    )
    kappa_plus, kappa_minus = pair_rates()
    story.add("Symmetric part D_jk + D_kj decouples, with the rate", kappa_plus)
    story.add("Antisymmetric part D_jk - D_kj decouples, with the rate", kappa_minus)
    plus, minus = pair_correlation_response()
    story.add("Response of the symmetric part to a constant E_+ (exact):", plus)
    story.add("Response of the antisymmetric part to a constant E_- (exact):", minus)
    E = sp.Matrix(2, 2, sp.symbols("E_jj E_jk E_kj E_kk"))
    _, A, B = svd_generators([sj, sk], E)
    rotated = A * sp.diag(Gj, Gk) + sp.diag(Gj, Gk) * B.T
    story.add(
        "The SVD rotation picture, D = A diag(G) + diag(G) B^T, gives for the "
        "antisymmetric part per unit E_- (no relaxation factor):",
        sp.factor(
            (rotated[0, 1] - rotated[1, 0]).subs({E[1, 0]: -E[0, 1]}) / (2 * E[0, 1])
        ),
    )
    return story
