"""Every lecture figure builds under Agg and writes a non-empty file.

The leverage figure states the leverages of two of its points (about 0.03 and
about 0.83); the data must really have them.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import figures
import numerics
from figures import __main__ as build_all
from figures import leverage, style

ROOT = Path(__file__).resolve().parents[2]

# The leverages the figure states, and how closely "about" holds them.
STATED_LOW_LEVERAGE = 0.03
STATED_HIGH_LEVERAGE = 0.83
STATED_LEVERAGE_ATOL = 0.005


@pytest.mark.parametrize("module", figures.FIGURES, ids=lambda m: m.NAME)
def test_each_figure_main_writes_a_nonempty_png(tmp_path, module, capsys):
    path = module.main(["--out", str(tmp_path)])

    assert path == tmp_path / f"{module.NAME}.png"
    assert path.stat().st_size > 0
    assert capsys.readouterr().out.splitlines() == [str(path)]


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_a_figure_is_written_in_the_format_asked_for(tmp_path, fmt, capsys):
    path = leverage.main(["--out", str(tmp_path), "--format", fmt, "--size", "print"])

    assert path.suffix == f".{fmt}"
    assert path.stat().st_size > 0


@pytest.mark.parametrize("module", figures.FIGURES, ids=lambda m: m.NAME)
def test_each_build_returns_a_figure_with_titled_panels(module):
    fig = module.build(size="print")

    assert isinstance(fig, Figure)
    assert all(ax.get_title() for ax in fig.axes)


def test_building_all_figures_writes_one_file_per_figure(tmp_path, capsys):
    paths = build_all.main(["--out", str(tmp_path)])

    lines = capsys.readouterr().out.splitlines()
    assert str(tmp_path) in lines[0]
    assert lines[1:] == [str(p) for p in paths]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{m.NAME}.png" for m in figures.FIGURES
    )
    assert all(p.stat().st_size > 0 for p in paths)


def test_python_m_figures_builds_every_figure_from_the_command_line(tmp_path):
    result = _run_module("figures", "--out", str(tmp_path / "out"))

    assert len(result.stdout.splitlines()) == 1 + len(figures.FIGURES)
    for module in figures.FIGURES:
        assert (tmp_path / "out" / f"{module.NAME}.png").stat().st_size > 0


def test_one_figure_runs_as_a_module_without_importing_the_others_first(tmp_path):
    # runpy warns (here: fails) when the package already imported the module.
    result = _run_module("figures.leverage", "--out", str(tmp_path), warnings="error")

    assert result.stdout.splitlines() == [str(tmp_path / "leverage.png")]


def test_every_figure_module_is_listed_for_python_m_figures():
    folder = ROOT / "figures"
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "__main__"}

    assert modules - {"style"} == set(figures.NAMES)


def _run_module(name, *args, warnings="default"):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-W", warnings, "-m", name, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_leverage_data_have_the_stated_low_and_high_leverages():
    m, _ = leverage.model()

    h = numerics.leverages(m)

    np.testing.assert_allclose(
        h[leverage.LOW], STATED_LOW_LEVERAGE, atol=STATED_LEVERAGE_ATOL
    )
    np.testing.assert_allclose(
        h[leverage.HIGH], STATED_HIGH_LEVERAGE, atol=STATED_LEVERAGE_ATOL
    )
    assert np.argmax(h) == leverage.HIGH


def test_leverage_figure_prints_the_leverages_of_its_data():
    m, _ = leverage.model()
    h = numerics.leverages(m)

    texts = {t.get_text() for ax in leverage.build().axes for t in ax.texts}

    for j in (leverage.LOW, leverage.HIGH):
        assert rf"$h_{{{j + 1}}} = {h[j]:.2f}$" in texts


def test_saving_in_an_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="format: need one of"):
        style.save(Figure(), "empty", tmp_path, format="jpg")


def test_an_unknown_size_preset_is_refused():
    with pytest.raises(ValueError, match="size: need one of"):
        style.new_figure("poster")
