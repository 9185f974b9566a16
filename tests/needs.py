"""What a test needs from the machine (a program, a service): present, or a skip that says
what is missing; under `bash .ci/test` and CI (PLANNER_TEST_STRICT=1 or CI=true), which
install and start all of it, a missing one fails the test instead."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

STRICT = os.environ.get("CI") == "true" or os.environ.get("PLANNER_TEST_STRICT") == "1"


def missing(message: str) -> NoReturn:
    """Skip the test for want of something, or (STRICT) fail it."""
    if STRICT:
        pytest.fail(f"{message} (under .ci/test and CI=true nothing may be skipped for want "
                    f"of a program or a service)", pytrace=False)
    pytest.skip(message)
