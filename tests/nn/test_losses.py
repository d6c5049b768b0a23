"""Loss behaviours beyond the table: stability, label errors, shapes, clamping, legacy arguments,
dtypes, and the meaning of L2Loss."""

import warnings

import numpy as np
import pytest

import gradstep as gs
import gradstep.nn.functional as F
from gradstep import nn


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype, torch):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 1e4], [5e3, -5e3, 1e4]], dtype)
    y = np.array([1, 2, 0])
    gx = gs.tensor(x, requires_grad=True)
    loss = F.cross_entropy(gx, gs.tensor(y), label_smoothing=0.1)
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(gx.grad.numpy()))
    tx = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(y), label_smoothing=0.1)
    tl.backward()
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-5)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("bad", [5, 7, -3])
def test_out_of_range_label_names_label_and_class_count(bad):
    y = gs.tensor([0, bad, 1])
    with pytest.raises(IndexError, match=rf"Target {bad} is out of bounds.*5 classes"):
        F.cross_entropy(gs.randn(3, 5), y)
    with pytest.raises(ValueError, match=rf"Target {bad}"):
        nn.NLLLoss()(gs.randn(3, 5), y)


def test_ignore_index_label_is_not_out_of_range():
    y = gs.tensor([0, -100, 4])
    assert np.isfinite(F.cross_entropy(gs.randn(3, 5), y).item())


def test_all_ignored_mean_is_nan_like_torch(torch):
    x = np.random.randn(2, 3).astype(np.float32)
    y = np.array([-100, -100])
    g = F.cross_entropy(gs.tensor(x), gs.tensor(y)).item()
    t = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(y)).item()
    assert np.isnan(g) and np.isnan(t)


