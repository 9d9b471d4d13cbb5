"""Root conftest. The evals' options, fixtures and report come from the installed plugin
(harness.pytest_plugin, entry point ``pytest11``), so evals outside this repository work too;
nothing else is needed here. This file marks the rootdir that --report-dir, --baselines and
--expected are resolved against."""
