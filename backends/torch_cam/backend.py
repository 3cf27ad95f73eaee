"""The torch backend: `sycam_sygus.engine.port.Backend` over one model, target layer and image set.

Per-image quantities that do not depend on the candidate (clean logits, layer activations,
terminal values) are memoised in dense device tensors and, with a `TensorCache`, on disk keyed
by content, so a second run over the same images makes no model call for them. Tensors stay on
the device; numpy appears only in `score`, `maps` and `pictures` (the protocol boundary).
"""
from __future__ import annotations

import hashlib
import time
import warnings
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from scipy.stats import rankdata
from torch import Tensor

from ...core.deadline import NEVER, Deadline
from ...core.errors import OptionError
from ...core.logic import TERMINALS
from ...core.settings import Settings
from ...core.sorts import Sort
from . import operators
from .batch_choice import choice_key, choose_batch_size
from .cache import (
    TensorCache,
    cache_folder,
    entry_key,
    image_fingerprints,
    model_fingerprint,
)
from .cam import cam_maps
from .data import ImageSet, load_images
from .metrics import (
    KEYED_FROM_S_FM,
    SCORED_FROM_S_FM,
    MetricEvaluator,
    metric_name,
    metric_tolerance,
)
from .models import (
    Classifier,
    find_layer,
    load_model,
    pick_device,
    random_weights_warning,
)
from .terminals import (
    ACTIVATION_TERMINALS,
    CLASS_INDEPENDENT_TERMINALS,
    GRADIENT_TERMINALS,
    ablation_terminal,
    check_terminal,
    eigen_terminal,
    gradient_terminal,
    probe_layer,
    score_cam_terminal,
)

# Significant digits kept by `value_key`, relative to each vector's largest magnitude.
_VALUE_DIGITS = 6
# Candidate-image maps (C·I·H·W floats) made at once when scoring; bounds memory.
_MAP_ELEMENTS = 1 << 24
# Bumped when a terminal's definition changes, so old cache entries are not reused.
_TERMINALS_VERSION = 1


