"""The flags tests' worker, scene and robot fixtures, reused by the broker outage test."""

from tests.flags.test_workers import queue, robot, scene, workers  # noqa: F401 - fixtures
