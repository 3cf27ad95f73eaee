"""`sycam-explain`: heat maps of one CAM method (an expression or a sycam-solve answer file) on a
folder of images: per image an overlay PNG and the raw map as `.npy`, and one contact sheet.

The model, weights, layer, images and masks are read exactly as `sycam-solve` reads its
`:sycam.*` options (backends/torch_cam/models.py, data.py), so the maps are those the solver
scored. Bad input exits with status 2 and a message naming the flag (or the expression's place).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.errors import OptionError, SygusError
from ..core.options import OPTIONS

EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 2, 130
PROGRESS_SECONDS = 2.0
# sycam-solve's option behind each flag, for errors the loaders raise about an option.
FLAG_OF_OPTION = {"model": "--model", "weights": "--weights", "layer": "--layer", "data": "--images",
                  "masks": "--masks", "target": "--target", "device": "--device", "images": "--count",
                  "resize": "--resize"}


def build_parser() -> argparse.ArgumentParser:
    """The command line; defaults are sycam-solve's."""
    parser = argparse.ArgumentParser(
        prog="sycam-explain", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Write heat-map overlays, raw maps (.npy) and a contact sheet of a CAM weight expression "
                    "on a folder of images.")
    parser.add_argument("method", metavar="EXPRESSION_OR_ANSWER_FILE",
                        help="a weight expression such as '(* grads abl)', or a sycam-solve answer file")
    parser.add_argument("--images", required=True, metavar="DIR",
                        help="image folder (class sub-folders give labels) or a built-in data set "
                             "(builtin:cluttered-mnist)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    parser.add_argument("--model", default=OPTIONS["model"].default, help=OPTIONS["model"].help)
    parser.add_argument("--weights", default="", help=OPTIONS["weights"].help)
    parser.add_argument("--layer", default="", help=OPTIONS["layer"].help)
    parser.add_argument("--masks", default="", metavar="DIR", help=OPTIONS["masks"].help + " (outlined in the sheet)")
    parser.add_argument("--resize", default=OPTIONS["resize"].default, choices=("crop", "stretch"),
                        help=OPTIONS["resize"].help)
    parser.add_argument("--target", default="predicted",
                        help="class to explain: 'predicted', 'label' (from class sub-folders) or a class index")
    parser.add_argument("--count", type=int, default=0, metavar="N", help="a seeded subset of N images; 0 = all")
    parser.add_argument("--seed", type=int, default=0, help=OPTIONS["seed"].help)
    parser.add_argument("--device", default="", help=OPTIONS["device"].help)
    parser.add_argument("--batch-size", type=int, default=64, metavar="N", help=OPTIONS["batch-size"].help)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `sycam-explain` with `argv` (default: the process arguments); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed usage and the reason
        return int(exit_.code or 0)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _explain(args)
    except SygusError as error:
        print(_render(error, args.method), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("sycam-explain: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _explain(args: argparse.Namespace) -> int:
    from ..method_source import read_method

    weights_term, label = read_method(args.method)  # first: a bad expression fails before any loading
    target, explicit = _target(args.target)
    if args.count < 0 or args.batch_size < 1:
        flag, value = ("--count", args.count) if args.count < 0 else ("--batch-size", args.batch_size)
        raise SygusError(f"expected a number >= {0 if flag == '--count' else 1}, got {value}", path=flag)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SygusError(f"cannot create the output folder '{out}' ({error.strerror or error})", path="--out") from None
    backend = open_explain_backend(args, target, explicit)
    from ..backends.torch_cam.operators import OperatorError

    try:
        maps, weights_ok = explain_all(backend, weights_term, args.quiet)
    except OperatorError as error:  # e.g. (pow x 0): the parser takes it, the operator refuses it
        raise SygusError(f"the expression cannot be evaluated: {error}", path="EXPRESSION_OR_ANSWER_FILE") from None
    from .explain_output import SHEET_NAME, write_outputs

    try:
        write_outputs(out, backend, maps, label)
    except OSError as error:  # a full disk, a name taken by a folder
        raise SygusError(f"cannot write into the output folder '{out}' ({error.strerror or error})", path="--out",
                         hint="give --out a folder you can write, with room for the pictures") from None
    if not args.quiet:
        print(f"sycam-explain: {len(maps)} image(s): overlays, maps and {SHEET_NAME} in {out}"
              + ("" if weights_ok else " (some weights were not finite: those maps are NaN)"), file=sys.stderr)
    return EXIT_OK


def open_explain_backend(args: argparse.Namespace, target: str, explicit: int | None):
    """The torch backend over the images, read as sycam-solve reads its options (no terminal cache)."""
    import torch

    from ..backends.torch_cam.backend import TorchBackend
    from ..backends.torch_cam.data import load_images
    from ..backends.torch_cam.models import (
        Classifier,
        find_layer,
        load_model,
        pick_device,
    )

    device = pick_device(args.device)
    model, default_layer, normalize, size = load_model(args.model, args.weights)
    layer, _ = find_layer(model, args.layer or default_layer)
    images = load_images(args.images, args.masks, size, args.count, args.seed, args.resize)
    classifier = Classifier(model, layer, normalize, device, args.batch_size)
    targets = None
    if explicit is not None:
        classes = classifier.logits(images.pixels[:1]).shape[1]
        if not 0 <= explicit < classes:
            raise SygusError(f"class {explicit} is out of range: the model has {classes} classes", path="--target",
                             hint=f"give a class index from 0 to {classes - 1}, 'predicted' or 'label'")
        targets = torch.full((len(images.names),), explicit, dtype=torch.long)
    backend = TorchBackend(classifier, images, target=target, targets=targets,
                           description={"model": args.model, "data": args.images})
    backend.channels()  # fails early (and clearly) on a layer whose output is not 4-D
    return backend


def explain_all(backend, weights_term, quiet: bool) -> tuple[np.ndarray, bool]:
    """The maps `[N, H, W]` of every image, a batch at a time, with progress on stderr."""
    from ..engine.enumerate import TermValues

    total, done, last_note, started = backend.images(), 0, time.monotonic(), time.monotonic()
    chunks = []
    for first in range(0, total, backend.classifier.batch_size):
        batch = list(range(first, min(first + backend.classifier.batch_size, total)))
        weights = TermValues(backend, batch).get(weights_term)
        chunks.append(backend.maps([weights], batch)[0])
        done += len(batch)
        if not quiet and (time.monotonic() - last_note >= PROGRESS_SECONDS or done == total) and total > len(batch):
            print(f"sycam-explain: {done}/{total} images, {time.monotonic() - started:.0f}s", file=sys.stderr)
            last_note = time.monotonic()
    maps = np.concatenate(chunks).astype(np.float32)
    return maps, bool(np.isfinite(maps).all())


def _target(text: str) -> tuple[str, int | None]:
    """('predicted' | 'label', None) or ('predicted', K) for a class index."""
    if text in ("predicted", "label"):
        return text, None
    try:
        return "predicted", int(text)
    except ValueError:
        raise SygusError(f"unknown target '{text}'", path="--target",
                         hint="use 'predicted', 'label' or a class index such as 281") from None


def _render(error: SygusError, method: str) -> str:
    """The error with its flag (loaders name the :sycam.* option) or its place in the expression."""
    if isinstance(error, OptionError):
        flag = FLAG_OF_OPTION.get(error.option, f"--{error.option}")
    else:
        flag = error.path if error.path.startswith("--") else None
    if error.path == "EXPRESSION_OR_ANSWER_FILE":
        flag = error.path
    if flag is not None:
        text = f"sycam-explain: error: {error.message} ({flag})"
        return text + (f"\nhint: {error.hint}" if error.hint else "")
    source = None
    if error.path == "<expression>":
        source = method
    elif Path(error.path).is_file():
        source = Path(error.path).read_text(encoding="utf-8", errors="replace")
    return error.render(source)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings from the loaders as one `sycam-explain: warning:` line."""
    print(f"sycam-explain: warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
