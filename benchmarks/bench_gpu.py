"""GPU throughput and a projection for the published workload (one command, under 10 minutes).

    python benchmarks/bench_gpu.py                  # cuda:0; ResNet-50 (random weights) at 224×224
    python benchmarks/bench_gpu.py --device cpu --images 8 --candidates 5 --seconds 0.2 --max-batch 8   # a dry run

Prints:
1. forwards per second of `Classifier.probs` (the metric's forward pass) for ResNet-50 at 224×224
   over batch sizes 1 … 256 (a size that runs out of memory ends the sweep; sizes 1 and 2 run
   padded to 4 images, as every model call of sycam is, so they count 1 or 2 forwards for 4 images' work);
2. the batch size sycam's start-up timing chooses (`batch_choice.choose_batch_size`, measured
   fresh) and the forwards per second at it;
3. forwards per candidate-image for grid deletion at P = 10, measured by scoring `--candidates`
   candidate weight vectors (the built-in search terminals and simple combinations of them) on
   `--images` images (the built-in canvases resized to 224×224) through the backend, with its memo;
4. the projected hours for the published workload: 4,000 images × 1,020 candidates × forwards per
   candidate-image ÷ forwards per second at the chosen batch. This assumes every candidate is
   scored on every image (no early rejection by tiers), so it is an upper bound for sycam.
"""
from __future__ import annotations

import argparse
import time

import torch
from sycam_sygus.backends.torch_cam.backend import TorchBackend
from sycam_sygus.backends.torch_cam.batch_choice import choose_batch_size
from sycam_sygus.backends.torch_cam.data import load_images
from sycam_sygus.backends.torch_cam.models import Classifier, find_layer, load_model

PUBLISHED_IMAGES, PUBLISHED_CANDIDATES = 4000, 1020
SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def rate(classifier: Classifier, pixels: torch.Tensor, batch: int, seconds: float) -> float:
    """Forwards per second of `probs` at batch size `batch`, over about `seconds` of calls."""
    classifier.batch_size = batch
    batch_pixels = pixels[torch.arange(batch) % len(pixels)]
    targets = torch.zeros(batch, dtype=torch.long, device=classifier.device)
    classifier.probs(batch_pixels, targets)  # warm-up (kernel choice, allocation)
    synchronize(classifier.device)
    calls, start = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - start < seconds:
        classifier.probs(batch_pixels, targets)
        calls += 1
    synchronize(classifier.device)
    return calls * batch / (time.perf_counter() - start)


def candidate_weights(backend: TorchBackend, images: list[int], count: int) -> list[torch.Tensor]:
    """`count` weight vectors: the gradient terminals and simple combinations of them."""
    terms = {name: backend.terminal(name, images) for name in ("grads", "pos_grads", "xgrads", "act")}
    weights = list(terms.values())
    for a in terms.values():
        for b in terms.values():
            weights += [a * b, a + b, torch.relu(a) * b, a ** 2 + b]
    return weights[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--images", type=int, default=64, help="images scored for forwards per candidate-image")
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per batch size")
    parser.add_argument("--max-batch", type=int, default=256, help="the largest batch size of the sweep")
    args = parser.parse_args()
    device = torch.device(args.device)
    model, layer, normalize, size = load_model("resnet50")
    module, _ = find_layer(model, layer)
    classifier = Classifier(model, module, normalize, device, 1)
    images = load_images("builtin:cluttered-mnist", "", size, args.images, 0)
    pixels = torch.nn.functional.interpolate(images.pixels, size=size, mode="bilinear", align_corners=False)
    pixels = pixels.to(device)
    print(f"ResNet-50 (random weights), 224×224, {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""))

    print("| batch | forwards/s |")
    print("|---|---|")
    sweep: dict[int, float] = {}
    for batch in (size for size in SIZES if size <= args.max_batch):
        try:
            sweep[batch] = rate(classifier, pixels, batch, args.seconds)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            print(f"| {batch} | out of memory |")
            break
        print(f"| {batch} | {sweep[batch]:.0f} |")
    best = max(sweep, key=sweep.get)

    started = time.perf_counter()
    chosen = choose_batch_size(classifier, pixels[:8], "bench-gpu", None)
    choosing = time.perf_counter() - started
    at_chosen = rate(classifier, pixels, chosen, args.seconds)
    print(f"chosen batch {chosen} (timed in {choosing:.1f} s): {at_chosen:.0f} forwards/s; "
          f"best of sweep {best}: {sweep[best]:.0f} forwards/s ({at_chosen / sweep[best]:.2f} of it)")

    images.pixels, images.masks = pixels.cpu(), None  # deletion needs no masks (theirs are 64×64)
    classifier.batch_size = chosen
    backend = TorchBackend(classifier, images, steps=10)
    index = list(range(len(images.names)))
    weights = candidate_weights(backend, index, args.candidates)
    before, start = backend.forwards, time.perf_counter()
    for candidate in weights:  # one at a time, as the search's misses arrive
        backend.score([candidate], index, "deletion")
    synchronize(device)
    scoring = time.perf_counter() - start
    per_candidate_image = (backend.forwards - before) / (len(weights) * len(index))
    print(f"grid deletion P=10: {len(weights)} candidates × {len(index)} images: "
          f"{per_candidate_image:.2f} forwards per candidate-image "
          f"({len(weights) * len(index) / scoring:.1f} candidate-images/s incl. maps and memo)")
    hours = PUBLISHED_IMAGES * PUBLISHED_CANDIDATES * per_candidate_image / at_chosen / 3600
    print(f"projected: {PUBLISHED_IMAGES} images × {PUBLISHED_CANDIDATES} candidates × {per_candidate_image:.2f} "
          f"forwards / {at_chosen:.0f} per s = {hours:.2f} hours of forwards on this device "
          "(every candidate on every image: no early rejection)")


if __name__ == "__main__":
    main()
