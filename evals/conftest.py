"""The evals load the harness's pytest plugin (options, fixtures, report); it is opt-in, so
the installed package changes no other project's pytest runs."""

pytest_plugins = ["harness.pytest_plugin"]
