"""Option values the commands share, checked before any work: --out and --data folders,
JSON-object options (--hyperparameters, --prices), and the settings a --cdk-json deploys."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from podium.cli.output import EXIT_USAGE, fail, warn
from podium.config import PriceOverrides, StackSettings, parse_run_settings
from podium.errors import ConfigError


def check_out_folder(path: Path) -> None:
    """--out must be a folder that exists or can be made here: checked before any work, so a
    wrong path never costs a whole run."""
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == path else f"cannot be made: {existing} is a file"
        raise fail(f"--out {path} {where}; give a folder", EXIT_USAGE)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise fail(f"--out {path}: {existing} is not writable; give a folder you can write to", EXIT_USAGE)


def _json_problem(text: str, error: ValueError) -> str:
    if text.startswith("\ufeff"):
        return "it starts with a byte-order mark: remove the byte-order mark"
    return str(error)


def json_object_option(option: str, text: str, example: str) -> dict[str, Any]:
    """The JSON object an option holds; refused (usage error) with `example` otherwise."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise fail(
            f"{option} is not valid JSON ({_json_problem(text, error)}); give an object such as {example}",
            EXIT_USAGE,
        ) from None
    if not isinstance(value, dict):
        raise fail(f"{option} must be a JSON object, e.g. {example}", EXIT_USAGE)
    return value


def parse_hyperparameters(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    return json_object_option("--hyperparameters", text, '\'{"epochCount": "2", "learningRate": "0.0001"}\'')


def parse_prices(text: str | None) -> PriceOverrides | None:
    if text is None:
        return None
    value = json_object_option("--prices", text, "'{\"training_per_1k_tokens\": 0.008}'")
    try:
        return parse_run_settings({"prices": value}).prices
    except ConfigError as error:
        raise fail(f"--prices: {error}", EXIT_USAGE) from None


def require_csv_folder(data: Path) -> None:
    """A --data that is not a folder of CSVs is a usage error (2); bad CSVs are invalid data (1)."""
    if not data.is_dir():
        raise fail(f"--data {data}: no such folder — give the folder holding the CSVs", EXIT_USAGE)
    if not any(data.glob("*.csv")):
        raise fail(f"--data {data}: no .csv files in this folder — give the folder holding the CSVs", EXIT_USAGE)


CDK_JSON = Path("cdk.json")
CDK_JSON_HELP = "The deployment's settings: this file's context, as `cdk deploy` reads it [default: ./cdk.json]"


def deployed_settings(cdk_json: Path | None) -> StackSettings:
    """What `cdk deploy` would deploy from --cdk-json (a missing file is a usage error), else
    from ./cdk.json; with neither, Podium's built-in defaults — and a warning that says so."""
    from podium.config_context import cdk_json_context, settings_from_context

    path = cdk_json or CDK_JSON
    if not path.is_file():
        if cdk_json is not None:
            raise fail(f"--cdk-json {cdk_json}: no such file — give the cdk.json of the deployment", EXIT_USAGE)
        warn(builtin_defaults_note())
        return StackSettings()
    try:
        return settings_from_context(cdk_json_context(path))
    except ConfigError as error:
        raise fail(f"{path}: {error}", EXIT_USAGE) from None
    except ValueError as error:
        raise fail(f"{path} is not valid JSON ({error})", EXIT_USAGE) from None


def builtin_defaults_note() -> str:
    from podium.models import DEFAULT_MODEL_ID, MODELS

    defaults = StackSettings()
    epochs = MODELS[DEFAULT_MODEL_ID].default_hyperparameters().get("epochCount", "?")
    return (
        f"no cdk.json in {Path.cwd()}: using Podium's built-in defaults, not a deployment's (stack "
        f"{defaults.name_prefix!r} in {defaults.region}, {DEFAULT_MODEL_ID} with its own hyperparameters, "
        f"{epochs} epochs); run from the clone, or give --cdk-json"
    )
