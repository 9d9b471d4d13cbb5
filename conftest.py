"""Root conftest: marks the rootdir that --report-dir, --baselines and --expected are resolved
against. The evals' plugin is loaded by evals/conftest.py (and benchmarks/conftest.py), not
here, so `pytest tests` runs without it."""
