r"""The product model: influence at a degenerate minimum, exactly.

For :math:`\ell_i(a, c) = (z_i - a c x_i)^2 / 2` (:func:`theory.zoo.product_model`)
the minima form the hyperbola :math:`a c = s` with :math:`s = \sum_i x_i z_i /
\sum_i x_i^2`. With :math:`v = (c, a)`, :math:`u = (a, -c)`, residuals
:math:`r_i = z_i - s x_i` and :math:`S = \sum_i x_i^2`, on the hyperbola

.. math::

    H = S\,v v^\top, \qquad H u = 0, \qquad \nabla\ell_i = -r_i x_i\, v ,

so H has rank one, its null space is the rescaling symmetry u, and every
per-example gradient lies in its range. In the eigenbasis (v, u) the damped
influence is

.. math::

    \mathcal{I}_i(\lambda) = -\frac{(\nabla f\cdot v)(v\cdot\nabla\ell_i)}
        {|v|^2 (S|v|^2 + \lambda)}
        - \frac{(\nabla f\cdot u)(u\cdot\nabla\ell_i)}{|u|^2 \lambda} ,

and the second term is absent for the pseudo-inverse. For the product model
:math:`u\cdot\nabla\ell_i = 0`: the limit :math:`\lambda \to 0` is finite for
every observable and equals the pseudo-inverse influence, but it depends on
the minimiser through :math:`|v|^2 = a^2 + c^2` unless :math:`\nabla f` is
parallel to v (as for :math:`f = ac`, whose influence :math:`r_i x_i / S` is
the same at every minimiser). For the tilted model
(:func:`theory.zoo.tilted_product_model`) :math:`u\cdot\nabla\ell_i = w_i |u|^2`
and the influence diverges like :math:`-w_i (\nabla f\cdot u)/\lambda`.
"""

import sympy as sp

from theory import zoo

from .influence import check_damping, influence
from .minimiser import check_observable, gradient, hessian, point
from .steps import Derivation, register

__all__ = [
    "damped_influence",
    "hessian_directions",
    "hyperbola_point",
    "leave_one_out_product",
    "small_damping_terms",
]


def hyperbola_point(m, t):
    r"""The minimiser :math:`(a, c) = (t, s / t)` on the minimum hyperbola.

    Parameters
    ----------
    m : theory.Model
        A product model (:func:`theory.zoo.product_model` or the tilted one).
    t : number or sympy.Expr
        The value of a; nonzero.

    Returns
    -------
    dict
        Parameter to value, ready for ``at=``.

    Examples
    --------
    >>> from theory import zoo
    >>> from derivations.product import hyperbola_point
    >>> hyperbola_point(zoo.product_model([1, 2, 6]), 2)
    {a: 2, c: 3/2}
    """
    t = sp.sympify(t)
    if t == 0:
        raise ValueError(
            "t: need a nonzero value of a, got 0; the hyperbola a c = s does not "
            "meet the axis a = 0 when s != 0."
        )
    a, c = m.params
    return {a: t, c: sp.cancel(_product_minimum(m) / t)}


