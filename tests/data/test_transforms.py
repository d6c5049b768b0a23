"""Transforms: torchvision's per-sample results, seeded draws, and batch paths equal to per-sample ones."""

import numpy as np
import pytest

import gradstep as gs
import gradstep.data as gd
from gradstep.data import transforms as T
from gradstep.random import rng


def _img(h=28, w=28, c=None, seed=0):
    r = np.random.default_rng(seed)
    return r.integers(0, 256, size=(h, w) if c is None else (h, w, c), dtype=np.uint8)


@pytest.mark.parametrize("c", [None, 1, 3])
def test_to_tensor_matches_torchvisions_formula(c, torch):
    img = _img(5, 7, c)
    out = T.ToTensor()(img)
    hwc = img if c is not None else img[:, :, None]
    expected = torch.from_numpy(hwc.transpose(2, 0, 1).copy()).to(torch.float32).div(255)
    assert out.dtype == np.float32 and out.shape == tuple(expected.shape)
    assert np.array_equal(out.numpy(), expected.numpy())


def test_to_tensor_leaves_other_dtypes_unscaled_and_checks_its_input():
    out = T.ToTensor()(np.full((2, 3), 7.0, np.float32))
    assert out.shape == (1, 2, 3) and out.numpy().max() == 7.0
    with pytest.raises(TypeError, match="NumPy or PIL image"):
        T.ToTensor()(gs.zeros(1, 2, 2))
    with pytest.raises(ValueError, match="2 or 3 dimensional"):
        T.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))


def test_normalize_matches_torchvisions_formula(torch):
    x = T.ToTensor()(_img(4, 4, 3))
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = T.Normalize(mean, std)(x)
    t = torch.from_numpy(x.numpy().copy())
    expected = t.sub_(torch.tensor(mean).view(-1, 1, 1)).div_(torch.tensor(std).view(-1, 1, 1))
    assert out.dtype == np.float32
    assert np.array_equal(out.numpy(), expected.numpy())
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize((0.5,), (0.0,))(x)
    with pytest.raises(TypeError, match="float tensor"):
        T.Normalize((0.5,), (0.5,))(gs.zeros(1, 2, 2, dtype=gs.uint8))
    with pytest.raises(ValueError, match="channels"):
        T.Normalize((0.5, 0.5), (0.5, 0.5))(x)


def test_flips_draw_one_number_and_flip_the_right_axis():
    img = _img(3, 4, 3)
    t = T.ToTensor()(img)
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(img), img[:, ::-1])
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(t).numpy(), t.numpy()[:, :, ::-1])
    assert np.array_equal(T.RandomVerticalFlip(p=1.0)(img), img[::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    gs.manual_seed(5)
    flips = [not np.array_equal(T.RandomHorizontalFlip()(img), img) for _ in range(200)]
    gs.manual_seed(5)
    expected = [rng().random() < 0.5 for _ in range(200)]
    assert flips == expected


@pytest.mark.parametrize(
    "mode,torch_mode", [("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")]
)
def test_random_crop_pads_like_torch_and_crops_a_seeded_window(mode, torch_mode, torch):
    t = T.ToTensor()(_img(6, 5, 2))
    crop = T.RandomCrop((6, 5), padding=(1, 2, 3, 2), padding_mode=mode, fill=0)
    padded = torch.nn.functional.pad(torch.from_numpy(t.numpy())[None], (1, 3, 2, 2), mode=torch_mode)[
        0
    ].numpy()
    gs.manual_seed(3)
    out = crop(t).numpy()
    gs.manual_seed(3)
    i, j = int(rng().integers(0, padded.shape[1] - 6 + 1)), int(rng().integers(0, padded.shape[2] - 5 + 1))
    assert np.array_equal(out, padded[:, i : i + 6, j : j + 5])


def test_random_crop_sizes_and_errors():
    img = _img(28, 28)
    assert T.RandomCrop(28, padding=4)(img).shape == (28, 28)
    assert T.RandomCrop(24)(img).shape == (24, 24)
    assert T.RandomCrop(30, pad_if_needed=True)(img).shape == (30, 30)
    gs.manual_seed(0)
    state = gs.get_rng_state()
    T.RandomCrop(28)(img)  # no draw when the crop is the whole image, as torchvision
    assert gs.get_rng_state() == state
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(30)(img)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(3, padding_mode="wrap")


def _torchvision_rotate(torch, img_chw: np.ndarray, matrix, fill):
    """torchvision's tensor path for rotate/affine: affine grid + grid_sample(nearest) + fill mask."""
    F = torch.nn.functional
    c, h, w = img_chw.shape
    theta = torch.tensor(matrix, dtype=torch.float32).reshape(1, 2, 3)
    base = torch.empty(1, h, w, 3, dtype=torch.float32)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 + 0.5 - 1, steps=w))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 + 0.5 - 1, steps=h).unsqueeze_(-1))
    base[..., 2].fill_(1)
    grid = (
        base.view(1, h * w, 3).bmm(theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h])).view(1, h, w, 2)
    )
    x = torch.from_numpy(img_chw).to(torch.float32)[None]
    x = torch.cat((x, torch.ones(1, 1, h, w)), dim=1)
    x = F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    mask, x = x[:, -1:] < 0.5, x[:, :-1]
    x[mask.expand_as(x)] = float(fill)
    return x[0].round().to(torch.uint8).numpy()


