"""``History.plot()``: a Figure of the run's curves that touches no global matplotlib state."""

import subprocess
import sys

import numpy as np

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader, TensorDataset
from gradstep.train import History, Trainer
from gradstep.train.figures import save


def _history(val=True, classification=True):
    gs.manual_seed(0)
    X, y = gs.data.datasets.make_spirals(120, 3, noise=0.1, generator=gs.Generator(0))
    ds = TensorDataset(X, y if classification else X[:, :1])
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3 if classification else 1))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = nn.CrossEntropyLoss() if classification else nn.MSELoss()
    t = Trainer(model, opt, loss, verbose=0, scheduler=optim.lr_scheduler.StepLR(opt, 2, gamma=0.5))
    val_loader = DataLoader(ds, batch_size=60) if val else None
    return t.fit(DataLoader(ds, batch_size=30), epochs=4, val_loader=val_loader)


def test_plot_draws_loss_accuracy_and_learning_rate():
    from matplotlib.figure import Figure
    h = _history()
    fig = h.plot(title="spirals")
    assert isinstance(fig, Figure) and fig._suptitle.get_text() == "spirals"
    loss_ax, epoch_ax, lr_ax = fig.axes
    assert loss_ax.get_yscale() == "log"
    per_iteration, _, validation = loss_ax.get_lines()
    np.testing.assert_allclose(per_iteration.get_ydata(), h.iteration_loss)
    np.testing.assert_allclose(validation.get_ydata(), h["val_loss"])
    assert [t.get_text() for t in epoch_ax.get_legend().get_texts()] == ["train", "validation"]
    np.testing.assert_allclose(epoch_ax.get_lines()[1].get_ydata(), h["val_accuracy"])
    np.testing.assert_allclose(lr_ax.get_lines()[0].get_ydata(), h.iteration_lr)
    assert sorted(set(h.iteration_lr)) == [0.05, 0.1]
    w, height = fig.get_size_inches()
    assert w <= 8 and height <= 3.5  # a report's text width
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"  # what a notebook displays


def test_regression_without_validation_plots_the_loss_per_epoch():
    h = _history(val=False, classification=False)
    _, epoch_ax, _ = h.plot().axes
    assert epoch_ax.get_title() == "loss per epoch" and len(epoch_ax.get_lines()) == 1
    np.testing.assert_allclose(epoch_ax.get_lines()[0].get_ydata(), h["train_loss"])


def test_an_empty_history_still_plots():
    fig = History().plot()
    assert fig.axes[1].texts[0].get_text() == "no complete epoch"


def test_save_writes_every_format_atomically(tmp_path):
    fig = _history().plot()
    files = save(fig, tmp_path / "curves.png", ("png", "svg", "pdf"))
    assert [f[-3:] for f in files] == ["png", "svg", "pdf"]
    heads = [open(f, "rb").read(5) for f in files]
    assert heads[0][:4] == b"\x89PNG" and heads[1] in (b"<?xml", b"<svg ") and heads[2] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.pdf", "curves.png", "curves.svg"]


def test_plotting_leaves_matplotlib_alone():
    # (matplotlib.get_backend() would itself import pyplot to resolve the backend)
    code = ("import sys, matplotlib; before = dict.__getitem__(matplotlib.rcParams, 'backend')\n"
            "from tests.train.test_history_plot import _history\n"
            "_history().plot()._repr_png_()\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
            "assert dict.__getitem__(matplotlib.rcParams, 'backend') == before\n")
    env_root = __file__.rsplit("/tests/", 1)[0]
    r = subprocess.run([sys.executable, "-c", code], cwd=env_root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
