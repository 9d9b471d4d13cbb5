from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.stimuli.loading import N_NEUTRAL_SENTENCES, read_neutral_sentences


def test_shipped_neutral_sentences_are_valid():
    sentences = read_neutral_sentences()
    assert len(sentences) == N_NEUTRAL_SENTENCES == 20
    assert len(set(sentences)) == 20


def write(tmp_path, body: str):
    (tmp_path / "neutral_sentences.yaml").write_text(body)
    return tmp_path


@pytest.mark.parametrize(("body", "message"), [
    ("sentences: [a, b", "not valid YAML at line"),
    ("- just a list", "expected a mapping at the top level"),
    ("other: []", "field 'sentences' must be a list of strings"),
    ("sentences: ['one', '  ']", r"sentences\[1\] is empty or not a string"),
    ("sentences: ['one', 'one']", r"sentences\[1\] duplicates an earlier entry"),
    ("sentences: ['one', 'two']", "has 2 entries, expected 20"),
])
def test_bad_stimulus_files_fail_with_file_and_field(tmp_path, body, message):
    root = write(tmp_path, body)
    with pytest.raises(HarnessError, match=message) as e:
        read_neutral_sentences(root)
    assert str(root / "neutral_sentences.yaml") in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(HarnessError, match="stimulus file not found"):
        read_neutral_sentences(tmp_path)
