"""``python -m gradstep.torch``: torch names resolve to gradstep's objects, only while it is active;
a name gradstep lacks stops the program with one line."""

import sys

import pytest

import gradstep as gs
from gradstep.torch import _hook

PAIRS = [
    ("torch.Tensor", "gradstep.Tensor"), ("torch.tensor", "gradstep.tensor"),
    ("torch.float32", "gradstep.float32"), ("torch.no_grad", "gradstep.no_grad"),
    ("torch.nn.Module", "gradstep.nn.Module"), ("torch.nn.Linear", "gradstep.nn.Linear"),
    ("torch.nn.functional.relu", "gradstep.nn.functional.relu"),
    ("torch.nn.init.kaiming_uniform_", "gradstep.nn.init.kaiming_uniform_"),
    ("torch.optim.SGD", "gradstep.optim.SGD"), ("torch.optim.Adam", "gradstep.optim.Adam"),
    ("torch.optim.lr_scheduler.StepLR", "gradstep.optim.lr_scheduler.StepLR"),
    ("torch.autograd.Function", "gradstep.autograd.Function"),
    ("torch.utils.data.DataLoader", "gradstep.data.DataLoader"),
    ("torch.utils.data.TensorDataset", "gradstep.data.TensorDataset"),
    ("torchvision.datasets.FashionMNIST", "gradstep.data.datasets.FashionMNIST"),
    ("torchvision.datasets.MNIST", "gradstep.data.datasets.MNIST"),
    ("torchvision.datasets.CIFAR10", "gradstep.data.datasets.CIFAR10"),
    ("torchvision.transforms.ToTensor", "gradstep.data.transforms.ToTensor"),
    ("torchvision.transforms.Normalize", "gradstep.data.transforms.Normalize"),
    ("torch.save", "gradstep.save"), ("torch.load", "gradstep.load"),
]


def test_torch_names_are_gradsteps_objects(doorway):
    checks = "\n".join(f"print({t} is {g})" for t, g in PAIRS)
    p = doorway("import torch, torch.nn, torch.nn.functional, torch.nn.init, torch.optim\n"
                "import torch.optim.lr_scheduler, torch.autograd, torch.utils.data\n"
                "import torchvision, torchvision.datasets, torchvision.transforms\n"
                "import gradstep, gradstep.data\n" + checks)
    assert p.stdout.split() == ["True"] * len(PAIRS)


def test_the_import_forms_tutorials_use(doorway):
    p = doorway("""
        import torch
        from torch import nn, optim
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, Dataset
        from torchvision import datasets, transforms
        from torchvision.transforms import ToTensor
        from torch.optim.lr_scheduler import StepLR
        import gradstep
        print(nn.Linear is gradstep.nn.Linear, F.relu is gradstep.nn.functional.relu,
              DataLoader is gradstep.data.DataLoader, ToTensor is gradstep.data.transforms.ToTensor,
              datasets.FashionMNIST is gradstep.data.datasets.FashionMNIST)
        """)
    assert p.stdout.split() == ["True"] * 5


def test_scheduler_classes_belong_to_torch_optim_lr_scheduler(doorway):
    p = doorway("""
        import torch
        from torch import nn, optim
        s = optim.lr_scheduler.StepLR(optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1), 2)
        print(type(s).__module__ == torch.optim.lr_scheduler.__name__,
              s.__module__ == optim.lr_scheduler.__name__)
        """)
    assert p.stdout.split() == ["True", "True"]


def test_device_selection_picks_the_cpu(doorway):
    p = doorway("""
        import torch
        print(torch.cuda.is_available(), torch.cuda.device_count(), torch.accelerator.is_available(),
              torch.backends.mps.is_available())
        device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
        if torch.cuda.is_available() or torch.backends.mps.is_available():
            device = "cuda"
        model = torch.nn.Linear(3, 1).to(device)
        x = torch.ones(2, 3, device=device)
        print(device, model(x).device, torch.device(device))
        """)
    assert p.stdout.split() == ["False", "0", "False", "False", "cpu", "cpu", "cpu"]


def test_asking_for_cuda_is_one_clear_line(doorway):
    p = doorway("""
        import torch
        x = torch.zeros(2)
        x = x.to("cuda")
        """, ok=False)
    assert p.returncode == 1
    assert p.stderr.startswith("script.py:4: gradstep runs on the CPU only; device 'cuda' is not available")
    assert p.stderr.count("\n") == 1


