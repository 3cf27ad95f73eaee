"""Models: loading by name, target layers, and the `Classifier` every model call goes through.

A model comes from `builtin:*` (torch_cam.builtin), a torchvision classification architecture
name, or a `package.module:factory` entry point. An entry point runs code, so it is loaded only
when the caller says it trusts it (`--trust-code` with `--model`, or the Python API): a problem
file is data and never makes sycam import a module. The `Classifier` owns the device, the input
normalisation, batching, the forward counters and every hook (always removed on exit).
"""
from __future__ import annotations

import contextlib
import difflib
import importlib
import re
import time
import warnings
from typing import Callable, Iterator, Sequence

import torch
from torch import Tensor, nn

from ...core.errors import OptionError, did_you_mean
from ...core.files import regular_file

Normalize = tuple[Sequence[float], Sequence[float]]
IMAGENET_NORMALIZE: Normalize = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
_PATH_STEP = re.compile(r"(\w+)|\[(-?\d+)\]|\.")
# CPU kernels round a batch of 1-3 images differently from larger ones (seen on the built-in CNN
# and ResNet-18), so a short call is padded to this many rows (copies of its last image, not
# counted as forwards): an image's output then does not depend on the call it rides in, which
# keeps scores bit-identical however calls are grouped (batch size, candidate batches, shards).
MIN_CALL = 4
_ENTRY_POINT = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")
# A state dict of the architectures sycam knows is at most a few hundred MB (vgg19: 548 MB).
MAX_WEIGHTS_BYTES = 4 << 30


def _flatten(x: Tensor) -> Tensor:
    return torch.flatten(x, 1)


def _relu(x: Tensor) -> Tensor:
    return torch.relu(x)


def _global_pool(x: Tensor) -> Tensor:
    return nn.functional.adaptive_avg_pool2d(x, 1)


def load_model(name: str, weights: str = "", trust_code: bool = False
               ) -> tuple[nn.Module, str, Normalize | None, tuple[int, int]]:
    """(model, default layer path, normalisation, input size) for a model name (CAM-THEORY §5).

    A `package.module:factory` name is imported and called only with `trust_code`.
    """
    if name.startswith("builtin:"):
        from . import builtin

        builtin_name("model", name)
        model, layer, normalize, size = builtin.load_model(name)
    elif ":" in name:
        model, layer, normalize, size = _load_entry_point(name, trust_code)
    else:
        model, layer, normalize, size = _load_torchvision(name)
    if weights:
        _load_weights(model, weights)
    elif not name.startswith("builtin:") and ":" not in name:
        warnings.warn(random_weights_warning(name), stacklevel=2)
    return model.float().eval(), layer, normalize, size


def builtin_name(option: str, name: str) -> str:
    """`name` when it is a known `builtin:*`, else an OptionError for `option` with a did-you-mean."""
    from .builtin import KNOWN_BUILTINS

    if name not in KNOWN_BUILTINS:
        raise OptionError(option, f"unknown built-in '{name[:80]}'",
                          hint=did_you_mean(name, KNOWN_BUILTINS) or "known: " + ", ".join(KNOWN_BUILTINS))
    return name


def random_weights_warning(name: str) -> str:
    """The warning for a torchvision architecture run without :sycam.weights (it has no trained weights)."""
    return (f"model '{name}' runs on RANDOM weights (no :sycam.weights given): its maps and scores say nothing "
            "about a trained model; pass --weights FILE with a state dict")


def _load_torchvision(name: str) -> tuple[nn.Module, str, Normalize, tuple[int, int]]:
    import torchvision

    known = torchvision.models.list_models(module=torchvision.models)
    if name not in known:
        raise OptionError(
            "model", f"unknown model '{name}'",
            hint=" ".join(filter(None, [
                did_you_mean(name, known),
                "use 'builtin:cluttered-mnist', 'builtin:imagenet-photos', a torchvision classification "
                "architecture (resnet18, vgg16, ...) or 'package.module:factory'"])),
        )
    model = torchvision.models.get_model(name, weights=None)
    return model, default_layer(model), IMAGENET_NORMALIZE, (224, 224)


