"""The example notebooks run end to end in a Jupyter kernel (nbclient), as a user runs them.

They are kept without outputs in the repository; executed, they must show tqdm's widget for
``Trainer.fit`` and for ``compare``, ``History.plot()``'s figure inline, and a plain ``plt.plot``
inline after calls into every explore tool (gradstep never switches matplotlib's backend). The
notebooks run together (one kernel each) so that they share the machine's cores.
"""

import asyncio
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "examples" / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _stored():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def executed():
    """name -> the executed notebook."""
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    saved = {k: os.environ.get(k) for k in (*env, "MPLBACKEND")}
    os.environ.update(env)  # the kernels inherit the environment (and pick their own backend)
    os.environ.pop("MPLBACKEND", None)

    async def run(path):
        nb = nbformat.read(path, as_version=4)
        # every notebook's kernel starts at once: on 2 busy cores that took over nbclient's default
        # 60 s once, so the start (not any cell's result) gets as long as a cell
        client = NotebookClient(nb, timeout=300, startup_timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}})
        await client.async_execute()
        return path.stem, nb

    async def run_all():
        return dict(await asyncio.gather(*(run(p) for p in _stored())))

    try:
        return asyncio.run(run_all())
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cell(nb, text):
    """The first code cell whose source contains ``text``."""
    return next(c for c in nb.cells if c.cell_type == "code" and text in c.source)


def _mimes(cell) -> set:
    return {m for o in cell.outputs for m in o.get("data", {})}


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_every_example_has_a_notebook_stored_without_outputs():
    scripts = {p.stem for p in (ROOT / "examples").glob("*.py") if not p.stem.startswith("_")}
    assert {p.stem for p in _stored()} == scripts
    for path in _stored():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} keeps outputs"


def test_every_notebook_runs_without_errors_or_warnings(executed):
    assert set(executed) == {p.stem for p in _stored()}
    for name, nb in executed.items():
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                assert o.output_type != "error", f"{name}: {o.get('ename')}: {o.get('evalue')}"
                if o.output_type == "stream" and o.name == "stderr":
                    assert "Warning" not in o.text, f"{name} warned: {o.text}"


def test_fit_shows_a_tqdm_widget_per_epoch_and_history_plot_an_image(executed):
    nb = executed["seed000_softmax_sgd"]
    fit = _cell(nb, "history = trainer.fit(")
    widgets = [o for o in fit.outputs if WIDGET in o.get("data", {})]
    assert len(widgets) == 3  # one bar per epoch
    assert all(w["data"]["text/plain"].startswith(f"epoch {i}/3") for i, w in enumerate(widgets, 1))
    assert "image/png" in _mimes(_cell(nb, "history.plot("))
    live = _cell(nb, "LiveCurves()")  # the live figure, drawn in place, and the second fit's bar
    assert "image/png" in _mimes(live) and WIDGET in _mimes(live)
    assert "4 epochs; best test accuracy" in _text(live)
    assert "image/png" in _mimes(_cell(nb, "plt.plot("))


def test_compare_shows_tqdm_widgets_and_pyplot_stays_inline_after_every_explore_tool(executed):
    nb = executed["seed002_optimizers"]
    comparison = _cell(nb, "comparison = compare(")
    overall = [o for o in comparison.outputs if WIDGET in o.get("data", {})]
    assert overall and overall[0]["data"]["text/plain"].startswith("compare:")  # run i of N
    assert len(overall) == 1 + 3  # and each run's epoch bar under it
    tools = _cell(nb, "run_landscape(")
    for call in ("sweep(", "lr_find(", "train_run(", "run_landscape("):
        assert call in tools.source
    assert "lr-find suggests" in _text(tools) and "landscape wrote" in _text(tools)
    after = nb.cells[nb.cells.index(tools) + 1:]
    plain = next(c for c in after if c.cell_type == "code" and "plt.plot(" in c.source)
    assert "image/png" in _mimes(plain)


@pytest.mark.parametrize("name, call", [("seed001_cs231n_solver", "plot(solver"),
                                        ("seed002_optimizers", "plot(results"),
                                        ("seed003_gradient_descent", "plot_surface("),
                                        ("seed003_gradient_descent", "plot_losses("),
                                        ("seed004_linear_regression", "plot(curves)"),
                                        ("edge_of_stability", "plot(runs)"),
                                        ("quickstart_linear_regression", "plt.scatter(")])
def test_each_tutorials_figure_shows_inline(executed, name, call):
    assert "image/png" in _mimes(_cell(executed[name], call))
