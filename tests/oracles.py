"""Independent NumPy oracles shared by several test modules."""

import numpy as np


def logistic_loss_grad_hess(X, y, alpha):
    """sum_i log(1 + exp(-y_i x_i.theta)) + alpha |theta|^2 / 2, in NumPy."""

    def loss(theta):
        return np.logaddexp(0.0, -y * (X @ theta)).sum() + alpha * theta @ theta / 2

    def grad(theta):
        s = 1 / (1 + np.exp(y * (X @ theta)))
        return -X.T @ (y * s) + alpha * theta

    def hess(theta):
        s = 1 / (1 + np.exp(y * (X @ theta)))
        return (X.T * (s * (1 - s))) @ X + alpha * np.eye(X.shape[1])

    return loss, grad, hess
