"""The test kit's fixtures (``aws``, ``aws_server``, ``now``): see ``testkit/fixtures.py``."""

pytest_plugins = ["testkit.fixtures"]
