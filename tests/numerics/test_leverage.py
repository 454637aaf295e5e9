"""Leverages h_j = tr(H^{-1} grad^2 l_j) against the hat matrix of least squares."""

import numpy as np

import numerics
from tests.tolerances import FLOAT_RTOL
from theory import zoo


def test_least_squares_leverages_are_the_hat_matrix_diagonal():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.normal(size=10)
    m = zoo.linear_regression(X, y)

    hat = X @ np.linalg.inv(X.T @ X) @ X.T

    np.testing.assert_allclose(numerics.leverages(m), np.diag(hat), rtol=FLOAT_RTOL)


def test_least_squares_leverages_sum_to_the_number_of_parameters():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 4)), rng.normal(size=12)
    m = zoo.linear_regression(X, y)

    np.testing.assert_allclose(numerics.leverages(m).sum(), 4.0, rtol=FLOAT_RTOL)


def test_ridge_leverages_are_the_diagonal_of_the_ridge_smoother():
    rng = np.random.default_rng(2)
    X, y, alpha = rng.normal(size=(10, 3)), rng.normal(size=10), 2.0
    m = zoo.ridge_regression(X, y, alpha)

    smoother = X @ np.linalg.solve(X.T @ X + alpha * np.eye(3), X.T)

    np.testing.assert_allclose(
        numerics.leverages(m), np.diag(smoother), rtol=FLOAT_RTOL
    )


def test_leverages_of_a_line_with_intercept_follow_the_centred_closed_form():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 10.0]])
    m = zoo.linear_regression(X, [0.0, 1.0, 1.0, 3.0])
    x = X[:, 1]

    # h_j = 1/n + (x_j - mean x)^2 / sum (x - mean x)^2 for a line with intercept.
    expected = 1 / 4 + (x - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum()

    np.testing.assert_allclose(numerics.leverages(m), expected, rtol=FLOAT_RTOL)