def damped_influence(m, f, damping=0, at=None, pseudo_inverse=False):
    r"""The damped (or pseudo-inverse) influence from the eigenbasis (v, u) of H.

    An independent route to :func:`derivations.influence` for product models:
    no linear solve, only the two eigenvectors of the rank-one Hessian.

    Parameters
    ----------
    m : theory.Model
        A product model, plain or tilted.
    f : sympy.Expr
        The observable.
    damping : number or sympy.Expr, optional
        :math:`\lambda`; must be nonzero unless ``pseudo_inverse``.
    at : mapping or sequence
        A point of the minimum hyperbola.
    pseudo_inverse : bool, optional
        Drop the null-space term (the Moore-Penrose inverse).

    Returns
    -------
    sympy.Matrix, shape (n, 1)

    Raises
    ------
    ValueError
        ``at`` missing or off the hyperbola; a Hessian at ``at`` that is not
        :math:`S v v^\top`; zero damping without the pseudo-inverse.
    """
    f = check_observable(m, f)
    damping = check_damping(damping)
    if at is None:
        raise ValueError(
            "at: the product model has no isolated minimiser; pass a point of "
            "the hyperbola, e.g. at=hyperbola_point(m, t)."
        )
    if damping == 0 and not pseudo_inverse:
        raise ValueError(
            "damping: the null-space term needs lambda != 0; pass a damping or "
            "pseudo_inverse=True."
        )
    theta = _on_hyperbola(m, at)
    a, c = m.params
    v = sp.Matrix([theta[c], theta[a]])
    u = sp.Matrix([theta[a], -theta[c]])
    sigma = _check_rank_one(m, theta, v, u)

    grad_f = gradient(f, m.params).xreplace(theta)
    values = []
    for loss in m.losses:
        g = gradient(loss, m.params).xreplace(theta)
        value = -(grad_f.dot(v)) * v.dot(g) / (v.dot(v) * (sigma + damping))
        if not pseudo_inverse:
            value -= grad_f.dot(u) * u.dot(g) / (u.dot(u) * damping)
        values.append(sp.factor(sp.cancel(value)))
    return sp.Matrix(values)


def hessian_directions(m, at):
    r"""The Hessian's range and null directions and the per-example gradients.

    On the minimum hyperbola of a product model, :math:`H = S\,v v^\top` with
    :math:`v = (c, a)`; :math:`u = (a, -c)`, the rescaling direction and the
    tangent of the hyperbola, spans its null space.

    Parameters
    ----------
    m : theory.Model
        A product model, plain or tilted.
    at : mapping or sequence
        A point of the minimum hyperbola.

    Returns
    -------
    dict
        ``"range"``: v, ``"null"``: u (columns of shape (2, 1)), ``"eigenvalue"``:
        :math:`S|v|^2`, the nonzero eigenvalue, and ``"gradients"``: the
        per-example gradients as the rows of an (n, 2) matrix.

    Raises
    ------
    ValueError
        ``at`` off the hyperbola, or a model whose Hessian is not of that form.

    Examples
    --------
    >>> from theory import zoo
    >>> from derivations.product import hessian_directions, hyperbola_point
    >>> m = zoo.product_model([1, 2, 6])
    >>> geometry = hessian_directions(m, hyperbola_point(m, 1))
    >>> geometry["range"].T, geometry["null"].T, geometry["eigenvalue"]
    (Matrix([[3, 1]]), Matrix([[1, -3]]), 30)
    >>> geometry["gradients"]
    Matrix([
    [ 6,  2],
    [ 3,  1],
    [-9, -3]])
    """
    theta = _on_hyperbola(m, at)
    a, c = m.params
    v = sp.Matrix([theta[c], theta[a]])
    u = sp.Matrix([theta[a], -theta[c]])
    sigma = _check_rank_one(m, theta, v, u)
    grads = sp.Matrix(
        [list(gradient(loss, m.params).xreplace(theta)) for loss in m.losses]
    )
    return {"range": v, "null": u, "eigenvalue": sigma, "gradients": grads}


