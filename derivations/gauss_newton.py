r"""The Gauss-Newton Hessian and the proximal Bregman response function.

A model written through its outputs: example i has outputs
:math:`y_i = f(\theta; x_i) \in \mathbb{R}^k` and an output loss
:math:`\ell_i(\theta) = \phi_i(f(\theta; x_i))`. The chain rule splits the
Hessian of :math:`L = \sum_i b_i \ell_i + R` in two,

.. math::

    H = \underbrace{\sum_i b_i J_i^\top \nabla^2_y\phi_i\, J_i + \nabla^2 R}_{G}
        + \sum_i b_i \sum_k \partial_{y_k}\phi_i \,\nabla^2_\theta f_k(\theta; x_i),

with :math:`J_i = \partial f(\theta; x_i)/\partial\theta` (shape (k, d)). G is
the Gauss-Newton Hessian; the second sum, the gap :math:`H - G`, vanishes when
every output residual :math:`\nabla_y\phi_i` is zero or the model is linear in
its parameters. Those two conditions are sufficient, not necessary: the terms
can cancel. When every output is :math:`f(\theta; x_i) = x_i\,g(\theta)` for one
scalar g (the product model, g = a c), the gap is
:math:`(\partial L/\partial g)\,\nabla^2 g`, while stationarity says
:math:`(\partial L/\partial g)\,\nabla g = 0`; so G = H at every critical point
with :math:`\nabla g \ne 0` (the whole minimum hyperbola), although residuals
do not vanish and g is not linear, and G differs from H at the saddle
:math:`\theta = 0`, where :math:`\nabla g = 0`. At a minimum of a model without
that structure (exponential regression) G and H differ.

The proximal Bregman response function (Bae, Ng, Lo, Ghassemi and Grosse,
2022, "If influence functions are the answer, then what is the question?")
at a point :math:`\theta^s`, in the sum normalisation of this package, is

.. math::

    \theta^{\mathrm{PBRF}}(\epsilon) = \arg\min_\theta \sum_j
        D_{\phi_j}\big(f(\theta; x_j), f(\theta^s; x_j)\big)
        + \epsilon\,\ell_i(\theta) + \frac{\lambda}{2}|\theta - \theta^s|^2 ,

with :math:`D_\phi(y, y') = \phi(y) - \phi(y') - \nabla\phi(y')^\top (y - y')`
the Bregman divergence; a regulariser enters as its own Bregman divergence
:math:`D_R(\theta, \theta^s)`. Its Hessian at :math:`\theta^s` is
:math:`G + \lambda I`, so its linearisation is
:math:`d f/d\epsilon = -\nabla f^\top (G + \lambda I)^{-1} \nabla\ell_i`. The
paper's mean normalisation puts :math:`1/n` in front of the sum; then the
curvature is :math:`G/n` and the response is n times the sum response with
damping :math:`n\lambda`.
"""

import sympy as sp

from theory import Model

from .influence import check_damping, influence
from .minimiser import check_observable, gradient, hessian, minimiser, point
from .steps import Derivation, register

__all__ = [
    "OutputModel",
    "bregman_divergence",
    "gauss_newton_hessian",
    "hessian_gap",
    "pbrf_influence",
    "pbrf_objective",
]

NORMALIZATIONS = ("sum", "mean")


