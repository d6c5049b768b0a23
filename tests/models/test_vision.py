"""torchvision's architectures (gradstep.models.vision, torchvision.models through the doorway):
torchvision's parameter counts and state_dict names, training, and pretrained weights refused."""

from __future__ import annotations

import numpy as np
import pytest

import gradstep as gs
from gradstep.models import vision

# torchvision's own figures (the num_params of each architecture's weights metadata)
NUM_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
              "resnext50_32x4d": 25_028_904, "mobilenet_v2": 3_504_872, "alexnet": 61_100_840}
# VGG-16's 138,357,544 less its classifier (25088 -> 4096 -> 4096 -> 1000: 123,642,856), whose
# 100M-weight first layer takes long to initialise: the convolutions of configuration D
VGG16_FEATURES = 14_714_688

# state_dict entries of torchvision's models, names and shapes (read from torchvision 0.28)
ENTRIES = {
    "resnet18": [("conv1.weight", (64, 3, 7, 7)), ("bn1.num_batches_tracked", ()),
                 ("layer1.0.conv2.weight", (64, 64, 3, 3)), ("layer2.0.downsample.0.weight", (128, 64, 1, 1)),
                 ("layer2.0.downsample.1.running_var", (128,)), ("layer4.1.bn2.bias", (512,)),
                 ("fc.weight", (1000, 512))],
    "resnet50": [("layer1.0.conv3.weight", (256, 64, 1, 1)), ("layer3.5.bn3.weight", (1024,)),
                 ("fc.weight", (1000, 2048))],
    "mobilenet_v2": [("features.0.0.weight", (32, 3, 3, 3)), ("features.1.conv.0.0.weight", (32, 1, 3, 3)),
                     ("features.1.conv.1.weight", (16, 32, 1, 1)),
                     ("features.2.conv.0.0.weight", (96, 16, 1, 1)),
                     ("features.17.conv.2.weight", (320, 960, 1, 1)),
                     ("features.18.0.weight", (1280, 320, 1, 1)), ("classifier.1.weight", (1000, 1280))],
}


@pytest.mark.parametrize("name", list(NUM_PARAMS))
def test_parameter_count_is_torchvisions(name):
    model = vision.get_model(name)
    assert sum(p.numel() for p in model.parameters()) == NUM_PARAMS[name]
    assert model.training and all(p.dtype == np.float32 for p in model.parameters())


def test_vgg16_convolutions_and_classifier_are_torchvisions():
    features = vision.vgg.make_layers(vision.vgg.CFGS["D"])
    assert sum(p.numel() for p in features.parameters()) == VGG16_FEATURES
    assert [type(m).__name__ for m in features][:5] == ["Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d"]
    assert sum(isinstance(m, gs.nn.Conv2d) for m in features) == 13
    bn = vision.vgg.make_layers(vision.vgg.CFGS["A"], batch_norm=True)
    assert [type(m).__name__ for m in bn][:4] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]


@pytest.mark.parametrize("name", list(ENTRIES))
def test_state_dict_names_and_shapes_are_torchvisions(name):
    sd = vision.get_model(name).state_dict()
    for key, shape in ENTRIES[name]:
        assert key in sd and tuple(sd[key].shape) == shape, (key, tuple(sd[key].shape) if key in sd else None)
    assert len([k for k in sd if k.endswith("num_batches_tracked")]) == len(
        [k for k in sd if k.endswith("running_mean")])


def test_a_small_resnet_trains():
    """resnet18 with torchvision's keyword (num_classes) on 32x32 images: shapes, every parameter
    gets a gradient, and a few steps lower the loss on a fixed batch."""
    gs.manual_seed(0)
    model = vision.resnet18(num_classes=4)
    x, y = gs.randn(8, 3, 32, 32), gs.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    opt = gs.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        loss = gs.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        assert all(p.grad is not None for p in model.parameters())
        opt.step()
        losses.append(loss.item())
    assert model(x).shape == (8, 4) and losses[-1] < losses[0]


@pytest.mark.parametrize("call", [
    lambda: vision.resnet18(weights="IMAGENET1K_V1"),
    lambda: vision.resnet50(weights=vision.ResNet50_Weights.DEFAULT),
    lambda: vision.vgg16(weights=vision.VGG16_Weights.IMAGENET1K_V1),
], ids=["string", "enum_default", "enum"])
def test_pretrained_weights_are_refused_in_one_line(call):
    with pytest.raises(ValueError, match="gradstep does not download pretrained weights") as err:
        call()
    assert "\n" not in str(err.value) and "weights=None" in str(err.value)


def test_pretrained_true_is_refused_and_false_builds():
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        with pytest.raises(ValueError, match=r"mobilenet_v2\(weights='pretrained=True'\): gradstep does not"):
            vision.mobilenet_v2(pretrained=True)
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        assert isinstance(vision.mobilenet_v2(pretrained=False), vision.MobileNetV2)


def test_weights_enums_have_torchvisions_members():
    assert vision.ResNet18_Weights.DEFAULT is vision.ResNet18_Weights.IMAGENET1K_V1
    assert vision.ResNet50_Weights.DEFAULT is vision.ResNet50_Weights.IMAGENET1K_V2
    assert vision.list_models() == sorted(vision.BUILDERS) and "resnet18" in vision.list_models()
