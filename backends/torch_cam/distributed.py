"""Scale-out on Ray (`:sycam.workers N`): the images sharded over N actors, the search in the driver.

Image i belongs to actor `i mod N`. Each actor is a `TorchBackend` over the same settings, owning
the model on its own device (one GPU per actor where there are GPUs, else one CPU thread) and the
terminal cache of its shard; it only ever runs the model on its own images. `RayBackend` meets the
engine's port: terminal values and per-image scores fan out to the actors holding a call's images
and are gathered in image order, while operators and value keys run in the driver on the gathered
weights. Model calls give an image the same output whatever call it rides in (`models.MIN_CALL`),
so the answer, objective and candidate log are bit-identical to `workers 1`.

An actor that dies is replaced by a fresh one over the same shard (its terminals come back from
the cache folder) and the calls it had not answered are sent again; scores already gathered live
in the driver, so nothing scored is lost.
"""
from __future__ import annotations

import hashlib
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from ...core.errors import OptionError
from ...core.settings import Settings
from . import operators
from .backend import TorchBackend, build_backend, pick_batch_size
from .metrics import metric_name, metric_tolerance
from .models import pick_device
from .terminals import check_terminal

_NO_SECOND_CLASS = OptionError("workers", "class-sensitive needs the maps of a second class, which Ray workers do "
                               "not compute", hint="set workers to 1 with class-sensitive, or turn it off")
_RETRIES = 3  # replacements of one shard's actor for one call before the run gives up


class ShardWorker:
    """One Ray actor: a TorchBackend that is asked only about the images of its shard."""

    def __init__(self, settings: Settings, shard: list[int], threads: int, trust_code: bool = False):
        torch.set_num_threads(threads)
        self.backend = build_backend(settings.replace(workers=1), trust_code)
        self.settings = settings
        self.shard = shard

    def shard_targets(self) -> list[int]:
        """The target class of each shard image, computing only this shard's logits."""
        if self.settings.target == "label":
            return self.backend.target_classes(self.shard)
        index = torch.tensor(self.shard, device=self.backend.device)
        return self.backend._per_image("logits", index, self.backend._compute_logits).argmax(dim=1).tolist()

    def start(self, targets: list[int]) -> tuple[int, int]:
        """Take every image's target (gathered by the driver), probe one own image, choose the batch
        size: (channels, forwards)."""
        self.backend._targets = torch.tensor(targets, dtype=torch.long, device=self.backend.device)
        channels = self.backend.activations(self.shard[:1]).shape[1]
        pick_batch_size(self.backend, self.settings)
        return channels, self.backend.forwards

    def call(self, method: str, args: tuple) -> tuple[Any, int]:
        """A backend method's result (tensors as numpy) and the actor's forwards so far."""
        result = getattr(self.backend, method)(*args)
        return (result.cpu().numpy() if isinstance(result, Tensor) else result), self.backend.forwards