class OutputModel:
    r"""Per-example outputs :math:`f(\theta; x_i)` and output losses :math:`\phi_i(y)`.

    Parameters
    ----------
    params : sequence of sympy.Symbol, length d
    outputs : sequence of length n
        The outputs of each example: an expression (k = 1) or a sequence of k
        expressions in the parameters.
    output_losses : sequence of sympy.Expr, length n
        :math:`\phi_i(y)`, expressions in the output symbols (targets are
        numbers or symbols inside them).
    output : sympy.Symbol or sequence of k sympy.Symbol
        The output symbols y.
    regularizer : sympy.Expr, optional
        :math:`R(\theta)`; its Hessian is counted in G.

    Examples
    --------
    >>> import sympy as sp
    >>> from derivations.gauss_newton import OutputModel
    >>> a, c, y = sp.symbols("a c y")
    >>> phi = [(1 - y) ** 2 / 2, (3 - y) ** 2 / 2]
    >>> om = OutputModel([a, c], [a * c, a * c], phi, y)
    >>> om.model().losses
    ((-a*c + 1)**2/2, (-a*c + 3)**2/2)
    """

    def __init__(self, params, outputs, output_losses, output, regularizer=0):
        self.params = tuple(params)
        self.output = (output,) if isinstance(output, sp.Symbol) else tuple(output)
        k = len(self.output)
        self.outputs = tuple(_output_column(o, k, i) for i, o in enumerate(outputs))
        self.output_losses = tuple(sp.sympify(p) for p in output_losses)
        if len(self.output_losses) != len(self.outputs):
            raise ValueError(
                f"output_losses: need one per example ({len(self.outputs)}), got "
                f"{len(self.output_losses)}."
            )
        self.regularizer = sp.sympify(regularizer)
        self.n, self.k = len(self.outputs), k
        self._cache = {}

    def model(self):
        """The :class:`theory.Model` with losses :math:`\\phi_i(f(\\theta; x_i))`."""
        return Model(
            self.params,
            [self._composed(i) for i in range(self.n)],
            regularizer=self.regularizer,
        )

    def jacobian(self, i):
        """:math:`J_i`, the (k, d) Jacobian of example i's outputs."""
        return self.outputs[i].jacobian(self.params)

    def output_gradient(self, i):
        """:math:`\\nabla_y\\phi_i` at :math:`y = f(\\theta; x_i)`, shape (k, 1)."""
        return gradient(self.output_losses[i], self.output).xreplace(self._at(i))

    def output_hessian(self, i):
        """:math:`\\nabla^2_y\\phi_i` at :math:`y = f(\\theta; x_i)`, shape (k, k)."""
        return hessian(self.output_losses[i], self.output).xreplace(self._at(i))

    def _composed(self, i):
        return self.output_losses[i].xreplace(self._at(i))

    def _at(self, i):
        return dict(zip(self.output, self.outputs[i]))


def gauss_newton_hessian(om, at, weights=None):
    r""":math:`G = \sum_i b_i J_i^\top \nabla^2_y\phi_i\, J_i + \nabla^2 R` at ``at``.

    Parameters
    ----------
    om : OutputModel
    at : mapping or sequence
        The point :math:`\theta` (any point; G needs no stationarity).
    weights : sequence of length n, optional
        Data weights b; all ones if omitted.

    Returns
    -------
    sympy.Matrix, shape (d, d)
    """
    theta = point(om.model(), at)
    b = _weights(om, weights)
    G = hessian(om.regularizer, om.params)
    for i in range(om.n):
        J = om.jacobian(i)
        G += b[i] * J.T * om.output_hessian(i) * J
    return G.xreplace(theta).applyfunc(sp.cancel)


def hessian_gap(om, at, weights=None):
    r"""The gap between the Hessian and the Gauss-Newton Hessian at ``at``.

    .. math::

        H - G = \sum_i b_i \sum_k \partial_{y_k}\phi_i\,\nabla^2 f_k(\theta; x_i)

    Computed from the output residuals and the curvature of the outputs, not
    as a difference, so that ``hessian(L) - gauss_newton_hessian`` checks it.

    Returns
    -------
    sympy.Matrix, shape (d, d)
    """
    theta = point(om.model(), at)
    b = _weights(om, weights)
    d = len(om.params)
    gap = sp.zeros(d, d)
    for i in range(om.n):
        residual = om.output_gradient(i)
        for k in range(om.k):
            gap += b[i] * residual[k] * hessian(om.outputs[i][k], om.params)
    return gap.xreplace(theta).applyfunc(sp.cancel)


