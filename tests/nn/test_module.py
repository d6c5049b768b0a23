"""Module's behaviours: registration, traversal, modes, gradients, dtype, state_dict, repr, hooks."""

import copy

import numpy as np
import pytest

import gradstep as gs
from gradstep import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.scale = nn.Parameter(gs.ones(3))
        self.register_buffer("steps", gs.zeros(1, dtype=gs.int64))
        self.register_buffer("cache", gs.zeros(3), persistent=False)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)) * self.scale)


def test_registration_order_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "fc2.weight",
                                                       "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(net.state_dict()) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_parameters(prefix="model", recurse=False)] == ["model.scale"]
    assert len(list(net.parameters(recurse=False))) == 1


def test_state_dict_matches_torch_for_the_same_architecture(torch):
    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 3)
            self.act = torch.nn.ReLU()
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
            self.register_buffer("cache", torch.zeros(3), persistent=False)
            self.fc2 = torch.nn.Linear(3, 2)

    g, t = Net(), TNet()
    assert [(k, tuple(v.shape)) for k, v in g.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]


def test_parameters_live_in_the_instance_dict_for_fast_access():
    net = Net()
    assert net.__dict__["scale"] is net._parameters["scale"] is net.scale
    assert net.__dict__["fc1"] is net._modules["fc1"]
    p = nn.Parameter(gs.zeros(3))
    net.scale = p
    assert net.scale is p and net._parameters["scale"] is p
    del net.scale
    assert "scale" not in net._parameters and not hasattr(net, "scale")
    net.fc1 = None
    assert net.fc1 is None and net._modules["fc1"] is None
    assert [n for n, _ in net.named_parameters()] == ["fc2.weight", "fc2.bias"]


def test_assignment_rules_and_messages():
    net = Net()
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        net.scale = gs.ones(3)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'fc1'"):
        net.fc1 = 3
    with pytest.raises(TypeError, match="cannot assign 'list' as buffer 'steps'"):
        net.steps = [1]
    net.steps = gs.ones(1, dtype=gs.int64)
    assert net.state_dict()["steps"].item() == 1
    net.fc1 = nn.Parameter(gs.ones(2))  # a name can move from module to parameter
    assert "fc1" not in net._modules and "fc1" in net._parameters
    with pytest.raises(KeyError, match="attribute 'act' already exists"):
        net.register_buffer("act", gs.ones(1))
    with pytest.raises(KeyError, match="contain"):
        net.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nothing'"):
        _ = net.nothing

    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgot()


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert len(list(seq.modules())) == 3
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_train_eval_propagate():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_zero_grad_and_requires_grad():
    net = Net()
    net(gs.randn(5, 4)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None for g in grads)
    net.zero_grad(set_to_none=False)
    assert all(p.grad is g and not p.grad.numpy().any() for p, g in zip(net.parameters(), grads))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert not net(gs.randn(2, 4)).requires_grad


def test_apply_visits_children_first():
    seen = []
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_to_double_keeps_parameter_identity_and_integer_buffers():
    net = Net()
    params = list(net.parameters())
    net(gs.randn(2, 4)).sum().backward()
    assert net.double() is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in net.parameters())
    assert net.steps.dtype == np.int64 and net.cache.dtype == np.float64
    out = net(gs.randn(2, 4, dtype=gs.float64))
    assert out.dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.to(gs.randn(1, dtype=gs.float64)).fc1.weight.dtype == np.float64
    assert net.to("cpu") is net
    with pytest.raises(TypeError, match="floating point"):
        net.to(gs.int64)
    with pytest.raises(ValueError, match="CPU only"):
        net.to("cuda")


def test_dtype_mismatch_is_reported():
    with pytest.raises(TypeError, match="input dtype float64 and weight dtype float32"):
        nn.Linear(3, 2)(gs.randn(2, 3, dtype=gs.float64))
    with pytest.raises(gs.ShapeError, match=r"\(4, 5\).*\(2, 3\)"):
        nn.Linear(3, 2)(gs.randn(4, 5))


def test_state_dict_shares_memory_and_is_detached():
    net = Net()
    sd = net.state_dict()
    assert not sd["fc1.weight"].requires_grad
    assert not isinstance(sd["fc1.weight"], nn.Parameter)
    sd["fc1.weight"].numpy()[0, 0] = 42.0
    assert net.fc1.weight.detach().numpy()[0, 0] == 42.0
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight


def test_load_state_dict_round_trip_accepts_tensors_and_arrays():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(v.numpy(), w.numpy(), err_msg=k)
    weight = b.fc1.weight
    b.load_state_dict({k: v.numpy() * 2 for k, v in a.state_dict().items()})
    assert b.fc1.weight is weight  # copied in place
    np.testing.assert_allclose(b.fc1.weight.detach().numpy(), 2 * a.fc1.weight.detach().numpy())


