"""``compile_step``: the recorded-and-replayed training step gives the eager step's bits (losses,
parameters, gradients, optimizer state), records again for a new shape or mode, and refuses in one
line, before anything changes, what it cannot replay."""

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn
from gradstep.kernels import jit
from gradstep.train import CaptureError, compile_step

OPTIMIZERS = {"adam": lambda ps: gs.optim.Adam(ps, lr=1e-2),
              "sgd": lambda ps: gs.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
              "adamw-numpy": lambda ps: gs.optim.AdamW(ps, lr=1e-2, fused=False),
              "rmsprop-per-parameter": lambda ps: gs.optim.RMSprop(ps, lr=1e-2, flat=False)}


def _mlp(extra=lambda: ()):
    """The network, with the modules ``extra()`` makes after the ReLU."""
    gs.manual_seed(0)
    return nn.Sequential(nn.Linear(12, 16), nn.ReLU(), *extra(), nn.Linear(16, 5))


def _batches(n=7, batch=8, short=3):
    rng = np.random.default_rng(1)
    sizes = [batch] * n + [short]  # the last, shorter batch records a tape of its own
    return [(gs.from_numpy(rng.standard_normal((s, 12)).astype(np.float32)),
             gs.from_numpy(rng.integers(0, 5, s))) for s in sizes]