def small_damping_terms(m, f, at, damping=None):
    r"""The pole and the finite part of the damped influence as lambda -> 0.

    .. math::

        \mathcal{I}_i(\lambda) = c_{-1}/\lambda + c_0 + O(\lambda)

    Derived from :func:`derivations.influence` with a symbolic damping, by
    exact limits: :math:`c_{-1} = \lim \lambda\mathcal{I}_i` and
    :math:`c_0 = \lim (\mathcal{I}_i - c_{-1}/\lambda)`.

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr
    at : mapping or sequence
        A minimiser.
    damping : sympy.Symbol, optional
        The symbol to use for :math:`\lambda` (positive); a fresh one if omitted.

    Returns
    -------
    pole, finite : sympy.Matrix, shape (n, 1) each
        :math:`c_{-1}` (zero when the limit is finite) and :math:`c_0`.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import zoo
    >>> from derivations.product import hyperbola_point, small_damping_terms
    >>> m = zoo.product_model([1, 2, 6])
    >>> a, c = m.params
    >>> pole, finite = small_damping_terms(m, a**2, hyperbola_point(m, 1))
    >>> pole.T, finite.T
    (Matrix([[0, 0, 0]]), Matrix([[-2/5, -1/5, 3/5]]))
    """
    lam = damping if damping is not None else sp.Symbol("lambda", positive=True)
    values = influence(m, f, damping=lam, at=at)
    pole = sp.Matrix([sp.factor(sp.limit(lam * e, lam, 0)) for e in values])
    finite = sp.Matrix(
        [
            sp.factor(sp.limit(sp.cancel(e - c / lam), lam, 0))
            for e, c in zip(values, pole)
        ]
    )
    return pole, finite


def leave_one_out_product(m):
    r"""Exact leave-one-out of :math:`f = ac`: :math:`s_{-i} - s`, shape (n, 1).

    Removing example i moves the hyperbola to :math:`a c = s_{-i} =
    (\sum_j x_j z_j - x_i z_i) / (S - x_i^2)`; :math:`ac` is the same at every
    retrained minimiser even though the minimiser is not unique. Without
    inputs, :math:`s_{-i} - s = -(z_i - \bar z)/(n - 1)`.

    Examples
    --------
    >>> from theory import zoo
    >>> from derivations.product import leave_one_out_product
    >>> leave_one_out_product(zoo.product_model([1, 2, 6])).T
    Matrix([[1, 1/2, -3/2]])
    """
    xz, xx = _moments(m)
    total_xz, total_xx = sum(xz), sum(xx)
    s = total_xz / total_xx
    return sp.Matrix(
        [sp.cancel((total_xz - xz[i]) / (total_xx - xx[i]) - s) for i in range(m.n)]
    )


def _moments(m):
    """Per-example x_i z_i and x_i^2, read off the quadratic part of each loss.

    The mean of the loss at (s, 1) and at (1, s) is :math:`(z_i - s x_i)^2/2`
    for both product models: the tilt :math:`w_i (a^2 - c^2)/2` cancels in it.
    """
    a, c = m.params
    s = sp.Dummy("s")
    xz, xx = [], []
    for loss in m.losses:
        both = loss.xreplace({a: s, c: 1}) + loss.xreplace({a: 1, c: s})
        poly = sp.Poly(sp.expand(both / 2), s)
        xx.append(2 * poly.coeff_monomial(s**2))
        xz.append(-poly.coeff_monomial(s))
    return sp.Matrix(xz), sp.Matrix(xx)


def _product_minimum(m):
    xz, xx = _moments(m)
    return sp.cancel(sum(xz) / sum(xx))


def _on_hyperbola(m, at):
    theta = point(m, at)
    a, c = m.params
    s = _product_minimum(m)
    if sp.simplify(theta[a] * theta[c] - s) != 0:
        raise ValueError(
            f"at: {theta} is not on the minimum hyperbola a c = {s}; use "
            "hyperbola_point(m, t)."
        )
    return theta


def _check_rank_one(m, theta, v, u):
    H = hessian(m.loss([1] * m.n), m.params).xreplace(theta)
    sigma = sp.cancel((v.T * H * v)[0] / v.dot(v))
    if not (H * u).applyfunc(sp.simplify).is_zero_matrix or not (
        (H * v - sigma * v).applyfunc(sp.simplify).is_zero_matrix
    ):
        raise ValueError(
            f"m: the Hessian at {theta} is not S v v^T with v = (c, a); this "
            "closed form holds only for the product models of the zoo."
        )
    return sigma


# ------------------------------------------------------- narrated derivations


