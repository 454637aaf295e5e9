"""REPLAY: reverse mode with k-ary checkpoints against the forward recursion."""

import math

import numpy as np
import pytest

from numerics.compiled import observable
from numerics.replay import checkpoint_counts, replay
from numerics.unrolling import batch_schedule, train, unrolled
from tests.tolerances import DIFFERENCE_RTOL, FLOAT_RTOL
from theory import zoo


def logistic(seed, n=8, d=3, alpha=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    m = zoo.logistic_regression(X, y, alpha=alpha)
    c = rng.normal(size=d)
    return m, sum(ci * p for ci, p in zip(c, m.params)), rng


@pytest.mark.claim("replay-checkpoints")
@pytest.mark.parametrize("steps, k", [(40, 2), (27, 3), (50, 7)])
def test_replay_equals_the_forward_recursion_on_logistic_regression(steps, k):
    m, f, rng = logistic(0)
    init = rng.normal(size=m.d)
    expected = unrolled(m, f, steps, 0.1, init)
    got = replay(m, f, steps, 0.1, init, k=k)
    np.testing.assert_allclose(got, expected, rtol=FLOAT_RTOL, atol=0)


@pytest.mark.claim("replay-checkpoints")
def test_replay_equals_the_forward_recursion_with_batches_and_a_schedule():
    m, f, rng = logistic(1, n=10)
    steps = 33
    batches = batch_schedule(m.n, 3, steps, seed=5)
    lr = 0.05 / (1 + 0.1 * np.arange(steps))
    init = rng.normal(size=m.d)
    expected = unrolled(m, f, steps, lr, init, batches=batches)
    got = replay(m, f, steps, lr, init, batches=batches, k=3)
    np.testing.assert_allclose(got, expected, rtol=FLOAT_RTOL, atol=0)


def test_learning_rate_and_start_metagradients_equal_central_differences():
    m, f, rng = logistic(2)
    steps, step = 6, 1e-5
    lr = 0.2 + 0.05 * rng.random(steps)
    init = rng.normal(size=m.d)
    result = replay(m, f, steps, lr, init, k=2, full_output=True)
    f_at = _observable(m, f)

    lr_grad = np.empty(steps)
    for t in range(steps):
        bump = step * np.eye(steps)[t]
        up, down = train(m, steps, lr + bump, init), train(m, steps, lr - bump, init)
        lr_grad[t] = (f_at(up) - f_at(down)) / (2 * step)
    init_grad = np.empty(m.d)
    for j in range(m.d):
        bump = step * np.eye(m.d)[j]
        up, down = train(m, steps, lr, init + bump), train(m, steps, lr, init - bump)
        init_grad[j] = (f_at(up) - f_at(down)) / (2 * step)

    np.testing.assert_allclose(result.lr_grad, lr_grad, rtol=DIFFERENCE_RTOL)
    np.testing.assert_allclose(result.init_grad, init_grad, rtol=DIFFERENCE_RTOL)
    np.testing.assert_allclose(result.theta, train(m, steps, lr, init), rtol=0)


@pytest.mark.claim("replay-checkpoints")
@pytest.mark.parametrize("k, power", [(2, 6), (3, 4), (4, 3), (10, 2)])
def test_stored_states_and_recomputed_steps_follow_the_closed_form_at_powers_of_k(
    k, power
):
    m, f, _ = logistic(3, n=4, d=2)
    steps = k**power
    result = replay(m, f, steps, 0.1, np.zeros(m.d), k=k, full_output=True)
    assert result.stored_states == (k - 1) * power + 1
    assert result.recomputed_steps == (power - 1) * (k - 1) * steps // k
    assert checkpoint_counts(steps, k) == (
        result.stored_states,
        result.recomputed_steps,
    )


@pytest.mark.claim("replay-checkpoints")
@pytest.mark.parametrize("steps, k", [(1, 2), (2, 2), (5, 2), (37, 3), (50, 4)])
def test_counters_match_the_recursion_and_the_log_bound_for_any_length(steps, k):
    m, f, _ = logistic(4, n=4, d=2)
    result = replay(m, f, steps, 0.1, np.zeros(m.d), k=k, full_output=True)
    depth = math.ceil(math.log(steps, k) - 1e-12) if steps > 1 else 0
    assert (result.stored_states, result.recomputed_steps) == checkpoint_counts(
        steps, k
    )
    assert result.stored_states <= (k - 1) * depth + 1
    assert result.recomputed_steps <= depth * steps


@pytest.mark.claim("replay-checkpoints")
def test_the_log_bound_on_stored_states_holds_for_every_length_up_to_2000():
    for k in (2, 3, 5, 10):
        for steps in range(2, 2001):
            depth = math.ceil(math.log(steps, k) - 1e-12)
            assert checkpoint_counts(steps, k)[0] <= (k - 1) * depth + 1


def test_zero_steps_give_zero_influence_and_the_observable_gradient_at_the_start():
    m, f, rng = logistic(5, n=4, d=2)
    init = rng.normal(size=m.d)
    result = replay(m, f, 0, 0.1, init, full_output=True)
    np.testing.assert_array_equal(result.values, np.zeros(m.n))
    coefficients = [float(f.coeff(p)) for p in m.params]
    np.testing.assert_allclose(result.init_grad, coefficients, rtol=FLOAT_RTOL)
    assert (result.stored_states, result.recomputed_steps) == (0, 0)


def test_a_direction_sums_the_per_example_metagradients():
    m, f, rng = logistic(6)
    h = rng.normal(size=m.n)
    values = replay(m, f, 12, 0.1, np.zeros(m.d), k=3)
    got = replay(m, f, 12, 0.1, np.zeros(m.d), k=3, direction=h)
    np.testing.assert_allclose(got, h @ values, rtol=FLOAT_RTOL)


def test_an_arity_below_two_raises_with_the_way_out():
    m, f, _ = logistic(7, n=4, d=2)
    with pytest.raises(ValueError, match=r"k: the checkpoint tree needs .* k >= 2"):
        replay(m, f, 4, 0.1, np.zeros(m.d), k=1)


def test_an_unstable_learning_rate_warns_with_the_bound():
    m, f, _ = logistic(8, n=4, d=2)
    with pytest.warns(RuntimeWarning, match="stability bound"):
        replay(m, f, 1, 1e3, np.zeros(m.d))


def test_an_overflowing_run_raises_instead_of_returning_inf():
    m = zoo.gaussian_mean([1.0, 2.0, 6.0])
    with pytest.warns(RuntimeWarning), pytest.raises(FloatingPointError, match="lr"):
        replay(m, m.params[0], 2000, 1.0, [0.0])


def _observable(m, f):
    value_and_grad = observable(m, f)
    return lambda theta: float(value_and_grad(theta)[0])
