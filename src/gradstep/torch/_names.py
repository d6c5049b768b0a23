"""Which gradstep module answers for each ``torch``/``torchvision`` module, and what stays out.

The doorway holds names only: every object a torch name resolves to is gradstep's own.
"""

from __future__ import annotations

COVERAGE_DOC = "docs/torch-coverage.md"

# torch module -> gradstep module. A torch module not listed maps to the gradstep module of the same
# path (``torch.linalg`` -> ``gradstep.linalg``) when gradstep has one.
MODULES = {
    "torch": "gradstep",
    "torch.functional": "gradstep",  # torch.functional's functions (split, meshgrid, norm...) are torch's
    "torch.nn": "gradstep.nn",
    "torch.nn.functional": "gradstep.nn.functional",
    "torch.nn.init": "gradstep.nn.init",
    "torch.nn.modules": "gradstep.nn.modules",
    "torch.nn.parameter": "gradstep.nn.parameter",
    "torch.nn.utils": "gradstep.nn.utils",
    "torch.optim": "gradstep.optim",
    "torch.optim.lr_scheduler": "gradstep.optim.lr_scheduler",
    "torch.optim.optimizer": "gradstep.optim.optimizer",
    "torch.autograd": "gradstep.autograd",
    "torch.utils": "gradstep.utils",
    "torch.utils.data": "gradstep.data",
    "torch.utils.data.dataset": "gradstep.data.dataset",
    "torch.utils.data.dataloader": "gradstep.data.dataloader",
    "torch.utils.data.sampler": "gradstep.data.sampler",
    "torch.utils.data.distributed": "gradstep.data",  # DistributedSampler
    "torch.serialization": "gradstep.saving",
    "torch.cuda": "gradstep.cuda",
    "torch.accelerator": "gradstep.accelerator",
    "torch.backends": "gradstep.backends",
    "torch.backends.mps": "gradstep.backends.mps",
    "torch.backends.cudnn": "gradstep.backends.cudnn",
    # torch's per-distribution submodules hold the classes gradstep.distributions holds flat
    **{f"torch.distributions.{m}": "gradstep.distributions"
       for m in ("categorical", "normal", "bernoulli", "multinomial", "binomial", "poisson", "distribution")},
    "torchvision": "gradstep.data",
    "torchvision.datasets": "gradstep.data.datasets",
    "torchvision.transforms": "gradstep.data.transforms",
    "torchvision.transforms.functional": "gradstep.data.transforms_functional",
    "torchvision.utils": "gradstep.data.vision_utils",
    "torchvision.models": "gradstep.models.vision",
    "torchvision.models.resnet": "gradstep.models.resnet",
    "torchvision.models.vgg": "gradstep.models.vgg",
    "torchvision.models.alexnet": "gradstep.models.vgg",
    "torchvision.models.mobilenet": "gradstep.models.mobilenet",
    "torchvision.models.mobilenetv2": "gradstep.models.mobilenet",
    "torchvision.io": "gradstep.data.image_io",
    "torchvision.io.image": "gradstep.data.image_io",
}