def _eager(net, crit, opt, x, y):
    loss = crit(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _snapshot(net, opt) -> list:
    arrays = [p.detach().numpy() for p in net.parameters()] + [p.grad.numpy() for p in net.parameters()]
    arrays += [v for st in opt.state.values() for v in st.values() if isinstance(v, np.ndarray)]
    arrays += [b.numpy() for b in net.buffers()]
    return [a.copy() for a in arrays]


def _run(make_opt, compiled: bool, extra=lambda: (), mode=None, batches=None):
    net = _mlp(extra)
    if mode == "eval":
        net.eval()
    crit, opt = nn.CrossEntropyLoss(), make_opt(net.parameters())
    step = compile_step(net, crit, opt) if compiled else None
    losses = [(step(x, y) if compiled else _eager(net, crit, opt, x, y)).item()
              for x, y in batches or _batches()]
    return losses, _snapshot(net, opt), step


def _assert_same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_captured_step_gives_the_eager_steps_bits(name):
    losses, state, _ = _run(OPTIMIZERS[name], compiled=False)
    c_losses, c_state, step = _run(OPTIMIZERS[name], compiled=True)
    assert c_losses == losses
    _assert_same(state, c_state)
    assert len(step._tapes) == 2  # batches of 8 and the last one of 3


def test_a_scheduler_between_steps_gives_the_eager_bits():
    def run(compiled):
        net = _mlp()
        crit, opt = nn.CrossEntropyLoss(), gs.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        sched = gs.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        step = compile_step(net, crit, opt)
        losses = []
        for x, y in _batches():
            losses.append((step(x, y) if compiled else _eager(net, crit, opt, x, y)).item())
            sched.step()
        return losses, _snapshot(net, opt)

    (a, sa), (b, sb) = run(False), run(True)
    assert a == b
    _assert_same(sa, sb)


# What a user may change between steps; the repeated optimizer step must notice each and step as
# ``optimizer.step()`` does (changes keyed by the step after which they happen).
def _lr(opt, net):
    opt.param_groups[0]["lr"] = 3e-3


def _betas(opt, net):
    opt.param_groups[0]["betas"] = (0.5, 0.9)


def _data(opt, net):
    w = net[0].weight
    w.data = w.data * 0.5


def _moment(opt, net):
    st = opt.state[net[2].weight]
    st["exp_avg"] = st["exp_avg"] + 1.0


def _step_count(opt, net):
    opt.state[net[0].bias]["step"] = 1.0  # this parameter's state now differs from its neighbours'


def _grad(opt, net):
    net[0].weight.grad = None  # the next step brings it back


def _load(opt, net):
    opt.load_state_dict(opt.state_dict())


def _weight_decay(opt, net):
    opt.param_groups[0]["weight_decay"] = 0.1


def _maximize(opt, net):
    opt.param_groups[0]["maximize"] = True


def _numpy_rule(opt, net):
    opt.param_groups[0]["fused"] = False


CHANGES = {"lr": _lr, "betas": _betas, "data": _data, "moment": _moment, "step count": _step_count,
           "grad": _grad, "state_dict": _load, "weight decay": _weight_decay, "maximize": _maximize,
           "numpy rule": _numpy_rule}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_repeated_optimizer_step_sees_changes_between_steps(change):
    def run(compiled):
        net = _mlp()
        crit, opt = nn.CrossEntropyLoss(), gs.optim.Adam(net.parameters(), lr=1e-2)
        step = compile_step(net, crit, opt)
        losses = []
        for i, (x, y) in enumerate(_batches(n=9)):
            losses.append((step(x, y) if compiled else _eager(net, crit, opt, x, y)).item())
            if i == 4:
                CHANGES[change](opt, net)
        return losses, _snapshot(net, opt)

    (a, sa), (b, sb) = run(False), run(True)
    assert a == b
    _assert_same(sa, sb)


def test_the_repeated_optimizer_step_replaces_step_while_nothing_changes():
    net = _mlp()
    crit, opt = nn.CrossEntropyLoss(), gs.optim.Adam(net.parameters(), lr=1e-2)
    step, calls, updates = compile_step(net, crit, opt), [], []
    plain, plain_update = opt.step, opt._update
    opt.step = lambda *a: calls.append(1) or plain(*a)
    opt._update = lambda *a: updates.append(1) or plain_update(*a)
    x, y = _batches()[0]
    for _ in range(5):
        step(x, y)
    assert len(calls) == 1  # the recorded step, after which the repeated step is found
    # then Adam's compiled loop is called directly (with compiled kernels off, its NumPy rule runs)
    assert len(updates) == (1 if jit.enabled() else 5)
    assert opt.state[net[0].weight]["step"] == 5.0
    opt.param_groups[0]["params"].append(opt.param_groups[0]["params"].pop(0))  # groups changed
    step(x, y)
    assert len(calls) == 2


def test_batch_norm_and_dropout_in_eval_mode_are_captured_with_the_eager_bits():
    def extra():
        return nn.BatchNorm1d(16), nn.Dropout(0.5)

    losses, state, _ = _run(OPTIMIZERS["adam"], False, extra, mode="eval")
    c_losses, c_state, _ = _run(OPTIMIZERS["adam"], True, extra, mode="eval")
    assert c_losses == losses
    _assert_same(state, c_state)


@pytest.mark.parametrize("compiled_kernels", [True, False])
def test_a_linear_and_its_relu_run_as_one_node_with_the_eager_bits(compiled_kernels):
    """A Linear whose only use is a ReLU runs fused (the product's copy, bias and ReLU in one
    pass when the product is taken as (W x^T)^T: 128 or more outputs, at most 64 rows); a Linear
    whose output is also used elsewhere, or that ends the network, is not fused. Weights with a
    zero row and a NaN-free -0.0 bias, so ReLU's ties at zero are among the values."""
    from gradstep.train.compiled_step import _LinearRelu

    class Skip(nn.Module):  # the first layer's output goes to the ReLU and to the sum
        def __init__(self):
            super().__init__()
            self.a, self.b, self.out = nn.Linear(12, 128), nn.Linear(128, 128), nn.Linear(128, 5)

        def forward(self, x):
            h = self.a(x)
            return self.out(nn.functional.relu(self.b(nn.functional.relu(h))) + h)

    def run(compiled, make):
        gs.manual_seed(0)
        net = make()
        with gs.no_grad():
            for m in net.modules():
                if isinstance(m, nn.Linear) and m.out_features == 128:
                    m.weight[3] = 0.0
                    m.bias[3] = -0.0
        crit, opt = nn.CrossEntropyLoss(), gs.optim.Adam(net.parameters(), lr=1e-2)
        step = compile_step(net, crit, opt)
        losses = [(step(x, y) if compiled else _eager(net, crit, opt, x, y)).item()
                  for x, y in _batches(batch=16, short=70)]
        return losses, _snapshot(net, opt), step

    jit.use(compiled_kernels)
    try:
        for make, fused in ((lambda: nn.Sequential(nn.Linear(12, 128), nn.ReLU(), nn.Linear(128, 128),
                                                   nn.ReLU(), nn.Linear(128, 5)), 2), (Skip, 1)):
            (a, sa, _), (b, sb, step) = run(False, make), run(True, make)
            assert a == b
            _assert_same(sa, sb)
            for tape in step._tapes.values():  # batches of 16 (fused pass) and 70 (two ops' kernels)
                assert [op[0] for op in tape.ops].count(_LinearRelu) == fused
    finally:
        jit.use(None)


def test_a_tape_is_replayed_by_a_program_written_from_numbers_only():
    """The replay is one generated function per tape: its text names nothing from the model, the
    data or the user (classes, tensors, keyword arguments and constants are objects it is given),
    and batch norm in training mode has it add to its step counts."""
    import re

    allowed = {"def", "replay", "x", "y", "o", "r", "gi", "LG", "if", "is", "not", "None", "else", "type",
               "tuple", "len", "return", "ndarray", "asarray", "seed", "give_leaf", "FREED", "counted",
               "_data", "needs_input_grad", "forward", "backward", "edges", "_leaf_grads", "saved_tensors"}
    for extra, mode in ((lambda: (nn.BatchNorm1d(16),), "train"), (lambda: (nn.Dropout(0.5),), "eval")):
        _, _, step = _run(OPTIMIZERS["adam"], True, extra, mode=mode)
        for tape in step._tapes.values():
            tape.program()  # written at a tape's first replay (the last, short batch has none)
            words = set(re.findall(r"[A-Za-z_]\w*", tape.source))
            assert {w for w in words if not re.fullmatch(r"[sHQLnNCKg]\d+", w)} <= allowed, tape.source
            assert ("counted()" in tape.source) == (mode == "train")


def test_batch_norm_in_training_mode_is_captured_with_the_eager_bits_running_statistics_included():
    """Its running statistics are updated by its op (in place, read afresh at each replay) and its
    step count by one per call, as in the eager step; a network that uses one batch norm twice, a
    last shorter batch, and buffers loaded between steps (load_state_dict), replaced, or given new
    values through ``.data``."""
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.bn, self.out = nn.Linear(12, 16), nn.BatchNorm1d(16, momentum=0.3), nn.Linear(16, 5)

        def forward(self, x):
            return self.out(self.bn(nn.functional.relu(self.bn(self.a(x)))))

    def run(compiled, make):
        gs.manual_seed(0)
        net = make()
        crit, opt = nn.CrossEntropyLoss(), gs.optim.Adam(net.parameters(), lr=1e-2)
        step = compile_step(net, crit, opt)
        bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm1d)]
        losses = []
        for k, (x, y) in enumerate(_batches()):
            if k == 2:  # a buffer given new values through ``.data`` (a new array, the same tensor)
                bns[0].running_mean.data = gs.zeros(16)
            if k == 3:  # buffers loaded in place between steps
                bns[0].load_state_dict({**bns[0].state_dict(), "running_mean": gs.full((16,), 0.5)})
            if k == 5:  # and a buffer replaced by a new tensor
                bns[0].running_var = gs.full((16,), 2.0)
            losses.append((step(x, y) if compiled else _eager(net, crit, opt, x, y)).item())
        return losses, _snapshot(net, opt), step

    for make in (lambda: _mlp(lambda: (nn.BatchNorm1d(16),)), Twice):
        (a, sa, _), (b, sb, step) = run(False, make), run(True, make)
        assert a == b
        _assert_same(sa, sb)  # parameters, gradients, optimizer state, every buffer
        assert len(step._tapes) == 2
    assert int(sb[-1]) == 2 * len(_batches())  # Twice's step count: two calls per step


