r"""Reverse mode through the whole training loop, with autograd: an independent check.

The per-example losses are compiled to autograd's NumPy from the SymPy
expressions (no SymPy derivative is used); each step's gradient is autograd's
gradient of :math:`\sum_i c_{ti} b_i \ell_i + R`, and the derivative of
:math:`f(\theta_T(b))` in b is autograd's reverse pass through all T steps.
Memory grows with T, since autograd records every step.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import sympy as sp

__all__ = ["losses_function", "reverse"]


def losses_function(m):
    """``theta (d,) -> (per-example losses (n,), regulariser)`` in autograd NumPy."""
    key = "autograd losses"
    if key not in m._cache:
        params = list(m.params)
        reg = sp.lambdify(params, m.regularizer, modules=anp)
        if m.template is not None:
            data = m.numeric_data()
            template = sp.lambdify(params + list(data), m.template, modules=anp)
            columns = list(data.values())

            def losses(theta):
                value = template(*(theta[k] for k in range(m.d)), *columns)
                return value * anp.ones(m.n)
        else:
            each = sp.lambdify(params, list(m.losses), modules=anp)

            def losses(theta):
                values = each(*(theta[k] for k in range(m.d)))
                return anp.array([v * anp.ones(()) for v in values])

        m._cache[key] = (losses, lambda theta: reg(*(theta[k] for k in range(m.d))))
    return m._cache[key]


def reverse(run, f, frozen=False):
    """Unrolled influence by autograd's reverse mode through the loop, shape (n,)."""
    if frozen:
        raise NotImplementedError(
            "frozen_preconditioner: the frozen-preconditioner approximation is "
            "defined by the forward recursion; use mode='forward'."
        )
    m = run.m
    losses, reg = losses_function(m)
    f_fn = sp.lambdify(list(m.params), f, modules=anp)
    scales = [run.scale(t) for t in range(run.steps)]

    def final(b):
        theta = anp.array(run.init)
        state = _initial_state(run)
        for t in range(run.steps):
            weights = scales[t] * b

            def loss(th, weights=weights):
                return anp.sum(weights * losses(th)) + reg(th)

            grad = autograd.grad(loss)(theta)
            theta, state = _step(run, theta, state, grad, t)
        return f_fn(*(theta[k] for k in range(m.d))) * 1.0

    values = autograd.grad(final)(np.ones(m.n))
    if not np.all(np.isfinite(values)):
        raise FloatingPointError(
            "lr: the reverse pass overflowed (non-finite derivative); lower lr "
            "or use fewer steps."
        )
    return np.asarray(values, dtype=float)


def _initial_state(run):
    zero = anp.zeros(run.m.d)
    return {"v": zero, "m": zero}


def _step(run, theta, state, grad, t):
    lr = run.lrs[t]
    if run.optimizer == "gd":
        return theta - lr * grad, state
    if run.optimizer == "preconditioned":
        return theta - lr * anp.dot(run.preconditioner, grad), state
    if run.optimizer == "momentum":
        v = run.momentum * state["v"] + grad
        return theta - lr * v, {"v": v}
    beta1, beta2, eps = run.adam
    m1 = beta1 * state["m"] + (1 - beta1) * grad
    v = beta2 * state["v"] + (1 - beta2) * grad**2
    m_hat = m1 / (1 - beta1 ** (t + 1))
    v_hat = v / (1 - beta2 ** (t + 1))
    return theta - lr * m_hat / (anp.sqrt(v_hat) + eps), {"m": m1, "v": v}
