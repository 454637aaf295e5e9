"""Unrolled influence in float64: the forward tangent recursion against oracles.

Oracles: autograd's reverse mode through the whole loop (compiled from the
SymPy losses, no SymPy derivative), central differences of real training runs
in the data weights, and for least squares the matrix-power closed form
-[I - (I - lr H)^T] H^{-1} g_i of gradient descent started at the minimiser.
"""

import numpy as np
import pytest
import sympy as sp

import numerics
from tests.tolerances import DIFFERENCE_RTOL, FLOAT_ATOL, FLOAT_RTOL, RATE_ATOL
from theory import Model, zoo

# Central differences of training runs: step in the data weights.
DIFFERENCE_STEP = 1e-5
# Adam's exact derivative and its frozen-preconditioner approximation differ by
# a sizeable fraction on the problem below; "nonzero" means at least this much.
ADAM_MISSING_FRACTION = 1e-2


def _logistic(seed, n=8, d=3, alpha=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(rng.normal(size=n) + X[:, 0] > 0, 1.0, -1.0)
    m = zoo.logistic_regression(X, y, alpha=alpha)
    f = sum(float(c) * p for c, p in zip(rng.normal(size=d), m.params))
    return m, f, rng.normal(size=d) * 0.5


def _ridge(seed, n=6, d=3, alpha=0.5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    m = zoo.ridge_regression(X, y, alpha)
    c = rng.normal(size=d)
    f = sum(float(ci) * p for ci, p in zip(c, m.params))
    return m, f, c, X, y, alpha


def _differences(m, f, steps, lr, init, **options):
    """Central differences of f(theta_T(b)) in each b_i at b = 1."""
    f_fn = numerics.observable(m, f)
    out = np.empty(m.n)
    for i in range(m.n):
        e = np.zeros(m.n)
        e[i] = DIFFERENCE_STEP
        up = numerics.train(m, steps, lr, init, weights=1 + e, **options)
        down = numerics.train(m, steps, lr, init, weights=1 - e, **options)
        out[i] = (f_fn(up)[0] - f_fn(down)[0]) / (2 * DIFFERENCE_STEP)
    return out


OPTIMIZERS = {
    "gd": {},
    "schedule": {"lr": 0.4 / (1 + 0.1 * np.arange(40))},
    "sgd": {"batches": numerics.batch_schedule(8, 3, 40, seed=5)},
    "momentum": {"optimizer": "momentum", "momentum": 0.7},
    "adam": {"optimizer": "adam", "adam": (0.8, 0.95, 1e-8)},
    "preconditioned": {
        "optimizer": "preconditioned",
        "preconditioner": [[1.0, 0.2, 0.0], [0.2, 0.5, 0.1], [0.0, 0.1, 2.0]],
    },
}


def _options(name):
    options = dict(OPTIMIZERS[name])
    lr = options.pop("lr", 0.05 if name == "adam" else 0.3)
    return lr, options


# ------------------------------------------------------- against oracles


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_forward_tangents_equal_reverse_mode_autograd_through_the_loop(name):
    m, f, init = _logistic(0)
    lr, options = _options(name)

    forward = numerics.unrolled(m, f, 40, lr, init, **options)
    reverse = numerics.unrolled(m, f, 40, lr, init, mode="reverse", **options)

    np.testing.assert_allclose(forward, reverse, rtol=FLOAT_RTOL, atol=FLOAT_ATOL)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_forward_tangents_equal_differences_of_real_training_runs(name):
    m, f, init = _logistic(1)
    lr, options = _options(name)

    forward = numerics.unrolled(m, f, 40, lr, init, **options)

    np.testing.assert_allclose(
        forward, _differences(m, f, 40, lr, init, **options), rtol=DIFFERENCE_RTOL
    )


def test_adam_frozen_preconditioner_misses_terms_the_exact_derivative_has():
    m, f, init = _logistic(2)
    lr, options = _options("adam")

    exact = numerics.unrolled(m, f, 40, lr, init, **options)
    frozen = numerics.unrolled(
        m, f, 40, lr, init, frozen_preconditioner=True, **options
    )
    truth = _differences(m, f, 40, lr, init, **options)

    missing = np.linalg.norm(exact - frozen) / np.linalg.norm(exact)
    assert missing > ADAM_MISSING_FRACTION
    np.testing.assert_allclose(exact, truth, rtol=DIFFERENCE_RTOL)
    assert np.linalg.norm(frozen - truth) > 1e3 * np.linalg.norm(exact - truth)


def test_frozen_preconditioner_formula_is_exact_for_a_fixed_preconditioner():
    m, f, init = _logistic(3)
    lr, options = _options("preconditioned")

    frozen = numerics.unrolled(
        m, f, 40, lr, init, frozen_preconditioner=True, **options
    )

    np.testing.assert_allclose(
        frozen, _differences(m, f, 40, lr, init, **options), rtol=DIFFERENCE_RTOL
    )


@pytest.mark.claim("unrolling-long-training-limit")
def test_least_squares_from_the_minimiser_gives_the_matrix_power_closed_form():
    m, f, c, X, y, alpha = _ridge(4)
    d, lr, steps = X.shape[1], 0.05, 37
    H = X.T @ X + alpha * np.eye(d)
    theta_star = np.linalg.solve(H, X.T @ y)
    grads = -X * (y - X @ theta_star)[:, None]  # grad l_i, one row per example

    transfer = np.eye(d) - np.linalg.matrix_power(np.eye(d) - lr * H, steps)
    expected = -c @ transfer @ np.linalg.solve(H, grads.T)

    np.testing.assert_allclose(
        numerics.unrolled(m, f, steps, lr, theta_star), expected, rtol=FLOAT_RTOL
    )


def test_a_schedule_given_as_a_function_equals_the_same_schedule_as_an_array():
    m, f, init = _logistic(15)

    as_function = numerics.unrolled(m, f, 20, lambda t: 0.4 / (1 + t), init)
    as_array = numerics.unrolled(m, f, 20, 0.4 / (1 + np.arange(20)), init)

    np.testing.assert_array_equal(as_function, as_array)


def test_direction_contracts_the_per_example_values():
    m, f, init = _logistic(5)
    h = np.random.default_rng(5).normal(size=m.n)

    column = numerics.unrolled(m, f, 10, 0.3, init)

    np.testing.assert_allclose(
        numerics.unrolled(m, f, 10, 0.3, init, direction=h), h @ column, rtol=1e-12
    )


def test_path_rows_equal_separate_runs_of_each_length():
    m, f, init = _logistic(6)

    taken, values = numerics.unrolled_path(m, f, 12, 0.3, init, every=4)

    assert taken.tolist() == [0, 4, 8, 12]
    for t, row in zip(taken, values):
        np.testing.assert_allclose(
            row, numerics.unrolled(m, f, int(t), 0.3, init), rtol=1e-13, atol=0
        )


def test_a_batch_schedule_visits_every_example_once_per_epoch():
    batches = numerics.batch_schedule(7, 3, 9, seed=1)

    epochs = [np.concatenate(batches[k : k + 3]) for k in (0, 3, 6)]

    assert [len(b) for b in batches] == [3, 3, 1] * 3
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(7))


# --------------------------------------------------- long-training limit


@pytest.mark.claim("unrolling-long-training-limit")
def test_unrolled_tends_to_the_if_at_the_rate_max_abs_one_minus_lr_sigma():
    # A ridge design with the Hessian spectrum 1, 4, 9 (alpha = 0.5 included).
    rng = np.random.default_rng(8)
    U = np.linalg.qr(rng.normal(size=(6, 3)))[0]
    V = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    eigvals, alpha = np.array([1.0, 4.0, 9.0]), 0.5
    X = U @ np.diag(np.sqrt(eigvals - alpha)) @ V.T
    m = zoo.ridge_regression(X, rng.normal(size=6), alpha)
    f = m.params[0] - m.params[2]
    lr = 0.03  # |1 - lr sigma_k| = 0.97, 0.88, 0.73

    taken, values = numerics.unrolled_path(
        m, f, 300, lr, numerics.minimise(m), every=50
    )
    error = np.abs(values - numerics.influence(m, f)).max(axis=1)
    ratios = (error[1:] / error[:-1]) ** (1 / 50)

    predicted = np.max(np.abs(1 - lr * eigvals))
    np.testing.assert_allclose(ratios[-1], predicted, rtol=1e-9)


@pytest.mark.claim("unrolling-long-training-limit")
def test_non_quadratic_unrolled_tends_to_the_if_at_the_rate_of_the_final_hessian():
    m, f, init = _logistic(9)
    theta_star = numerics.minimise(m)
    eigvals = np.linalg.eigvalsh(numerics.hessian_at(m, theta_star))
    lr = 0.05 / eigvals[0]
    top = np.max(np.abs(1 - lr * eigvals))
    influence = numerics.influence(m, f)

    taken, values = numerics.unrolled_path(m, f, 600, lr, init, every=100)
    error = np.abs(values - influence).max(axis=1)
    ratios = (error[1:] / error[:-1]) ** (1 / 100)

    # The start's transient feeds the slowest mode too, so the error behaves
    # as (a + b T) top^T and the ratio tends to top like (1 + 1/T).
    gaps = np.abs(ratios / top - 1)
    assert np.all(np.diff(gaps[-3:]) < 0)
    np.testing.assert_allclose(ratios[-1], top, rtol=2 / 550)


@pytest.mark.claim("unrolling-long-training-limit")
def test_removal_is_the_weight_factor_one_minus_eps_at_eps_one():
    # f(theta_T(1 - eps e_i)) - f(theta_T(1)) = -eps U_i + O(eps^2): the
    # remainder has exponent 2, and at eps = 1 the first-order prediction of
    # removing example i is -U_i (not -U_i / n).
    m, f, c, X, y, alpha = _ridge(10, n=40)
    lr, steps, i = 0.01, 60, 2
    init = np.zeros(X.shape[1])
    U = numerics.unrolled(m, f, steps, lr, init)
    f_fn = numerics.observable(m, f)
    base = f_fn(numerics.train(m, steps, lr, init))[0]

    eps = np.array([0.1, 0.05, 0.025, 0.0125])
    remainders = []
    for e in eps:
        b = np.ones(m.n)
        b[i] = 1 - e
        changed = f_fn(numerics.train(m, steps, lr, init, weights=b))[0]
        remainders.append(abs(changed - base + e * U[i]))
    slope = np.polyfit(np.log(eps), np.log(remainders), 1)[0]

    b = np.ones(m.n)
    b[i] = 0.0
    removal = f_fn(numerics.train(m, steps, lr, init, weights=b))[0] - base
    np.testing.assert_allclose(slope, 2.0, atol=RATE_ATOL)
    assert abs(removal + U[i]) < 0.1 * abs(U[i])
    assert abs(removal + U[i] / m.n) > 0.9 * abs(U[i])


@pytest.mark.claim("unrolling-gd-to-flow")
def test_sgd_with_decreasing_steps_tracks_the_response_ode_at_rate_lr():
    # Random reshuffling with step sizes scale / (1 + t scale / 2): the batch
    # Hessians average to H over an epoch, and the tangent tracks
    # r' = -H r - g at the flow time tau = sum of the steps, error O(scale).
    m, f, c, X, y, alpha = _ridge(11, n=6)
    theta_star = np.linalg.solve(X.T @ X + alpha * np.eye(3), X.T @ y)
    errors, scales = [], np.array([0.04, 0.02, 0.01, 0.005, 0.0025])
    for scale in scales:
        steps = int(round(3.0 / scale / 2)) * 2
        lrs = scale / (1 + np.arange(steps) * scale / 2)
        batches = numerics.batch_schedule(m.n, 3, steps, seed=11)
        sgd = numerics.unrolled(m, f, steps, lrs, theta_star, batches=batches)
        flow = numerics.flow(m, f, [lrs.sum()], theta_star)[0]
        errors.append(np.abs(sgd - flow).max())
    slope = np.polyfit(np.log(scales), np.log(errors), 1)[0]

    np.testing.assert_allclose(slope, 1.0, atol=RATE_ATOL)


# ------------------------------------------------------ singular Hessian


def _flat_quadratic(a=0.7):
    """l_1 = (u-1)^2/2 + a v, l_2 = (u+1)^2/2 - a v: H = diag(2, 0), v flat."""
    u, v = sp.symbols("u v")
    return Model([u, v], [(u - 1) ** 2 / 2 + a * v, (u + 1) ** 2 / 2 - a * v]), u, v


@pytest.mark.claim("unrolling-null-space-growth")
def test_singular_h_range_part_tends_to_the_pseudo_inverse_response():
    m, u, v = _flat_quadratic()
    at = np.array([0.0, 1.3])
    lr = 0.2
    pinv = numerics.influence(m, u, at=at, pseudo_inverse=True)

    taken, values = numerics.unrolled_path(m, u, 60, lr, at, every=20)

    expected = pinv * (1 - (1 - 2 * lr) ** taken[:, None])
    np.testing.assert_allclose(values, expected, rtol=FLOAT_RTOL, atol=FLOAT_ATOL)


@pytest.mark.claim("unrolling-null-space-growth")
def test_singular_h_null_part_grows_linearly_with_the_gradient_null_component():
    a, lr = 0.7, 0.2
    m, u, v = _flat_quadratic(a)

    taken, values = numerics.unrolled_path(m, v, 60, lr, [0.0, 1.3], every=20)

    # d v_T / d b_i = -lr T dl_i/dv, exactly: the filter lr T at sigma = 0.
    np.testing.assert_allclose(
        values, -lr * taken[:, None] * np.array([a, -a]), rtol=FLOAT_RTOL
    )


@pytest.mark.claim("unrolling-null-space-growth")
def test_overparameterised_least_squares_has_no_null_space_growth():
    w1, w2 = sp.symbols("w1 w2")
    x, y = [1.0, 2.0, -1.0], [1.0, 3.0, 0.5]
    m = Model([w1, w2], [(yi - (w1 + w2) * xi) ** 2 / 2 for xi, yi in zip(x, y)])
    at = np.array([0.5, 6.5 / 6 - 0.5])  # w1 + w2 = sum x y / sum x^2

    null = numerics.unrolled(m, w1 - w2, 300, 0.1, at)
    range_part = numerics.unrolled(m, w1 + w2, 300, 0.1, at)

    np.testing.assert_allclose(null, 0.0, atol=FLOAT_ATOL)
    np.testing.assert_allclose(
        range_part,
        numerics.influence(m, w1 + w2, at=at, pseudo_inverse=True),
        rtol=FLOAT_RTOL,
    )


@pytest.mark.claim("unrolling-null-space-growth")
def test_quartic_minimum_response_grows_exactly_like_t():
    theta = sp.Symbol("theta")
    a, lr = 0.4, 0.05
    m = Model([theta], [theta**4 / 4 + a * theta, -a * theta])

    taken, values = numerics.unrolled_path(m, theta, 300, lr, [0.0], every=100)

    # H = 3 theta^2 = 0 at the minimum and theta stays there: J_T = -lr T g_i.
    np.testing.assert_allclose(
        values, -lr * taken[:, None] * np.array([a, -a]), rtol=FLOAT_RTOL
    )


# ------------------------------------------------------------ bad input


def test_a_learning_rate_at_the_stability_bound_warns_with_the_bound():
    m, f, c, X, y, alpha = _ridge(12)
    top = np.linalg.eigvalsh(X.T @ X + alpha * np.eye(3))[-1]

    with pytest.warns(RuntimeWarning, match=r"stability bound 2/lambda_max") as seen:
        numerics.unrolled(m, f, 3, 2.0 / top, np.zeros(3))

    assert f"{2.0 / top:.6g}" in str(seen[0].message)
    assert seen[0].filename == __file__


def test_a_learning_rate_below_the_bound_does_not_warn(recwarn):
    m, f, c, X, y, alpha = _ridge(12)
    top = np.linalg.eigvalsh(X.T @ X + alpha * np.eye(3))[-1]

    numerics.unrolled(m, f, 3, 1.99 / top, np.zeros(3))

    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_an_overflowing_trajectory_raises_instead_of_returning_inf():
    m, f, c, X, y, alpha = _ridge(13)
    top = np.linalg.eigvalsh(X.T @ X + alpha * np.eye(3))[-1]

    with pytest.warns(RuntimeWarning, match="stability bound"):
        with pytest.raises(FloatingPointError, match="lr: the training run overflowed"):
            numerics.unrolled(m, f, 3000, 3.0 / top, np.ones(3))


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"steps": 2.5}, TypeError, "steps: numerics need an integer"),
        ({"steps": -1}, ValueError, r"steps: need T >= 0, got -1"),
        ({"lr": [0.1, 0.1]}, ValueError, r"lr: need a number, one learning rate per"),
        ({"lr": -0.1}, ValueError, "lr: need finite learning rates > 0"),
        ({"init": [0.0]}, ValueError, r"init: need a starting point of shape"),
        ({"batches": [[0]]}, ValueError, r"batches: need one batch per step \(3\)"),
        ({"batches": [[0], [9], [1]]}, ValueError, r"batches\[1\]: need distinct"),
        ({"optimizer": "sgd"}, ValueError, "optimizer: need one of"),
        ({"optimizer": "momentum", "momentum": 1.0}, ValueError, "momentum: need"),
        ({"optimizer": "adam", "adam": (0.9, 1.0, 1e-8)}, ValueError, "adam: need"),
        ({"optimizer": "preconditioned"}, ValueError, "preconditioner: optimizer="),
        ({"preconditioner": np.eye(3)}, ValueError, "preconditioner: only used"),
        ({"direction": [1.0]}, ValueError, r"direction: need shape \(n,\)"),
        ({"mode": "backward"}, ValueError, "mode: need 'forward' or 'reverse'"),
    ],
)
def test_bad_settings_are_refused_with_the_argument_named(change, error, match):
    m, f, init = _logistic(14)
    settings = {"steps": 3, "lr": 0.1, "init": init, **change}

    with pytest.raises(error, match=match):
        numerics.unrolled(m, f, **settings)


def test_a_batch_size_larger_than_n_is_refused():
    with pytest.raises(
        ValueError, match=r"batch_size: need an integer in \[1, n = 4\]"
    ):
        numerics.batch_schedule(4, 5, 3, seed=0)


def test_reverse_mode_refuses_the_frozen_preconditioner_approximation():
    m, f, init = _logistic(16)

    with pytest.raises(NotImplementedError, match="frozen_preconditioner: the frozen"):
        numerics.unrolled(
            m,
            f,
            3,
            0.05,
            init,
            optimizer="adam",
            frozen_preconditioner=True,
            mode="reverse",
        )


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"every": 0}, ValueError, r"every: need an integer >= 1, got 0"),
        ({"gamma": 1.0}, TypeError, r"unrolled_path: unknown keywords \['gamma'\]"),
    ],
)
def test_bad_path_options_are_refused(options, error, match):
    m, f, init = _logistic(17)

    with pytest.raises(error, match=match):
        numerics.unrolled_path(m, f, 3, 0.1, init, **options)
