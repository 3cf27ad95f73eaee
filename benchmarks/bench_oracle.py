"""Oracle benchmark: how cheaply the torch backend scores many candidate CAMs (not a test).

For a model and 20 images it enumerates distinct CAM-weight expressions of size <= 5 over
`grads pos_grads act xgrads` and scores all of them with `MetricEvaluator` (memoised, batched
model calls), then scores a few of them with a straightforward loop: pytorch-grad-cam builds
each candidate's CAM (a BaseCAM with the candidate's fixed weights), and the candidate's
perturbed images go through the model one candidate at a time. It prints, for grid deletion
(P steps) and topn_gt: model forwards per candidate-image, candidate-images per second, the
share of time inside model forwards, the speed-up over the loop, and the largest difference
between the two implementations' values (a sanity check that both compute the same metric).
Times are CPU seconds of this process (`time.process_time`, one torch thread), so other work on
a shared machine does not count against either side.

    python benchmarks/bench_oracle.py                      # ResNet-18 (random weights), then
                                                           # builtin:cluttered-mnist if present
    python benchmarks/bench_oracle.py --models resnet18 --candidates 50 --loop-candidates 2
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from sycam_sygus.backends.torch_cam.cam import cam_maps
from sycam_sygus.backends.torch_cam.metrics import MetricEvaluator
from sycam_sygus.backends.torch_cam.models import (
    IMAGENET_NORMALIZE,
    Classifier,
    find_layer,
    load_model,
)
from sycam_sygus.backends.torch_cam.operators import apply
from sycam_sygus.backends.torch_cam.terminals import gradient_terminal, probe_layer
from torch import Tensor

from sycam_sygus.ir import REAL, Term, app, to_sygus, var

TERMINAL_NAMES = ("grads", "pos_grads", "act", "xgrads")
UNARY = (("relu", None), ("abs", None), ("-", None), ("pow", 2), ("pow", 3), ("softmax", None),
         ("normalize", None), ("topk", 16))
BINARY = ("+", "-", "*", "/")
PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry",
          "coins", "moon", "page", "clock", "text", "brick", "grass", "gravel", "retina", "colorwheel",
          "stereo_motorcycle", "cell", "checkerboard", "logo", "microaneurysms")


@dataclass
class Setup:
    """A model behind a Classifier, its images, targets and ground-truth masks."""

    name: str
    classifier: Classifier
    pixels: Tensor  # [I, 3, H, W] in [0, 1]
    targets: Tensor  # [I]
    masks: Tensor  # [I, H, W] bool


class TimedProbs:
    """`Classifier.probs` with the CPU seconds spent inside it added up."""

    def __init__(self, classifier: Classifier):
        self.classifier = classifier
        self.seconds = 0.0

    def __call__(self, pixels: Tensor, targets: Tensor) -> Tensor:
        start = time.process_time()
        out = self.classifier.probs(pixels, targets)
        self.seconds += time.process_time() - start
        return out


def photos(count: int, size: int, seed: int) -> Tensor:
    """scikit-image's bundled photos, centre-cropped and resized; random images without it."""
    try:
        import skimage.data
    except ImportError:
        return torch.rand(count, 3, size, size, generator=torch.Generator().manual_seed(seed))
    images = []
    for name in PHOTOS[:count]:
        picture = getattr(skimage.data, name)()
        picture = np.asarray(picture[0] if isinstance(picture, tuple) else picture, dtype=np.float32)
        picture = picture / max(float(picture.max()), 1.0) if picture.max() > 1 else picture
        picture = np.repeat(picture[..., None], 3, axis=2) if picture.ndim == 2 else picture[..., :3]
        side = min(picture.shape[:2])
        top, left = (picture.shape[0] - side) // 2, (picture.shape[1] - side) // 2
        square = torch.from_numpy(np.ascontiguousarray(picture[top:top + side, left:left + side])).permute(2, 0, 1)
        images.append(torch.nn.functional.interpolate(square[None], size=(size, size), mode="bilinear",
                                                      antialias=True, align_corners=False)[0].clamp(0, 1))
    extra = count - len(images)
    if extra > 0:
        images += list(torch.rand(extra, 3, size, size, generator=torch.Generator().manual_seed(seed)))
    return torch.stack(images)