class TorchBackend:
    """Terminals, operators, maps and metric scores for the images of one model and layer."""

    def __init__(self, classifier: Classifier, images: ImageSet, target: str = "predicted",
                 targets: Tensor | None = None, steps: int = 10, cache: TensorCache | None = None,
                 description: Mapping[str, object] | None = None):
        if target not in ("predicted", "label"):
            raise OptionError("target", f"unknown target '{target}'",
                             hint="use 'predicted' (the model's prediction) or 'label'")
        self.classifier = classifier
        self.data = images
        self.device = classifier.device
        self.pixels = images.pixels.to(self.device)
        self.masks = None if images.masks is None else images.masks.to(self.device)
        self.steps = steps
        self.cache = cache
        self._cache_error: str | None = None  # why the cache was dropped mid-run, if it was
        self._description = dict(description or {})
        self._target_mode = target
        self._explicit_targets = None if targets is None else torch.as_tensor(targets).to(self.device).long().view(-1)
        self._targets: Tensor | None = None
        self._memo: dict[str, tuple[Tensor, Tensor]] = {}  # kind -> (values [N, ...], known [N])
        self._evaluator: MetricEvaluator | None = None
        # Checked between chunks of terminal work; the CLI sets the run's deadline (and stop flag).
        self.deadline: Deadline = NEVER
        self._runner_up: TorchBackend | None = None
        self._fingerprints: dict[str, str] | None = None
        if cache is not None:
            self._model_hash = model_fingerprint(classifier.model)
            self._image_hashes = image_fingerprints(images.pixels)
            self._normalize = (None if classifier.mean is None
                               else (classifier.mean.flatten().tolist(), classifier.std.flatten().tolist()))

    @property
    def forwards(self) -> int:
        """Images passed through the model so far (tail-only passes included)."""
        return self.classifier.forwards

    # ------------------------------------------------------------ protocol: images and terminals

    def images(self) -> int:
        """How many images the backend holds."""
        return len(self.data.names)

    def target_classes(self, images: Sequence[int]) -> list[int]:
        """The target class of each image (prediction by default, label on request)."""
        return self._all_targets()[self._index(images)].tolist()

    def terminal(self, name: str, images: Sequence[int]) -> Tensor:
        """A terminal's values `[I, K]` (memoised and disk-cached per image)."""
        check_terminal(name)
        index = self._index(images)
        if name == "class":
            return self._all_targets()[index].float().view(-1, 1).expand(-1, self.channels()).clone()
        return self._per_image(name, index, self._compute_terminals(name))

    def terminal_cost(self, name: str, images: Sequence[int]) -> int:
        """About how many model forwards `terminal(name, images)` would take now (0 when cached).

        A gradient terminal costs one pass per image; eigen only the probe of images without
        activations; cic and abl K passes per image (an upper bound: constant channels are free),
        plus that probe.
        """
        check_terminal(name)
        if name == "class":
            return 0
        uncached = self._uncached(name, self._index(images))
        if name in GRADIENT_TERMINALS or not uncached:
            return len(uncached)
        probes = self._uncached("acts", torch.tensor(uncached, device=self.device))
        if name in ACTIVATION_TERMINALS:
            return len(probes)
        return len(uncached) * self.channels() + len(probes)

    def constant(self, value: object, images: Sequence[int], sort: Sort | None = None) -> Tensor:
        """A constant broadcast to `[I, K]` (every sort is a float tensor here: Bool true is 1.0)."""
        return torch.full((len(images), self.channels()), float(value), device=self.device)

    def apply(self, op: str, args: Sequence[Tensor], param: int | None = None) -> Tensor:
        """One SYCAM operator on argument values of the same images."""
        return operators.apply(op, list(args), param)

    def scale_key(self, value: Tensor) -> bytes:
        """Equal for values whose rows (images) differ by a positive factor, to about 6 digits."""
        return self._value_parts(value, exact_scale=True)[0]

    def tolerance(self, metric: str) -> float:
        """The smallest difference of `metric` that counts (CAM-THEORY §7): see `metrics.tolerance`."""
        return metric_tolerance(metric_name(metric, self.masks is not None))

    def class_dependent(self, name: str) -> bool:
        """Every terminal but the activations reads the target class (gradients, scores, `class`)."""
        check_terminal(name)
        return name not in CLASS_INDEPENDENT_TERMINALS

    def runner_up(self) -> "TorchBackend":
        """The same images and model with each image's next most likely class (after its target) as target."""
        if self._runner_up is None:
            everything = torch.arange(self.images(), device=self.device)
            logits = self._per_image("logits", everything, self._compute_logits).clone()
            logits[everything, self._all_targets()] = -torch.inf
            self._runner_up = TorchBackend(self.classifier, self.data, targets=logits.argmax(dim=1), steps=self.steps,
                                           cache=self.cache, description=self._description)
        return self._runner_up

    def rank_agreement(self, first: Tensor, second: Tensor, images: Sequence[int]) -> np.ndarray:
        """Per image: Spearman's correlation of the two weights' `S_fm` (tied cells share their mean rank);
        1 when both maps are constant, 0 when only one is."""
        s_fm = self.saliency([first, second], images, upsample=False)[0].flatten(2).nan_to_num(0.0).cpu().numpy()
        ranks = rankdata(s_fm.astype(np.float64), axis=-1)
        ranks -= ranks.mean(axis=-1, keepdims=True)
        norms = np.sqrt((ranks**2).sum(axis=-1))
        product = (ranks[0] * ranks[1]).sum(axis=-1)
        both_flat, one_flat = (norms == 0).all(axis=0), (norms == 0).any(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            agreement = product / (norms[0] * norms[1])
        return np.where(both_flat, 1.0, np.where(one_flat, 0.0, agreement))

    def value_key(self, value: Tensor) -> bytes:
        """Equal for values that agree to about 6 significant digits of each row's largest entry."""
        relative, scale = self._value_parts(value)
        return relative + scale

    def _value_parts(self, value: Tensor, exact_scale: bool = False) -> tuple[bytes, bytes]:
        """`value_key` in two parts: each row relative to its largest magnitude, and those magnitudes.

        `exact_scale` divides by the largest magnitude itself rather than its rounded value, so
        rows that differ by a factor give the same relative part (up to float rounding)."""
        value = value.detach().to(torch.float64)
        finite = torch.isfinite(value)
        kinds = torch.where(finite, 0, torch.where(torch.isnan(value), 1, torch.sign(value).to(torch.int64) + 3))
        value = torch.where(finite, value, torch.zeros_like(value))
        largest = value.abs().amax(dim=-1, keepdim=True) if value.dim() else value.abs()
        mantissa, exponent = torch.frexp(largest)
        scale = torch.ldexp(torch.round(mantissa * 10 ** _VALUE_DIGITS) / 10 ** _VALUE_DIGITS, exponent)
        divisor = largest if exact_scale else scale
        safe = torch.where(divisor > 0, divisor, torch.ones_like(divisor))
        relative = torch.round(value / safe * 10 ** _VALUE_DIGITS).to(torch.int64)
        shape = str(tuple(value.shape)).encode()
        relative_part = b"|".join(p.cpu().numpy().tobytes() for p in (relative, kinds)) + shape
        scales = (torch.round(mantissa * 10 ** _VALUE_DIGITS).to(torch.int64), exponent.to(torch.int64))
        return relative_part, b"|" + b"|".join(p.cpu().numpy().tobytes() for p in scales)

    # ------------------------------------------------------------ protocol: maps and scores

    def saliency(self, weights: Sequence[Tensor], images: Sequence[int],
                 upsample: bool = True) -> tuple[Tensor, Tensor | None]:
        """`(S_fm [C, I, h, w], S [C, I, H, W])` of candidate weights on the images; `S` None without `upsample`."""
        stacked = torch.stack([torch.as_tensor(w, device=self.device).float() for w in weights])
        return cam_maps(stacked, self.activations(images), tuple(self.pixels.shape[-2:]), upsample)

    def map_keys(self, weights: Sequence[Tensor], images: Sequence[int], metric: str) -> list[bytes]:
        """One key per candidate: equal keys guarantee equal scores for `metric` on `images`."""
        metric = metric_name(metric, self.masks is not None)
        index = self._index(images)
        keys: list[bytes] = []
        for chunk in self._candidate_chunks(weights, len(index)):
            s_fm, s = self.saliency(chunk, images, upsample=metric not in KEYED_FROM_S_FM)
            keys += self._metrics().map_keys(metric, s_fm, s, index.cpu())
        return keys

    def image_keys(self, weights: Sequence[Tensor], images: Sequence[int], metric: str) -> list[list[bytes]]:
        """One key per candidate and image: equal keys guarantee equal scores for `metric` on that image."""
        metric = metric_name(metric, self.masks is not None)
        index = self._index(images)
        keys: list[list[bytes]] = []
        for chunk in self._candidate_chunks(weights, len(index)):
            s_fm, s = self.saliency(chunk, images, upsample=metric not in KEYED_FROM_S_FM)
            keys += self._metrics().image_keys(metric, s_fm, s, index.cpu())
        return keys

    def score(self, weights: Sequence[Tensor], images: Sequence[int], metric: str) -> np.ndarray:
        """Per-image metric values `[C, I]` (float64); NaN/inf weights score the worst value."""
        return self.score_tensor(weights, images, metric).cpu().numpy()

    def score_tensor(self, weights: Sequence[Tensor], images: Sequence[int], metric: str) -> Tensor:
        """`score` as a float64 tensor."""
        metric = metric_name(metric, self.masks is not None)
        index = self._index(images)
        rows = []
        for chunk in self._candidate_chunks(weights, len(index)):
            s_fm, s = self.saliency(chunk, images, upsample=metric not in SCORED_FROM_S_FM)
            rows.append(self._metrics().score(metric, index.cpu(), s_fm, s).cpu().to(torch.float64))
        return torch.cat(rows) if rows else torch.zeros(0, len(index), dtype=torch.float64)

    def maps(self, weights: Sequence[Tensor], images: Sequence[int]) -> np.ndarray:
        """Saliency maps `[C, I, H, W]` in [0, 1] (for figures)."""
        return self.saliency(weights, images)[1].cpu().numpy()

    def pictures(self, images: Sequence[int]) -> np.ndarray:
        """The images in pixel space `[I, H, W, 3]` in [0, 1] (for figures)."""
        return self.pixels[self._index(images)].permute(0, 2, 3, 1).cpu().numpy()

    def describe(self) -> dict:
        """Model, layer, data, device and counts, for reports."""
        return {
            **self._description,
            "layer": self.classifier.layer_name,
            "device": str(self.device),
            "batch_size": self.classifier.batch_size,
            "images": self.images(),
            "has_masks": self.masks is not None,  # read by the CLI to refuse mask metrics before the search
            "target": "given" if self._explicit_targets is not None else self._target_mode,
            "forwards": self.classifier.forwards,
            "tail_forwards": self.classifier.tail_forwards,
            "ablation_tail_only": self.classifier.has_tail,
            "cache": self._cache_summary(),
            "fingerprints": self.fingerprints(),
        }

    def fingerprints(self) -> dict[str, str]:
        """Content hashes of the model (architecture, parameters, buffers) and of the images in order:
        what a resumed run's scores depend on, whatever paths they were read from."""
        if self._fingerprints is None:
            images = hashlib.sha256("".join(image_fingerprints(self.data.pixels)).encode()).hexdigest()
            self._fingerprints = {"model": model_fingerprint(self.classifier.model), "images": images}
        return self._fingerprints

    # ------------------------------------------------------------ per-image quantities

    def channels(self) -> int:
        """K, the number of channels of the target layer."""
        return self.activations([0]).shape[1]

    def activations(self, images: Sequence[int]) -> Tensor:
        """Target-layer activations `[I, K, h, w]`."""
        return self._per_image("acts", self._index(images), self._compute_probe)

    def _all_targets(self) -> Tensor:
        if self._targets is None:
            if self._explicit_targets is not None:
                if len(self._explicit_targets) != self.images():
                    raise ValueError(f"expected one target per image ({self.images()}), "
                                     f"got {len(self._explicit_targets)}")
                self._targets = self._explicit_targets
            elif self._target_mode == "label":
                labels = self.data.labels.to(self.device)
                if bool((labels < 0).any()):
                    raise OptionError("target", "target 'label' needs labelled images; some have none",
                                     hint="put images in class sub-folders, or use target 'predicted'")
                self._targets = labels
            else:
                everything = torch.arange(self.images(), device=self.device)
                self._targets = self._per_image("logits", everything, self._compute_logits).argmax(dim=1)
        return self._targets

    def _per_image(self, kind: str, index: Tensor, compute: Callable[[Tensor], dict[str, Tensor]]) -> Tensor:
        """`kind` for the images at `index`: from memory, else disk, else `compute` (batched)."""
        missing = self._missing(kind, index)
        if len(missing) and self.cache is not None:
            keys = [(i, self._key(kind, i)) for i in missing.tolist()]  # may compute targets (and drop the cache)
            try:
                loaded = self._load_entries(kind, keys) if self.cache is not None else []
            except OSError as error:
                self._drop_cache(error)
                loaded = []
            found = [(i, t) for i, t in loaded if t is not None]
            if found:
                self._remember(kind, torch.tensor([i for i, _ in found], device=self.device),
                               torch.stack([t for _, t in found]).to(self.device), store=False)
            missing = self._missing(kind, index)
        last = 0.0
        for part in missing.split(self._chunk_images(kind)) if len(missing) else ():
            # A stop loses at most the chunk running (earlier ones are cached); a chunk that would end
            # past the deadline at the last one's pace is not started: its work could not be used.
            self.deadline.check(last)
            began = time.monotonic()
            for computed_kind, values in compute(part).items():
                self._remember(computed_kind, part, values)
            last = time.monotonic() - began
        return self._memo[kind][0][index]

    def _load_entries(self, kind: str, keys: list[tuple[int, str]]) -> list[tuple[int, Tensor | None]]:
        """Cached values of `kind` for (image, key) pairs, each of the one shape `kind` has here
        (that of the values in memory, a terminal's [K] once activations are, else of the first entry loaded)."""
        shape = tuple(self._memo[kind][0].shape[1:]) if kind in self._memo else (
            (self._memo["acts"][0].shape[1],) if kind in TERMINALS and "acts" in self._memo else None)
        loaded = []
        for i, key in keys:
            if self.cache is None:
                break
            value = self.cache.load(key, shape)
            shape = shape or (None if value is None else tuple(value.shape))
            loaded.append((i, value))
        return loaded

    def _chunk_images(self, kind: str) -> int:
        """Images per chunk of `kind`'s computation: one batch of model passes, at least one image
        (cic and abl take K passes per image, so a chunk of them is one image when K >= batch)."""
        if kind not in ("cic", "abl"):
            return self.classifier.batch_size
        return max(1, self.classifier.batch_size // self.channels())

    def _missing(self, kind: str, index: Tensor) -> Tensor:
        if kind not in self._memo:
            return torch.unique(index)
        return torch.unique(index[~self._memo[kind][1][index]])

    def _uncached(self, kind: str, index: Tensor) -> list[int]:
        """The images at `index` whose `kind` is neither in memory nor on disk."""
        missing = self._missing(kind, index).tolist()
        if self.cache is None:
            return missing
        keys = [(i, self._key(kind, i)) for i in missing]
        try:
            return [i for i, key in keys if self.cache is None or not self.cache.path(key).is_file()]
        except OSError as error:
            self._drop_cache(error)
            return missing

    def _remember(self, kind: str, index: Tensor, values: Tensor, store: bool = True) -> None:
        if kind not in self._memo:
            self._memo[kind] = (torch.zeros((self.images(), *values.shape[1:]), dtype=values.dtype, device=self.device),
                                torch.zeros(self.images(), dtype=torch.bool, device=self.device))
        memo, known = self._memo[kind]
        new = ~known[index]  # a probe also returns kinds already known for some images
        # Only new values are kept: a known one stays as first computed (and cached), since another
        # batch gives it to float rounding only, and a resumed run, loading it, must see the same.
        memo[index[new]] = values[new].to(self.device)
        known[index] = True
        if store and self.cache is not None:
            try:
                for i, value in zip(index[new].tolist(), values[new]):
                    key = self._key(kind, i)
                    if self.cache is None:
                        break
                    self.cache.store(key, value, {"kind": kind, "image": self._image_hashes[i],
                                                  "layer": self.classifier.layer_name, "model": self._model_hash})
            except OSError as error:
                self._drop_cache(error)

    def _drop_cache(self, error: OSError) -> None:
        """The cache is only an optimisation: on a folder we cannot use, warn once and go on without it."""
        if self.cache is None:
            return
        self._cache_error = f"{self.cache.folder}: {error}"
        warnings.warn(f"sycam cache {self._cache_error}; going on without the cache "
                      "(hint: point --cache or $SYCAM_CACHE at a writable folder)", stacklevel=4)
        self.cache = None

    def _cache_summary(self) -> dict | None:
        if self._cache_error is not None:
            return {"error": self._cache_error}
        if self.cache is None:
            return None
        return {"folder": str(self.cache.folder), "hits": self.cache.hits, "misses": self.cache.misses}

    def _key(self, kind: str, image: int) -> str:
        layer = None if kind == "logits" else self.classifier.layer_name
        target = int(self._all_targets()[image]) if kind in TERMINALS else None
        return entry_key(self._model_hash, self._normalize, layer, self._image_hashes[image], target,
                         kind, _TERMINALS_VERSION)

    def _compute_logits(self, index: Tensor) -> dict[str, Tensor]:
        return {"logits": self.classifier.logits(self.pixels[index])}

    def _compute_probe(self, index: Tensor) -> dict[str, Tensor]:
        """One forward + backward: activations, logits and every gradient terminal."""
        probe = probe_layer(self.classifier, self.pixels[index], self._all_targets()[index])
        values = {name: gradient_terminal(name, probe.acts, probe.grads) for name in GRADIENT_TERMINALS}
        return {**values, "acts": probe.acts, "logits": probe.logits}

    def _compute_terminals(self, name: str) -> Callable[[Tensor], dict[str, Tensor]]:
        if name in GRADIENT_TERMINALS:
            return self._compute_probe

        def compute(index: Tensor) -> dict[str, Tensor]:
            pixels, targets, acts = self.pixels[index], self._all_targets()[index], self.activations(index.tolist())
            if name == "eigen":
                return {name: eigen_terminal(acts)}
            if name == "cic":
                return {name: score_cam_terminal(self.classifier, pixels, targets, acts, self.deadline.check)}
            logits = self._per_image("logits", index, self._compute_logits)
            return {name: ablation_terminal(self.classifier, pixels, targets, acts, logits, self.deadline.check)}
        return compute

    # ------------------------------------------------------------ helpers

    def _index(self, images: Sequence[int]) -> Tensor:
        index = torch.as_tensor(list(images) if not isinstance(images, Tensor) else images,
                                dtype=torch.long, device=self.device).view(-1)
        if len(index) and (int(index.min()) < 0 or int(index.max()) >= self.images()):
            raise IndexError(f"image index out of range 0..{self.images() - 1}")
        return index

    def _metrics(self) -> MetricEvaluator:
        if self._evaluator is None:
            self._evaluator = MetricEvaluator(self.classifier.probs, self.pixels, self._all_targets(), self.masks,
                                              self.steps, self.classifier.batch_size)
        return self._evaluator

    def _candidate_chunks(self, weights: Sequence[Tensor], images: int) -> list[Sequence[Tensor]]:
        height, width = self.pixels.shape[-2:]
        size = max(1, _MAP_ELEMENTS // max(1, images * height * width))
        return [weights[i:i + size] for i in range(0, len(weights), size)]


def _model_warnings(settings: Settings) -> list[str]:
    """What a report must say about the model: a torchvision architecture without weights is random."""
    random = not settings.weights and not settings.model.startswith("builtin:") and ":" not in settings.model
    return [random_weights_warning(settings.model)] if random else []


def open_backend(settings: Settings, trust_code: bool = False) -> TorchBackend:
    """Build the torch backend from a run's settings, in this process (`trust_code`: an entry-point
    model may be run; `distributed.open_distributed` shards the images over Ray actors)."""
    backend = build_backend(settings, trust_code)
    backend.channels()  # fails early (and clearly) on a layer whose output is not 4-D
    pick_batch_size(backend, settings)
    return backend


def pick_batch_size(backend: TorchBackend, settings: Settings) -> None:
    """With `batch-size 0`, the fastest batch size, timed (or cached); call before any metric."""
    if settings.batch_size == 0:
        key = choice_key(backend._model_hash, backend.device, tuple(backend.pixels.shape[-2:]))
        folder = backend.cache.folder if backend.cache is not None else None
        backend.classifier.batch_size = choose_batch_size(backend.classifier, backend.pixels[:8], key, folder)


def build_backend(settings: Settings, trust_code: bool = False) -> TorchBackend:
    """The torch backend of a run's settings, before any model call."""
    device = pick_device(settings.device)  # first: a device this machine lacks fails before any loading
    model, default_layer, normalize, size = load_model(settings.model, settings.weights, trust_code)
    layer, layer_name = find_layer(model, settings.layer or default_layer)
    images = load_images(settings.data, settings.masks, size, settings.images, settings.seed, settings.resize)
    classifier = Classifier(model, layer, normalize, device, settings.batch_size or 1)
    backend = TorchBackend(
        classifier, images, target=settings.target, steps=settings.steps,
        cache=TensorCache(cache_folder(settings.cache)),
        description={"model": settings.model, "weights": settings.weights or None, "data": settings.data,
                     "masks": settings.masks or None, "warnings": _model_warnings(settings)},
    )
    return backend