def _load_entry_point(spec: str, trust_code: bool) -> tuple[nn.Module, str, Normalize | None, tuple[int, int]]:
    if not _ENTRY_POINT.fullmatch(spec):
        raise OptionError("model", f"'{spec[:80]}' is not a model name or an entry point",
                         hint="an entry point is 'package.module:factory' (absolute dotted names); "
                              "built-ins are 'builtin:cluttered-mnist' and 'builtin:imagenet-photos'")
    if not trust_code:
        raise OptionError("model", f"the model '{spec}' is code (an entry point), and a problem file may not "
                                   "make sycam import or run code",
                          hint=f"if you trust that code, give it on the command line: --model {spec} --trust-code")
    module_name, _, factory_name = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as error:
        raise OptionError(
            "model", f"cannot load model entry point '{spec}': {error}",
            hint="an entry point is 'package.module:factory' where factory() returns an nn.Module",
        ) from None
    made = factory()
    if isinstance(made, nn.Module):
        return made, default_layer(made), None, (224, 224)
    try:
        model, layer, normalize, size = made
        if not isinstance(model, nn.Module):
            raise TypeError(type(model).__name__)
        return model, layer or default_layer(model), normalize, (int(size[0]), int(size[1]))
    except (TypeError, ValueError, IndexError):
        raise OptionError("model", f"entry point '{spec}' returned {type(made).__name__}, not a model",
                         hint="factory() returns an nn.Module, or (module, layer path, normalisation, (H, W))") from None


def _load_weights(model: nn.Module, path: str) -> None:
    import pickle
    import zipfile

    hint = "a state-dict file saved with torch.save(model.state_dict(), path) for this architecture"
    try:
        size = regular_file(path, "the weights").st_size  # a FIFO is refused before it is opened
        if size == 0:
            raise ValueError("the file is empty")
        if size > MAX_WEIGHTS_BYTES:
            raise ValueError(f"{size:,} bytes is more than any model's state dict ({MAX_WEIGHTS_BYTES:,})")
        if not zipfile.is_zipfile(path):  # torch.save's format; a bare pickle is never unpickled
            raise ValueError("not a torch.save file (a zip archive holding the state dict)")
        # weights_only: torch's restricted unpickler, which builds tensors and containers but calls no code.
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ValueError("the file holds no state dict (a mapping from names to tensors)")
        model.load_state_dict(state)
    except pickle.UnpicklingError:
        raise OptionError("weights", f"cannot load weights '{path}': it holds objects other than tensors, "
                                     "which sycam never unpickles", hint=hint) from None
    except (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError,
            zipfile.BadZipFile, AttributeError, IndexError) as error:
        text = (getattr(error, "strerror", None) or str(error) or type(error).__name__).splitlines()[0]
        raise OptionError("weights", f"cannot load weights '{path}': {text[:200]}", hint=hint) from None


def default_layer(model: nn.Module) -> str:
    """The conventional CAM target layer of an architecture ('' when unknown), as `find_layer` takes it."""
    import torchvision.models as tvm

    if isinstance(model, tvm.ResNet):
        return "layer4[-1]"
    if isinstance(model, tvm.VGG):
        last_relu = max(i for i, m in enumerate(model.features) if isinstance(m, nn.ReLU))
        return f"features.{last_relu}"
    if isinstance(model, tvm.DenseNet):
        return "features"
    if isinstance(model, (tvm.MobileNetV2, tvm.MobileNetV3, tvm.EfficientNet)):
        return "features[-1]"
    if hasattr(model, "_conv_head"):  # EfficientNet-Lite (efficientnet_lite_pytorch)
        return "_conv_head"
    from .cluttered_mnist import DEFAULT_LAYER, ClutteredMnistNet

    if isinstance(model, ClutteredMnistNet):  # the built-in model
        return DEFAULT_LAYER
    return ""


