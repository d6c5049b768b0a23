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


class _OnEpoch(Callback):
    """Runs ``change(trainer)`` as the second epoch starts."""

    def __init__(self, change):
        self.change = change

    def on_epoch_start(self, trainer):
        if trainer.epoch == 1:
            self.change(trainer)


def _set_loss(t):
    t.loss_fn = nn.CrossEntropyLoss(label_smoothing=0.3)


def _set_optimizer(t):
    t.optimizer = optim.SGD(t.model.parameters(), lr=0.05, momentum=0.5)


def _append_layer(t):
    gs.manual_seed(7)
    t.model.append(nn.Tanh())
    t.model.append(nn.Linear(3, 3))
    t.optimizer.add_param_group({"params": list(t.model[-1].parameters())})


def _own_layer(t):
    class Twice(nn.Module):
        def forward(self, x):
            return x * 2

    t.model[1] = Twice()


SETTINGS = {
    "label_smoothing": lambda t: setattr(t.loss_fn, "label_smoothing", 0.3),
    "leaky_slope": lambda t: setattr(t.model[1], "negative_slope", 0.5),
    "batchnorm_momentum": lambda t: setattr(t.model[2], "momentum", 0.9),
    "dropout_from_zero": lambda t: setattr(t.model[4], "p", 0.5),
    "loss_fn_replaced": _set_loss,
    "optimizer_replaced": _set_optimizer,
    "layers_appended": _append_layer,
    "a_layer_of_ones_own": _own_layer,
}


@pytest.mark.parametrize("change", list(SETTINGS))
def test_changes_between_steps_to_settings_layers_loss_or_optimizer_give_the_eager_bits(change):
    def build():
        gs.manual_seed(0)
        return nn.Sequential(nn.Linear(20, 16), nn.LeakyReLU(0.01), nn.BatchNorm1d(16), nn.ReLU(),
                             nn.Dropout(0.0), nn.Linear(16, 3))

    def run(mode):
        model = build()
        opt = optim.Adam(model.parameters(), lr=1e-2)
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), verbose=0, compile_step=mode,
                          callbacks=[_OnEpoch(SETTINGS[change])])
        hist = trainer.fit(_loader(_data()), epochs=3)
        state = {k: v.detach().numpy().copy() for k, v in trainer.model.state_dict().items()}
        return trainer, hist.iteration_loss, state

    (_, le, se), (tc, lc, sc) = run(False), run("auto")
    assert tc.captured  # the first epoch at least
    assert le == lc
    assert se.keys() == sc.keys() and all(np.array_equal(se[k], sc[k]) for k in se)
    if change == "a_layer_of_ones_own":
        assert "Twice is not one of gradstep's own layers" in tc.capture_refused


def test_a_tensor_inside_a_keyword_argument_is_not_kept_as_a_constant():
    """BCEWithLogitsLoss's pos_weight reaches its op inside a dict; changed in place between
    steps, the eager step sees the new values, so the tape is refused."""
    rng = np.random.default_rng(1)
    x = gs.tensor(rng.standard_normal((64, 20)).astype(np.float32))
    ds = TensorDataset(x, gs.tensor((rng.random((64, 3)) > 0.5).astype(np.float32)))

    def run(mode):
        model = _mlp()
        loss = nn.BCEWithLogitsLoss(pos_weight=gs.tensor(np.array([1.0, 2.0, 3.0], np.float32)))
        grow = _OnEpoch(lambda t: t.loss_fn.pos_weight.mul_(3.0))
        trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), loss, verbose=0, compile_step=mode,
                          callbacks=[grow], metrics=())
        return trainer, trainer.fit(_loader(ds), epochs=3).iteration_loss

    (_, le), (tc, lc) = run(False), run(True)
    assert le == lc
    assert not tc.captured and "inside a keyword argument" in tc.capture_refused


def test_gradients_left_before_a_fit_are_dropped_as_it_starts_in_both_paths():
    def run(mode):
        model = _mlp()
        opt = optim.SGD(model.parameters(), lr=0.1)
        ds = _data()
        nn.CrossEntropyLoss()(model(ds.tensors[0]), ds.tensors[1]).backward()  # stray gradients
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), verbose=0, compile_step=mode)
        trainer.fit(_loader(ds), epochs=1)
        return [p.detach().numpy().copy() for p in model.parameters()]

    eager, captured = run(False), run("auto")
    assert all(np.array_equal(a, b) for a, b in zip(eager, captured))
    model = _mlp()  # and the same as without them
    Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=0,
            compile_step=False).fit(_loader(_data()), epochs=1)
    assert all(np.array_equal(a, p.detach().numpy()) for a, p in zip(eager, model.parameters()))


def test_a_fit_after_one_that_raised_runs_from_a_clean_start():
    class Boom(Exception):
        pass

    class Raise(Callback):
        def on_batch_end(self, trainer, logs):
            if trainer.global_step == 3:
                raise Boom

    model = _mlp()
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), verbose=0,
                      callbacks=[Raise()])
    with pytest.raises(Boom):
        trainer.fit(_loader(_data()), epochs=1)
    trainer.callbacks.pop()
    trainer.compile_step = False
    trainer.fit(_loader(_data()), epochs=1)
    assert not trainer.captured and trainer.global_step > 3