def test_cross_entropy_target_errors():
    x = gs.randn(4, 3)
    with pytest.raises(gs.ShapeError, match=r"expected class-index target of shape \(4,\).*\(4, 1\)"):
        F.cross_entropy(x, gs.tensor([[0], [1], [2], [0]]))
    with pytest.raises(gs.ShapeError, match="integer tensor"):
        F.cross_entropy(x, gs.tensor([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(gs.ShapeError, match=r"weight must have one entry per class, shape \(3,\)"):
        F.cross_entropy(x, gs.tensor([0, 1, 2, 0]), weight=gs.ones(4))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(TypeError, match="target must be a gradstep Tensor"):
        F.cross_entropy(x, [0, 1, 2, 0])


def test_invalid_reduction():
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")


def test_legacy_size_average_and_reduce(torch):
    x, t = np.random.randn(4, 3).astype(np.float32), np.random.randn(4, 3).astype(np.float32)
    for kw in [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = nn.MSELoss(**kw)(gs.tensor(x), gs.tensor(t))
            r = torch.nn.MSELoss(**kw)(torch.tensor(x), torch.tensor(t))
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-5)
    with pytest.warns(UserWarning, match="size_average and reduce"):
        nn.L1Loss(size_average=False)


def test_bce_clamps_log_at_minus_100(torch):
    x = np.array([0.0, 1.0, 0.0, 1.0], np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0], np.float32)
    g = F.binary_cross_entropy(gs.tensor(x), gs.tensor(t), reduction="none")
    r = torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(g.numpy(), [100.0, 100.0, 0.0, 0.0])
    np.testing.assert_allclose(g.numpy(), r.numpy())


def test_bce_rejects_inputs_outside_unit_interval():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(gs.tensor([0.5, 1.5]), gs.tensor([0.0, 1.0]))
    with pytest.raises(gs.ShapeError, match="different to the input size"):
        F.binary_cross_entropy(gs.tensor([[0.5, 0.5]]), gs.tensor([0.0, 1.0]))


def test_bce_with_logits_is_stable_for_huge_logits(torch):
    x = np.array([[-200.0, 200.0, 0.0, 50.0]], np.float32)
    t = np.array([[1.0, 0.0, 0.5, 1.0]], np.float32)
    pw = np.array([2.0, 0.5, 1.0, 3.0], np.float32)
    gx = gs.tensor(x, requires_grad=True)
    g = F.binary_cross_entropy_with_logits(gx, gs.tensor(t), pos_weight=gs.tensor(pw))
    g.backward()
    tx = torch.tensor(x, requires_grad=True)
    r = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(t), pos_weight=torch.tensor(pw))
    r.backward()
    assert np.isfinite(g.item())
    np.testing.assert_allclose(g.item(), r.item(), rtol=1e-5)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("label", ["weight", "pos_weight"])
def test_bce_with_logits_names_a_weight_of_the_wrong_shape(label):
    x, t = gs.randn(4, 3), gs.rand(4, 3)
    F.binary_cross_entropy_with_logits(x, t, **{label: gs.ones(3)})  # broadcast over the batch: fine
    for bad in ((2,), (4, 3, 2)):
        with pytest.raises(gs.ShapeError, match=rf"{label} of shape \({bad[0]},.*does not broadcast to the "
                                                r"loss's shape \(4, 3\)"):
            F.binary_cross_entropy_with_logits(x, t, **{label: gs.ones(*bad)})
        with pytest.raises(gs.ShapeError, match=label):
            nn.BCEWithLogitsLoss(**{label: gs.ones(*bad)})(x, t)


def test_pointwise_broadcast_warns_and_matches_torch(torch):
    x, t = np.random.randn(4, 1).astype(np.float32), np.random.randn(4).astype(np.float32)
    gx = gs.tensor(x, requires_grad=True)
    with pytest.warns(UserWarning, match="different to the input size"):
        g = F.mse_loss(gx, gs.tensor(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx = torch.tensor(x, requires_grad=True)
        r = torch.nn.functional.mse_loss(tx, torch.tensor(t))
    g.backward()
    r.backward()
    np.testing.assert_allclose(g.item(), r.item(), rtol=1e-5)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-5)
    with pytest.raises(gs.ShapeError, match="do not broadcast"):
        F.l1_loss(gs.randn(3, 2), gs.randn(4))


def test_losses_keep_float32_and_cast_targets_down():
    x = gs.randn(4, 3, requires_grad=True)
    loss = F.mse_loss(x, gs.randn(4, 3, dtype=gs.float64))
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    w = gs.ones(3, dtype=gs.float64)
    assert F.cross_entropy(x, gs.tensor([0, 1, 2, 0]), weight=w).dtype == np.float32
    x64 = gs.randn(4, 3, dtype=gs.float64)
    assert nn.CrossEntropyLoss(weight=gs.ones(3))(x64, gs.tensor([0, 1, 2, 0])).dtype == np.float64


def test_l2_loss_is_half_squared_error_and_gives_gluons_per_sample_losses():
    x, t = gs.randn(5, 3), gs.randn(5, 3)
    half_sq = 0.5 * (x.numpy() - t.numpy()) ** 2
    np.testing.assert_allclose(nn.L2Loss()(x, t).item(), half_sq.mean(), rtol=1e-6)
    np.testing.assert_allclose(nn.L2Loss()(x, t).item(), nn.MSELoss()(x, t).item() / 2, rtol=1e-6)
    np.testing.assert_allclose(nn.L2Loss(reduction="sum")(x, t).item(), half_sq.sum(), rtol=1e-6)
    gluon_per_sample = (0.5 * 2.0 * (t.numpy() - x.numpy()) ** 2).mean(axis=1)  # Gluon, weight=2
    ours = nn.L2Loss(weight=2.0, reduction="none")(x, t).flatten(1).mean(1)
    np.testing.assert_allclose(ours.numpy(), gluon_per_sample, rtol=1e-6)


@pytest.mark.parametrize("name,args", [
    ("cross_entropy", lambda: (gs.randn(4, 3), gs.tensor([0, 2, 1, 1]))),
    ("nll_loss", lambda: (gs.randn(4, 3).log_softmax(1), gs.tensor([0, 2, 1, 1]))),
    ("mse_loss", lambda: (gs.randn(4, 3), gs.randn(4, 3))),
    ("l1_loss", lambda: (gs.randn(4, 3), gs.randn(4, 3))),
    ("smooth_l1_loss", lambda: (gs.randn(4, 3), gs.randn(4, 3))),
    ("huber_loss", lambda: (gs.randn(4, 3), gs.randn(4, 3))),
    ("binary_cross_entropy", lambda: (gs.rand(4, 3), gs.rand(4, 3))),
    ("binary_cross_entropy_with_logits", lambda: (gs.randn(4, 3), gs.rand(4, 3))),
    ("l2_loss", lambda: (gs.randn(4, 3), gs.randn(4, 3))),
])
def test_functional_form_matches_module(name, args):
    modules = {"cross_entropy": nn.CrossEntropyLoss, "nll_loss": nn.NLLLoss, "mse_loss": nn.MSELoss,
               "l1_loss": nn.L1Loss, "smooth_l1_loss": nn.SmoothL1Loss, "huber_loss": nn.HuberLoss,
               "binary_cross_entropy": nn.BCELoss, "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss,
               "l2_loss": nn.L2Loss}
    a = args()
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_array_equal(getattr(F, name)(*a, reduction=reduction).numpy(),
                                      modules[name](reduction=reduction)(*a).numpy())


def test_weighted_losses_register_weight_buffers_like_torch(torch):
    w = np.array([1.0, 2.0, 3.0], np.float32)
    g = nn.CrossEntropyLoss(weight=gs.tensor(w))
    t = torch.nn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    g = nn.BCEWithLogitsLoss(pos_weight=gs.tensor(w))
    t = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(nn.CrossEntropyLoss()) == repr(torch.nn.CrossEntropyLoss())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div_batchmean_and_cosine_embedding_match_torch(reduction, torch):
    rng = np.random.default_rng(0)
    logp = rng.standard_normal((4, 3)).astype(np.float32)
    target = rng.dirichlet(np.ones(3), 4).astype(np.float32)
    target[0, 1] = 0.0  # a zero target contributes nothing
    x1, x2 = rng.standard_normal((2, 5, 3)).astype(np.float32)
    y = np.array([1, -1, 1, -1, -1], np.float32)
    results = []
    for m in (gs, torch):
        a, b1 = m.tensor(logp, requires_grad=True), m.tensor(x1, requires_grad=True)
        kl = m.nn.KLDivLoss(reduction=reduction)(a, m.tensor(target))
        red = "mean" if reduction == "batchmean" else reduction
        ce = m.nn.CosineEmbeddingLoss(margin=0.2, reduction=red)(b1, m.tensor(x2), m.tensor(y))
        (kl.sum() + ce.sum()).backward()
        results.append([kl.detach().numpy(), ce.detach().numpy(), a.grad.numpy(), b1.grad.numpy()])
    for g, t in zip(*results):
        np.testing.assert_allclose(g, t, rtol=1e-5, atol=1e-6)
