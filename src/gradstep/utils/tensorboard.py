"""``gradstep.utils.tensorboard.SummaryWriter``: torch.utils.tensorboard's writer, for TensorBoard.

    from gradstep.utils.tensorboard import SummaryWriter
    with SummaryWriter("runs/exp1") as writer:
        writer.add_scalar("loss/train", loss, global_step=step)
        writer.add_histogram("fc1.weight", model[0].weight, step)

The same methods, arguments and defaults as PyTorch's (``add_scalar``, ``add_scalars``,
``add_histogram``, ``add_hparams``, ``add_figure``, ``add_text``, ``flush``, ``close``; ``log_dir``
defaults to ``runs/<date>_<host><comment>``), writing real event files through the ``tensorboard``
package's own event writer and protocol buffers, so ``tensorboard --logdir runs`` and TensorBoard's
event readers read them. The ``tensorboard`` package is an optional extra:
``pip install 'gradstep[tensorboard]'``.
"""

from __future__ import annotations

import io
import math
import os
import socket
import struct
import sys
import time
from datetime import datetime

import numpy as np

__all__ = ["SummaryWriter", "TensorBoardMissing", "require_tensorboard"]

INSTALL_HINT = "pip install 'gradstep[tensorboard]'"


class TensorBoardMissing(ImportError):
    """The ``tensorboard`` package is not installed; the message says which extra brings it."""


def require_tensorboard() -> None:
    """Raise ``TensorBoardMissing`` (naming the extra to install) unless tensorboard imports."""
    try:
        import tensorboard.summary.writer.event_file_writer  # noqa: F401
    except ImportError:
        raise TensorBoardMissing(f"TensorBoard logging needs the tensorboard package: "
                                 f"{INSTALL_HINT}") from None


def _protos():
    require_tensorboard()
    from tensorboard.compat.proto import event_pb2, summary_pb2
    return event_pb2, summary_pb2


def _scalar(value) -> float:
    """A Python float from a float, NumPy scalar, 0-d/1-element array or gradstep Tensor."""
    a = _array(value)
    if a.size != 1:
        raise ValueError(f"a scalar summary takes one value, got an array of shape {a.shape}")
    return float(a.reshape(()))


def _array(values) -> np.ndarray:
    if hasattr(values, "detach"):  # a gradstep (or torch) tensor
        values = values.detach()
    if hasattr(values, "numpy"):
        values = values.numpy()
    return np.asarray(values)


def _tensorflow_bins() -> np.ndarray:
    """TensorFlow's default histogram edges: ±1e-12 · 1.1^k up to 1e20, and 0."""
    pos = 1e-12 * 1.1 ** np.arange(int(math.ceil(math.log(1e20 / 1e-12, 1.1))))
    return np.concatenate([-pos[::-1], [0.0], pos])


def _histogram_proto(summary_pb2, values, bins, max_bins: int | None):
    """A ``HistogramProto`` of ``values``: its statistics and the counts between ``bins`` edges (an
    int, a NumPy rule such as ``"auto"``, or ``"tensorflow"``), trimmed to the non-empty range."""
    a = _array(values).astype(np.float64).reshape(-1)
    if a.size == 0:
        raise ValueError("add_histogram: the values are empty")
    if not np.isfinite(a).all():
        raise ValueError("add_histogram: the values contain NaN or infinity")
    edges = _tensorflow_bins() if bins == "tensorflow" else bins
    counts, limits = np.histogram(a, bins=edges)
    if max_bins is not None and len(counts) > max_bins:  # merge neighbours until few enough
        factor = math.ceil(len(counts) / max_bins)
        pad = (-len(counts)) % factor
        counts = np.pad(counts, (0, pad)).reshape(-1, factor).sum(axis=1)
        limits = np.concatenate([limits[:-1:factor], [limits[-1]]])
    nonzero = np.flatnonzero(counts)
    first, last = nonzero[0], nonzero[-1] + 1
    first = max(first - 1, 0)  # one empty bucket below the data, as TensorBoard draws it
    return summary_pb2.HistogramProto(
        min=float(a.min()), max=float(a.max()), num=int(a.size), sum=float(a.sum()),
        sum_squares=float(np.dot(a, a)), bucket_limit=limits[first + 1:last + 1].tolist(),
        bucket=counts[first:last].astype(np.float64).tolist())


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return height, width


