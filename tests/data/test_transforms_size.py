"""Resize, crops and padding with torchvision's semantics: a tensor image is resized as
``torch.nn.functional.interpolate`` (what torchvision does for tensors), a NumPy uint8 image as
PIL's bilinear resize (what torchvision does for PIL images)."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.data import transforms as T


@pytest.mark.parametrize("size,antialias,mode", [
    ((5, 7), True, "bilinear"), ((17, 30), True, "bilinear"), ((6, 9), False, "bilinear"),
    ((5, 20), True, "nearest"), (8, True, "bilinear")])
def test_resizing_a_tensor_image_matches_torch(size, antialias, mode, torch):
    x = np.random.default_rng(0).random((3, 11, 14)).astype(np.float32)
    out = T.Resize(size, interpolation=mode, antialias=antialias)(gs.tensor(x))
    h, w = (size, int(size * 14 / 11)) if isinstance(size, int) else size
    want = torch.nn.functional.interpolate(torch.tensor(x)[None], size=(h, w), mode=mode,
                                           antialias=antialias if mode == "bilinear" else False)[0]
    assert out.shape == (3, h, w)
    np.testing.assert_allclose(out.numpy(), want.numpy(), atol=1e-6)


@pytest.mark.parametrize("size", [(14, 14), (64, 48), (20, 9)])
def test_resizing_a_uint8_image_matches_pil_within_one_level(size):
    Image = pytest.importorskip("PIL.Image")
    img = (np.random.default_rng(1).random((28, 32, 3)) * 255).astype(np.uint8)
    out = T.Resize(size)(img)
    want = np.asarray(Image.fromarray(img).resize(size[::-1], Image.BILINEAR))
    assert out.dtype == np.uint8 and out.shape == want.shape
    assert np.abs(out.astype(int) - want.astype(int)).max() <= 1


def test_resize_keeps_the_aspect_ratio_for_an_int_size():
    img = np.zeros((28, 42), np.uint8)
    assert T.Resize(14)(img).shape == (14, 21)
    assert T.Resize(14, max_size=20)(img).shape == (13, 20)
    assert T.Resize([10])(np.zeros((40, 20), np.uint8)).shape == (20, 10)
    with pytest.raises(TypeError, match="size should be"):
        T.Resize("big")


def test_center_crop_and_pad_follow_torchvisions_offsets():
    img = np.arange(7 * 8).reshape(7, 8)
    # top = round((7 - 3) / 2) = 2, left = round((8 - 4) / 2) = 2
    np.testing.assert_array_equal(T.CenterCrop((3, 4))(img), img[2:5, 2:6])
    big = T.CenterCrop(10)(img)  # larger than the image: zero-padded around it
    assert big.shape == (10, 10) and big.sum() == img.sum() and big[0].sum() == 0
    t = gs.tensor(img[None].astype(np.float32))
    np.testing.assert_array_equal(T.CenterCrop(3)(t).numpy()[0], img[2:5, 2:5])
    padded = T.Pad((1, 2), fill=9)(img)
    assert padded.shape == (11, 10) and padded[0, 0] == 9 and padded[2, 1] == img[0, 0]
    assert T.Pad(1, padding_mode="reflect")(img)[0, 1] == img[1, 0]


def test_random_resized_crop_gives_the_size_and_a_window_of_the_image():
    gs.manual_seed(0)
    img = np.tile(np.arange(32, dtype=np.uint8), (32, 1))
    t = T.RandomResizedCrop(16, scale=(0.5, 1.0))
    for _ in range(5):
        out = t(img)
        assert out.shape == (16, 16) and out.min() >= 0 and out.max() <= 31
    i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
    assert 0 <= i <= 32 - h and 0 <= j <= 32 - w and 0.08 * 1024 * 0.9 <= h * w <= 1024
    i, j, h, w = T.RandomCrop.get_params(img, (8, 10))
    assert (h, w) == (8, 10) and 0 <= i <= 24 and 0 <= j <= 22


def test_to_pil_image_is_the_numpy_image_to_tensor_reads():
    x = gs.rand(3, 5, 4)
    pic = T.ToPILImage()(x)
    assert pic.shape == (5, 4, 3) and pic.dtype == np.uint8
    np.testing.assert_allclose(T.ToTensor()(pic).numpy(), x.numpy(), atol=1 / 255 + 1e-6)
    assert T.ToPILImage()(gs.rand(1, 5, 4)).shape == (5, 4)


def _rgb(seed=0):
    return np.random.default_rng(seed).random((3, 5, 6)).astype(np.float32)


def test_colour_adjustments_follow_torchvisions_formulas():
    from gradstep.data import transforms_functional as F
    x = _rgb()
    gray = 0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    np.testing.assert_allclose(F.adjust_brightness(gs.tensor(x), 1.5).numpy(), np.clip(1.5 * x, 0, 1),
                               atol=1e-6)
    np.testing.assert_allclose(F.adjust_contrast(gs.tensor(x), 0.3).numpy(),
                               np.clip(0.3 * x + 0.7 * gray.mean(), 0, 1), atol=1e-6)
    np.testing.assert_allclose(F.adjust_saturation(gs.tensor(x), 2.0).numpy(),
                               np.clip(2.0 * x - gray, 0, 1), atol=1e-6)
    import colorsys
    want = np.stack([np.array(colorsys.hsv_to_rgb((h + 0.3) % 1, s, v)) for h, s, v in
                     (colorsys.rgb_to_hsv(*p) for p in x.reshape(3, -1).T)], 1).reshape(x.shape)
    np.testing.assert_allclose(F.adjust_hue(gs.tensor(x), 0.3).numpy(), want, atol=1e-6)
    img = (x.transpose(1, 2, 0) * 255).astype(np.uint8)  # a NumPy (PIL-like) image keeps its dtype
    out = F.adjust_brightness(img, 0.5)
    assert out.dtype == np.uint8 and np.abs(out.astype(int) - np.floor(img * 0.5 + 0.5)).max() == 0


def test_color_jitter_draws_factors_in_its_ranges():
    gs.manual_seed(0)
    x = gs.tensor(_rgb())
    t = T.ColorJitter(brightness=0.5, hue=0.1)
    assert t.brightness == (0.5, 1.5) and t.hue == (-0.1, 0.1) and t.contrast is None
    outs = [t(x).numpy() for _ in range(3)]
    assert outs[0].shape == (3, 5, 6) and not np.allclose(outs[0], outs[1])
    assert all(o.min() >= 0 and o.max() <= 1 for o in outs)
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="non negative"):
        T.ColorJitter(brightness=-1)