def find_layer(model: nn.Module, path: str) -> tuple[nn.Module, str]:
    """The module at `path` ('layer4.1', 'layer4[-1]', 'features[-1]') and its dotted name."""
    if not path:
        convolutions = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
        raise OptionError("layer", f"no target layer given, and none is known for {type(model).__name__}",
                         hint="set :sycam.layer to a module path, e.g. one of: " + ", ".join(convolutions[-5:]))
    module = model
    position = 0
    while position < len(path):
        step = _PATH_STEP.match(path, position)
        if step is None or step.end() == position:
            raise _layer_error(model, path, "is not a module path")
        position = step.end()
        attribute, index = step.groups()
        if attribute is None and index is None:
            continue  # the '.' between names
        try:
            if attribute is not None:
                module = module._modules[attribute]
            else:
                module = list(module.children())[int(index)]
        except (KeyError, IndexError, TypeError):
            raise _layer_error(model, path, "does not exist") from None
        if module is None:
            raise _layer_error(model, path, "does not exist")
    names = {id(m): n for n, m in model.named_modules()}
    return module, names[id(module)]


def _layer_error(model: nn.Module, path: str, what: str) -> OptionError:
    names = [n for n, _ in model.named_modules() if n]
    close = difflib.get_close_matches(path, names, n=5, cutoff=0.4)
    return OptionError(
        "layer", f"layer '{path}' {what}",
        hint="nearby names: " + ", ".join(close or names[-5:]),
    )