class RayBackend:
    """The engine's port over Ray actors that each hold one shard of the images."""

    def __init__(self, settings: Settings, trust_code: bool = False):
        import ray

        self.ray = ray
        self.count = settings.workers
        gpus = 1 if pick_device(settings.device).type == "cuda" else 0
        # each actor sees only its own GPU (Ray sets CUDA_VISIBLE_DEVICES): "cuda" is that one
        settings = settings.replace(device="cuda" if gpus else "cpu")
        self.settings, self.trust_code = settings, trust_code
        probe = build_backend(settings.replace(workers=1, device="cpu"), trust_code)  # images and description: no model call
        self._images = probe.images()
        self._description = {**probe.describe(), "device": settings.device}
        self.shards = [list(range(j, self._images, self.count)) for j in range(self.count)]
        if not all(self.shards):
            raise OptionError("workers", f"{self.count} workers for {self._images} images leaves a worker without images",
                              hint="use at most as many workers as images")
        self._remote = ray.remote(num_cpus=0 if gpus else 1, num_gpus=gpus)(ShardWorker)
        self._forwards = [0] * self.count
        self.actors = [self._remote.remote(settings, shard, 1, trust_code) for shard in self.shards]
        per_shard = self._gather([(j, "shard_targets", ()) for j in range(self.count)], raw=True)
        self.targets = [0] * self._images
        for shard, targets in zip(self.shards, per_shard):
            for image, target in zip(shard, targets):
                self.targets[image] = int(target)
        started = self._gather([(j, "start", (self.targets,)) for j in range(self.count)], raw=True)
        self._channels = started[0][0]
        self._forwards = [forwards for _, forwards in started]
        self.replaced = 0  # actors replaced after dying
        self._lost_forwards = 0  # forwards of actors that died

    # ------------------------------------------------------------ fan-out and gather

    def _new_actor(self, shard: int) -> Any:
        """A fresh actor for `shard`, started with the known targets."""
        actor = self._remote.remote(self.settings, self.shards[shard], 1, self.trust_code)
        self.ray.get(actor.start.remote(self.targets))
        return actor

    def _submit(self, shard: int, method: str, args: tuple, raw: bool) -> Any:
        actor = self.actors[shard]
        return getattr(actor, method).remote(*args) if raw else actor.call.remote(method, args)

    def _gather(self, calls: list[tuple[int, str, tuple]], raw: bool = False) -> list[Any]:
        """Send every call at once, then collect the answers in order; a dead actor is replaced and
        its call sent again."""
        refs = [self._submit(shard, method, args, raw) for shard, method, args in calls]
        answers = []
        for (shard, method, args), ref in zip(calls, refs):
            for attempt in range(_RETRIES + 1):
                try:
                    answer = self.ray.get(ref)
                    break
                except self.ray.exceptions.RayActorError:
                    if attempt == _RETRIES:
                        raise
                    self._lost_forwards += self._forwards[shard]
                    self._forwards[shard] = 0
                    self.actors[shard] = self._new_actor(shard)
                    self.replaced += 1
                    ref = self._submit(shard, method, args, raw)
            if not raw:
                answer, self._forwards[shard] = answer
            answers.append(answer)
        return answers

    def _split(self, images: Sequence[int]) -> list[tuple[int, list[int]]]:
        """(shard, positions in `images`) for each shard that holds some of `images`."""
        positions: dict[int, list[int]] = {}
        for position, image in enumerate(images):
            positions.setdefault(int(image) % self.count, []).append(position)
        return sorted(positions.items())

    def _fan_out(self, method: str, images: Sequence[int], per_image: Sequence[np.ndarray] = (),
                 rest: tuple = ()) -> list[tuple[list[int], Any]]:
        """`method(*per_image sliced to the shard's images, shard images, *rest)` on each shard."""
        images = [int(i) for i in images]
        split = self._split(images)
        calls = []
        for shard, positions in split:
            sliced = tuple(array[:, positions] for array in per_image)
            calls.append((shard, method, (*sliced, [images[p] for p in positions], *rest)))
        return [(positions, answer) for (_, positions), answer in zip(split, self._gather(calls))]

    @staticmethod
    def _stack(weights: Sequence[Tensor]) -> np.ndarray:
        return torch.stack([torch.as_tensor(w) for w in weights]).numpy()

    # ------------------------------------------------------------ the port

    @property
    def forwards(self) -> int:
        """Images passed through the model by all actors, those that died included."""
        return sum(self._forwards) + self._lost_forwards

    def images(self) -> int:
        return self._images

    def target_classes(self, images: Sequence[int]) -> list[int]:
        return [self.targets[int(i)] for i in images]

    def terminal(self, name: str, images: Sequence[int]) -> Tensor:
        check_terminal(name)
        if name == "class":
            return torch.tensor(self.target_classes(images), dtype=torch.float32).view(-1, 1).expand(
                -1, self._channels).clone()
        images = [int(i) for i in images]
        split = self._split(images)
        calls = [(shard, "terminal", (name, [images[p] for p in positions])) for shard, positions in split]
        out = torch.zeros(len(images), self._channels)
        for (_, positions), values in zip(split, self._gather(calls)):
            out[positions] = torch.tensor(values)
        return out

    def terminal_cost(self, name: str, images: Sequence[int]) -> int:
        images = [int(i) for i in images]
        calls = [(shard, "terminal_cost", (name, [images[p] for p in positions]))
                 for shard, positions in self._split(images)]
        return sum(self._gather(calls))

    def constant(self, value: object, images: Sequence[int], sort: object = None) -> Tensor:
        return torch.full((len(images), self._channels), float(value))

    def apply(self, op: str, args: Sequence[Tensor], param: int | None = None) -> Tensor:
        return operators.apply(op, list(args), param)

    value_key = TorchBackend.value_key  # these read only their arguments
    scale_key = TorchBackend.scale_key
    _value_parts = TorchBackend._value_parts
    class_dependent = TorchBackend.class_dependent

    def tolerance(self, metric: str) -> float:
        """The smallest difference of `metric` that counts (the same on every shard)."""
        return metric_tolerance(metric_name(metric, self._description.get("has_masks", False)))

    def image_keys(self, weights: Sequence[Tensor], images: Sequence[int], metric: str) -> list[list[bytes]]:
        """One key per candidate and image, gathered from the shards in image order."""
        keys: list[list[bytes]] = [[b""] * len(images) for _ in weights]
        if weights and len(images):
            for positions, part in self._fan_out("image_keys", images, (self._stack(weights),), (metric,)):
                for c, row in enumerate(part):
                    for position, key in zip(positions, row):
                        keys[c][position] = key
        return keys

    def runner_up(self) -> "RayBackend":
        """Class sensitivity's second class is not sharded (an error: it needs one worker)."""
        raise _NO_SECOND_CLASS

    def rank_agreement(self, first: Tensor, second: Tensor, images: Sequence[int]) -> np.ndarray:
        """Not sharded either (an error: class sensitivity needs one worker)."""
        raise _NO_SECOND_CLASS

    def map_keys(self, weights: Sequence[Tensor], images: Sequence[int], metric: str) -> list[bytes]:
        """Per shard keys joined in shard order: equal joined keys mean equal keys on every shard."""
        if not weights:
            return []
        parts = self._fan_out("map_keys", images, (self._stack(weights),), (metric,))
        return [hashlib.sha256(b"|".join(keys[c] for _, keys in parts)).digest() for c in range(len(weights))]

    def score(self, weights: Sequence[Tensor], images: Sequence[int], metric: str) -> np.ndarray:
        out = np.zeros((len(weights), len(images)), dtype=np.float64)
        if weights and len(images):
            for positions, scores in self._fan_out("score", images, (self._stack(weights),), (metric,)):
                out[:, positions] = scores
        return out

    def maps(self, weights: Sequence[Tensor], images: Sequence[int]) -> np.ndarray:
        parts = self._fan_out("maps", images, (self._stack(weights),))
        height, width = parts[0][1].shape[-2:]
        out = np.zeros((len(weights), len(images), height, width), dtype=parts[0][1].dtype)
        for positions, maps in parts:
            out[:, positions] = maps
        return out

    def pictures(self, images: Sequence[int]) -> np.ndarray:
        return self._gather([(0, "pictures", ([int(i) for i in images],))])[0]

    def describe(self) -> dict:
        return {**self._description, "device": f"{self.count} Ray workers ({self._description['device']})",
                "workers": self.count, "replaced_workers": self.replaced, "forwards": self.forwards,
                "tail_forwards": None, "cache": None}


def open_distributed(settings: Settings, trust_code: bool = False) -> RayBackend:
    """Join (or start) Ray and open one actor per shard; without Ray, an error naming the extra."""
    try:
        import ray
    except ImportError:
        raise OptionError("workers", f"workers {settings.workers} needs Ray, which is not installed",
                          hint="install the extra: pip install 'sycam[ray]' (or -e '.[ray]'), or set workers to 1") from None
    if not ray.is_initialized():
        ray.init(address=settings.ray_address or None, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    return RayBackend(settings, trust_code)
