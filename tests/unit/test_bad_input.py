"""The bad-input catalogue: every refusal is one line naming the thing and what to do,
and nothing half-written is left behind. (More cases live beside the code they guard:
test_registry, test_fetch, test_stimuli*, test_results, test_activations, test_plugin.)"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

from harness import cache
from harness.errors import HarnessError
from harness.experiments import extraction
from harness.models import loading as models
from harness.models.registry import GgufSource, ModelSpec, WheelPart
from harness.runtime.generate import generate
from harness.stimuli.loading import load_stimuli
from harness.testing import GENERATION_INIT, tiny_handle, tiny_model, tiny_tokenizer


def one_line(e: pytest.ExceptionInfo) -> str:
    assert "\n" not in str(e.value)
    return str(e.value)


@pytest.fixture
def saved_tiny(tmp_path):
    path = tmp_path / "tiny"
    tiny_model("llama").save_pretrained(path)
    tiny_tokenizer().save_pretrained(path)
    return path


def test_model_that_ships_code_is_refused_without_the_flag(saved_tiny):
    cfg = json.loads((saved_tiny / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.EvilModel"}
    (saved_tiny / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(HarnessError) as e:
        models.load(str(saved_tiny))
    assert "ships its own Python code" in one_line(e) and "--trust-remote-code" in str(e.value)


def test_damaged_cached_model_is_rebuilt_once(saved_tiny, tmp_path, monkeypatch, caplog):
    spec = ModelSpec(key="fake-gguf", family="llama", kind="base", params="0",
                     gguf=GgufSource((WheelPart("x", "1", "x"),), "x.gguf", "0" * 64, 1))
    conversions = []

    def fake_convert(s, offline=False):
        where = tmp_path / "converted"
        if not (where / "harness.json").is_file():
            conversions.append(1)
            import shutil

            shutil.copytree(saved_tiny, where, dirs_exist_ok=True)
            (where / "harness.json").write_text(json.dumps({"fingerprint": "f", "format": models.CONVERT_FORMAT}))
        return where

    monkeypatch.setattr(models, "convert_gguf", fake_convert)
    monkeypatch.setattr(models, "get_spec", lambda key: spec)
    fake_convert(spec)
    weights = tmp_path / "converted" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # truncated by a crash or a full disk
    h = models.load("fake-gguf")
    assert h.n_layers == 3 and len(conversions) == 2
    assert "damaged" in caplog.text


def test_tampered_gguf_in_the_cache_is_not_trusted(monkeypatch, tmp_path):
    from harness.models import fetch

    spec = ModelSpec(key="fake", family="llama", kind="base", params="0",
                     gguf=GgufSource((WheelPart("fake-part1", "1", "m"),), "fake.gguf", "0" * 64, 4))
    path = fetch.gguf_path(spec)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"GGUF")  # right size, wrong content
    with pytest.raises(HarnessError, match="--offline is set"):
        fetch.fetch_gguf(spec, offline=True)
    assert not path.exists()


def test_disk_full_leaves_nothing_behind(tmp_path):
    final = tmp_path / "entry.bin"
    with pytest.raises(HarnessError) as e, cache.atomic_path(final) as tmp:
        tmp.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert "no space left on the device" in one_line(e)
    assert list(tmp_path.iterdir()) == []


def test_read_only_cache_directory_is_explained(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with pytest.raises(HarnessError) as e:
        cache.ensure_dir(tmp_path / "c")
    assert "is not writable; set EMOTION_HARNESS_CACHE" in one_line(e)


def test_cache_below_a_file_is_explained(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(HarnessError) as e:
        cache.ensure_dir(tmp_path / "file" / "cache")
    assert "cannot create cache directory" in one_line(e)


def test_killed_writer_leaves_the_cache_consistent(tmp_path, monkeypatch):
    """SIGKILL in the middle of writing an entry: no entry appears, and a rerun recomputes it."""
    script = textwrap.dedent(f"""
        import os, signal, torch
        os.environ["EMOTION_HARNESS_CACHE"] = {str(tmp_path)!r}
        from harness import cache
        from safetensors import torch as st
        real = st.save_file
        def dying(tensors, path, metadata=None):
            real(tensors, path, metadata=metadata)
            with open(path, "r+b") as f:
                f.truncate(100)  # half-written
            os.kill(os.getpid(), signal.SIGKILL)
        st.save_file = dying
        cache.save_entry("activations", "k", {{"x": torch.ones(1000)}}, {{"a": 1}})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "activations" / "k.safetensors").exists()
    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path))
    assert cache.load_entry("activations", "k") is None
    cache.save_entry("activations", "k", {"x": torch.ones(1000)}, {"a": 1})
    tensors, meta = cache.load_entry("activations", "k")
    assert torch.equal(tensors["x"], torch.ones(1000)) and meta == {"a": 1}


def test_prompt_plus_new_tokens_beyond_the_context_is_refused():
    h = tiny_handle("qwen2")
    with pytest.raises(HarnessError) as e:
        generate(h, [[5] * 250], max_new_tokens=10)
    assert "exceeds the model's context of 256" in one_line(e)


def test_empty_generations_are_read_at_the_prompts_last_token():
    chat = "{% for m in messages %}{{ m['content'] }} {% endfor %}{% if add_generation_prompt %}the{% endif %}"
    h = tiny_handle("llama", init=GENERATION_INIT, chat_template=chat)
    h.model.generation_config.eos_token_id = list(range(h.model.config.vocab_size))  # stop at once
    ex = extraction.generation(h, load_stimuli(), max_new_tokens=8)
    assert set(ex.texts) == {""}
    first = h.tokenizer(h.tokenizer.apply_chat_template(
        [{"role": "user", "content": load_stimuli().story_prompts("happy")[0]}], tokenize=False,
        add_generation_prompt=True), add_special_tokens=False)["input_ids"]
    assert ex.positions[0] == len(first) - 1


def test_no_pickle_and_no_remote_code_in_the_library():
    from pathlib import Path

    import harness

    for path in Path(harness.__file__).parent.glob("*.py"):
        src, name = path.read_text(), path.name
        assert "pickle" not in src, name
        assert "torch.load(" not in src, name
        assert "trust_remote_code=True" not in src, name


def test_concurrent_writers_of_one_entry_never_corrupt_it(tmp_path, monkeypatch):
    """Two processes (like two xdist workers) write the same entry again and again."""
    script = textwrap.dedent(f"""
        import os, torch
        os.environ["EMOTION_HARNESS_CACHE"] = {str(tmp_path)!r}
        from harness import cache
        for _ in range(30):
            cache.save_entry("activations", "same", {{"x": torch.arange(50000.0)}}, {{"a": 1}})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [p.wait() for p in procs] == [0, 0]
    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path))
    tensors, meta = cache.load_entry("activations", "same")
    assert torch.equal(tensors["x"], torch.arange(50000.0)) and meta == {"a": 1}
    assert [p.name for p in (tmp_path / "activations").iterdir()] == ["same.safetensors"]