def _run_both(build, change, mode=True, make_opt=None, epochs=3):
    """(eager, captured) runs of ``build()`` whose second epoch starts with ``change(trainer)``:
    their losses and final weights, or the exception each raised."""
    def run(m):
        model = build()
        opt = (make_opt or (lambda p: optim.Adam(p, lr=1e-2)))(model.parameters())
        trainer = Trainer(model, opt, nn.CrossEntropyLoss(), verbose=0, compile_step=m,
                          callbacks=[_OnEpoch(change)])
        try:
            losses = trainer.fit(_loader(_data(n=64, features=18)), epochs=epochs).iteration_loss
        except Exception as e:  # noqa: BLE001 - compared between the two paths
            return trainer, (type(e), str(e)), None
        return trainer, losses, [p.detach().numpy().copy() for p in trainer.model.parameters()]

    return run(False), run(mode)


def _assert_runs_agree(eager, captured):
    (_, le, pe), (tc, lc, pc) = eager, captured
    assert tc.captured
    assert le == lc
    assert (pe is None) == (pc is None)
    if pe is not None:
        assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(pe, pc))


def test_a_setting_given_a_new_type_or_changed_inside_a_list_gives_the_eager_bits():
    def hardtanh():
        gs.manual_seed(0)
        return nn.Sequential(nn.Linear(18, 3), nn.Hardtanh())

    _assert_runs_agree(*_run_both(hardtanh, lambda t: setattr(t.model[1], "max_val", np.float64(1.0))))

    def pooled():
        gs.manual_seed(0)
        return nn.Sequential(nn.Unflatten(1, (2, 3, 3)), nn.MaxPool2d([2, 2], stride=[1, 1]), nn.Flatten(),
                             nn.Linear(8, 3))

    def grow(t):
        t.model[1].kernel_size[:] = [1, 1]
        t.model[1].stride[:] = [2, 2]

    _assert_runs_agree(*_run_both(pooled, grow))


def test_parameters_cast_or_reshaped_between_steps_fail_as_the_eager_step_fails():
    (_, le, _), (tc, lc, _) = _run_both(_mlp_18, lambda t: t.model.double(),
                                        make_opt=lambda p: optim.SGD(p, lr=0.1, flat=False))
    assert tc.captured and isinstance(le, tuple) and le == lc and "dtype" in le[1]


def _mlp_18():
    gs.manual_seed(0)
    return nn.Sequential(nn.Linear(18, 32), nn.ReLU(), nn.Linear(32, 3))


def test_an_optimizer_replaced_right_before_the_update_is_the_one_that_steps():
    class Swap(Callback):
        def on_before_optimizer_step(self, trainer):
            if trainer.global_step == 2:
                trainer.optimizer = optim.SGD(trainer.model.parameters(), lr=0.3)

    def run(mode):
        model = _mlp()
        trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), verbose=0,
                          compile_step=mode, callbacks=[Swap()])
        losses = trainer.fit(_loader(_data()), epochs=2).iteration_loss
        return trainer.captured, losses, [p.detach().numpy().copy() for p in model.parameters()]

    (_, le, pe), (cc, lc, pc) = run(False), run("auto")
    assert cc and le == lc and all(np.array_equal(a, b) for a, b in zip(pe, pc))


def test_a_lazy_layer_is_not_recorded_before_it_has_seen_an_input():
    def build():
        gs.manual_seed(0)
        return nn.Sequential(nn.LazyLinear(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))

    (_, le, pe), (tc, lc, pc) = _run_both(build, lambda t: None)
    assert not tc.captured and "LazyLinear before it has seen an input" in tc.capture_refused
    assert le == lc and all(np.array_equal(a, b) for a, b in zip(pe, pc))


def test_a_list_setting_changed_in_place_between_two_steps_of_an_epoch_gives_the_eager_bits():
    """Nothing counts an in-place change of a list, so a tape compares the few list settings it
    recorded at every call (a change at an epoch's start is also seen through the mode switch)."""
    class Grow(Callback):
        def on_batch_end(self, trainer, logs):
            if trainer.global_step == 3:
                trainer.model[1].kernel_size[:] = [1, 1]
                trainer.model[1].stride[:] = [2, 2]

    def run(mode):
        gs.manual_seed(0)
        model = nn.Sequential(nn.Unflatten(1, (2, 3, 3)), nn.MaxPool2d([2, 2], stride=[1, 1]), nn.Flatten(),
                              nn.Linear(8, 3))
        trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(), verbose=0,
                          compile_step=mode, callbacks=[Grow()])
        losses = trainer.fit(_loader(_data(n=64, features=18)), epochs=1).iteration_loss
        return trainer.captured, losses, [p.detach().numpy().copy() for p in model.parameters()]

    (_, le, pe), (cc, lc, pc) = run(False), run("auto")
    assert cc and le == lc and all(np.array_equal(a, b) for a, b in zip(pe, pc))
