from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Unit tests never touch the user's harness cache."""
    monkeypatch.setenv("EMOTION_HARNESS_CACHE", str(tmp_path_factory.mktemp("cache")))