def bregman_divergence(phi, output, y, y0):
    r""":math:`D_\phi(y, y_0) = \phi(y) - \phi(y_0) - \nabla\phi(y_0)^\top (y - y_0)`.

    Parameters
    ----------
    phi : sympy.Expr
        A function of the output symbols.
    output : sympy.Symbol or sequence of sympy.Symbol
    y, y0 : sympy.Expr or sequence
        Where to evaluate; same length as ``output``.

    Examples
    --------
    >>> import sympy as sp
    >>> from derivations.gauss_newton import bregman_divergence
    >>> y, u, u0 = sp.symbols("y u u0")
    >>> sp.expand(bregman_divergence((3 - y) ** 2 / 2, y, u, u0))
    u**2/2 - u*u0 + u0**2/2
    """
    output = (output,) if isinstance(output, sp.Symbol) else tuple(output)
    y = (y,) if not isinstance(y, (list, tuple, sp.MatrixBase)) else tuple(y)
    y0 = (y0,) if not isinstance(y0, (list, tuple, sp.MatrixBase)) else tuple(y0)
    at_y, at_y0 = dict(zip(output, y)), dict(zip(output, y0))
    slope = gradient(phi, output).xreplace(at_y0)
    step = sp.Matrix([yk - y0k for yk, y0k in zip(y, y0)])
    return phi.xreplace(at_y) - phi.xreplace(at_y0) - (slope.T * step)[0]


def pbrf_objective(om, i, epsilon, damping, at, normalization="sum"):
    r"""The proximal Bregman objective of example i as a SymPy expression in theta.

    .. math::

        c \Big[\sum_j D_{\phi_j}(f(\theta; x_j), f(\theta^s; x_j))
        + D_R(\theta, \theta^s)\Big] + \epsilon\,\ell_i(\theta)
        + \frac{\lambda}{2}|\theta - \theta^s|^2,

    with :math:`c = 1` (``"sum"``) or :math:`1/n` (``"mean"``).
    """
    c = _normalization(om, normalization)
    theta_s = point(om.model(), at)
    params = om.params
    total = bregman_divergence(
        om.regularizer, params, params, [theta_s[p] for p in params]
    )
    for j in range(om.n):
        anchor = [o.xreplace(theta_s) for o in om.outputs[j]]
        total += bregman_divergence(
            om.output_losses[j], om.output, om.outputs[j], anchor
        )
    proximal = sum((p - theta_s[p]) ** 2 for p in params)
    return c * total + epsilon * om._composed(i) + sp.sympify(damping) / 2 * proximal


def pbrf_influence(om, f, damping=0, at=None, normalization="sum"):
    r"""The linearised PBRF influence of each example on f.

    .. math::

        -\nabla f^\top (c\,G + \lambda I)^{-1}\nabla\ell_i

    Parameters
    ----------
    om : OutputModel
    f : sympy.Expr
        The observable.
    damping : number or sympy.Expr, optional
        :math:`\lambda`.
    at : mapping or sequence, optional
        The point :math:`\theta^s`; the minimiser of L if omitted.
    normalization : {"sum", "mean"}
        ``"sum"``: c = 1, the convention of this package. ``"mean"``: c = 1/n,
        the PBRF as Bae et al. (2022) write it; the result is then n times the
        sum result at damping :math:`n\lambda`.

    Returns
    -------
    sympy.Matrix, shape (n, 1)

    Raises
    ------
    ValueError
        An unknown normalisation, or :math:`cG + \lambda I` singular.

    Examples
    --------
    >>> import sympy as sp
    >>> from derivations.gauss_newton import OutputModel, pbrf_influence
    >>> w, y = sp.symbols("w y")
    >>> om = OutputModel([w], [w, 2 * w], [(1 - y) ** 2 / 2, (1 - y) ** 2 / 2], y)
    >>> pbrf_influence(om, w).T
    Matrix([[2/25, -2/25]])
    """
    f = check_observable(om.model(), f)
    c = _normalization(om, normalization)
    m = om.model()
    theta = minimiser(m)[0] if at is None else point(m, at)
    G = c * gauss_newton_hessian(om, theta) + check_damping(damping) * sp.eye(m.d)
    if sp.simplify(G.det()) == 0:
        raise ValueError(
            f"damping: G + lambda I is singular at {theta} with lambda = {damping}; "
            "pass a positive damping."
        )
    grads = sp.Matrix.hstack(*(gradient(loss, om.params) for loss in m.losses))
    response = -G.LUsolve(grads.xreplace(theta))
    grad_f = gradient(f, om.params).xreplace(theta)
    return (grad_f.T * response).T.applyfunc(sp.cancel)


