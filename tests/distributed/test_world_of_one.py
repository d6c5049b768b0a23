"""Without an MPI launch: a world of one process in which the same code runs unchanged, and the
pieces of DistributedDataParallel that need no second process."""

import io
import os
import sys

import numpy as np
import pytest

import gradstep as gs
import gradstep.distributed as dist
from gradstep import nn
from gradstep.data import DataLoader, TensorDataset
from gradstep.distributed import world
from gradstep.models import mlp
from gradstep.optim.flat import whole_flat_arrays
from gradstep.serialization import CheckpointError
from gradstep.train import Accuracy, Metric, Trainer


@pytest.fixture
def fresh_world(monkeypatch):
    """A world not yet initialised, restored afterwards; no launcher in the environment."""
    for var in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(world, "_world", None)
    yield


def test_init_without_a_launcher_is_a_world_of_one(fresh_world):
    assert not dist.is_initialized()
    dist.init()
    assert dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.is_main_process()) == (0, 1, True)
    assert dist.communicator() is None
    assert dist.processes() == [{"rank": 0, "pid": os.getpid(), "host": dist.processes()[0]["host"]}]
    dist.barrier()


def test_functions_initialise_on_first_use(fresh_world):
    assert dist.get_world_size() == 1 and dist.is_initialized()


def test_a_launch_of_several_processes_without_mpi4py_says_what_to_install(fresh_world, monkeypatch):
    monkeypatch.setenv("PMI_RANK", "1")
    monkeypatch.setenv("PMI_SIZE", "4")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import fails as if not installed
    with pytest.raises(dist.DistributedError, match=r"rank 1 of 4, but mpi4py is not installed: "
                                                    r"pip install 'gradstep\[mpi\]'"):
        dist.init()
    assert not dist.is_initialized()


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", dist.ReduceOp.AVG])
def test_collectives_leave_a_world_of_one_unchanged(fresh_world, op):
    a = np.array([1.5, -2.0], np.float32)
    assert dist.all_reduce(a, op=op) is a and a.tolist() == [1.5, -2.0] and a.dtype == np.float32
    t = gs.tensor([3.0])
    assert dist.all_reduce(t, op=op) is t and t.tolist() == [3.0]
    assert dist.broadcast(a) is a and a.tolist() == [1.5, -2.0]
    g = dist.all_gather(a)
    assert g.shape == (1, 2) and g.tolist() == [[1.5, -2.0]] and not np.shares_memory(g, a)
    assert dist.all_gather_json({"a": [1, "é"]}) == [{"a": [1, "é"]}]


def test_collectives_reject_bad_arguments(fresh_world):
    with pytest.raises(ValueError, match="unknown op 'prod'"):
        dist.all_reduce(np.ones(2), op="prod")
    with pytest.raises(TypeError, match="floating-point array, got int64"):
        dist.all_reduce(np.ones(2, np.int64), op="mean")
    with pytest.raises(ValueError, match=r"C-contiguous array; got one of shape \(2,\)"):
        dist.all_reduce(np.ones(4)[::2])
    with pytest.raises(TypeError, match="takes a NumPy array or a Tensor, got list"):
        dist.broadcast([1.0, 2.0])
    with pytest.raises(ValueError, match="src 1 is not a rank of this world of 1"):
        dist.broadcast(np.ones(2), src=1)


# --------------------------------------------------------------------------- DistributedDataParallel

def _data():
    g = gs.Generator(0)
    return TensorDataset(gs.randn(64, 12, generator=g), gs.randint(0, 3, (64,), generator=g))


def test_ddp_in_a_world_of_one_is_the_module(fresh_world):
    gs.manual_seed(0)
    inner = mlp(12, [8], 3)
    model = dist.DistributedDataParallel(inner)
    assert model.module is inner and dist.unwrap_model(model) is inner and dist.unwrap_model(inner) is inner
    assert [id(p) for p in model.parameters()] == [id(p) for p in inner.parameters()]
    assert list(model.state_dict()) == ["module." + k for k in inner.state_dict()]  # PyTorch's keys
    x = gs.randn(5, 12)
    np.testing.assert_array_equal(model(x).detach().numpy(), inner(x).detach().numpy())
    assert all(p._hooks is None for p in inner.parameters())  # nothing to average: no hooks
    model.eval()
    assert not inner.training
    with model.no_sync():
        assert not model._reducer.sync
    assert model._reducer.sync


def test_ddp_rejects_devices_and_non_modules(fresh_world):
    with pytest.raises(ValueError, match="runs on the CPU: device_ids and output_device must be None"):
        dist.DistributedDataParallel(mlp(2, [2], 2), device_ids=[0])
    with pytest.raises(TypeError, match="wraps an nn.Module, got function"):
        dist.DistributedDataParallel(lambda x: x)


def _fit(wrap: bool, tmp_path=None):
    gs.manual_seed(0)
    model = mlp(12, [8], 3)
    if wrap:
        model = dist.DistributedDataParallel(model)
    loader = DataLoader(_data(), batch_size=16, shuffle=True, generator=gs.Generator(1))
    trainer = Trainer(model, gs.optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), verbose=0)
    trainer.fit(loader, epochs=2)
    if tmp_path is not None:
        trainer.save_checkpoint(tmp_path / "ckpt.safetensors")
    return trainer


