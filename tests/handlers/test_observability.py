"""Handlers' logging: third-party libraries never log below WARNING in Lambda."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A fresh interpreter, as a new Lambda container: the root logger at DEBUG, then the handlers'
# observability module imported, then each library logger asked what it would emit.
PROBE = """
import json, logging
logging.getLogger().setLevel(logging.DEBUG)
import lambdas.observability
names = ["botocore", "botocore.endpoint", "urllib3", "databricks", "databricks.sdk"]
print(json.dumps({n: [logging.getLogger(n).isEnabledFor(level) for level in (10, 20, 30)] for n in names}))
"""


def test_third_party_loggers_stay_at_warning_even_when_everything_else_is_debug():
    env = {**os.environ, "POWERTOOLS_LOG_LEVEL": "DEBUG", "POWERTOOLS_SERVICE_NAME": "probe"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    enabled = json.loads(done.stdout.strip().splitlines()[-1])
    for name, (debug, info, warning) in enabled.items():
        assert (debug, info, warning) == (False, False, True), name
