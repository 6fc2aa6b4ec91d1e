"""Handlers' logging: third-party libraries never log below WARNING in Lambda."""

from __future__ import annotations

import importlib
import logging

import pytest


def test_third_party_loggers_stay_at_warning_even_when_everything_else_is_debug(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    root = logging.getLogger()
    saved = root.level, {name: logging.getLogger(name).level for name in ("botocore", "databricks", "urllib3")}
    root.setLevel(logging.DEBUG)
    for name in saved[1]:
        logging.getLogger(name).setLevel(logging.NOTSET)  # as a fresh Lambda container has them
    try:
        import lambdas.observability as observability

        importlib.reload(observability)
        for name in ("botocore", "databricks", "urllib3", "botocore.endpoint", "databricks.sdk"):
            assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
            assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    finally:
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
