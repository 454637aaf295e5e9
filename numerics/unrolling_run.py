r"""One training run and its forward tangent in the data weights.

A :class:`Run` holds the checked settings of a run (model, steps, learning
rates, start, batches, optimiser) and performs it, either alone at given data
weights (:meth:`Run.trajectory`) or together with the tangent
:math:`J_t = \partial\theta_t / \partial b` at b = 1 (:meth:`Run.forward`).
Each step's loss is :math:`L_t(\theta; b) = \sum_i c_{ti} b_i \ell_i + R`, so the
step's tangent input is :math:`H_t J_t + G_t^\top \mathrm{diag}(c_t)`.

The optimisers, each differentiated exactly with its state:

- ``"gd"``: :math:`\theta_{t+1} = \theta_t - \eta_t \nabla L_t`;
- ``"momentum"`` (heavy ball, Polyak 1964): :math:`v_{t+1} = \mu v_t +
  \nabla L_t`, :math:`\theta_{t+1} = \theta_t - \eta_t v_{t+1}`;
- ``"adam"`` (Kingma and Ba, 2015), with bias correction;
- ``"preconditioned"``: :math:`\theta_{t+1} = \theta_t - \eta_t P \nabla L_t`
  with a fixed matrix P, which depends on neither theta nor b.
"""

import numpy as np

from .compiled import compiled

__all__ = ["Run"]

OPTIMIZERS = ("gd", "momentum", "adam", "preconditioned")

# The tangent is checked for overflow every this many steps (theta every step).
_CHECK_EVERY = 256


class Run:
    """Checked settings of a training run; see :func:`numerics.unrolled`."""

    def __init__(
        self,
        m,
        steps,
        lr,
        init,
        batches,
        optimizer,
        momentum,
        adam,
        preconditioner=None,
    ):
        self.m, self.c = m, compiled(m)
        self.steps = _check_steps(steps)
        self.lrs = _check_lrs(lr, self.steps)
        self.init = _check_init(init, m.d)
        self.batches = _check_batches(batches, self.steps, m.n)
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: need one of {OPTIMIZERS}, got {optimizer!r}.")
        self.optimizer = optimizer
        self.momentum = float(momentum)
        if optimizer == "momentum" and not 0 <= self.momentum < 1:
            raise ValueError(f"momentum: need 0 <= mu < 1, got {momentum}.")
        self.adam = tuple(float(a) for a in adam)
        if optimizer == "adam" and not (
            len(self.adam) == 3
            and 0 <= self.adam[0] < 1
            and 0 <= self.adam[1] < 1
            and self.adam[2] > 0
        ):
            raise ValueError(
                "adam: need (beta1, beta2, epsilon) with 0 <= beta1, beta2 < 1 and "
                f"epsilon > 0, got {adam!r}."
            )
        self.preconditioner = _check_preconditioner(preconditioner, optimizer, m.d)

    def scale(self, t):
        """The batch coefficients :math:`c_t`, shape (n,)."""
        if self.batches is None:
            return np.ones(self.m.n)
        c = np.zeros(self.m.n)
        batch = self.batches[t]
        c[batch] = self.m.n / len(batch)
        return c

    def trajectory(self, weights=None):
        r""":math:`\theta_T(b)` at data weights b (all ones if omitted), shape (d,)."""
        b = np.ones(self.m.n) if weights is None else np.asarray(weights, float)
        if b.shape != (self.m.n,):
            raise ValueError(f"weights: need shape ({self.m.n},), got {b.shape}.")
        theta, state = self.init.copy(), self._state(tangent=False)
        with np.errstate(all="ignore"):
            for t in range(self.steps):
                grad = self.c.total(theta, self.scale(t) * b)[1]
                theta = self._update(theta, state, grad, t)
                self._check(theta, None, t)
        return theta

    def forward(self, frozen=False, callback=None):
        r""":math:`\theta_T` (d,) and the tangent :math:`J_T` (d, n) at b = 1.

        ``callback(t, theta_t, J_t)``, if given, is called at t = 0, ..., T;
        it must not modify its arguments.
        """
        d, n = self.m.d, self.m.n
        theta, J = self.init.copy(), np.zeros((d, n))
        state = self._state(tangent=True)
        full = self.batches is None
        with np.errstate(all="ignore"):
            for t in range(self.steps):
                if callback is not None:
                    callback(t, theta, J)
                c = None if full else self.scale(t)
                _, grad, H, G = self.c.total(theta, c, with_example_grads=True)
                # d/db of the step's gradient: H J + (c_i g_i) as columns.
                dgrad = H @ J + (G.T if full else G.T * c)
                theta, J = self._tangent(theta, J, state, grad, dgrad, t, frozen)
                self._check(theta, J if t % _CHECK_EVERY == 0 else None, t)
        self._check(theta, J, self.steps)
        if callback is not None:
            callback(self.steps, theta, J)
        return theta, J

    # ------------------------------------------------------------- private

    def _state(self, tangent):
        d, n = self.m.d, self.m.n
        if self.optimizer == "gd":
            return {}
        if self.optimizer == "momentum":
            state = {"v": np.zeros(d)}
            if tangent:
                state["dv"] = np.zeros((d, n))
            return state
        state = {"m": np.zeros(d), "v": np.zeros(d)}
        if tangent:
            state.update(dm=np.zeros((d, n)), dv=np.zeros((d, n)))
        return state

    def _update(self, theta, state, grad, t):
        lr = self.lrs[t]
        if self.optimizer == "gd":
            return theta - lr * grad
        if self.optimizer == "preconditioned":
            return theta - lr * (self.preconditioner @ grad)
        if self.optimizer == "momentum":
            state["v"] = self.momentum * state["v"] + grad
            return theta - lr * state["v"]
        beta1, beta2, eps = self.adam
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad**2
        m_hat = state["m"] / (1 - beta1 ** (t + 1))
        v_hat = state["v"] / (1 - beta2 ** (t + 1))
        return theta - lr * m_hat / (np.sqrt(v_hat) + eps)

    def _tangent(self, theta, J, state, grad, dgrad, t, frozen):
        lr = self.lrs[t]
        if self.optimizer == "gd":
            return theta - lr * grad, J - lr * dgrad
        if self.optimizer == "preconditioned":
            P = self.preconditioner
            return theta - lr * (P @ grad), J - lr * (P @ dgrad)
        if self.optimizer == "momentum":
            state["dv"] = self.momentum * state["dv"] + dgrad
            return self._update(theta, state, grad, t), J - lr * state["dv"]

        # Adam: differentiate both moments and the preconditioner through them.
        beta1, beta2, eps = self.adam
        state["dm"] = beta1 * state["dm"] + (1 - beta1) * dgrad
        state["dv"] = beta2 * state["dv"] + (1 - beta2) * 2 * grad[:, None] * dgrad
        theta = self._update(theta, state, grad, t)
        m_hat = state["m"] / (1 - beta1 ** (t + 1))
        v_hat = state["v"] / (1 - beta2 ** (t + 1))
        root = np.sqrt(v_hat)
        denom = root + eps
        step = (state["dm"] / (1 - beta1 ** (t + 1))) / denom[:, None]
        if not frozen:
            dv_hat = state["dv"] / (1 - beta2 ** (t + 1))
            # d sqrt(v) = dv / (2 sqrt v); where v = 0 its tangent is 0 too.
            safe = np.where(root > 0, root, 1.0)
            droot = np.where(root[:, None] > 0, dv_hat / (2 * safe[:, None]), 0.0)
            step = step - (m_hat / denom**2)[:, None] * droot
        return theta, J - lr * step

    def _check(self, theta, J, t):
        bad = not np.all(np.isfinite(theta))
        if J is not None:
            bad = bad or not np.all(np.isfinite(J))
        if bad:
            raise FloatingPointError(
                f"lr: the training run overflowed by step {t} (weights or their "
                "tangent are no longer finite); the learning rate is too large "
                "for the curvature along the path. Lower lr (below "
                "2/lambda_max(H) for gradient descent) or use fewer steps."
            )