@pytest.mark.parametrize("seed", range(4))
def test_random_rotation_matches_torchvisions_tensor_path(seed, torch):
    from gradstep.data.transforms import _inverse_affine_matrix

    img = _img(28, 28, seed=seed)[None]  # (1, H, W) tensor image
    rot = T.RandomRotation(40, fill=17)
    gs.manual_seed(seed)
    out = rot(gs.from_numpy(img)).numpy()
    gs.manual_seed(seed)
    angle = float(rng().uniform(-40, 40))
    expected = _torchvision_rotate(
        torch, img, _inverse_affine_matrix([0.0, 0.0], -angle, (0, 0), 1.0, (0, 0)), 17
    )
    assert np.array_equal(out, expected)


def test_random_affine_matches_torchvisions_tensor_path(torch):
    from gradstep.data.transforms import _inverse_affine_matrix

    img = _img(32, 32, c=3).transpose(2, 0, 1).copy()
    aff = T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -3, 3))
    for seed in range(3):
        gs.manual_seed(seed)
        out = aff(gs.from_numpy(img)).numpy()
        gs.manual_seed(seed)
        g = rng()
        angle = float(g.uniform(-20, 20))
        tx, ty = int(round(float(g.uniform(-3.2, 3.2)))), int(round(float(g.uniform(-6.4, 6.4))))
        scale = float(g.uniform(0.8, 1.2))
        shear = [float(g.uniform(-5, 5)), float(g.uniform(-3, 3))]
        m = _inverse_affine_matrix([0.0, 0.0], angle, (float(tx), float(ty)), scale, shear)
        assert np.array_equal(out, _torchvision_rotate(torch, img, m, 0))


def test_rotation_by_90_degrees_is_rot90_on_numpy_images():
    img = _img(28, 28, c=3)
    assert np.array_equal(T.RandomRotation((90, 90))(img), np.rot90(img))
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-3)
    with pytest.raises(ValueError, match="interpolation"):
        T.RandomRotation(3, interpolation="bilinear")


def test_compose_lambda_flatten():
    f = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2), T.Flatten()])
    out = f(_img(2, 3))
    assert out.shape == (6,) and not f.batchable
    with pytest.raises(TypeError, match="callable"):
        T.Lambda(3)
    assert T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,)), T.Flatten()]).batchable


@pytest.mark.parametrize(
    "transform",
    [
        None,
        T.ToTensor(),
        T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,)), T.Flatten()]),
        T.Compose([T.ToTensor(), T.Lambda(lambda x: x + 1)]),  # not batchable: sample by sample
    ],
)
def test_batch_path_equals_sample_by_sample(transform):
    ds = gd.datasets.FashionMNIST(sample=True, train=False, transform=transform)
    idx = np.array([3, 1999, 0, 3, 512])
    expected = gd.default_collate([ds[i] for i in idx.tolist()])
    got = next(iter(gd.DataLoader(gd.Subset(ds, idx.tolist()), batch_size=5)))
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape and np.array_equal(g.numpy(), e.numpy())
    batchable = transform is None or transform.batchable
    assert (ds.__getbatch__(idx) is NotImplemented) == (not batchable)


def test_seed_002_style_function_transform():
    def data_tf(x):
        x = np.array(x, dtype="float32") / 255
        x = (x - 0.5) / 0.5
        return gs.from_numpy(x.reshape((-1,)))

    ds = gd.datasets.FashionMNIST(sample=True, train=False, transform=data_tf)
    x, y = next(iter(gd.DataLoader(ds, batch_size=64, shuffle=True)))
    assert x.shape == (64, 784) and x.dtype == np.float32 and y.dtype == np.int64
    assert -1.0 <= float(x.min()) and float(x.max()) <= 1.0
