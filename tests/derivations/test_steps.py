"""Derivations shown step by step, and the catalogue of ``python -m derivations``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import derivations
from derivations.__main__ import main
from theory import zoo

ROOT = Path(__file__).resolve().parents[2]
z = sp.symbols("z_1:4")

_CHECK = "Check: differentiating the closed form"


def _statements(story):
    return [statement for statement, _ in story]


# ---------------------------------------------------------------- catalogue


def test_main_without_arguments_lists_every_catalogue_entry(capsys):
    assert main([]) == 0

    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(derivations.CATALOG)


def test_main_prints_each_summary_next_to_its_name(capsys):
    main([])

    out = capsys.readouterr().out.splitlines()
    for line, (name, (summary, _)) in zip(out, derivations.CATALOG.items()):
        assert line.startswith(name) and line.endswith(summary)


def test_python_dash_m_derivations_lists_the_catalogue():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "derivations"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    listed = {line.split()[0] for line in done.stdout.splitlines()}
    assert listed == set(derivations.CATALOG)


def test_the_catalogue_holds_the_core_derivations():
    expected = {
        "ift-gaussian-mean",
        "ift-ridge",
        "ift-logistic",
        "leverage",
        "overdetermination",
        "influence-curve-mean",
    }

    assert expected <= set(derivations.CATALOG)


@pytest.mark.parametrize("name", sorted(derivations.CATALOG))
def test_every_catalogue_entry_builds_a_non_empty_derivation(name):
    _, build = derivations.CATALOG[name]

    story = build()

    assert isinstance(story, derivations.Derivation)
    assert len(story) > 0


@pytest.mark.parametrize("name", sorted(derivations.CATALOG))
def test_every_catalogue_entry_prints_its_title_and_numbered_steps(name):
    story = derivations.CATALOG[name][1]()

    text = str(story)

    assert text.startswith(story.title)
    assert f"{len(story)}. " in text


@pytest.mark.parametrize("name", sorted(derivations.CATALOG))
def test_every_catalogue_entry_renders_as_display_latex(name):
    story = derivations.CATALOG[name][1]()

    latex = story._repr_latex_()

    assert latex.startswith("$\\displaystyle") and latex.endswith("$")


def test_main_with_a_name_prints_that_derivation(capsys):
    main(["overdetermination"])

    out = capsys.readouterr().out
    assert out.startswith(derivations.CATALOG["overdetermination"][1]().title)


def test_an_unknown_name_exits_with_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["no-such-derivation"])

    assert caught.value.code == 2
    assert "unknown derivation(s) ['no-such-derivation']" in capsys.readouterr().err


# ---------------------------------------------------------- the Derivation


def test_a_derivation_iterates_over_statement_and_expression_pairs():
    story = derivations.Derivation("title")
    story.add("first", sp.Integer(1))
    story.add("second")

    assert list(story) == [("first", 1), ("second", None)]


def test_adding_a_step_returns_its_expression():
    story = derivations.Derivation("title")

    assert story.add("a step", sp.Symbol("q")) == sp.Symbol("q")


def test_latex_escapes_special_characters_in_statements():
    story = derivations.Derivation("50% of b_1 & more")

    assert r"50\% of b\_1 \& more" in story._repr_latex_()


# -------------------------------------------------------- influence_steps


def test_influence_steps_for_a_quadratic_model_check_a_zero_difference():
    m = zoo.gaussian_mean(z)

    story = derivations.influence_steps(m, m.params[0])

    (difference,) = [e for s, e in story if s.startswith(_CHECK)]
    assert difference == sp.zeros(1, 3)


def test_influence_steps_end_with_the_influence_of_the_mean():
    m = zoo.gaussian_mean(z)

    _, last = derivations.influence_steps(m, m.params[0])[-1]

    mean = sum(z) / 3
    expected = sp.Matrix([[(zi - mean) / 3 for zi in z]])
    assert (last - expected).applyfunc(sp.cancel).is_zero_matrix


def test_influence_steps_with_damping_skip_the_closed_form_check():
    m = zoo.gaussian_mean(z)

    story = derivations.influence_steps(m, m.params[0], damping=sp.Symbol("lambda"))

    assert not any(s.startswith(_CHECK) for s in _statements(story))


def test_influence_steps_for_a_non_quadratic_model_skip_the_closed_form_check():
    m = zoo.logistic_regression([[1, 1], [1, -1], [1, 2]], [1, 1, -1], alpha=1)

    story = derivations.influence_steps(m, m.params[1])

    assert not any(s.startswith(_CHECK) for s in _statements(story))