def test_the_small_cnn_in_training_mode_is_captured_with_the_eager_bits():
    """Convolutions, batch norm in training mode, ReLU, max pooling and the linear layers."""
    from gradstep.models import cnn
    rng = np.random.default_rng(5)
    batches = [(gs.from_numpy(rng.standard_normal((s, 1, 28, 28), dtype=np.float32)),
                gs.from_numpy(rng.integers(0, 10, s))) for s in (8, 8, 8, 5)]

    def run(compiled):
        gs.manual_seed(0)
        net = cnn(1, 10)
        crit, opt = nn.CrossEntropyLoss(), gs.optim.Adam(net.parameters(), lr=1e-2)
        step = compile_step(net, crit, opt)
        losses = [(step(x, y) if compiled else _eager(net, crit, opt, x, y)).item() for x, y in batches]
        return losses, _snapshot(net, opt)

    (a, sa), (b, sb) = run(False), run(True)
    assert a == b
    _assert_same(sa, sb)


class _HalvesWhileTraining(nn.Module):
    def forward(self, x):
        return x * 0.5 if self.training else x


def test_switching_modes_and_freezing_record_new_tapes_with_the_eager_bits():
    def run(compiled):
        net = _mlp(lambda: (_HalvesWhileTraining(),))
        crit, opt = nn.CrossEntropyLoss(), gs.optim.Adam(net.parameters(), lr=1e-2)
        step = compile_step(net, crit, opt)
        losses = []
        for k, (x, y) in enumerate(_batches()):
            net.train(k not in (3, 4))
            net[2].train(k != 6)  # one module's mode alone records a tape too
            if k == 4:
                net[0].weight.requires_grad_(False)
            losses.append((step(x, y) if compiled else _eager(net, crit, opt, x, y)).item())
        return losses, [p.detach().numpy().copy() for p in net.parameters()], step

    losses, params, _ = run(False)
    c_losses, c_params, step = run(True)
    assert c_losses == losses
    _assert_same(params, c_params)
    # (8, train), (8, eval), (8, eval, frozen), (8, train, frozen), (8, train, frozen, one module
    # in eval), (3, train, frozen)
    assert len(step._tapes) == 6


