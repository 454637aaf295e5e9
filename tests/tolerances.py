"""Tolerances shared by the test suite, one tier per kind of computation.

- symbolic identities: exact equality (``sympy.simplify(a - b) == 0``), no constant;
- float64 closed forms and float64 against SymPy: ``FLOAT_RTOL`` relative;
- converged iterations (Newton retraining to 1e-12 relative): ``RETRAIN_RTOL``;
- Monte Carlo: ``MC_STDERRS`` standard errors under a fixed seed;
- fitted exponents of a convergence rate: ``RATE_ATOL`` absolute;
- central differences of refits (step about 1e-4 to 1e-5: truncation of order
  step^2 plus the refit tolerance over the step): ``DIFFERENCE_RTOL`` relative.
"""

FLOAT_RTOL = 1e-10
FLOAT_ATOL = 1e-12
RETRAIN_RTOL = 1e-9
MC_STDERRS = 3.5
RATE_ATOL = 0.05
DIFFERENCE_RTOL = 1e-6
# Gibbs quadrature: the accuracy goal of numerics.bif, relative to the largest entry.
QUADRATURE_RTOL = 1e-8
# A high-precision reference rounded to float64: a few units in the last place.
ROUNDING_RTOL = 1e-15
