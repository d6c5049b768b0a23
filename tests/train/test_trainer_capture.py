"""Trainer runs its steps as a captured step (``compile_step``) where it can, with the eager loop's
bits: weights, optimizer state, losses and metrics; and runs eagerly where it cannot."""

import math
import warnings

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn, optim
from gradstep.data import DataLoader, TensorDataset
from gradstep.train import Callback, Trainer


def _data(n=100, features=20, classes=3, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = gs.tensor(rng.standard_normal((n, features)).astype(dtype))
    return TensorDataset(x, gs.tensor(rng.integers(0, classes, n)))


def _loader(ds, batch=16):  # 100 samples in batches of 16: the last one is shorter (its own tape)
    return DataLoader(ds, batch_size=batch, shuffle=True, generator=gs.Generator(3))


def _mlp():
    gs.manual_seed(0)
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))


def _cnn():
    gs.manual_seed(0)
    return nn.Sequential(nn.Unflatten(1, (1, 4, 5)), nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3))


def _fit(build, mode, epochs=3, make_opt=None, callbacks=(), **kw):
    model = build()
    opt = (make_opt or (lambda p: optim.Adam(p, lr=1e-2)))(model.parameters())
    trainer = Trainer(model, opt, kw.pop("loss_fn", nn.CrossEntropyLoss()), verbose=0, compile_step=mode,
                      callbacks=callbacks, **kw)
    hist = trainer.fit(_loader(_data()), epochs=epochs, val_loader=kw.get("val") or None)
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    opt_state = [{k: np.array(v._data if isinstance(v, gs.Tensor) else v) for k, v in s.items()}
                 for s in opt.state.values()]
    return trainer, hist, state, opt_state


def _assert_same(a, b):
    (_, ha, sa, oa), (_, hb, sb, ob) = a, b
    assert ha.iteration_loss == hb.iteration_loss
    untimed = [[{k: v for k, v in e.items() if k != "time"} for e in h.epochs] for h in (ha, hb)]
    assert untimed[0] == untimed[1]
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].dtype == sb[k].dtype and np.array_equal(sa[k], sb[k]), k
    assert len(oa) == len(ob)
    for x, y in zip(oa, ob):
        assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x)


@pytest.mark.parametrize("build", [_mlp, _cnn], ids=["mlp", "cnn-batchnorm"])
@pytest.mark.parametrize("make_opt", [lambda p: optim.Adam(p, lr=1e-2),
                                      lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3)],
                         ids=["adam", "sgd"])
def test_a_network_of_gradsteps_layers_is_captured_with_the_eager_bits(build, make_opt):
    eager = _fit(build, False, make_opt=make_opt)
    captured = _fit(build, "auto", make_opt=make_opt)
    assert not eager[0].captured and captured[0].captured and captured[0].capture_refused is None
    _assert_same(eager, captured)


def test_schedulers_clipping_and_a_callback_that_sets_the_lr_before_the_update_see_the_eager_bits():
    class Halve(Callback):  # changes the hyperparameter between the backward and the update
        def on_before_optimizer_step(self, trainer):
            for g in trainer.optimizer.param_groups:
                g["lr"] *= 0.9

    def run(mode):
        model = _mlp()
        opt = optim.Adam(model.parameters(), lr=1e-2)
        sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, scheduler_interval="step",
                          grad_clip_norm=0.05, callbacks=[Halve()], verbose=0, compile_step=mode)
        hist = trainer.fit(_loader(_data()), epochs=2)
        return trainer.captured, hist.iteration_loss, [p.detach().numpy().copy() for p in model.parameters()]

    (ce, le, pe), (cc, lc, pc) = run(False), run("auto")
    assert (ce, cc) == (False, True)
    assert le == lc
    assert all(np.array_equal(a, b) for a, b in zip(pe, pc))


def test_a_layer_of_its_own_is_run_eagerly_unless_compile_step_is_true():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            gs.manual_seed(0)
            self.a, self.b = nn.Linear(20, 32), nn.Linear(32, 3)

        def forward(self, x):
            return self.b(self.a(x).relu())

    auto, forced, eager = _fit(Net, "auto"), _fit(Net, True), _fit(Net, False)
    assert (auto[0].captured, forced[0].captured, eager[0].captured) == (False, True, False)
    _assert_same(eager, auto)
    _assert_same(eager, forced)