def central_masks(count: int, height: int, width: int) -> Tensor:
    """Stand-in ground truth for photos without masks: the central quarter of the image."""
    masks = torch.zeros(count, height, width, dtype=torch.bool)
    masks[:, height // 4: 3 * height // 4, width // 4: 3 * width // 4] = True
    return masks


def resnet_setup(images: int, batch_size: int, seed: int) -> Setup:
    torch.manual_seed(seed)
    model, layer_path, normalize, (height, width) = load_model("resnet18")
    layer, _ = find_layer(model, layer_path)
    classifier = Classifier(model, layer, normalize or IMAGENET_NORMALIZE, "cpu", batch_size)
    pixels = photos(images, height, seed)
    targets = classifier.logits(pixels).argmax(dim=1)
    return Setup("resnet18 (random weights, 224x224)", classifier, pixels, targets, central_masks(images, height, width))


def builtin_setup(images: int, batch_size: int, seed: int) -> Setup | None:
    """`builtin:cluttered-mnist` when the built-in data has landed, else None."""
    try:
        from sycam_sygus.backends.torch_cam.data import load_images
        model, layer_path, normalize, size = load_model("builtin:cluttered-mnist")
        data = load_images("builtin:cluttered-mnist", "", size, images, seed)
    except ImportError as missing:
        print(f"skipping builtin:cluttered-mnist ({missing})")
        return None
    layer, _ = find_layer(model, layer_path)
    classifier = Classifier(model, layer, normalize, "cpu", batch_size)
    targets = classifier.logits(data.pixels).argmax(dim=1)
    masks = data.masks if data.masks is not None else central_masks(*data.pixels.shape[:1], *data.pixels.shape[-2:])
    return Setup("builtin:cluttered-mnist", classifier, data.pixels, targets, masks)


def enumerate_candidates(terminals: dict[str, Tensor], count: int, max_size: int) -> list[tuple[Term, Tensor]]:
    """Distinct-by-value finite expressions, smallest first, built bottom-up from the terminals."""
    bank: dict[int, list[tuple[Term, Tensor]]] = {1: []}
    seen: set[bytes] = set()
    found: list[tuple[Term, Tensor]] = []

    def keep(term: Term, value: Tensor, size: int) -> None:
        key = value.numpy().tobytes()
        if torch.isfinite(value).all() and key not in seen and len(found) < count:
            seen.add(key)
            bank.setdefault(size, []).append((term, value))
            found.append((term, value))

    for name, value in terminals.items():
        keep(var(name), value, 1)
    for size in range(2, max_size + 1):
        for op, param in UNARY:
            for term, value in bank.get(size - 1, []):
                keep(app(op, (term,), REAL, param), apply(op, [value], param), size)
        for left_size in range(1, size - 1):
            for op in BINARY:
                for left, left_value in bank.get(left_size, []):
                    for right, right_value in bank.get(size - 1 - left_size, []):
                        keep(app(op, (left, right), REAL), apply(op, [left_value, right_value]), size)
    return found


def score_ours(setup: Setup, acts: Tensor, weights: Tensor, metric: str, steps: int, chunk: int) -> dict:
    """All candidates through cam_maps and one MetricEvaluator (fresh memo), in candidate chunks."""
    timed = TimedProbs(setup.classifier)
    evaluator = MetricEvaluator(timed, setup.pixels, setup.targets, setup.masks, steps, setup.classifier.batch_size)
    images = torch.arange(setup.pixels.shape[0])
    forwards = setup.classifier.forwards
    start = time.process_time()
    values = []
    for first in range(0, weights.shape[0], chunk):
        s_fm, s = cam_maps(weights[first:first + chunk], acts, tuple(setup.pixels.shape[-2:]))
        values.append(evaluator.score(metric, images, s_fm, s))
    seconds = time.process_time() - start
    return {"values": torch.cat(values), "seconds": seconds, "forward_seconds": timed.seconds,
            "forwards": setup.classifier.forwards - forwards, "counts": evaluator.counts}


def grad_cam_maker(setup: Setup) -> Callable[[np.ndarray], object]:
    """A pytorch-grad-cam BaseCAM whose channel weights are given (and that keeps its raw map)."""
    from pytorch_grad_cam.base_cam import BaseCAM

    class FixedWeightsCAM(BaseCAM):
        def __init__(self, weights: np.ndarray):
            super().__init__(setup.classifier.model, [setup.classifier.layer], uses_gradients=False)
            self.weights = weights

        def get_cam_weights(self, input_tensor, target_layer, targets, activations, grads):
            return self.weights

        def get_cam_image(self, *args, **kwargs):
            self.raw = super().get_cam_image(*args, **kwargs)
            return self.raw

    return FixedWeightsCAM


def loop_cell_masks(height: int, width: int, rows: int, cols: int) -> list[Tensor]:
    """Pixel masks of the grid cells, borders by integer division (written independently)."""
    masks = []
    for r in range(rows):
        for c in range(cols):
            mask = torch.zeros(height, width, dtype=torch.bool)
            mask[r * height // rows:(r + 1) * height // rows, c * width // cols:(c + 1) * width // cols] = True
            masks.append(mask)
    return masks


def score_loop(setup: Setup, weights: Tensor, metric: str, steps: int) -> dict:
    """The straightforward loop: per candidate, a pytorch-grad-cam CAM and its own model calls."""
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from sycam_sygus.backends.torch_cam.blur import blur

    classifier = setup.classifier
    make_cam = grad_cam_maker(setup)
    targets = [ClassifierOutputTarget(int(t)) for t in setup.targets]
    height, width = setup.pixels.shape[-2:]
    start = time.process_time()
    forwards = classifier.forwards
    model_inputs = classifier.model_input(setup.pixels)
    if metric == "deletion":
        blurred = blur(setup.pixels)
        clean = classifier.probs(setup.pixels, setup.targets)
    values = []
    for candidate in weights:
        cam = make_cam(candidate.numpy())
        saliency = cam(model_inputs, targets=targets)
        row = []
        if metric == "topn_gt":
            for i in range(len(saliency)):
                mask = setup.masks[i].numpy().ravel()
                top = np.argsort(-saliency[i].ravel(), kind="stable")[: mask.sum()]
                row.append(mask[top].mean())
        else:
            raw = np.maximum(cam.raw, 0)
            cells = loop_cell_masks(height, width, *raw.shape[-2:])
            perturbed, order_of = [], []
            for i in range(len(raw)):
                image = setup.pixels[i].clone()
                for cell in np.argsort(-raw[i].ravel(), kind="stable")[:steps]:
                    image[:, cells[cell]] = blurred[i][:, cells[cell]]
                    perturbed.append(image.clone())
                order_of += [i] * steps
            probs = classifier.probs(torch.stack(perturbed), setup.targets[order_of]).view(len(raw), steps)
            row = ((clean[:, None] - probs) / clean[:, None]).mean(dim=1).tolist()
        values.append(row)
        cam.activations_and_grads.release()
    return {"values": torch.tensor(values, dtype=torch.float64), "seconds": time.process_time() - start,
            # grad-cam runs the model itself, once per candidate-image
            "forwards": classifier.forwards - forwards + weights.shape[0] * setup.pixels.shape[0]}


def run(setup: Setup, args: argparse.Namespace) -> None:
    print(f"\n== {setup.name}: {setup.pixels.shape[0]} images {tuple(setup.pixels.shape[-2:])}")
    probe = probe_layer(setup.classifier, setup.pixels, setup.targets)
    terminals = {name: gradient_terminal(name, probe.acts, probe.grads) for name in TERMINAL_NAMES}
    candidates = enumerate_candidates(terminals, args.candidates, args.max_size)
    weights = torch.stack([value for _, value in candidates])  # [C, I, K]
    print(f"{len(candidates)} distinct candidates of size <= {args.max_size}, e.g. "
          + ", ".join(to_sygus(term) for term, _ in candidates[-3:]))
    pairs = weights.shape[0] * weights.shape[1]
    for metric in ("deletion", "topn_gt"):
        ours = score_ours(setup, probe.acts, weights, metric, args.steps, args.chunk)
        loop_count = args.loop_candidates if metric == "deletion" else args.loop_candidates_topn
        ours_rate = pairs / ours["seconds"]
        print(f"-- {metric}" + (f" (P={args.steps})" if metric == "deletion" else " (mask: "
                                + ("ground truth" if "mnist" in setup.name else "central quarter") + ")"))
        print(f"   ours: {ours['forwards'] / pairs:.3f} forwards per candidate-image "
              f"({ours['forwards']} forwards, {pairs} candidate-images), {ours_rate:.1f} candidate-images/s, "
              f"{100 * ours['forward_seconds'] / ours['seconds']:.0f}% of time in model forwards, "
              f"memo {ours['counts'].hits} hits / {ours['counts'].misses} misses in {ours['counts'].calls} calls")
        if loop_count == 0:
            continue
        loop = score_loop(setup, weights[:loop_count], metric, args.steps)
        loop_pairs = loop_count * weights.shape[1]
        loop_rate = loop_pairs / loop["seconds"]
        differences = (ours["values"][:loop_count] - loop["values"]).abs()
        print(f"   loop: {loop['forwards'] / loop_pairs:.2f} forwards per candidate-image, "
              f"{loop_rate:.2f} candidate-images/s ({loop_count} candidates)")
        print(f"   speed-up {ours_rate / loop_rate:.1f}x; largest |ours - loop| value difference "
              f"{differences.max():.2e} (median {differences.median():.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet18,builtin", help="comma list of resnet18, builtin")
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--max-size", type=int, default=5)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10, help="grid deletion steps P")
    parser.add_argument("--loop-candidates", type=int, default=3, help="candidates the deletion loop scores")
    parser.add_argument("--loop-candidates-topn", type=int, default=10, help="candidates the topn_gt loop scores")
    parser.add_argument("--chunk", type=int, default=25, help="candidates per cam_maps call")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("SYCAM_THREADS", "1")))
    setups = {"resnet18": resnet_setup, "builtin": builtin_setup}
    for name in args.models.split(","):
        setup = setups[name](args.images, args.batch_size, args.seed)
        if setup is not None:
            run(setup, args)


if __name__ == "__main__":
    main()