def _refused(net, message, x=None, crit=None, y=None):
    """The step is refused with ``message`` and changes nothing: parameters, buffers, the stream."""
    crit = crit or nn.CrossEntropyLoss()
    opt = gs.optim.Adam(net.parameters(), lr=1e-2)
    step = compile_step(net, crit, opt)
    bx, by = _batches()[0]
    before = [t.detach().numpy().copy() for t in (*net.parameters(), *net.buffers())]
    rng = gs.get_rng_state()
    with pytest.raises(CaptureError, match=message) as info:
        step(bx if x is None else x, by if y is None else y)
    assert "\n" not in str(info.value) and str(info.value).endswith("run the eager step")
    _assert_same(before, [t.detach().numpy() for t in (*net.parameters(), *net.buffers())])
    assert gs.get_rng_state() == rng


class _HookOnAnOutput(nn.Module):
    def forward(self, x):
        x = x * 2.0
        x.register_hook(lambda g: g * 3.0)
        return x


class _RetainsAGradient(nn.Module):
    def forward(self, x):
        x = x * 2.0
        x.retain_grad()
        return x


class _CountsCalls(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("calls", gs.zeros(()))

    def forward(self, x):
        with gs.no_grad():
            self.calls.add_(1)
        return x


class _NudgesTheNorm(nn.Module):  # changes batch norm's running mean besides batch norm itself
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(16)

    def forward(self, x):
        with gs.no_grad():
            self.bn.running_mean.add_(1)
        return self.bn(x)


class _AddsAConstant(nn.Module):
    def forward(self, x):
        return x + gs.ones(x.shape[1])  # made in forward, outside any op of the tape


class _InPlace(nn.Module):
    def forward(self, x):
        x = x * 2
        x.add_(1)
        return x


@pytest.mark.parametrize("extra, message", [
    (lambda: (nn.Dropout(0.5),), "draws random numbers"),
    (lambda: (_CountsCalls(),), "a buffer changed outside the recorded ops"),
    (lambda: (_HookOnAnOutput(),), r"has a hook or keeps its gradient \(register_hook"),
    (lambda: (_RetainsAGradient(),), r"has a hook or keeps its gradient \(register_hook"),
    (lambda: (nn.BatchNorm1d(16, momentum=None),), r"BatchNorm1d\(momentum=None\)"),
    (lambda: (_NudgesTheNorm(),), r"batch norm's buffer 2\.bn\.running_mean changed outside its batch norm"),
    (lambda: (_AddsAConstant(),), "nor the output of an earlier op"),
    (lambda: (_InPlace(),), r"or changed in place\)"),
])
def test_what_a_tape_cannot_replay_is_refused_and_changes_nothing(extra, message):
    _refused(_mlp(extra), message)


def test_hooks_and_inputs_that_require_grad_are_refused():
    net = _mlp()
    net[0].register_forward_hook(lambda m, a, out: None)
    _refused(net, "forward hook")
    net = _mlp()
    net[0].weight.register_hook(lambda g: g)
    _refused(net, "a parameter has one")
    x = gs.from_numpy(np.ones((8, 12), np.float32)).requires_grad_()
    _refused(_mlp(), "an input that requires grad", x=x)
    y = gs.from_numpy(np.ones((8, 5), np.float32)).requires_grad_()
    _refused(_mlp(), "a target that requires grad", crit=nn.MSELoss(), y=y)


def test_bad_arguments_are_refused_in_one_line():
    net = _mlp()
    with pytest.raises(TypeError, match="takes a gradstep Module"):
        compile_step(lambda x: x, nn.CrossEntropyLoss(), gs.optim.SGD(net.parameters(), lr=0.1))
    step = compile_step(net, nn.CrossEntropyLoss(), gs.optim.SGD(net.parameters(), lr=0.1))
    with pytest.raises(TypeError, match="takes tensors x and y"):
        step(np.ones((2, 12), np.float32), gs.tensor([0, 1]))
    with pytest.raises(CaptureError, match="LBFGS re-evaluates the loss through a closure"):
        compile_step(net, nn.CrossEntropyLoss(), gs.optim.LBFGS(net.parameters()))
    assert gs.compile_step is compile_step


def test_a_hook_added_after_recording_is_refused_at_the_next_call():
    for add, message in ((lambda net: net[0].register_forward_hook(lambda m, a, out: None), "forward hook"),
                         (lambda net: net[0].weight.register_hook(lambda g: g), "a parameter has one")):
        net = _mlp()
        opt = gs.optim.SGD(net.parameters(), lr=0.1)
        step = compile_step(net, nn.CrossEntropyLoss(), opt)
        (x, y), _ = _batches()[:2]
        step(x, y)
        step(x, y)  # replayed
        add(net)
        before = [p.detach().numpy().copy() for p in net.parameters()]
        with pytest.raises(CaptureError, match=message):
            step(x, y)
        assert all(np.array_equal(a, p.detach().numpy()) for a, p in zip(before, net.parameters()))


CHANGED_LAYERS = {
    "leaky_slope": (lambda: (nn.LeakyReLU(0.01),), lambda net: setattr(net[2], "negative_slope", 0.3)),
    "batchnorm_momentum": (lambda: (nn.BatchNorm1d(16),), lambda net: setattr(net[2], "momentum", 0.7)),
    "batchnorm_eps": (lambda: (nn.BatchNorm1d(16),), lambda net: setattr(net[2], "eps", 0.5)),
    "layer_replaced": (lambda: (), lambda net: net.__setitem__(2, nn.Linear(16, 5))),
    "layer_appended": (lambda: (), lambda net: net.append(nn.Tanh())),
}


@pytest.mark.parametrize("change", list(CHANGED_LAYERS))
def test_a_layer_changed_between_steps_records_a_new_tape_with_the_eager_bits(change):
    extra, edit = CHANGED_LAYERS[change]

    def run(compiled):
        net = _mlp(extra)
        crit, opt = nn.CrossEntropyLoss(), gs.optim.SGD(net.parameters(), lr=0.1)
        step = compile_step(net, crit, opt)
        losses = []
        for i, (x, y) in enumerate(_batches(n=6, short=8)):
            if i == 3:
                gs.manual_seed(4)
                edit(net)
                new = [p for p in net.parameters() if all(p is not q for g in opt.param_groups
                                                          for q in g["params"])]
                if new:
                    opt.add_param_group({"params": new})
            losses.append((step(x, y) if compiled else _eager(net, crit, opt, x, y)).item())
        return losses, [p.detach().numpy().copy() for p in net.parameters()], step

    (le, pe, _), (lc, pc, step) = run(False), run(True)
    assert le == lc
    assert all(np.array_equal(a, b) for a, b in zip(pe, pc))
    assert len(step._tapes) == 1  # the tape of before the change was dropped


def test_a_steady_loop_does_not_look_at_its_layers_again():
    net = _mlp(lambda: (nn.BatchNorm1d(16),))
    step = compile_step(net, nn.CrossEntropyLoss(), gs.optim.Adam(net.parameters(), lr=1e-2))
    looks = []
    plain = step._look
    step._look = lambda: looks.append(1) or plain()
    for x, y in _batches(n=6, short=8):
        step(x, y)
    assert len(looks) == 2  # the first call's, and the recording's after its forward
    net.eval()
    net.train()
    step(*_batches()[0])
    assert len(looks) == 3


def test_a_replay_text_seen_before_is_not_compiled_again():
    from gradstep.train import compiled_step as cs

    def first_program(extra=lambda: ()):
        net = _mlp(extra)
        step = compile_step(net, nn.CrossEntropyLoss(), gs.optim.SGD(net.parameters(), lr=0.1))
        x, y = _batches()[0]
        step(x, y)
        step(x, y)
        (tape,) = step._tapes.values()
        return tape

    a, b = first_program(), first_program()
    assert a.source == b.source and a._program is not b._program  # functions of their own tensors
    assert a._program.__code__ is b._program.__code__  # the one compilation's function body
    assert a._program.__code__ in cs._CODE[a.source].co_consts
    c = first_program(lambda: (nn.Tanh(),))
    assert c.source != a.source and c._program.__code__ is not a._program.__code__