def _forward_steps(model: nn.Module) -> list[tuple[str | None, Callable]] | None:
    """The model's forward as an ordered chain of (child name or None, callable), if known."""
    import torchvision.models as tvm

    def named(*names: str) -> list[tuple[str | None, Callable]]:
        return [(n, getattr(model, n)) for n in names]

    if isinstance(model, nn.Sequential):
        return list(model._modules.items())
    if isinstance(model, tvm.ResNet):
        return named("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                     "avgpool") + [(None, _flatten), ("fc", model.fc)]
    if isinstance(model, tvm.VGG):
        return named("features", "avgpool") + [(None, _flatten), ("classifier", model.classifier)]
    if isinstance(model, tvm.DenseNet):
        return named("features") + [(None, _relu), (None, _global_pool), (None, _flatten),
                                    ("classifier", model.classifier)]
    if isinstance(model, tvm.MobileNetV2):
        return named("features") + [(None, _global_pool), (None, _flatten),
                                    ("classifier", model.classifier)]
    if isinstance(model, (tvm.MobileNetV3, tvm.EfficientNet)):
        return named("features", "avgpool") + [(None, _flatten), ("classifier", model.classifier)]
    if hasattr(model, "_conv_head") and hasattr(model, "_fc"):  # EfficientNet-Lite
        return named("_conv_head", "_bn1", "_swish", "_avg_pooling") + [
            (None, _flatten), ("_dropout", model._dropout), ("_fc", model._fc)]
    if set(model._modules) == {"features", "classifier"} and isinstance(model.classifier, nn.Linear):
        # The GAP-CNN convention (the built-in model): features, global average pool, linear.
        return named("features") + [(None, _global_pool), (None, _flatten), ("classifier", model.classifier)]
    steps = getattr(model, "forward_steps", None)  # a model may describe its own chain
    return list(steps()) if callable(steps) else None


def derive_tail(model: nn.Module, layer_path: str) -> Callable[[Tensor], Tensor] | None:
    """The part of the network after `layer_path` as activations -> logits, when derivable.

    Only chains through `nn.Sequential` containers are descended, since their forward is
    exactly their children in order; anything else returns None (use the full re-run).
    """
    steps = _forward_steps(model)
    parts = layer_path.split(".")
    after: list[Callable] = []
    while steps is not None and parts:
        head = parts.pop(0)
        names = [name for name, _ in steps]
        if head not in names:
            return None
        position = names.index(head)
        after = [fn for _, fn in steps[position + 1:]] + after
        child = steps[position][1]
        steps = list(child._modules.items()) if isinstance(child, nn.Sequential) else None
    if parts:
        return None

    def tail(acts: Tensor) -> Tensor:
        for fn in after:
            acts = fn(acts)
        return acts

    return tail


def pick_device(option: str = "") -> torch.device:
    """The `device` option, or CUDA when available, else CPU; an OptionError for one this machine lacks."""
    if not option:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(option)
    except (RuntimeError, ValueError):
        raise OptionError("device", f"unknown device '{option}'",
                         hint="use cpu, cuda or cuda:N, or leave the device empty to pick one") from None
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if (device.index or 0) >= count:
            raise OptionError("device", f"device '{option}' is not available: this machine has {count} CUDA device(s)", hint="use cpu, or leave the device empty to pick one")
        return device
    if device.type != "cpu" and not _holds_a_tensor(device):
        raise OptionError("device", f"device '{option}' is not available on this machine",
                         hint="use cpu, or leave the device empty to pick one")
    return device


def _holds_a_tensor(device: torch.device) -> bool:
    """Whether this torch build and machine can put real data on `device` (meta holds none)."""
    if device.type == "meta":
        return False
    try:
        torch.zeros(1, device=device)
    except (RuntimeError, AssertionError, ValueError, ImportError):  # torch's ways of saying "not here"
        return False
    return True


def padded(batch: Tensor) -> Tensor:
    """`batch` with copies of its last row appended up to `MIN_CALL` rows (unchanged if longer)."""
    count = batch.shape[0]
    if count == 0 or count >= MIN_CALL:
        return batch
    return torch.cat([batch, batch[-1:].expand(MIN_CALL - count, *batch.shape[1:])])


def padded_call(run: Callable[[Tensor], Tensor], batch: Tensor) -> Tensor:
    """`run(batch)` computed on the padded batch; only the real rows come back."""
    return run(padded(batch))[: batch.shape[0]]


class Classifier:
    """A model with its target layer, normalisation and device; counts every image it runs.

    `forwards` counts images through the model (full or tail-only passes);
    `tail_forwards` counts the tail-only ones among them. `tail_only=False` makes Ablation-CAM
    always re-run the whole model (the reference the fast path is checked against).
    """

    def __init__(self, model: nn.Module, layer_module: nn.Module, normalize: Normalize | None,
                 device: torch.device | str, batch_size: int, tail_only: bool = True):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.layer = layer_module
        self.layer_name = next(n for n, m in model.named_modules() if m is layer_module)
        self.batch_size = max(1, int(batch_size))
        if normalize is None:
            self.mean = self.std = None
        else:
            self.mean = torch.tensor(normalize[0], dtype=torch.float32, device=self.device).view(1, -1, 1, 1)
            self.std = torch.tensor(normalize[1], dtype=torch.float32, device=self.device).view(1, -1, 1, 1)
        self.forwards = 0
        self.tail_forwards = 0
        self._tail: Callable[[Tensor], Tensor] | None = derive_tail(model, self.layer_name) if tail_only else None
        self._tail_checked = False
        self._inference_model: nn.Module | None = None
        self._inference_checked = False
        self._black: dict[tuple[int, ...], Tensor] = {}  # image shape -> class probabilities of a black image

    def model_input(self, pixels: Tensor) -> Tensor:
        """Pixels in [0, 1] -> what the model expects (normalisation applied)."""
        pixels = pixels.to(self.device, torch.float32)
        return pixels if self.mean is None else (pixels - self.mean) / self.std

    def _run(self, pixels: Tensor) -> Tensor:
        self.forwards += pixels.shape[0]
        return padded_call(self.model, self.model_input(pixels))

    def batched(self, count: int, run: Callable[[slice], Tensor],
                check: Callable[[float], None] = lambda upcoming: None) -> list[Tensor]:
        """`run` over consecutive slices of at most `batch_size` of `count` rows. On CUDA out of
        memory the batch size halves (for the rest of the run) and the slice is retried.
        `check(seconds)` runs before each slice with the last slice's duration (it raises to stop)."""
        if count == 0:
            return [run(slice(0, 0))]  # an empty result of the right shape
        out: list[Tensor] = []
        start, last = 0, 0.0
        while start < count:
            check(last)
            began = time.monotonic()
            stop = min(count, start + self.batch_size)
            forwards, tail_forwards = self.forwards, self.tail_forwards
            try:
                out.append(run(slice(start, stop)))
            except torch.cuda.OutOfMemoryError:
                if self.batch_size == 1:
                    raise
                self.forwards, self.tail_forwards = forwards, tail_forwards  # the failed try ran nothing
                self.batch_size = max(1, self.batch_size // 2)
                torch.cuda.empty_cache()
                warnings.warn(f"out of device memory: batch size lowered to {self.batch_size}", stacklevel=3)
                continue
            start, last = stop, time.monotonic() - began
        return out

    @torch.no_grad()
    def logits(self, pixels: Tensor) -> Tensor:
        """Logits `[N, classes]` of pixel images `[N, 3, H, W]` (batched, no grad)."""
        return torch.cat(self.batched(len(pixels), lambda rows: self._run(pixels[rows])))

    def black_probs(self, like: Tensor) -> Tensor:
        """Class probabilities `[classes]` of a black image shaped like each of `like`'s images:
        Score-CAM's baseline, one model call per image size for the run (its chunks all need it)."""
        shape = tuple(like.shape[1:])
        if shape not in self._black:
            self._black[shape] = self.logits(torch.zeros_like(like[:1])).softmax(dim=1)[0]
        return self._black[shape]

    def probs(self, pixels: Tensor, targets: Tensor, *, optimized: bool = False) -> Tensor:
        """Softmax probability `[N]` of each image's target class.

        `optimized=True` runs the inference-optimised copy of the model (see `_optimized_logits`):
        the same values to float rounding, 1.15-1.3x less CPU time on resnet18 at 224 (one thread).
        """
        targets = targets.to(self.device)

        def run(rows: slice) -> Tensor:
            p = (self._optimized_logits(pixels[rows]) if optimized else self.logits(pixels[rows])).softmax(dim=1)
            return p.gather(1, targets[rows].view(-1, 1)).squeeze(1)

        out = self.batched(len(pixels), run)
        return torch.cat(out) if out else torch.zeros(0, device=self.device)

    @torch.inference_mode()
    def _optimized_logits(self, pixels: Tensor) -> Tensor:
        """Logits of one batch through the model with batch norms folded into the convolutions and
        oneDNN (MKLDNN) layouts, once that copy reproduces the model; otherwise through the model.

        Layer hooks do not fire in the copy, so only hook-free passes (Score-CAM's) may use it.
        """
        if not self._inference_checked:
            self._inference_checked = True
            self._inference_model = self._checked_inference_model(pixels[:1])
        if self._inference_model is None:
            return self.logits(pixels)
        self.forwards += pixels.shape[0]
        return padded_call(self._inference_model, self.model_input(pixels))

    def _checked_inference_model(self, sample: Tensor) -> nn.Module | None:
        """The optimised copy if the model can be traced and the copy gives its logits on `sample`."""
        if self.device.type != "cpu" or not torch.backends.mkldnn.is_available():
            return None  # the pass builds CPU oneDNN modules only
        with warnings.catch_warnings():
            # torch.utils.mkldnn's modules are declared with the deprecated torch.jit.script_method.
            warnings.simplefilter("ignore", FutureWarning)
            from torch.fx.experimental.optimization import optimize_for_inference

            try:
                optimized = optimize_for_inference(self.model)
            except Exception:  # noqa: BLE001 - any forward torch.fx cannot trace keeps the plain model
                return None
        expected = self.logits(sample)
        self.forwards += sample.shape[0]
        got = padded_call(optimized, self.model_input(sample))
        scale = expected.abs().max().clamp_min(1e-6)
        return optimized if got.shape == expected.shape and (got - expected).abs().max() <= 1e-4 * scale else None

    @contextlib.contextmanager
    def _layer_hook(self, substitute: Tensor | None = None) -> Iterator[list[Tensor]]:
        """Capture the layer's output (optionally replacing it); the hook is always removed."""
        captured: list[Tensor] = []

        def hook(module: nn.Module, inputs: tuple, output: object) -> Tensor:
            if not isinstance(output, Tensor) or output.dim() != 4:
                shape = tuple(output.shape) if isinstance(output, Tensor) else type(output).__name__
                raise _layer_error(self.model, self.layer_name, f"gives {shape}, not a 4-D [N, K, h, w] tensor")
            captured.append(output)
            # A clone downstream keeps in-place ops after the layer (DenseNet's relu) off our copy.
            return substitute if substitute is not None else output.clone()

        handle = self.layer.register_forward_hook(hook)
        try:
            yield captured
        finally:
            handle.remove()

    def activations_and_gradients(self, pixels: Tensor, targets: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Layer activations `A`, gradients `∂y_c/∂A` (both `[N, K, h, w]`) and logits `[N, classes]`."""
        targets = targets.to(self.device)

        def run(rows: slice) -> Tensor:
            count = rows.stop - rows.start
            with torch.enable_grad(), self._layer_hook() as captured:
                out = self._run(pixels[rows])
                (grad,) = torch.autograd.grad(out.gather(1, targets[rows].view(-1, 1)).sum(), captured[0])
            # the hook saw the padded call (see MIN_CALL): keep the real images' rows
            return captured[0][:count].detach(), grad[:count].detach(), out.detach()

        parts = self.batched(len(pixels), run)
        return tuple(torch.cat([part[i] for part in parts]) for i in range(3))

    @torch.no_grad()
    def ablated_logits(self, pixels: Tensor, acts: Tensor, targets: Tensor, clean_logits: Tensor,
                       check: Callable[[float], None] = lambda upcoming: None) -> Tensor:
        """`y_c^(k)` `[N, K]`: the target logit with channel k of the layer output set to 0.

        Runs only the network's tail when it was derived and reproduces `clean_logits`;
        otherwise re-runs the whole model with the ablated activations substituted by a hook.
        `check(seconds)` runs before each batch with the last batch's duration (it raises to stop).
        """
        targets = targets.to(self.device)
        pixels = pixels.to(self.device)
        count, channels = acts.shape[:2]
        use_tail = self._tail is not None and self._tail_matches(acts, clean_logits)
        pairs = torch.arange(count * channels, device=self.device)

        def run(rows: slice) -> Tensor:
            chunk = pairs[rows]
            image, channel = chunk // channels, chunk % channels
            ablated = acts[image].clone()
            ablated[torch.arange(len(chunk), device=self.device), channel] = 0
            if use_tail:
                self.forwards += len(chunk)
                self.tail_forwards += len(chunk)
                logits = padded_call(self._tail, ablated)
            else:
                with self._layer_hook(substitute=padded(ablated)):
                    logits = self._run(pixels[image])
            return logits.gather(1, targets[image].view(-1, 1)).squeeze(1)

        return torch.cat(self.batched(len(pairs), run, check)).view(count, channels)

    def _tail_matches(self, acts: Tensor, clean_logits: Tensor) -> bool:
        """Check once that the derived tail reproduces the model's logits; drop it if not."""
        if not self._tail_checked:
            self._tail_checked = True
            sample = acts[: min(2, len(acts))]
            expected = clean_logits[: len(sample)]
            self.forwards += len(sample)
            self.tail_forwards += len(sample)
            got = padded_call(self._tail, sample)
            scale = expected.abs().max().clamp_min(1e-6)
            if got.shape != expected.shape or (got - expected).abs().max() > 1e-4 * scale:
                warnings.warn(f"the network after layer '{self.layer_name}' could not be separated; "
                              "Ablation-CAM re-runs the whole model for each channel", stacklevel=3)
                self._tail = None
        return self._tail is not None

    @property
    def has_tail(self) -> bool:
        """Whether Ablation-CAM can run only the network after the target layer."""
        return self._tail is not None
