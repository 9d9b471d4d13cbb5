from __future__ import annotations

import shutil

import pytest

from harness.errors import HarnessError
from harness.stimuli.loading import (
    N_NEUTRAL_SENTENCES,
    REPLICATION_SET,
    load_stimuli,
    read_neutral_sentences,
    stimuli_dir,
)


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


def test_a_folder_without_passages_is_not_a_stimulus_set(tmp_path):
    with pytest.raises(HarnessError, match=f"{tmp_path}: not a stimulus set .it needs at least passages.yaml"):
        load_stimuli(tmp_path)


def test_a_set_with_its_own_passages_takes_the_other_files_from_the_default_set(tmp_path):
    shutil.copy(stimuli_dir() / "set-b" / "passages.yaml", tmp_path / "passages.yaml")
    own, default = load_stimuli(tmp_path), load_stimuli()
    assert own.name == tmp_path.name and default.name == "default"
    assert own.passages != default.passages and own.templates == default.templates
    assert own.neutral_sentences == default.neutral_sentences
    assert own.content_hash() != default.content_hash()


def test_the_second_set_is_complete_and_shares_no_passage_with_the_first():
    a, b = load_stimuli(), load_stimuli(REPLICATION_SET)
    assert b.name == "set-b" and b.neutral_sentences != a.neutral_sentences
    texts = lambda s: {t for group in (s.passages, s.held_out) for v in group.values() for t in v}  # noqa: E731
    assert len(texts(b)) == 103 and not texts(a) & texts(b)


def test_every_stimulus_file_is_package_data():
    """pyproject's package-data globs cover every file of the packaged stimuli (a wheel without
    them cannot load its passages; .ci/wheel-check installs a wheel and runs a claim)."""
    import fnmatch

    import tomllib

    from harness.stimuli.loading import PACKAGED

    root = PACKAGED.parent
    globs = tomllib.loads((root.parents[1] / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["harness.stimuli"]
    files = [p.relative_to(root).as_posix() for p in PACKAGED.rglob("*") if p.is_file()]
    assert files and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), files
