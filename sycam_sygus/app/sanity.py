"""Sanity checks of saliency methods (the two the literature expects), on a few held-out images.

- class sensitivity: the map for the predicted class against the map for the second most likely
  class (Spearman rank correlation per image, averaged). A map that does not change with the
  class explains the image, not the decision. An expression whose terminals are all
  class-free (the backend's `class_dependent` says no: `act`, `eigen`) cannot depend on the
  class: it is flagged (`class_free`), beside its measured correlation.
- model-parameter randomisation (Adebayo et al., 2018): every layer above the target layer is
  re-initialised (seeded) and the map recomputed for the same class; Spearman against the
  original map. A method whose map survives randomising the model does not read the model.

Low correlations are what a faithful method shows. Both checks run on the torch backend only
(they need the model), at most `SANITY_IMAGES` images, each method on fresh backends (so the
search's caches are untouched).
"""
from __future__ import annotations

import copy
import time
import warnings
from typing import Sequence

import numpy as np
from scipy import stats

from ..engine.acceptance import class_insensitive
from ..engine.scorer import evaluate
from ..ir import Term

SANITY_IMAGES = 4


def sanity_checks(backend: object, methods: Sequence[tuple[str, Term]], images: Sequence[int], seed: int,
                  max_forwards: int | None = None, deadline: float | None = None) -> dict:
    """report.json's `sanity`: per method its class-sensitivity and randomisation correlations.

    A method whose terminals would cost more than `max_forwards` model forwards (None: no bound),
    or not begun by `deadline` (time.monotonic), gets a `reason` instead."""
    if not hasattr(backend, "classifier") or not images:
        return {"images": [], "reason": "needs the torch backend and held-out images", "methods": {}}
    import torch  # the check needs the model itself; report.md's writer does not

    images = list(images)[:SANITY_IMAGES]
    index = torch.tensor(images)
    from ..backends.torch_cam.backend import TorchBackend

    subset = backend.data.subset(index)
    logits = backend.classifier.logits(backend.pixels[index.to(backend.device)])
    top2 = logits.topk(2, dim=1).indices
    predicted = torch.as_tensor(backend.target_classes(images), device=top2.device)
    # the second class: the runner-up when the target is the top class, else the top class
    second = torch.where(top2[:, 0] == predicted, top2[:, 1], top2[:, 0])

    def fresh(classifier, targets) -> "TorchBackend":
        return TorchBackend(classifier, subset, targets=targets, steps=backend.steps)

    original = fresh(backend.classifier, predicted)
    other_class = fresh(backend.classifier, second)
    randomised = fresh(_randomised_above_layer(backend.classifier, seed), predicted)
    local = list(range(len(images)))
    result = {"images": images, "second_classes": second.tolist(), "methods": {}}
    for name, expression in methods:
        used = {str(node.param) for node in expression.walk() if node.op == "var"}
        cost = 3 * sum(original.terminal_cost(t, local) for t in used)
        if max_forwards is not None and cost > max_forwards:
            result["methods"][name] = {"reason": f"not computed (≈{cost} model forwards; pass --compare all)"}
            continue
        if deadline is not None and time.monotonic() >= deadline:
            result["methods"][name] = {"reason": "not computed (time; pass --compare all)"}
            continue
        base = _maps(original, expression, local)
        class_free = class_insensitive(expression, original)  # the backend says which terminals ignore the class
        result["methods"][name] = {
            "class_spearman": _spearman(base, _maps(other_class, expression, local)),
            "class_free": class_free,
            "randomised_spearman": _spearman(base, _maps(randomised, expression, local)),
        }
    return result


def _maps(backend, expression: Term, images: list[int]) -> np.ndarray:
    return backend.maps([evaluate(expression, backend, images)], images)[0]


def _spearman(first: np.ndarray, second: np.ndarray) -> float | None:
    """Mean over images of the Spearman correlation of two maps; None when no image has one
    (a constant map has no ranking)."""
    values = []
    for a, b in zip(first, second):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a constant input: NaN, left out below
            rho = stats.spearmanr(a.ravel(), b.ravel()).statistic
        if np.isfinite(rho):
            values.append(float(rho))
    return float(np.mean(values)) if values else None


def _randomised_above_layer(classifier, seed: int):
    """A copy of `classifier` whose modules after the target layer (in registration order, not
    inside it) have freshly initialised parameters."""
    import torch

    from ..backends.torch_cam.models import Classifier

    model = copy.deepcopy(classifier.model)
    names = [name for name, _ in model.named_modules()]
    target = classifier.layer_name
    after = names[names.index(target) + 1:]
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for name, module in model.named_modules():
            if name in after and not name.startswith(target + ".") and hasattr(module, "reset_parameters"):
                module.reset_parameters()
    finally:
        torch.random.set_rng_state(generator_state)
    layer = dict(model.named_modules())[target]
    normalize = None if classifier.mean is None else (classifier.mean.flatten().tolist(),
                                                     classifier.std.flatten().tolist())
    return Classifier(model, layer, normalize, classifier.device, classifier.batch_size)


def markdown_lines(block: dict) -> list[str]:
    """The sanity section of report.md."""
    lines = ["## Sanity checks", ""]
    if not block.get("methods"):
        return lines + [f"Not run: {block.get('reason', 'nothing to check')}.", ""]
    lines += [
        f"On {len(block['images'])} held-out images: Spearman rank correlation of each method's map with its map "
        "for the second most likely class, and with its map after re-initialising every layer above the target "
        "layer. Low values are what a method that reads the class and the model shows.",
        "",
        "| method | vs second class | vs randomised model |",
        "|---|---:|---:|",
    ]
    for name, entry in block["methods"].items():
        if "reason" in entry:
            lines.append(f"| {name} | {entry['reason']} | |")
            continue
        flag = " (no class-dependent terminal)" if entry["class_free"] else ""
        lines.append(f"| {name} | {_rho(entry['class_spearman'])}{flag} | {_rho(entry['randomised_spearman'])} |")
    return lines + [""]


def _rho(value: float | None) -> str:
    return "undefined (constant map)" if value is None else f"{value:.3f}"
