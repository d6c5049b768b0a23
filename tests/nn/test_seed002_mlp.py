"""Seed 002's network, nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10)) with
nn.CrossEntropyLoss(), built in gradstep and in PyTorch: same state_dict, same logits, same loss
and gradients, and the seed's hand-written SGD update gives the same weights."""

import numpy as np

import gradstep as gs


def _build(nn):
    return nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 10))


def test_state_dict_keys_shapes_and_logits_match_torch(torch):
    g, t = _build(gs.nn), _build(torch.nn)
    assert [(k, tuple(v.shape)) for k, v in g.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()] == \
        [("0.weight", (200, 784)), ("0.bias", (200,)), ("2.weight", (10, 200)), ("2.bias", (10,))]
    g.load_state_dict({k: gs.from_numpy(v.numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).uniform(-1, 1, (64, 784)).astype(np.float32)
    logits = g(gs.from_numpy(x))
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits.detach().numpy(), t(torch.from_numpy(x)).detach().numpy(),
                               atol=1e-5, rtol=1e-4)


def test_training_steps_with_the_seeds_sgd_update_match_torch(torch):
    g, t = _build(gs.nn), _build(torch.nn)
    g.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    g_loss, t_loss = gs.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.uniform(-1, 1, (64, 784)).astype(np.float32)
        y = rng.integers(0, 10, 64)
        losses = []
        for lib, net, crit in ((gs, g, g_loss), (torch, t, t_loss)):
            loss = crit(net(lib.from_numpy(x)), lib.from_numpy(y))
            net.zero_grad()
            loss.backward()
            for param in net.parameters():      # seed 002's sgd_update, verbatim
                param.data = param.data - 1e-2 * param.grad.data
            losses.append(loss.item())
        np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    for (k, a), b in zip(g.state_dict().items(), t.state_dict().values()):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5, rtol=1e-4, err_msg=k)