def test_the_same_script_trains_the_same_with_and_without_the_wrapper(fresh_world, tmp_path):
    plain, wrapped = _fit(False), _fit(True, tmp_path)
    for a, b in zip(plain.model.parameters(), wrapped.model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert plain.history.iteration_loss == wrapped.history.iteration_loss
    state = gs.load(tmp_path / "ckpt.safetensors")
    assert set(state["model"]) == set(plain.model.state_dict())  # portable: no "module." prefix
    assert state["trainer"]["world_size"] == 1


def test_a_checkpoint_of_another_world_size_is_refused(fresh_world, tmp_path):
    trainer = _fit(True, tmp_path)
    state = gs.load(tmp_path / "ckpt.safetensors")
    state["trainer"]["world_size"] = 4
    gs.save(state, tmp_path / "four.safetensors")
    with pytest.raises(CheckpointError, match=r"four.safetensors: the checkpoint was written by a run on 4 "
                                              r"process\(es\) and this run has 1: resume it with the same "
                                              r"number \(mpiexec -n 4\)"):
        trainer.load_checkpoint(tmp_path / "four.safetensors")


def test_the_trainer_wants_the_wrapper_when_several_processes_run(fresh_world, monkeypatch):
    monkeypatch.setattr(world, "_world", world._World(None, None, 0, 2))  # as if rank 0 of 2
    model = mlp(4, [4], 2)
    with pytest.raises(ValueError, match="not wrapped in gradstep.distributed.DistributedDataParallel"):
        Trainer(model, gs.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss())


# --------------------------------------------------------------------------- finding the flat gradients

def _backward(model):
    x, y = gs.randn(4, 12), gs.randint(0, 3, (4,))
    nn.functional.cross_entropy(model(x), y).backward()


def test_the_reducer_averages_a_flat_optimizers_gradient_buffer_in_place(fresh_world):
    model = dist.DistributedDataParallel(mlp(12, [8], 3))
    opt = gs.optim.SGD(model.parameters(), lr=0.1)
    _backward(model)
    model._reducer.average()
    (seg,) = opt._layout(opt.param_groups[0])
    assert len(model._reducer._flat) == 1 and model._reducer._flat[0] is seg.grad
    assert model._reducer._own == []  # no copy of its own


def test_without_flat_buffers_the_reducer_makes_one_and_backward_fills_it(fresh_world):
    model = dist.DistributedDataParallel(mlp(12, [8], 3))
    opt = gs.optim.SGD(model.parameters(), lr=0.1, flat=False)
    _backward(model)
    before = [p.grad.numpy().copy() for p in model.parameters()]
    model._reducer.average()
    (own,) = model._reducer._flat
    assert own.size == sum(p.numel() for p in model.parameters())
    for p, b in zip(model.parameters(), before):
        assert p.grad.numpy().base is own
        np.testing.assert_array_equal(p.grad.numpy(), b)
    opt.step()
    opt.zero_grad()
    _backward(model)  # the next gradients land in the reducer's buffer directly
    assert all(p.grad.numpy().base is own for p in model.parameters())


def test_whole_flat_arrays():
    flat = np.zeros(10, np.float32)
    a, b = flat[:4].reshape(2, 2), flat[4:]
    assert [x is flat for x in whole_flat_arrays([b, a])] == [True]  # any order of the views
    assert whole_flat_arrays([a]) is None                          # not the whole array
    assert whole_flat_arrays([a, flat[3:]]) is None                # overlapping
    assert whole_flat_arrays([np.zeros(3)]) is None                # not a view
    other = np.zeros(3, np.float64)
    found = whole_flat_arrays([a, other[:], b])
    assert len(found) == 2 and found[0] is flat and found[1] is other


# --------------------------------------------------------------------------- metrics as sums

def test_metrics_add_up_as_sums():
    m = Accuracy()
    m.update(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 1, 1]))
    assert m.sums().tolist() == [2.0, 3.0] and m.sums().dtype == np.float64
    m.set_sums(m.sums() * 2)
    assert (m.correct, m.total, m.compute()) == (4, 6, 4 / 6)

    class Median(Metric):
        name = "median"

    with pytest.raises(NotImplementedError, match="metric Median does not say how to add it up"):
        Median().sums()


def test_a_disabled_progress_bar_prints_nothing(fresh_world):
    from gradstep.train import ProgressBar
    stream = io.StringIO()
    bar = ProgressBar(stream=stream)
    bar.disable()
    model = mlp(12, [8], 3)
    trainer = Trainer(model, gs.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=0,
                      callbacks=[bar])
    trainer.fit(DataLoader(_data(), batch_size=16), epochs=1)
    assert stream.getvalue() == ""
    bar.enable()
    trainer.fit(DataLoader(_data(), batch_size=16), epochs=2)  # a second fit trains 2 epochs more
    assert stream.getvalue().startswith("epoch 2/3")
