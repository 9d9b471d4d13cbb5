"""C10's positive control: can the count see Han on this model? The unsteered model continues a
few openings of Chinese prose (harness/stimuli/data/script_control.yaml); the Han characters
of its continuations, counted as C10 counts them, say whether an absence of Han under steering
is a finding or a blind spot. Cached like every generation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from harness import progress
from harness.cache import entry_key, load_entry, save_entry
from harness.errors import HarnessError
from harness.metrics.textstats import text_stats
from harness.models.loading import ModelHandle
from harness.protocol import PROTOCOL_VERSION
from harness.runtime.generate import generate, plain_ids
from harness.stimuli.loading import PACKAGED

PROMPTS_FILE = PACKAGED / "script_control.yaml"
MAX_NEW_TOKENS = 30


@dataclass(frozen=True)
class ScriptControl:
    prompts: tuple[str, ...]
    texts: tuple[str, ...]
    han: tuple[int, ...]  # Han characters per continuation

    @property
    def han_chars(self) -> int:
        return sum(self.han)


def control_prompts(path: Path = PROMPTS_FILE) -> tuple[str, ...]:
    try:
        prompts = (yaml.safe_load(path.read_text()) or {}).get("prompts")
    except (OSError, yaml.YAMLError) as e:
        raise HarnessError(f"{path}: unreadable ({e}); restore the packaged file") from None
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and p.strip() for p in prompts):
        raise HarnessError(f"{path}: field 'prompts' must be a non-empty list of texts")
    return tuple(prompts)


def script_control(handle: ModelHandle, prompts: Sequence[str] | None = None, batch_size: int = 8) -> ScriptControl:
    prompts = tuple(prompts or control_prompts())
    key = entry_key(kind="script-control", model=handle.fingerprint, prompts=list(prompts),
                    max_new_tokens=MAX_NEW_TOKENS, protocol=PROTOCOL_VERSION, dtype=str(handle.dtype))
    hit = load_entry("script-control", key)
    if hit is not None:
        texts = tuple(hit[1]["texts"])
    else:
        with progress.phase(handle.key, "C10 positive control: continue Chinese prose", len(prompts), "prompts"):
            gens = generate(handle, [plain_ids(handle, p) for p in prompts], MAX_NEW_TOKENS, batch_size)
            progress.advance(len(prompts))
        texts = tuple(g.text for g in gens)
        save_entry("script-control", key, {"n": torch.tensor([len(texts)])}, {"texts": list(texts)})
    han = tuple((text_stats(t).script_chars or {}).get("han", 0) for t in texts)
    return ScriptControl(prompts, texts, han)