def test_arguments_reach_the_script(doorway):
    p = doorway("""
        import sys
        print(sys.argv[1:], __name__)
        """, "--epochs", "3")
    assert p.stdout.strip() == "['--epochs', '3'] __main__"


@pytest.mark.parametrize("use, name", [
    ("torch.fft.fft(torch.zeros(4))", "torch.fft"),
    ("torch.not_a_function(1)", "torch.not_a_function"),
    ("torch.nn.NotALayer(3)", "torch.nn.NotALayer"),
    ("torch.nn.functional.not_a_function(torch.zeros(2))", "torch.nn.functional.not_a_function"),
])
def test_a_missing_name_stops_with_one_line(doorway, use, name):
    p = doorway(f"""
        import torch
        x = 1
        {use}
        """, ok=False)
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("script.py:4: gradstep does not implement " + name)
    assert lines[0].endswith("(see docs/torch-coverage.md)")


@pytest.mark.parametrize("statement, name", [
    ("from torch import not_a_thing", "torch.not_a_thing"),
    ("from torchvision.models import detection", "torchvision.models.detection"),
    ("from torch.nn.parallel import DistributedDataParallel", "torch.nn.parallel.DistributedDataParallel"),
    ("import torch.distributed.fsdp", "torch.distributed.fsdp"),
])
def test_a_missing_import_stops_with_one_line(doorway, statement, name):
    p = doorway(statement, ok=False)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 1 and len(lines) == 1, p.stderr
    assert f"gradstep does not implement {name}" in lines[0]


@pytest.mark.parametrize("statement, words", [
    ("import torchvision\ntorchvision.models.resnet18(weights='DEFAULT')",
     "does not download pretrained weights"),
    ("import torch\ntorch.save(torch.nn.Linear(2, 2), 'whole.pth')", "cannot save a whole Linear module"),
    ("import torch\ntorch.zeros(2).cuda()", "cuda"),
])
def test_what_gradstep_leaves_out_on_purpose_stops_with_one_line(doorway, statement, words):
    p = doorway(statement, ok=False)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 1 and len(lines) == 1, p.stderr
    assert words in lines[0] and lines[0].startswith("script.py:2: ")


def test_an_out_of_scope_module_imports_and_fails_where_it_is_used(doorway):
    """Scripts import torch.onnx, torch.nn.parallel, torch.multiprocessing at the top and use them
    on some paths only (pytorch/examples' dcgan, word_language_model): the import works."""
    p = doorway("""
        import torch, torch.onnx, torch.nn.parallel
        import torch.multiprocessing as mp
        print(hasattr(torch.onnx, "export"), hasattr(torch, "compile"), torch.nn.parallel.__name__)
        mp.set_start_method("spawn")
        """, ok=False)
    assert p.stdout.split() == ["False", "False", "torch.nn.parallel"]
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "script.py:5: gradstep does not implement torch.multiprocessing.set_start_method: gradstep's "
        "DataLoader workers manage their own processes"), p.stderr


def test_out_of_scope_names_give_the_reason(doorway):
    p = doorway("import torch\ntorch.jit.script(None)\n", ok=False)
    assert "gradstep does not implement torch.jit: no TorchScript compiler" in p.stderr


def test_feature_checks_see_a_missing_name_as_absent(doorway):
    p = doorway("""
        import torch
        print(hasattr(torch, "compile"), getattr(torch.nn, "NotALayer", None))
        try:
            import torch_xla
        except ImportError:
            print("no xla")
        """)
    assert p.stdout.split() == ["False", "None", "no", "xla"]


def test_help_explains_the_runner(doorway):
    import subprocess
    p = subprocess.run([sys.executable, "-m", "gradstep.torch", "--help"], capture_output=True, text=True)
    assert p.returncode == 0
    assert "python -m gradstep.torch" in p.stdout and "%load_ext gradstep.torch" in p.stdout


def test_a_missing_script_is_one_line():
    import subprocess
    p = subprocess.run([sys.executable, "-m", "gradstep.torch", "no_such_script.py"], capture_output=True,
                       text=True)
    assert p.returncode == 2 and p.stderr.strip().count("\n") == 0 and "no_such_script.py" in p.stderr


