r"""Gradient flow and its influence: the limit of unrolled GD as the step goes to 0.

The flow :math:`\dot\theta = -\nabla L(\theta; b)` from :math:`\theta(0) =
\theta_0` has the tangent :math:`J(t) = \partial\theta(t)/\partial b` at b = 1,

.. math::

    \dot J = -H(\theta(t))\, J - G(\theta(t))^\top, \qquad J(0) = 0,

and the influence at time t is :math:`\nabla f(\theta(t))^\top J(t)`. Both are
integrated together by an adaptive Runge-Kutta method at stated tolerances.
GD with rate :math:`\eta` for :math:`T = t/\eta` steps differs from it by
:math:`O(\eta)` (Euler's method is first order).
"""

import numpy as np
import scipy.integrate

from theory.errors import ConvergenceError

from .compiled import compiled, observable

__all__ = ["flow"]

RTOL, ATOL = 1e-10, 1e-12


def flow(m, f, times, init, *, rtol=RTOL, atol=ATOL, method="DOP853"):
    r"""Influence of every example on f along gradient flow, at each time.

    .. math::

        \frac{d f(\theta(t; b))}{d b_i}\Big|_{b=1}, \qquad
        \dot\theta = -\nabla L(\theta; b),\ \theta(0) = \theta_0

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr
        The observable, in ``m.params``.
    times : array_like, shape (k,)
        Nondecreasing times :math:`t \ge 0` (learning rate times steps).
    init : array_like, shape (d,)
        :math:`\theta_0`.
    rtol, atol : float
        Tolerances of the ODE solver on the joint state :math:`(\theta, J)`.
    method : str
        A ``scipy.integrate.solve_ivp`` method; ``"Radau"`` for stiff problems.

    Returns
    -------
    ndarray, shape (k, n)

    Raises
    ------
    ConvergenceError
        The solver failed (its message is included).

    Notes
    -----
    Upweighting sign: the removal response :math:`r = -J e_i` obeys
    :math:`\dot r = -H r + \nabla\ell_i`. For a quadratic loss started at
    the minimiser the flow's influence is
    :math:`-\nabla f^\top (I - e^{-tH}) H^{-1}\nabla\ell_i`: the filter
    :math:`(1 - e^{-t\sigma})/\sigma` on each eigenvalue of H. The right-hand
    side is vectorised over examples (one ``total`` call per evaluation), and
    the state has d (n + 1) entries.

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> m = zoo.gaussian_mean([1.0, 2.0, 6.0])
    >>> numerics.flow(m, m.params[0], [0.0, 50.0], init=[3.0]).round(6)
    array([[ 0.      ,  0.      ,  0.      ],
           [-0.666667, -0.333333,  1.      ]])
    """
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or np.any(times < 0) or np.any(np.diff(times) < 0):
        raise ValueError(
            f"times: need a one-dimensional, nondecreasing array of times >= 0, "
            f"got {times!r}."
        )
    theta0 = np.asarray(init, dtype=float)
    if theta0.shape != (m.d,):
        raise ValueError(f"init: need shape (d,) = ({m.d},), got {theta0.shape}.")
    c, d, n = compiled(m), m.d, m.n
    value_and_grad = observable(m, f)

    def rhs(t, y):
        theta, J = y[:d], y[d:].reshape(d, n)
        _, grad, H, G = c.total(theta, with_example_grads=True)
        return np.concatenate([-grad, (-(H @ J) - G.T).ravel()])

    out = np.zeros((len(times), n))
    if len(times) == 0 or times[-1] == 0:
        return out
    y0 = np.concatenate([theta0, np.zeros(d * n)])
    # solve_ivp wants strictly increasing output times: solve at the distinct
    # ones and hand each requested time its row.
    distinct, where = np.unique(times, return_inverse=True)
    solution = scipy.integrate.solve_ivp(
        rhs,
        (0.0, times[-1]),
        y0,
        method=method,
        t_eval=distinct,
        rtol=rtol,
        atol=atol,
    )
    if not solution.success:
        raise ConvergenceError(
            f"flow: the ODE solver ({method}, rtol={rtol}, atol={atol}) failed: "
            f"{solution.message} Try method='Radau' for a stiff problem."
        )
    for k, j in enumerate(where):
        theta, J = solution.y[:d, j], solution.y[d:, j].reshape(d, n)
        out[k] = value_and_grad(theta)[1] @ J
    return out
