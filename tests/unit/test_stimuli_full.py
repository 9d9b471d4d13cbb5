"""The shipped stimuli load, and each kind of bad stimulus file fails with file and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.stimuli.loading import EMOTION_ORDER, load_stimuli, stimuli_dir


def test_shipped_stimuli_are_complete_and_consistent():
    s = load_stimuli()
    assert s.names == EMOTION_ORDER
    assert len(s.templates) == 5 and len(s.topics) == 10 and len(s.neutral_prompts) == 10
    assert all(len(s.passages[e]) == 3 for e in s.names) and len(s.passages["neutral"]) == 3
    assert all(len(s.held_out[e]) == 2 for e in s.names)
    stories = s.story_prompts("calm")
    assert len(set(stories)) == 10 and all("calm" in p for p in stories)
    quadrants = {(e.valence > 0, e.arousal > 0) for e in s.emotions}
    assert len(quadrants) == 4
    assert s.content_hash() == load_stimuli().content_hash()


@pytest.fixture
def copy_of_stimuli(tmp_path: Path) -> Path:
    for f in stimuli_dir().glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def edit(root: Path, name: str, fn) -> None:
    path = root / name
    doc = yaml.safe_load(path.read_text())
    fn(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.mark.parametrize(("file", "mutate", "message"), [
    ("emotions.yaml", lambda d: d["emotions"][3].update(name="joyful"), "unknown emotion 'joyful'"),
    ("emotions.yaml", lambda d: d["emotions"][0].update(valence=2), r"happy\): valence must be a number in \[-1, 1\]"),
    ("emotions.yaml", lambda d: d["emotions"].reverse(), "must be the 20 listed in docs/protocol.md section 2, in that order"),
    ("emotions.yaml", lambda d: d["emotions"][0].update(classifier_labels=["glee"]), "classifier_labels must be"),
    ("emotions.yaml", lambda d: d.update(opposite_pairs=[["happy", "calm"]]), "opposite_pairs must be"),
    ("generation.yaml", lambda d: d["templates"].__setitem__(2, "Write about {topic}."), r"templates\[2\] has no \{emotion\}"),
    ("generation.yaml", lambda d: d["topics"].pop(), "'topics' has 9 entries, expected 10"),
    ("passages.yaml", lambda d: d["extraction"]["sad"].__setitem__(0, "She was sad all day. It rained."),
     r"extraction.sad\[0\] names its own emotion \('sad'\)"),
    ("passages.yaml", lambda d: d["held_out"]["calm"].__setitem__(1, d["extraction"]["happy"][0]),
     r"held_out.calm\[1\] duplicates extraction.happy\[0\]"),
    ("passages.yaml", lambda d: d["extraction"]["angry"].__setitem__(2, ""), r"angry\[2\] is empty"),
    ("passages.yaml", lambda d: d["extraction"].update(furious=["x"]), "unknown emotion 'furious'"),
    ("passages.yaml", lambda d: d["held_out"].pop("grateful"), "held_out has no passages for 'grateful'"),
])
def test_bad_stimuli_fail_naming_file_and_field(copy_of_stimuli, file, mutate, message):
    edit(copy_of_stimuli, file, mutate)
    with pytest.raises(HarnessError, match=message) as e:
        load_stimuli(copy_of_stimuli)
    assert file in str(e.value) and "\n" not in str(e.value)


def test_stimuli_that_are_not_yaml_fail_with_the_line(copy_of_stimuli):
    (copy_of_stimuli / "passages.yaml").write_text("extraction: [unclosed\n")
    with pytest.raises(HarnessError, match=r"passages.yaml: not valid YAML at line"):
        load_stimuli(copy_of_stimuli)
