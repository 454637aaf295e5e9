"""Wall-clock and memory measurement shared by the benchmark scripts.

Times come from :func:`time.perf_counter`. A warm time is the best of several
repeats, the usual estimate of the cost of the code itself, since slower runs
are slowed by the rest of the machine. Peak memory is what :mod:`tracemalloc`
sees: Python objects and NumPy array buffers, not BLAS workspace.
"""

import time
import tracemalloc

__all__ = ["best_of", "once", "peak_memory", "show", "verdict"]

_LABEL_WIDTH = 54


def once(fn):
    """Run ``fn()`` once; return ``(seconds, result)``."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def best_of(fn, repeats):
    """Run ``fn()`` ``repeats`` times; return ``(fastest seconds, last result)``."""
    best, result = float("inf"), None
    for _ in range(repeats):
        seconds, result = once(fn)
        best = min(best, seconds)
    return best, result


def peak_memory(fn):
    """Peak bytes traced by :mod:`tracemalloc` while ``fn()`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def show(label, value, unit, note=""):
    """Print one measurement: a label, a number with its unit, an optional note."""
    line = f"{label:<{_LABEL_WIDTH}} {value:>10.4f} {unit}"
    print(f"{line}   {note}" if note else line)


def verdict(met):
    """The word printed after a goal: ``met`` or ``MISSED``."""
    return "met" if met else "MISSED"