class SummaryWriter:
    """Write TensorBoard event files into ``log_dir``; see the module docstring. ``purge_step`` is
    accepted for PyTorch's signature (TensorBoard's own file loader purges on reading)."""

    def __init__(self, log_dir=None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = ""):
        require_tensorboard()
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self._max_queue, self._flush_secs, self._suffix = max_queue, flush_secs, filename_suffix
        self._writer = self._new_file_writer(self.log_dir)
        self._children: dict[str, object] = {}  # add_scalars' and add_hparams' sub-runs

    def _new_file_writer(self, logdir: str):
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
        return EventFileWriter(logdir, self._max_queue, self._flush_secs, self._suffix)

    def get_logdir(self) -> str:
        return self.log_dir

    # ------------------------------------------------------------------ events

    def _add(self, summary_value, global_step, walltime, writer=None) -> None:
        event_pb2, summary_pb2 = _protos()
        if self._writer is None:
            raise ValueError(f"this SummaryWriter ({self.log_dir}) is closed")
        event = event_pb2.Event(wall_time=time.time() if walltime is None else float(walltime),
                                step=0 if global_step is None else int(global_step),
                                summary=summary_pb2.Summary(value=[summary_value]))
        (writer or self._writer).add_event(event)

    def add_scalar(self, tag: str, scalar_value, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """One value of the curve ``tag`` at ``global_step``."""
        _, summary_pb2 = _protos()
        value = _scalar(scalar_value)
        if new_style:
            from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2
            from tensorboard.plugins.scalar import metadata
            dtype = types_pb2.DT_DOUBLE if double_precision else types_pb2.DT_FLOAT
            tensor = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                            **{"double_val" if double_precision else "float_val": [value]})
            v = summary_pb2.Summary.Value(tag=tag, tensor=tensor,
                                          metadata=metadata.create_summary_metadata("", ""))
        else:
            v = summary_pb2.Summary.Value(tag=tag, simple_value=value)
        self._add(v, global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step: int | None = None,
                    walltime: float | None = None) -> None:
        """Several curves on one chart: each key goes to the run ``<log_dir>/<main_tag>_<key>``
        under the tag ``main_tag``, as PyTorch does."""
        _, summary_pb2 = _protos()
        for key, value in tag_scalar_dict.items():
            sub = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{key}")
            if sub not in self._children:
                self._children[sub] = self._new_file_writer(sub)
            v = summary_pb2.Summary.Value(tag=main_tag, simple_value=_scalar(value))
            self._add(v, global_step, walltime, writer=self._children[sub])

    def add_histogram(self, tag: str, values, global_step: int | None = None, bins="tensorflow",
                      walltime: float | None = None, max_bins: int | None = None) -> None:
        """The distribution of ``values`` (an array or Tensor) at ``global_step``."""
        _, summary_pb2 = _protos()
        histo = _histogram_proto(summary_pb2, values, bins, max_bins)
        self._add(summary_pb2.Summary.Value(tag=tag, histo=histo), global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Markdown text, shown by TensorBoard's text dashboard (tag ``<tag>/text_summary``)."""
        _, summary_pb2 = _protos()
        from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2
        from tensorboard.plugins.text import metadata
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[str(text_string).encode()],
                                        tensor_shape=tensor_shape_pb2.TensorShapeProto(
                                            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
        v = summary_pb2.Summary.Value(tag=f"{tag}/text_summary", tensor=tensor,
                                      metadata=metadata.create_summary_metadata("", ""))
        self._add(v, global_step, walltime)

    def add_figure(self, tag: str, figure, global_step: int | None = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """A matplotlib Figure (or a list of them, as ``tag/0``, ``tag/1``...) as a PNG image.
        ``close`` closes a pyplot figure; gradstep's own figures are not pyplot's to close."""
        if isinstance(figure, (list, tuple)):
            for i, f in enumerate(figure):
                self.add_figure(f"{tag}/{i}", f, global_step, close, walltime)
            return
        _, summary_pb2 = _protos()
        buf = io.BytesIO()
        figure.savefig(buf, format="png")
        png = buf.getvalue()
        height, width = _png_size(png)
        image = summary_pb2.Summary.Image(height=height, width=width, colorspace=4, encoded_image_string=png)
        self._add(summary_pb2.Summary.Value(tag=tag, image=image), global_step, walltime)
        plt = sys.modules.get("matplotlib.pyplot")
        if close and plt is not None and plt.fignum_exists(getattr(figure, "number", -1)):
            plt.close(figure)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete: dict | None = None,
                    run_name: str | None = None, global_step: int | None = None) -> None:
        """One trial for TensorBoard's HParams dashboard: its hyperparameters (bool, number or
        string) and final metrics, written as PyTorch does into the sub-run ``run_name`` (default
        the current time) with the metrics also as scalars there."""
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("add_hparams takes two dicts: hparam_dict and metric_dict")
        _, summary_pb2 = _protos()
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
        domains = hparam_domain_discrete or {}
        infos, start = [], plugin_data_pb2.SessionStartInfo(start_time_secs=time.time())
        for name, value in hparam_dict.items():
            info = api_pb2.HParamInfo(name=name)
            if isinstance(value, bool):
                start.hparams[name].bool_value, info.type = value, api_pb2.DATA_TYPE_BOOL
            elif isinstance(value, (int, float, np.integer, np.floating)):
                start.hparams[name].number_value, info.type = float(value), api_pb2.DATA_TYPE_FLOAT64
            elif isinstance(value, str):
                start.hparams[name].string_value, info.type = value, api_pb2.DATA_TYPE_STRING
            elif value is None or isinstance(value, (list, tuple)):
                start.hparams[name].string_value, info.type = str(value), api_pb2.DATA_TYPE_STRING
            else:
                raise TypeError(f"add_hparams: hparam {name!r} is a {type(value).__name__}; allowed: bool, "
                                f"int, float, str (lists, tuples and None are written as text)")
            if name in domains:
                info.domain_discrete.extend(list(domains[name]))
            infos.append(info)
        metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict]
        experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
        end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS)
        sub = os.path.join(self.log_dir, run_name or str(time.time()))
        writer = self._children.get(sub) or self._new_file_writer(sub)
        self._children[sub] = writer
        for tag, data in ((metadata.EXPERIMENT_TAG, {"experiment": experiment}),
                          (metadata.SESSION_START_INFO_TAG, {"session_start_info": start}),
                          (metadata.SESSION_END_INFO_TAG, {"session_end_info": end})):
            meta = metadata.create_summary_metadata(plugin_data_pb2.HParamsPluginData(**data))
            self._add(summary_pb2.Summary.Value(tag=tag, metadata=meta, tensor=metadata.NULL_TENSOR),
                      None, None, writer=writer)
        for key, value in metric_dict.items():
            self._add(summary_pb2.Summary.Value(tag=key, simple_value=_scalar(value)), global_step, None,
                      writer=writer)

    # ------------------------------------------------------------------ files

    def flush(self) -> None:
        """Write everything pending to disk."""
        for w in [self._writer, *self._children.values()]:
            if w is not None:
                w.flush()

    def close(self) -> None:
        """Flush and close every event file; closing twice is harmless."""
        for w in [self._writer, *self._children.values()]:
            if w is not None:
                w.close()
        self._writer, self._children = None, {}

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
