"""Every simulator test fails after 60 s instead of hanging the run (pytest-timeout)."""

from __future__ import annotations

import pytest

SIM_TEST_TIMEOUT = 60


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/sim/" in str(item.path):
            item.add_marker(pytest.mark.timeout(SIM_TEST_TIMEOUT))