# Prefixes of torch names gradstep leaves out on purpose, with the reason (the census reads these too).
OUT_OF_SCOPE = {
    "torch.distributed": "multi-process training is gradstep.distributed (MPI), with its own API",
    "torch.multiprocessing": "gradstep's DataLoader workers manage their own processes",
    "torch.jit": "no TorchScript compiler: gradstep runs eagerly on NumPy",
    "torch.compile": ("no graph compiler: gradstep runs eagerly on NumPy (gradstep.compile_step captures "
                      "a whole training step)"),
    "torch._dynamo": "no graph compiler: gradstep runs eagerly on NumPy",
    "torch.fx": "no graph tracing or rewriting",
    "torch.onnx": "no model export formats besides safetensors",
    "torch.export": "no model export formats besides safetensors",
    "torch.hub": "no downloads of pretrained models",
    "torch.quantization": "quantized tensors are out of scope (float32/float64 only)",
    "torch.ao": "quantized tensors are out of scope (float32/float64 only)",
    "torch.sparse": "sparse tensors are out of scope",
    "torch.sparse_coo_tensor": "sparse tensors are out of scope",
    "torch.cuda.memory": "GPU memory statistics: there is no GPU",
    "torch.utils.model_zoo": "no downloads of pretrained models",
    "torch.spmm": "sparse tensors are out of scope",
    "torch.nn.modules.linear.NonDynamicallyQuantizableLinear": "a quantization detail of PyTorch's attention",
    "torch.amp": "mixed precision needs an accelerator; gradstep runs on the CPU",
    "torch.cuda.amp": "mixed precision needs an accelerator; gradstep runs on the CPU",
    "torch.profiler": "use Python's profilers; gradstep has no kernel profiler",
    "torch.autograd.profiler": "use Python's profilers; gradstep has no kernel profiler",
    "torch.utils.checkpoint": "activation checkpointing is not needed at gradstep's model sizes",
    "torch.utils.cpp_extension": "no C++ extensions",
    "torch.package": "no model packaging",
    "torch.testing": "tests compare with numpy.testing",
    "torch.complex": "complex arithmetic is out of scope (complex tensors are only linalg.eig's results)",
    "torch.fft": "no FFT operations: not used in training code",
    "torch.special": "special functions beyond the activations are out of scope",
    "torch.nn.parallel": "no multi-GPU wrappers; see gradstep.distributed",
    "torch.nn.DataParallel": "no multi-GPU wrappers; see gradstep.distributed",
    "torch.nn.utils.rnn": "recurrent networks are out of scope for now",
    "torch.nn.utils.parametrize": "parametrizations are out of scope",
    "torch.nn.utils.prune": "pruning is out of scope",
    "torchvision.models.detection": "detection models are out of scope",
    "torchvision.models.segmentation": "segmentation models are out of scope",
    "torchvision.models.video": "video models are out of scope",
    "torchvision.models.optical_flow": "optical flow models are out of scope",
    "torchvision.models.quantization": "quantized tensors are out of scope (float32/float64 only)",
    "torchvision.models.vit_l_16": "vision transformers are not built here: the sources use them only with "
                                   "pretrained weights, which gradstep does not load",
    "torchvision.models.ViT_L_16_Weights": "pretrained weights are not loaded (they are pickles)",
    "torchvision.models.densenet121": "DenseNet is not built here: the sources use it only with pretrained "
                                      "weights, which gradstep does not load",
    "torchvision.models.DenseNet121_Weights": "pretrained weights are not loaded (they are pickles)",
    "torchvision.io.video": "no video decoding",
    "torchvision.io.read_video": "no video decoding",
    "torchvision.ops": "detection operators are out of scope",
    "torchvision.transforms.v2": "the v2 transforms API (bounding boxes, masks) is out of scope",
    "torchaudio": "audio is out of scope",
    "torchtext": "text pipelines are out of scope",
}


# Out-of-scope names above that are functions or classes, not modules.
_NOT_MODULES = {"torch.compile", "torch.sparse_coo_tensor", "torch.spmm", "torch.complex",
                "torch.nn.DataParallel",
                "torch.nn.modules.linear.NonDynamicallyQuantizableLinear", "torchvision.io.read_video",
                "torchvision.models.vit_l_16", "torchvision.models.ViT_L_16_Weights",
                "torchvision.models.densenet121", "torchvision.models.DenseNet121_Weights"}


def is_out_of_scope_module(name: str) -> bool:
    """Is ``name`` a torch module left out as a whole (importable by name, empty under the doorway)?"""
    return name in OUT_OF_SCOPE and name not in _NOT_MODULES


def out_of_scope_reason(name: str) -> str | None:
    """The reason ``name`` is left out, if a listed prefix covers it."""
    for prefix, reason in OUT_OF_SCOPE.items():
        if name == prefix or name.startswith(prefix + "."):
            return reason
    return None


def target_module(torch_name: str) -> str | None:
    """The gradstep module that answers for the torch module ``torch_name`` (None if gradstep has none)."""
    if torch_name in MODULES:
        return MODULES[torch_name]
    if out_of_scope_reason(torch_name):
        return None
    head, _, rest = torch_name.partition(".")
    if head == "torch" and rest:
        return "gradstep." + rest
    return None


def is_torch_name(name: str) -> bool:
    head = name.partition(".")[0]
    return head in ("torch", "torchvision")
