"""SummaryWriter writes event files that TensorBoard's own reader (event_accumulator) reads back
with the tags, steps and values written; torch.utils.tensorboard's argument names and defaults."""

import glob
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

import gradstep as gs
from gradstep.utils.tensorboard import SummaryWriter


def read(path):
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0,
                                                                       "images": 0, "tensors": 0})
    return acc.Reload()


def test_scalars_histograms_text_and_figures_read_back(tmp_path):
    values = np.random.default_rng(0).normal(2.0, 0.5, 1000).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        for step, loss in enumerate([1.0, 0.5, 0.25]):
            w.add_scalar("loss/train", loss, global_step=step)
        w.add_scalar("lr", gs.tensor(0.125), 7)  # a gradstep Tensor
        w.add_scalar("precise", 1 / 3, 1, new_style=True, double_precision=True)
        w.add_histogram("fc.weight", gs.tensor(values), global_step=3)
        w.add_histogram("few", [1.0, 2.0, 2.5, 9.0], global_step=0, bins=4)
        w.add_text("notes", "lr **0.1**", global_step=2)
        from matplotlib.figure import Figure
        fig = Figure(figsize=(3, 2))
        fig.subplots().plot([1, 2, 3])
        w.add_figure("curve", fig, global_step=5)
    acc = read(tmp_path)
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"loss/train", "lr"} and "fc.weight" in tags["histograms"]
    assert [(e.step, e.value) for e in acc.Scalars("loss/train")] == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert acc.Scalars("lr")[0].step == 7 and acc.Scalars("lr")[0].value == 0.125
    precise = acc.Tensors("precise")[0]
    assert precise.tensor_proto.double_val == [1 / 3]
    assert acc.summary_metadata["precise"].plugin_data.plugin_name == "scalars"
    h = acc.Histograms("fc.weight")[0]
    assert h.step == 3 and h.histogram_value.num == 1000
    assert (h.histogram_value.min, h.histogram_value.max) == pytest.approx((values.min(), values.max()))
    assert h.histogram_value.sum == pytest.approx(values.sum(dtype=np.float64), rel=1e-6)
    assert h.histogram_value.sum_squares == pytest.approx(np.dot(values.astype(np.float64), values), rel=1e-6)
    assert sum(h.histogram_value.bucket) == 1000
    few = acc.Histograms("few")[0].histogram_value  # np.histogram's 4 bins over [1, 9]
    assert list(few.bucket) == [3, 0, 0, 1] and list(few.bucket_limit) == [3.0, 5.0, 7.0, 9.0]
    text = acc.Tensors("notes/text_summary")[0]
    assert text.step == 2 and text.tensor_proto.string_val == [b"lr **0.1**"]
    assert acc.summary_metadata["notes/text_summary"].plugin_data.plugin_name == "text"
    image = acc.Images("curve")[0]
    assert image.step == 5 and (image.width, image.height) == (300, 200)
    assert image.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n"


def test_add_scalars_writes_one_run_per_curve(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("loss", {"train": 1.0 / (step + 1), "val": 2.0 / (step + 1)}, step)
    runs = sorted(os.path.basename(p) for p in glob.glob(str(tmp_path / "loss_*")))
    assert runs == ["loss_train", "loss_val"]
    assert [e.value for e in read(tmp_path / "loss_val").Scalars("loss")] == [2.0, 1.0, pytest.approx(2 / 3)]


def test_add_hparams_for_the_hparams_dashboard(tmp_path):
    from tensorboard.plugins.hparams import metadata
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "optimizer": "sgd", "nesterov": True, "hidden": (200,)},
                      {"hparam/accuracy": 0.87}, run_name="trial0")
    acc = read(tmp_path / "trial0")
    assert acc.Scalars("hparam/accuracy")[0].value == pytest.approx(0.87)
    content = acc.summary_metadata[metadata.SESSION_START_INFO_TAG].plugin_data.content
    start = metadata.parse_session_start_info_plugin_data(content)
    assert start.hparams["lr"].number_value == 0.1 and start.hparams["optimizer"].string_value == "sgd"
    assert start.hparams["nesterov"].bool_value is True and start.hparams["hidden"].string_value == "(200,)"
    experiment = metadata.parse_experiment_plugin_data(
        acc.summary_metadata[metadata.EXPERIMENT_TAG].plugin_data.content)
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/accuracy"]


def test_default_log_dir_is_pytorchs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="-adam")
    w.close()
    assert w.log_dir.startswith("runs" + os.sep) and w.log_dir.endswith("-adam")
    assert glob.glob(os.path.join(w.log_dir, "events.out.tfevents.*"))


def test_bad_input_names_what_is_wrong(tmp_path):
    w = SummaryWriter(tmp_path)
    with pytest.raises(ValueError, match=r"one value, got an array of shape \(3,\)"):
        w.add_scalar("x", [1, 2, 3])
    with pytest.raises(ValueError, match="NaN or infinity"):
        w.add_histogram("h", [1.0, float("nan")])
    with pytest.raises(TypeError, match="hparam 'f' is a builtin_function_or_method; allowed: bool, int"):
        w.add_hparams({"f": print}, {"m": 1})
    w.close()
    w.close()  # twice is harmless
    with pytest.raises(ValueError, match="is closed"):
        w.add_scalar("x", 1.0)


def test_missing_tensorboard_names_the_extra(monkeypatch):
    import sys
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    from gradstep.utils.tensorboard import TensorBoardMissing
    with pytest.raises(TensorBoardMissing, match=r"pip install 'gradstep\[tensorboard\]'"):
        SummaryWriter("unused")