def test_a_step_the_tape_refuses_runs_eagerly_with_the_same_random_draws():
    def build():
        gs.manual_seed(0)
        return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))

    eager, auto = _fit(build, False), _fit(build, "auto")
    assert not auto[0].captured and "random numbers" in auto[0].capture_refused
    _assert_same(eager, auto)
    with pytest.warns(UserWarning, match=r"compile_step=True.*random numbers"):
        forced = _fit(build, True)
    _assert_same(eager, forced)


def test_a_hook_added_during_the_fit_runs_at_every_later_step():
    seen = []

    class AddHook(Callback):
        def on_epoch_start(self, trainer):
            if trainer.epoch == 1:
                trainer.model[0].register_forward_hook(lambda m, a, out: seen.append(out.shape[0]))

    trainer, hist, _, _ = _fit(_mlp, "auto", callbacks=[AddHook()])
    assert trainer.captured  # the first epoch's steps
    assert len(seen) == 2 * 7  # every step of epochs 2 and 3 ran the hook
    eager_seen = list(seen)
    seen.clear()
    _fit(_mlp, False, callbacks=[AddHook()])
    assert seen == eager_seen


def test_a_replaced_layer_is_trained_not_the_recorded_one():
    class Swap(Callback):
        def on_epoch_start(self, trainer):
            if trainer.epoch == 1:
                gs.manual_seed(5)
                trainer.model[2] = nn.Linear(32, 3)
                trainer.optimizer.add_param_group({"params": list(trainer.model[2].parameters())})

    eager, auto = _fit(_mlp, False, callbacks=[Swap()]), _fit(_mlp, "auto", callbacks=[Swap()])
    assert auto[0].captured
    _assert_same(eager, auto)


def test_the_guard_stops_a_captured_step_before_its_update_as_it_stops_an_eager_one():
    def run(mode):
        model = _mlp()
        opt = optim.SGD(model.parameters(), lr=1e6)
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), verbose=0, compile_step=mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hist = trainer.fit(_loader(_data()), epochs=3)
        return trainer, hist, [p.detach().numpy().copy() for p in model.parameters()]

    (te, he, pe), (tc, hc, pc) = run(False), run("auto")
    assert te.diverged and tc.diverged and tc.captured
    assert te.stop_reason == tc.stop_reason
    assert he.iteration_loss == hc.iteration_loss or all(
        a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(he.iteration_loss, hc.iteration_loss))
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(pe, pc))


def test_loss_kinds_that_auto_captures_give_the_eager_bits():
    ds = _data()

    def run(mode):
        model = _mlp()
        opt = optim.Adam(model.parameters(), lr=1e-2)
        trainer = Trainer(model, opt, nn.MSELoss(), verbose=0, compile_step=mode)
        targets = TensorDataset(ds.tensors[0], gs.tensor(np.eye(3, dtype=np.float32)[ds.tensors[1].numpy()]))
        hist = trainer.fit(_loader(targets), epochs=2)
        return trainer.captured, hist.iteration_loss, [p.detach().numpy().copy() for p in model.parameters()]

    (ce, le, pe), (cc, lc, pc) = run(False), run("auto")
    assert (ce, cc) == (False, True) and le == lc
    assert all(np.array_equal(a, b) for a, b in zip(pe, pc))


@pytest.mark.parametrize("value", ["yes", 1, 0, None, "Auto"])
def test_compile_step_takes_auto_true_or_false(value):
    model = _mlp()
    with pytest.raises(ValueError, match=r"^compile_step must be 'auto', True or False, got "):
        Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), compile_step=value)


def test_accumulated_gradients_and_numpy_targets_run_eagerly():
    model = _mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=0,
                      accumulate_steps=2)
    trainer.fit(_loader(_data()), epochs=1)
    assert not trainer.captured
    ds = _data()
    pairs = [(ds.tensors[0][i:i + 10], ds.tensors[1].numpy()[i:i + 10]) for i in range(0, 100, 10)]
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1),
                      lambda out, y: nn.functional.cross_entropy(out, gs.tensor(y)), verbose=0,
                      compile_step=True)
    trainer.fit(pairs, epochs=1)
    assert not trainer.captured and trainer.global_step == 10