def _check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(
            f"steps: numerics need an integer number of steps, got {steps!r}; "
            "for a symbolic number of steps use derivations.unrolled."
        )
    if steps < 0:
        raise ValueError(f"steps: need T >= 0, got {steps}.")
    return int(steps)


def _check_lrs(lr, steps):
    if callable(lr):
        lrs = np.array([lr(t) for t in range(steps)], dtype=float)
    else:
        lrs = np.asarray(lr, dtype=float)
    if lrs.ndim == 0:
        # A read-only view of one number: memory stays flat in T.
        lrs = np.broadcast_to(lrs, (steps,))
    if lrs.shape != (steps,):
        raise ValueError(
            f"lr: need a number, one learning rate per step, shape ({steps},), or "
            f"a function of the step t, got shape {lrs.shape}."
        )
    if not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
        raise ValueError(f"lr: need finite learning rates > 0, got {lr!r}.")
    return lrs


def _check_init(init, d):
    theta = np.asarray(init, dtype=float)
    if theta.shape != (d,):
        raise ValueError(
            f"init: need a starting point of shape (d,) = ({d},), got shape "
            f"{theta.shape}."
        )
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"init: need finite coordinates, got {theta}.")
    return theta


def _check_preconditioner(P, optimizer, d):
    if optimizer != "preconditioned":
        if P is not None:
            raise ValueError(
                f"preconditioner: only used with optimizer='preconditioned', got "
                f"optimizer={optimizer!r}; drop it or change the optimiser."
            )
        return None
    if P is None:
        raise ValueError(
            "preconditioner: optimizer='preconditioned' needs a fixed (d, d) "
            f"matrix P, d = {d}, got None."
        )
    P = np.asarray(P, dtype=float)
    if P.shape != (d, d) or not np.all(np.isfinite(P)):
        raise ValueError(
            f"preconditioner: need a finite matrix of shape (d, d) = ({d}, {d}), "
            f"got shape {P.shape}."
        )
    return P


def _check_batches(batches, steps, n):
    if batches is None:
        return None
    batches = [np.asarray(b, dtype=int).ravel() for b in batches]
    if len(batches) != steps:
        raise ValueError(
            f"batches: need one batch per step ({steps}), got {len(batches)}; "
            "numerics.batch_schedule(n, batch_size, steps, seed) makes one."
        )
    for t, b in enumerate(batches):
        if b.size == 0 or b.min() < 0 or b.max() >= n or len(set(b.tolist())) < b.size:
            raise ValueError(
                f"batches[{t}]: need distinct example indices in [0, {n}), got "
                f"{b.tolist()}."
            )
    return batches
