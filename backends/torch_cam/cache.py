"""The on-disk terminal cache: tensors keyed by content, written atomically, verified on load.

An entry is one file `<key>.sycam`: a magic line, a JSON header line (dtype, shape, byte count,
sha256 of the payload), then the raw payload. A file that fails any check is a warning and a
miss (the caller recomputes and overwrites it). Writes go to a temporary file in the same
folder and are renamed into place, so an interrupted write never leaves a loadable entry.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ...core.atomic import write_atomically

MAGIC = b"SYCAM-CACHE 1\n"
SUFFIX = ".sycam"


def cache_folder(option: str = "") -> Path:
    """The `cache` option, else `$SYCAM_CACHE`, else `~/.cache/sycam`."""
    return Path(option or os.environ.get("SYCAM_CACHE") or Path.home() / ".cache" / "sycam").expanduser()


def model_fingerprint(model: nn.Module) -> str:
    """sha256 of the model's architecture name and every parameter and buffer."""
    digest = hashlib.sha256(type(model).__qualname__.encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def image_fingerprints(pixels: Tensor) -> list[str]:
    """sha256 of each image's float32 pixels `[N, 3, H, W]`."""
    array = pixels.detach().to("cpu", torch.float32).contiguous().numpy()
    return [hashlib.sha256(image.tobytes()).hexdigest() for image in array]


def entry_key(*parts: object) -> str:
    """A content key from its parts (model hash, layer, image hash, target, name, parameters)."""
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


class TensorCache:
    """Tensors on disk under `folder`, one file per key."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def load(self, key: str) -> Tensor | None:
        """The stored tensor, or None when absent or damaged (damage is warned about)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        tensor = _decode(data)
        if tensor is None:
            warnings.warn(f"sycam cache entry {path} is damaged; recomputing it", stacklevel=2)
            self.misses += 1
            return None
        self.hits += 1
        return tensor

    def store(self, key: str, tensor: Tensor) -> None:
        """Write atomically (a reader never sees half an entry)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path(key), _encode(tensor))


def _encode(tensor: Tensor) -> bytes:
    array = tensor.detach().to("cpu").contiguous().numpy()
    payload = array.tobytes()
    header = {"dtype": array.dtype.str, "shape": list(array.shape), "bytes": len(payload),
              "sha256": hashlib.sha256(payload).hexdigest()}
    return MAGIC + json.dumps(header).encode() + b"\n" + payload


def _decode(data: bytes) -> Tensor | None:
    if not data.startswith(MAGIC):
        return None
    header_end = data.find(b"\n", len(MAGIC))
    if header_end < 0:
        return None
    try:
        header = json.loads(data[len(MAGIC):header_end])
        payload = data[header_end + 1:]
        if len(payload) != header["bytes"] or hashlib.sha256(payload).hexdigest() != header["sha256"]:
            return None
        array = np.frombuffer(payload, dtype=np.dtype(header["dtype"])).reshape(header["shape"])
    except (ValueError, KeyError, TypeError):
        return None
    return torch.from_numpy(array.copy())