def test_other_errors_keep_their_traceback(doorway):
    p = doorway("import torch\nraise KeyError('mine')\n", ok=False)
    assert p.returncode == 1 and "Traceback" in p.stderr and "KeyError: 'mine'" in p.stderr


def test_prints_as_pytorch_under_the_runner(doorway):
    p = doorway("""
        import torch
        x = torch.tensor([0.1, 0.5], dtype=torch.float64, requires_grad=True)
        print(x.shape)
        print(x)
        print((x * 2).sum())
        """)
    assert p.stdout.splitlines() == ["torch.Size([2])",
                                     "tensor([0.1000, 0.5000], dtype=torch.float64, requires_grad=True)",
                                     "tensor(1.2000, dtype=torch.float64, grad_fn=<SumBackward0>)"]


def test_a_real_torch_is_untouched_outside_the_doorway(torch):
    """The test process imported the real torch (conftest); installing the doorway sets it aside,
    uninstalling puts it back, and importing gradstep alone never installs anything."""
    real = sys.modules["torch"]
    assert "site-packages" in real.__file__ and not _hook.installed()
    import gradstep.torch  # noqa: F401 - importing the doorway does not activate it
    assert not _hook.installed() and sys.modules["torch"] is real
    _hook.install()
    try:
        import torch as seen
        assert isinstance(seen, _hook.TorchModule) and seen.nn.Linear is gs.nn.Linear
        assert repr(gs.zeros(2).shape) == "torch.Size([2])"
    finally:
        _hook.uninstall()
    import torch as again
    assert again is real and sys.modules["torch.nn"] is real.nn
    assert repr(gs.zeros(2).shape) == "(2,)"
    assert torch.nn.Linear(2, 1).weight.shape == torch.Size([1, 2])  # the real one still works


def test_importing_gradstep_does_not_install_the_doorway():
    import subprocess
    code = "import sys, gradstep; print('gradstep.torch' in sys.modules, 'torch' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.stdout.split() == ["False", "False"]


def test_a_module_runs_with_dash_m(tmp_path):
    import os
    import subprocess
    source = "import torch, sys\nprint(torch.nn.Linear(2, 1).weight.shape, sys.argv[1:])\n"
    (tmp_path / "tutorial_mod.py").write_text(source)
    p = subprocess.run([sys.executable, "-m", "gradstep.torch", "-m", "tutorial_mod", "--lr", "0.1"],
                       cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "torch.Size([1, 2]) ['--lr', '0.1']"


def test_torchvision_utils_and_transforms_functional_resolve(doorway):
    p = doorway("""
        import torch
        import torchvision.transforms.functional as TF
        from torchvision.utils import make_grid, save_image
        import torchvision.utils as vutils
        import gradstep.data.transforms_functional as gtf
        import gradstep.data.vision_utils as gvu
        print(make_grid is gvu.make_grid, save_image is gvu.save_image,
              vutils.make_grid is gvu.make_grid, TF.resize is gtf.resize)
        grid = vutils.make_grid(torch.ones(4, 1, 2, 2), nrow=2, padding=1)
        print(tuple(grid.shape), TF.hflip(torch.arange(4.0).reshape(1, 2, 2)).tolist())
        """)
    assert p.stdout.split("\n")[0].split() == ["True"] * 4
    assert p.stdout.split("\n")[1] == "(3, 7, 7) [[[1.0, 0.0], [3.0, 2.0]]]"


def test_torchvision_models_in_the_forms_programs_use(doorway):
    p = doorway("""
        import torch, torchvision
        from torchvision import models
        from torchvision.models.resnet import Bottleneck, ResNet
        names = sorted(n for n in models.__dict__ if n.islower() and not n.startswith("__")
                       and callable(models.__dict__[n]))
        net = models.__dict__["resnet18"]()
        net.fc = torch.nn.Linear(net.fc.in_features, 2)
        print(" ".join(names))
        print(type(net).__name__, tuple(net(torch.randn(2, 3, 32, 32)).shape), Bottleneck.expansion)
        print(isinstance(torchvision.models.resnet18(weights=None), ResNet))
    """)
    names, shape, same = p.stdout.splitlines()
    assert {"resnet18", "resnet50", "vgg16", "alexnet", "mobilenet_v2"} <= set(names.split())
    assert shape == "ResNet (2, 2) 4" and same == "True"
