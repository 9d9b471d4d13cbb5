"""Fuzzing the two readers of user files: anything malformed is a HarnessError, nothing else."""

from __future__ import annotations

import json
import shutil

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.report.results import read_results
from harness.stimuli.loading import load_stimuli, stimuli_dir

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
docs = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)

FIELDS = {"emotions.yaml": ["emotions", "opposite_pairs"], "generation.yaml": ["templates", "topics"],
          "passages.yaml": ["extraction", "held_out"]}


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=st.sampled_from(sorted(FIELDS)), field_index=st.integers(0, 1), value=docs)
def test_stimuli_loader_never_crashes(tmp_path, file, field_index, value):
    for f in stimuli_dir().glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    path = tmp_path / file
    doc = yaml.safe_load(path.read_text())
    doc[FIELDS[file][field_index]] = value
    path.write_text(yaml.safe_dump(doc))
    try:
        load_stimuli(tmp_path)
    except HarnessError as e:
        assert "\n" not in str(e) and file in str(e)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=docs | st.fixed_dictionaries({"schema": st.just(1), "run": docs, "records": docs}))
def test_results_reader_never_crashes(tmp_path, doc):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    try:
        read_results(path)
    except HarnessError as e:
        assert "\n" not in str(e)
