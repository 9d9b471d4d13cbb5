"""Scenario and classifier-label files load and reject bad input; classifiers score as documented."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness.errors import HarnessError
from harness.experiments.steering_grid import grid_cells, grid_for
from harness.metrics.classifier import NadeClassifier, load_classifier, target_score
from harness.protocol import get_profile
from harness.stimuli.loading import EMOTION_ORDER, load_stimuli, stimuli_dir
from harness.stimuli.scenarios import MIN_PROMPTS, label_map, load_scenarios

PAPERS_FIVE = [("calm", 1), ("hostile", 1), ("happy", 1), ("desperate", 1), ("calm", -1)]


def test_shipped_scenarios_cover_the_papers_five():
    sc = load_scenarios()
    assert [(s.target, s.sign) for s in sc] == PAPERS_FIVE
    assert all(len(s.prompts) >= MIN_PROMPTS for s in sc)


def test_each_profile_steers_its_scenarios_and_prompts():
    paper, full, quick = (load_scenarios(profile=p) for p in ("paper", "full", "quick"))
    assert [len(s.prompts) for s in paper] == [4] * 5 and quick == paper
    assert [(s.target, s.sign) for s in full] == [*PAPERS_FIVE, ("loving", 1), ("afraid", 1)]
    assert all(len(s.prompts) >= 12 for s in full) and sum(len(s.prompts) for s in full) >= 60
    for short, long in zip(paper, full, strict=False):  # paper's prompts are full's first ones
        assert long.prompts[: len(short.prompts)] == short.prompts


@pytest.mark.parametrize("profile, chat, raw", [("paper", 280, 490), ("full", 3360, 3654)])
def test_each_profiles_grid_has_the_documented_size(profile, chat, raw):
    """docs/protocol.md (Profiles, Grid) states these sizes and the budget they cost."""
    sc = load_scenarios(profile=profile)
    prompts = [(s, i, p) for s in sc for i, p in enumerate(s.prompts)]
    grid = grid_for(get_profile(profile))
    assert (len(grid_cells(prompts, "chat", grid=grid)), len(grid_cells(prompts, "raw", grid=grid))) == (chat, raw)


def test_the_harness_scenarios_targets_have_labels_in_the_primary_classifiers_map():
    own = [s for s in load_scenarios(profile="full") if s.id not in {p.id for p in load_scenarios()}]
    _, mapping = label_map("nade", load_stimuli())
    assert own and all(mapping[s.target] for s in own)


@pytest.mark.parametrize("backend", ["j-hartmann", "nade"])
def test_label_maps_cover_every_emotion_and_every_steering_target(backend):
    labels, mapping = label_map(backend, load_stimuli())
    assert set(mapping) == set(EMOTION_ORDER)
    assert all(set(v) <= set(labels) for v in mapping.values())
    assert all(mapping[s.target] for s in load_scenarios()), "a steering target has no classifier label"


def scenario_dir(tmp_path: Path, edit) -> Path:
    root = tmp_path / "stimuli"
    shutil.copytree(stimuli_dir(), root)
    doc = yaml.safe_load((root / "scenarios.yaml").read_text())
    edit(doc["scenarios"])
    (root / "scenarios.yaml").write_text(yaml.safe_dump(doc))
    return root


@pytest.mark.parametrize("edit, message", [
    (lambda s: s[0].update(target="zen"), "unknown target emotion 'zen'"),
    (lambda s: s[0].update(sign=2), "sign must be 1"),
    (lambda s: s[0].update(prompts=s[0]["prompts"][:2]), "needs at least 4"),
    (lambda s: s[1].update(id=s[0]["id"]), "unique"),
    (lambda s: s[1]["prompts"].__setitem__(0, s[0]["prompts"][0]), "duplicates a prompt"),
    (lambda s: s[0]["prompts"].__setitem__(0, "  "), r"prompts\[0\] is empty"),
    (lambda s: s[0].update(origin="blog"), "origin must be one of paper, harness"),
])
def test_bad_scenarios_fail_with_file_and_field(tmp_path, edit, message):
    root = scenario_dir(tmp_path, edit)
    with pytest.raises(HarnessError, match=message) as e:
        load_scenarios(root)
    assert "scenarios.yaml" in str(e.value) and "\n" not in str(e.value)


def test_classifier_map_missing_an_emotion_is_named(tmp_path):
    root = tmp_path / "stimuli"
    shutil.copytree(stimuli_dir(), root)
    doc = yaml.safe_load((root / "classifiers.yaml").read_text())
    del doc["nade"]["map"]["gloomy"]
    (root / "classifiers.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(HarnessError, match=r"nade\.map has no entry for 'gloomy'"):
        label_map("nade", load_stimuli(), root)


def test_target_score_is_the_mean_of_the_labels():
    scores = {"fear": 0.2, "sadness": 0.6, "joy": 0.9}
    assert target_score(scores, ("fear", "sadness")) == pytest.approx(0.4)
    assert target_score(scores, ()) != target_score(scores, ())  # nan: no label fits


def test_nade_scores_plain_emotional_texts_the_expected_way():
    clf = load_classifier("nade")
    angry, happy, sad = clf.scores([
        "You wrecked my car, you idiot, I am so furious I could scream at you!",
        "What a wonderful sunny day, I love my friends and I am so glad to be here.",
        "She sat alone by the grave and wept; everything she loved was gone.",
    ])
    assert angry["anger"] > happy["anger"] and angry["anger"] > sad["anger"]
    assert happy["joy"] > angry["joy"] and happy["joy"] > sad["joy"]
    assert sad["sadness"] > happy["sadness"]
    assert clf.scores([""])[0].keys() == set(clf.labels)  # empty continuations still score


def test_unknown_classifier_is_a_one_line_error():
    with pytest.raises(HarnessError, match="unknown --classifier 'vibes'"):
        load_classifier("vibes")


def test_j_hartmann_without_local_weights_names_the_fix(monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda *a, **k: None)
    with pytest.raises(HarnessError, match="not in the local Hugging Face cache"):
        load_classifier("j-hartmann")


def test_nade_in_a_read_only_site_packages_says_what_to_do(tmp_path, monkeypatch):
    import nade

    data = tmp_path / "nade" / "data" / "socialmedia_en"
    data.mkdir(parents=True)
    (data / "reg_joy.txt.gz").write_bytes(b"")
    monkeypatch.setattr(nade, "__file__", str(tmp_path / "nade" / "__init__.py"))
    monkeypatch.setattr("harness.metrics.classifier.os.access", lambda path, mode: False)
    with pytest.raises(HarnessError, match=r"read-only; run .*nade\.Nade"):
        NadeClassifier()
