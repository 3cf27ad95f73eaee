"""The on-disk terminal cache: tensors keyed by content, written atomically, verified on load.

An entry is one file `<key>.sycam`: a magic line, a JSON header line (its own key and what the
key stands for, dtype, shape, byte count, and a sha256 over the key, dtype, shape and payload),
then the raw payload. An entry is accepted only under the key it records (an entry copied or
swapped to another image's name is refused), with the shape the caller expects and finite
values. A file that fails any check, or that is not a regular file (a FIFO is never opened), is
a warning and a miss (the caller recomputes and overwrites it). Writes go to a temporary file in the same
folder and are renamed into place, so an interrupted write never leaves a loadable entry.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from ...core.atomic import write_atomically
from ...core.files import regular_file

FAMILY = b"SYCAM-CACHE "
MAGIC = FAMILY + b"2\n"  # 2: entries record their key; the checksum covers the header
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

    def load(self, key: str, shape: tuple[int, ...] | None = None) -> Tensor | None:
        """The tensor stored under `key` (of `shape` when given), or None when absent or damaged
        (damage, a wrong key or shape, non-finite values, a special file: warned about)."""
        path = self.path(key)
        try:
            regular_file(path, "the cache entry")
            data = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as error:
            if error.errno not in (errno.EINVAL, errno.EISDIR):
                raise  # an unusable cache folder: the backend goes on without the cache
            data = b""  # a folder or FIFO in the entry's place: never opened, replaced on store
        if data.startswith(FAMILY) and not data.startswith(MAGIC):  # another version's entry: recomputed, quietly
            self.misses += 1
            return None
        tensor = _decode(data, key)
        if tensor is None or (shape is not None and tuple(tensor.shape) != tuple(shape)) or (
                tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())):
            warnings.warn(f"sycam cache entry {path} is damaged; recomputing it", stacklevel=2)
            self.misses += 1
            return None
        self.hits += 1
        return tensor

    def store(self, key: str, tensor: Tensor, about: dict | None = None) -> None:
        """Write atomically (a reader never sees half an entry); `about` names what the key stands for."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        if path.is_dir():  # os.replace cannot put a file over a folder
            raise IsADirectoryError(errno.EISDIR, "a folder is in the place of a cache entry", str(path))
        write_atomically(path, _encode(tensor, key, about or {}))


def _digest(key: str, dtype: str, shape: list[int], payload: bytes) -> str:
    """sha256 over an entry's key, dtype, shape and payload: a changed header fails like a changed payload."""
    digest = hashlib.sha256(json.dumps([key, dtype, shape]).encode())
    digest.update(payload)
    return digest.hexdigest()


def _encode(tensor: Tensor, key: str, about: dict) -> bytes:
    array = tensor.detach().to("cpu").contiguous().numpy()
    payload = array.tobytes()
    header = {"key": key, "about": about, "dtype": array.dtype.str, "shape": list(array.shape),
              "bytes": len(payload), "sha256": _digest(key, array.dtype.str, list(array.shape), payload)}
    return MAGIC + json.dumps(header).encode() + b"\n" + payload


def _decode(data: bytes, key: str) -> Tensor | None:
    if not data.startswith(MAGIC):
        return None
    header_end = data.find(b"\n", len(MAGIC))
    if header_end < 0:
        return None
    try:
        header = json.loads(data[len(MAGIC):header_end])
        payload = data[header_end + 1:]
        shape = [int(n) for n in header["shape"]]
        if header["key"] != key or len(payload) != header["bytes"]:
            return None
        if _digest(key, header["dtype"], shape, payload) != header["sha256"]:
            return None
        array = np.frombuffer(payload, dtype=np.dtype(header["dtype"])).reshape(shape)
    except (ValueError, KeyError, TypeError):
        return None
    return torch.from_numpy(array.copy())