def test_load_state_dict_strict_errors_name_keys_and_shapes():
    net = Net()
    sd = dict(net.state_dict())
    del sd["fc2.bias"]
    sd["fc3.weight"] = gs.zeros(2)
    with pytest.raises(nn.StateDictError, match='Missing key\\(s\\) in state_dict: "fc2.bias"') as e:
        net.load_state_dict(sd)
    assert 'Unexpected key(s) in state_dict: "fc3.weight"' in str(e.value)
    assert isinstance(e.value, RuntimeError)
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert missing == ["fc2.bias"] and unexpected == ["fc3.weight"]
    sd = dict(net.state_dict())
    sd["fc1.weight"] = np.zeros((4, 3), np.float32)
    with pytest.raises(nn.StateDictError,
                       match=r"size mismatch for fc1.weight: copying a param with shape \(4, 3\) from "
                             r"checkpoint, the shape in current model is \(3, 4\)"):
        net.load_state_dict(sd, strict=False)
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([1, 2])


def test_load_torch_tensors_directly(torch):
    g = nn.Linear(3, 2)
    t = torch.nn.Linear(3, 2)
    g.load_state_dict(t.state_dict())
    np.testing.assert_array_equal(g.weight.detach().numpy(), t.weight.detach().numpy())


def test_repr_matches_torch(torch):
    def build(nn):
        return nn.Sequential(
            nn.Flatten(), nn.Linear(784, 200), nn.ReLU(), nn.LeakyReLU(0.2, inplace=True),
            nn.Sequential(nn.Linear(200, 10, bias=False), nn.GELU(approximate="tanh"), nn.ELU()),
            nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.Tanh()]),
            nn.ModuleDict({"a": nn.Sigmoid(), "b": nn.Identity()}), nn.Softmax(dim=1),
            nn.LogSoftmax(dim=-1), nn.Unflatten(1, (2, 5)), nn.ReLU(inplace=True))
    assert repr(build(nn)) == repr(build(torch.nn))
    assert str(nn.Parameter(gs.ones(2))).startswith("Parameter containing:\ntensor(")


def test_sequential_indexing_slicing_and_editing(torch):
    def build(nn):
        return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())
    g, t = build(nn), build(torch.nn)
    assert len(g) == 4 and isinstance(g[-1], nn.Tanh) and isinstance(g[0], nn.Linear)
    assert list(g[1:3].state_dict()) == list(t[1:3].state_dict()) == ["2.weight", "2.bias"]
    assert isinstance(g[1:], nn.Sequential)
    with pytest.raises(IndexError, match="out of range"):
        g[4]
    for s in (g, t):
        del s[1]
        s.append(type(s[0])(4, 1))
        s.insert(0, type(s[-2])())
    assert list(g.state_dict()) == list(t.state_dict())
    assert [type(m).__name__ for m in g] == [type(m).__name__ for m in t]
    g[0] = nn.Identity()
    assert isinstance(g[0], nn.Identity)
    from collections import OrderedDict
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.fc is named[0]
    assert (named + nn.Sequential(nn.ReLU()))[2].__class__ is nn.ReLU


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    assert len(layers) == 4 and list(layers[1:3].state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    layers.extend([nn.Tanh()])
    assert len(list(layers.parameters())) == 6
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    d["act"] = nn.ReLU()
    assert list(d) == ["enc", "dec", "act"] and "enc" in d and len(d) == 3
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    d.pop("enc")
    assert list(d.keys()) == ["dec", "act"]
    with pytest.raises(NotImplementedError):
        layers(gs.ones(2))


def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(gs.randn(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy() + 1 + np.zeros((3, 2)),
                               rtol=1e-6)
    assert calls == [(3, 2)]
    h1.remove()
    h2.remove()
    x = gs.randn(3, 2)
    np.testing.assert_allclose(lin(x).detach().numpy(), (x @ lin.weight.T + lin.bias).detach().numpy())


def test_get_submodule_and_parameter():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    assert net.get_submodule("1.1") is net[1][1]
    assert net.get_parameter("1.1.bias") is net[1][1].bias
    with pytest.raises(AttributeError, match="no submodule `5`"):
        net.get_submodule("1.5")
    with pytest.raises(AttributeError, match="no parameter `gamma`"):
        net.get_parameter("0.gamma")


def test_parameter_is_a_leaf_tensor_sharing_memory():
    t = gs.zeros(3)
    p = nn.Parameter(t)
    assert isinstance(p, gs.Tensor) and p.requires_grad and p.is_leaf
    t.numpy()[0] = 5
    assert p.detach().numpy()[0] == 5
    assert type(p * 2) is gs.Tensor
    assert not nn.Parameter(gs.ones(1), requires_grad=False).requires_grad


def test_deepcopy_gives_an_independent_module():
    net = Net()
    net(gs.randn(2, 4)).sum().backward()
    other = copy.deepcopy(net)
    assert other.fc1.weight is not net.fc1.weight
    assert other.fc1.__dict__["weight"] is other.fc1._parameters["weight"]
    assert isinstance(other.fc1.weight, nn.Parameter)
    other.fc1.weight.detach().numpy()[:] = 0
    assert net.fc1.weight.detach().numpy().any()
    out = other(gs.randn(2, 4))
    out.sum().backward()


def test_missing_forward_is_reported():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)
