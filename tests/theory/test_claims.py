"""Every claim in theory.claims is checked by a test that says so.

A test names the claim it checks with ``@pytest.mark.claim("key")``. The
markers are read from the sources under tests/ with ``ast`` rather than from a
collection run, so these checks see the whole suite even when this file runs
alone, and they fail as soon as a claim loses its last test.
"""

import ast
from functools import cache
from pathlib import Path

import pytest

from theory.claims import CLAIMS

TESTS = Path(__file__).resolve().parents[1]


def _is_claim_marker(node):
    """Whether ``node`` is a call ``pytest.mark.claim(...)`` (or ``mark.claim``)."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "claim"
    ):
        return False
    owner = node.func.value
    return (isinstance(owner, ast.Attribute) and owner.attr == "mark") or (
        isinstance(owner, ast.Name) and owner.id == "mark"
    )


def _claim_key(node):
    """The key of a claim marker, or None unless it is one literal string."""
    if node.keywords or len(node.args) != 1:
        return None
    (arg,) = node.args
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def _markers_in(nodes):
    """The claim markers among decorator or ``pytestmark`` expressions."""
    found = []
    for node in nodes:
        found.extend(n for n in ast.walk(node) if _is_claim_marker(n))
    return found


def _module_marks(tree):
    """The expressions assigned to a module-level ``pytestmark``."""
    return [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
    ]


def scan(source, filename="<source>"):
    """Claim markers in one test module's source.

    Returns ``(carried, markers)``: ``carried`` maps each key to the test
    functions pytest would collect with that marker (module-level functions
    named ``test*`` and methods named ``test*`` of classes named ``Test*``,
    with markers from the function, its class and ``pytestmark``);
    ``markers`` lists every claim marker in the file as ``(line, key, carried)``,
    with ``key`` None for a marker that is not one literal string and
    ``carried`` False for a marker on something pytest does not collect.
    """
    tree = ast.parse(source, filename)
    module = _markers_in(_module_marks(tree))
    carried, on_tests = {}, set()

    def carry(test, markers):
        for node in markers:
            on_tests.add(id(node))
            key = _claim_key(node)
            if key is not None:
                carried.setdefault(key, []).append(test)

    tests = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            tests.append((node.name, _markers_in(node.decorator_list)))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            outer = _markers_in(node.decorator_list)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    name = f"{node.name}::{item.name}"
                    tests.append((name, outer + _markers_in(item.decorator_list)))
    for name, markers in tests:
        carry(name, module + markers)
    found = sorted(
        (n for n in ast.walk(tree) if _is_claim_marker(n)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    return carried, [(n.lineno, _claim_key(n), id(n) in on_tests) for n in found]


def _is_test_module(path):
    return path.name.startswith("test_") or path.name.endswith("_test.py")


@cache
def suite():
    """``scan`` over tests/: keys to ``path::test``, and every marker with its place."""
    carried, markers = {}, []
    for path in sorted(TESTS.rglob("*.py")):
        where = path.relative_to(TESTS.parent).as_posix()
        found, in_file = scan(path.read_text(encoding="utf-8"), where)
        if _is_test_module(path):
            for key, tests in found.items():
                carried.setdefault(key, []).extend(f"{where}::{t}" for t in tests)
        else:
            in_file = [(line, key, False) for line, key, _ in in_file]
        markers.extend(
            (f"{where}:{line}", key, on_test) for line, key, on_test in in_file
        )
    return carried, markers


@pytest.mark.parametrize("key", sorted(CLAIMS))
def test_every_claim_is_carried_by_at_least_one_collected_test(key):
    carried, _ = suite()
    assert carried.get(key), (
        f"no test carries @pytest.mark.claim({key!r}); mark the test that checks "
        f"{CLAIMS[key].statement!r}"
    )


def test_every_claim_marker_names_a_key_of_the_claims():
    _, markers = suite()
    assert markers, "no claim markers found under tests/"
    unknown = [(where, key) for where, key, _ in markers if key not in CLAIMS]
    assert not unknown, f"claim markers without a literal key of CLAIMS: {unknown}"


def test_every_claim_marker_sits_on_a_test_that_pytest_collects():
    _, markers = suite()
    stray = [where for where, _, on_test in markers if not on_test]
    assert not stray, f"claim markers on something that is not a test: {stray}"


@pytest.mark.parametrize("key", sorted(CLAIMS))
def test_every_claim_has_a_statement_conditions_and_a_rate(key):
    claim = CLAIMS[key]
    for field in ("statement", "conditions", "rate"):
        value = getattr(claim, field)
        assert isinstance(value, str) and value.strip(), f"{key}: empty {field}"


def test_the_scan_sees_function_class_and_module_markers_and_flags_strays():
    source = """
import pytest
from pytest import mark

pytestmark = [pytest.mark.slow, pytest.mark.claim("everywhere")]


@pytest.mark.claim("one")
@pytest.mark.parametrize("x", [1, 2])
def test_one(x):
    pass


@mark.claim("two")
class TestTwo:
    @pytest.mark.claim("three")
    def test_method(self):
        pass

    def helper(self):
        pass


@pytest.mark.claim("stray")
def helper():
    pass


@pytest.mark.claim(KEY)
def test_not_literal():
    pass
"""
    carried, markers = scan(source)

    assert carried == {
        "everywhere": ["test_one", "TestTwo::test_method", "test_not_literal"],
        "one": ["test_one"],
        "two": ["TestTwo::test_method"],
        "three": ["TestTwo::test_method"],
    }
    assert [(key, on_test) for _, key, on_test in markers] == [
        ("everywhere", True),
        ("one", True),
        ("two", True),
        ("three", True),
        ("stray", False),
        (None, True),
    ]
