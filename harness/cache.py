"""Where the harness keeps what it downloads and computes, and how it writes there safely.

Every write goes to a temporary name in the same directory and is renamed into place,
so a crash or a concurrent xdist worker never leaves a half-written entry behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Generic, TypeVar

import torch
from filelock import FileLock

from harness.errors import HarnessError

log = logging.getLogger(__name__)

CACHE_ENV = "EMOTION_HARNESS_CACHE"


def cache_root() -> Path:
    """``$EMOTION_HARNESS_CACHE``, else ``~/.cache/emotion-harness``."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "emotion-harness"
    return Path(root).expanduser()


def ensure_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise HarnessError(
            f"cannot create cache directory {path}: {e.strerror}; set {CACHE_ENV} to a writable folder"
        ) from None
    if not os.access(path, os.W_OK):
        raise HarnessError(f"cache directory {path} is not writable; set {CACHE_ENV} to a writable folder")
    return path


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Serialise producers of one cache entry across processes (xdist workers)."""
    ensure_dir(path.parent)
    with FileLock(str(path) + ".lock"):
        yield


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling path; on success rename it onto ``final``, else delete it.

    The published file gets ordinary permissions (``0o666 & ~umask``), not mkstemp's 0600.
    """
    ensure_dir(final.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # Read the umask without changing it where /proc allows (os.umask reads it only by
        # setting it, which races with other threads creating files).
        umask = None
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = Path("/proc/self/status").read_text().splitlines()
            umask = next((int(x.split()[1], 8) for x in status if x.startswith("Umask:")), None)
        if umask is None:
            umask = os.umask(0o077)  # set and restore at once; the strict value is harmless meanwhile
            os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, final)
    except BaseException as e:
        tmp_path.unlink(missing_ok=True)
        _explain_disk_full(e, final)
        raise


@contextlib.contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Like :func:`atomic_path` for a directory built in place of ``final``."""
    ensure_dir(final.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        yield tmp
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        _explain_disk_full(e, final)
        raise


def _explain_disk_full(e: BaseException, final: Path) -> None:
    if isinstance(e, OSError) and e.errno == errno.ENOSPC:
        raise HarnessError(f"no space left on the device writing {final}; nothing was kept, free disk "
                           f"space or set {CACHE_ENV} to a larger disk") from None


def write_json(path: Path, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def entry_key(**parts: Any) -> str:
    """Content address of a cached computation: sha256 of its inputs, JSON-canonicalised."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def hash_tensors(h: Any, items: Iterable[tuple[str, torch.Tensor]]) -> None:
    """Feed each tensor's name, dtype, shape and raw bytes, in the given order, into ``h``."""
    for name, t in items:
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}".encode())
        h.update(memoryview(t.view(torch.uint8).numpy()))


def _tensor_digest(tensors: dict[str, Any]) -> str:
    h = hashlib.sha256()
    hash_tensors(h, sorted(tensors.items()))
    return h.hexdigest()


def save_entry(kind: str, key: str, tensors: dict[str, Any], meta: dict[str, Any]) -> Path:
    """Write tensors + JSON metadata as one safetensors file, atomically, with a checksum."""
    from safetensors.torch import save_file

    path = cache_root() / kind / f"{key}.safetensors"
    header = {"harness": json.dumps(meta, sort_keys=True), "sha256": _tensor_digest(tensors)}
    with atomic_path(path) as tmp:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=header)
    return path


def load_entry(kind: str, key: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The cached (tensors, meta), or None if absent; a corrupt entry is deleted and None returned."""
    from safetensors import safe_open

    path = cache_root() / kind / f"{key}.safetensors"
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), "pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k).clone() for k in f.keys()}  # noqa: SIM118
        if header.get("sha256") != _tensor_digest(tensors):
            raise ValueError("checksum mismatch")
        meta = json.loads(header["harness"])
    except Exception as e:  # any unreadable entry is recomputed, never trusted
        log.warning("cache entry %s is corrupt (%s); recomputing it", path, e)
        path.unlink(missing_ok=True)
        return None
    return tensors, meta


D = TypeVar("D")


class Journal(Generic[D]):
    """The finished batches of one long computation (harness.runtime.batching.BatchMemo), each
    saved as its own entry under ``kind`` the moment it is done, so a run stopped part-way (a
    killed job, a session that ends) resumes at the first unfinished batch. A batch is addressed
    by the whole computation's cache key and its rows; ``clear`` deletes the batches once the whole
    is cached. ``cls``: the frozen dataclass of one result (its list fields come back as tuples)."""

    def __init__(self, kind: str, key: str, cls: type[D]):
        self.kind, self.key, self.cls = kind, key, cls
        self._parts: set[str] = set()

    def _part(self, rows: list[int]) -> str:
        part = entry_key(whole=self.key, rows=list(rows))
        self._parts.add(part)
        return part

    def get(self, rows: list[int]) -> list[D] | None:
        hit = load_entry(self.kind, self._part(rows))
        if hit is None:
            return None
        items = hit[1]["items"]
        if len(items) != len(rows):  # not this batch: recompute, never trust
            return None
        return [self.cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in x.items()}) for x in items]

    def put(self, rows: list[int], items: Sequence[D]) -> None:
        save_entry(self.kind, self._part(rows), {"rows": torch.tensor(list(rows))},
                   {"items": [asdict(x) for x in items]})  # type: ignore[call-overload]

    def clear(self) -> None:
        for part in self._parts:
            (cache_root() / self.kind / f"{part}.safetensors").unlink(missing_ok=True)
        self._parts.clear()