def _normalization(om, normalization):
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"normalization: need one of {NORMALIZATIONS}, got {normalization!r}."
        )
    return sp.Integer(1) if normalization == "sum" else sp.Rational(1, om.n)


def _weights(om, weights):
    if weights is None:
        return (sp.Integer(1),) * om.n
    weights = tuple(sp.sympify(w) for w in weights)
    if len(weights) != om.n:
        raise ValueError(
            f"weights: need one weight per example ({om.n}), got {len(weights)}."
        )
    return weights


def _output_column(output, k, i):
    values = output if isinstance(output, (list, tuple, sp.MatrixBase)) else [output]
    values = sp.Matrix([sp.sympify(v) for v in values])
    if values.shape[0] != k:
        raise ValueError(
            f"outputs[{i}]: need {k} output(s), one per output symbol, got "
            f"{values.shape[0]}."
        )
    return values


# ------------------------------------------------------- narrated derivations


def _squared(targets, output):
    return [(z - output) ** 2 / 2 for z in targets]


@register(
    "gauss-newton", "Gauss-Newton G against H: when they agree, where they differ"
)
def _gauss_newton():
    y, w, a, c = sp.symbols("y w a c")
    x = sp.symbols("x_1:4", real=True)
    z = sp.symbols("z_1:4", real=True)
    story = Derivation("The Gauss-Newton Hessian G and the gap H - G")

    linear = OutputModel([a, c], [a + c * xi for xi in x], _squared(z, y), y)
    story.add(
        "A model linear in its parameters, f = a + c x_i: the gap H - G at any "
        "point (a, c) is",
        hessian_gap(linear, [a, c]),
    )
    exact = [sp.exp(2 * xi) for xi in x]
    interpolating = OutputModel(
        [w], [sp.exp(w * xi) for xi in x], _squared(exact, y), y
    )
    story.add(
        "f = exp(w x_i) fitted to targets exp(2 x_i): every residual vanishes at "
        "w = 2, and the gap there is",
        hessian_gap(interpolating, [2]),
    )

    product = OutputModel([a, c], [a * c] * 3, _squared(z, y), y)
    s = sum(z) / 3
    story.add(
        "The product model f = a c at its minimum a c = mean(z) (residuals "
        "z_i - mean z, not zero; not linear): the gap is",
        hessian_gap(product, {a: 1, c: s}).applyfunc(sp.simplify),
    )
    story.add(
        "so G = H there: the per-example gaps -r_i [[0, 1], [1, 0]] cancel because "
        "the residuals sum to zero. At the saddle (0, 0), also a critical point, "
        "G is",
        gauss_newton_hessian(product, [0, 0]),
    )
    story.add("while H - G is", hessian_gap(product, [0, 0]))

    xs, zs = (0, 1, 2), (2, 6, 3)
    exponential = OutputModel([w], [sp.exp(w * xi) for xi in xs], _squared(zs, y), y)
    at = {w: sp.log(2)}
    story.add(
        "A minimum where they differ: f = exp(w x), x = (0, 1, 2), z = (2, 6, 3); "
        "w = log 2 is stationary (residuals 1, 4, -1). G and H - G there:",
        (gauss_newton_hessian(exponential, at), hessian_gap(exponential, at)),
    )
    lam = sp.Symbol("lambda", positive=True)
    story.add(
        "Linearised PBRF influence on w, -G^-1 grad l_i, against the influence "
        "function -H^-1 grad l_i:",
        (
            pbrf_influence(exponential, w, at=at).T,
            influence(exponential.model(), w, at=at).T,
        ),
    )
    story.add(
        "Mean normalisation (the PBRF as Bae et al. write it): n times the sum "
        "result at damping n lambda; difference",
        (
            pbrf_influence(exponential, w, damping=lam, at=at, normalization="mean")
            - 3 * pbrf_influence(exponential, w, damping=3 * lam, at=at)
        )
        .applyfunc(sp.simplify)
        .T,
    )
    return story
