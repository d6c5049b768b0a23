"""ImageFolder reads torchvision's layout; make_grid and save_image tile and write image batches
as torchvision does."""

import numpy as np
import pytest

import gradstep as gs
from gradstep.data import transforms as T
from gradstep.data.datasets import ImageFolder
from gradstep.data.vision_utils import make_grid, save_image

Image = pytest.importorskip("PIL.Image")


def _write(path, value, size=(6, 5)):
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(path)


def test_image_folder_sorts_classes_and_files(tmp_path):
    for cls, files in {"dog": ["b.png", "a.jpg"], "cat": ["z.bmp"], "empty_not": ["x.png"]}.items():
        (tmp_path / cls).mkdir()
        for i, f in enumerate(files):
            _write(tmp_path / cls / f, 10 * i + len(cls))
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    ds = ImageFolder(str(tmp_path), transform=T.Compose([T.Resize((4, 4)), T.ToTensor()]))
    assert ds.classes == ["cat", "dog", "empty_not"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "empty_not": 2}
    assert [p.split("/")[-1] for p, _ in ds.samples] == ["z.bmp", "a.jpg", "b.png", "x.png"]
    assert ds.targets == [0, 1, 1, 2]
    x, y = ds[2]  # dog/b.png, written first: every pixel 10 * 0 + len("dog")
    assert x.shape == (3, 4, 4) and y == 1 and abs(x[0, 0, 0].item() - 3 / 255) < 1e-6
    batch = next(iter(gs.data.DataLoader(ds, batch_size=4)))
    assert batch[0].shape == (4, 3, 4, 4) and batch[1].tolist() == [0, 1, 1, 2]


def test_image_folder_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="class folder"):
        ImageFolder(str(tmp_path))
    (tmp_path / "a").mkdir()
    with pytest.raises(FileNotFoundError, match="no valid file for the class a"):
        ImageFolder(str(tmp_path))
    assert len(ImageFolder(str(tmp_path), allow_empty=True)) == 0


def test_make_grid_matches_torchvisions_layout():
    imgs = gs.tensor(np.arange(5 * 1 * 2 * 3, dtype=np.float32).reshape(5, 1, 2, 3))
    grid = make_grid(imgs, nrow=2, padding=1, pad_value=-1)
    # 2 columns, 3 rows, one-channel images repeated over three channels
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)
    g = grid.numpy()
    np.testing.assert_array_equal(g[0, 1:3, 1:4], imgs.numpy()[0, 0])
    np.testing.assert_array_equal(g[2, 4:6, 5:8], imgs.numpy()[3, 0])
    assert g[0, 0, 0] == -1 and g[0, 7:9, 5:8].max() == -1  # the missing sixth image is padding
    single = make_grid(imgs[:1], normalize=True)
    assert single.shape == (3, 2, 3) and single.min().item() == 0 and single.max().item() == 1


def test_save_image_writes_a_whole_png(tmp_path):
    path = tmp_path / "grid.png"
    save_image(gs.rand(4, 3, 8, 8), str(path), nrow=2)
    img = np.asarray(Image.open(path))
    assert img.shape == (2 * 10 + 2, 2 * 10 + 2, 3) and img.dtype == np.uint8
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]
    with pytest.raises(ValueError, match="extension"):
        save_image(gs.rand(3, 4, 4), str(tmp_path / "grid.unknown"))
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]
    with pytest.raises(FileNotFoundError, match="no such folder .*results for .*results/a.png"):
        save_image(gs.rand(3, 4, 4), str(tmp_path / "results" / "a.png"))  # PIL raises this too


def test_fake_data_is_repeatable_per_index():
    from gradstep.data.datasets import FakeData
    ds = FakeData(size=5, image_size=(1, 4, 6), num_classes=3, transform=T.ToTensor())
    x, y = ds[2]
    assert len(ds) == 5 and x.shape == (1, 4, 6) and 0 <= y < 3
    x2, y2 = ds[2]
    assert np.array_equal(x.numpy(), x2.numpy()) and y == y2
    assert not np.array_equal(ds[3][0].numpy(), x.numpy())
    with pytest.raises(IndexError, match="out of range"):
        ds[5]


def test_read_image_gives_uint8_channels_first_as_torchvision_io(tmp_path):
    from gradstep.data.image_io import ImageReadMode, read_image

    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    x = read_image(str(tmp_path / "a.png"))
    assert x.dtype == gs.uint8 and x.shape == (3, 4, 5)
    np.testing.assert_array_equal(x.numpy(), rgb.transpose(2, 0, 1))
    gray = read_image(tmp_path / "a.png", ImageReadMode.GRAY)  # PIL's ITU-R 601-2 luma, as torchvision
    np.testing.assert_array_equal(gray.numpy()[0], np.asarray(Image.fromarray(rgb).convert("L")))
    Image.fromarray(rgb[:, :, 0]).save(tmp_path / "g.png")
    assert read_image(tmp_path / "g.png").shape == (1, 4, 5)
    assert read_image(tmp_path / "g.png", mode=ImageReadMode.RGB).shape == (3, 4, 5)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read the image .*bad.png"):
        read_image(tmp_path / "bad.png")
    with pytest.raises(ValueError, match="mode must be an ImageReadMode"):
        read_image(tmp_path / "a.png", mode="CMYK")
