#!/usr/bin/env python3
"""CDK entry point: `npx aws-cdk@2 synth|deploy` (cdk.json) or `make synth`."""

from __future__ import annotations

import sys

from podium.errors import ConfigError


def main() -> int:
    from stacks.application import build_app

    try:
        app, _stack = build_app()
    except ConfigError as error:
        # Before any resource exists: name the setting and stop, no traceback.
        print(f"Podium configuration error: {error}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