@register("product", "Product model: rank-one Hessian, pseudo-inverse, damping, LOO")
def _product():
    z = sp.symbols("z_1:4", real=True)
    t = sp.Symbol("t", positive=True)
    lam = sp.Symbol("lambda", positive=True)

    m = zoo.product_model(z)
    a, c = m.params
    at = hyperbola_point(m, t)
    story = Derivation("The product model (z_i - a c)^2 / 2 at a degenerate minimum")
    story.add("Per-example losses:", sp.Matrix(m.losses))
    story.add(
        "The minima form the hyperbola a c = mean(z); the point with a = t is",
        at,
    )
    H = hessian(m.loss([1] * m.n), m.params).xreplace(at).applyfunc(sp.factor)
    story.add("The Hessian there has rank one, H = n v v^T with v = (c, a):", H)
    story.add(
        "Its null space is the rescaling symmetry u = (a, -c) (H u = 0):",
        H.nullspace()[0].applyfunc(sp.factor),
    )
    grads = sp.Matrix.hstack(*(gradient(loss, m.params) for loss in m.losses))
    story.add(
        "Every per-example gradient -r_i v is orthogonal to u; u . grad l_i =",
        (sp.Matrix([[t, -at[c]]]) * grads.xreplace(at)).applyfunc(sp.simplify),
    )
    story.add(
        "Pseudo-inverse influence on a c, the same at every t: (z_i - mean z)/n",
        influence(m, a * c, at=at, pseudo_inverse=True).T,
    )
    story.add(
        "Exact leave-one-out of a c: -(z_i - mean z)/(n - 1)",
        leave_one_out_product(m).T,
    )
    damped = influence(m, a * c, damping=lam, at=at)
    story.add(
        "Damped influence on a c depends on the minimiser through |v|^2 = t^2 + "
        "c^2 (first example):",
        sp.factor(damped[0]),
    )
    story.add(
        "Its limit lambda -> 0 is the pseudo-inverse value:",
        sp.factor(sp.limit(damped[0], lam, 0)),
    )
    story.add(
        "and it vanishes as lambda -> oo like 1/lambda; lim lambda I_1 =",
        sp.factor(sp.limit(lam * damped[0], lam, sp.oo)),
    )
    return story


@register("product-a-squared", "Does damped influence on a^2 diverge? Not here; when")
def _product_a_squared():
    # Real data: the Moore-Penrose inverse of a matrix of complex symbols
    # carries conjugates that SymPy cannot remove.
    z = sp.symbols("z_1:4", real=True)
    w = sp.symbols("w_1:3", real=True)
    t = sp.Symbol("t", positive=True)
    lam = sp.Symbol("lambda", positive=True)

    m = zoo.product_model(z)
    a, c = m.params
    at = hyperbola_point(m, t)
    story = Derivation("Claim: the damped influence on a^2 diverges as lambda -> 0")
    damped = influence(m, a**2, damping=lam, at=at)
    story.add("Damped influence of example 1 on a^2 at (t, mean z / t):", damped[0])
    pole, finite = small_damping_terms(m, a**2, at, damping=lam)
    story.add("Coefficient of 1/lambda (all examples): zero, no divergence", pole.T)
    story.add(
        "Finite limit lambda -> 0 (example 1); it depends on t, the minimiser:",
        finite[0],
    )
    story.add(
        "It equals the pseudo-inverse influence; difference",
        (finite - influence(m, a**2, at=at, pseudo_inverse=True))
        .applyfunc(sp.simplify)
        .T,
    )
    tilts = [w[0], w[1], -w[0] - w[1]]
    tilted = zoo.tilted_product_model(z, tilts)
    at = hyperbola_point(tilted, t)
    story.add(
        "Divergence needs a flat direction that is not a symmetry of every "
        "example: add w_i (a^2 - c^2)/2 with sum w_i = 0 (same total loss). "
        "Losses:",
        sp.Matrix(tilted.losses),
    )
    pole, _ = small_damping_terms(tilted, a**2, at, damping=lam)
    story.add(
        "Now the coefficient of 1/lambda is -w_i (grad f . u) = -2 w_i a^2:", pole.T
    )
    return story
