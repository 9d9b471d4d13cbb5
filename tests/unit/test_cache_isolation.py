"""Tests run against a throwaway cache: two of them delete the cache they run against, and a
user's cache holds hours of generations."""

from __future__ import annotations

from harness import cache


def test_the_cache_under_test_is_pytests_temporary_folder(tmp_path_factory):
    assert cache.cache_root().is_relative_to(tmp_path_factory.getbasetemp())
