"""Deploy-time settings from CDK context: cdk.json defaults with `-c key=value` overrides.

CDK hands `-c` values over as strings and cdk.json values as JSON types, so every key
accepts both: "true"/"false", numbers, JSON for `hyperparameters`, "" or "none" for
"not set". Keys are flat (`throughput_enabled`, not `throughput.enabled`) because
that is what people type after `-c`. Keys containing ':' (or starting with '@')
belong to CDK itself and are ignored; any other unknown key fails, naming the key,
so a typo never silently deploys the default.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podium.config import StackSettings, parse_stack_settings
from podium.errors import ConfigError

# Retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# Context keys the CDK CLI itself writes that contain no ':'.
_CDK_OWNED_KEYS = frozenset({"acknowledged-issue-numbers"})

_HOW_TO_SET = 'set it in cdk.json "context" or with `-c {key}=...`'
_NONE_WORDS = frozenset({"", "none", "null", "off"})
_TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
_FALSE_WORDS = frozenset({"false", "no", "0", "off"})
_SCHEDULE = re.compile(r"^(rate\(\s*\d+\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(.+\))$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _as_text(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, got {value!r}")
    return value.strip()


def _as_optional_text(key: str, value: Any) -> str | None:
    if value is None:
        return None
    text = _as_text(key, value)
    return None if text.lower() in _NONE_WORDS else text


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE_WORDS:
        return False
    raise ConfigError(key, f"must be true or false, got {value!r}")


def _as_int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(key, f"must be a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ConfigError(key, f"must be a whole number, got {value!r}")


def _as_optional_int(key: str, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _NONE_WORDS):
        return None
    return _as_int(key, value)


def _as_float(key: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ConfigError(key, f"must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise ConfigError(key, f"must be a number, got {value!r}")


def _as_json_object(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _NONE_WORDS:
            return {}
        try:
            value = json.loads(text)
        except ValueError as error:
            raise ConfigError(
                key,
                f"must be a JSON object such as '{{\"epochCount\": 2}}' ({error.msg} at char {error.pos})",
            ) from None
    if not isinstance(value, Mapping):
        raise ConfigError(key, f"must be a JSON object such as '{{\"epochCount\": 2}}', got {value!r}")
    return dict(value)


def _as_text_list(key: str, value: Any) -> list[str]:
    """A JSON array of strings, or (from `-c`) a JSON array or comma-separated words."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as error:
                raise ConfigError(key, f"must be a JSON array of names ({error.msg} at char {error.pos})") from None
        else:
            value = [word.strip() for word in text.split(",") if word.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(key, f'must be a list of names such as ["event_medal", "country_medal_count"], got {value!r}')
    return value


@dataclass(frozen=True)
class _Key:
    path: tuple[str, ...]  # where the value goes in StackSettings' nested form
    parse: Callable[[str, Any], Any]


_KEYS: Mapping[str, _Key] = {
    "name_prefix": _Key(("name_prefix",), _as_text),
    "region": _Key(("region",), _as_text),
    "retrain_schedule": _Key(("retrain_schedule",), _as_optional_text),
    "retrain_on_upload": _Key(("retrain_on_upload",), _as_bool),
    "notification_email": _Key(("notification_email",), _as_optional_text),
    "log_retention_days": _Key(("log_retention_days",), _as_int),
    "base_model": _Key(("defaults", "base_model"), _as_text),
    "hyperparameters": _Key(("defaults", "hyperparameters"), _as_json_object),
    "generator": _Key(("defaults", "generator"), _as_text),
    "recipe": _Key(("defaults", "recipe"), _as_text),
    "teach_priorities": _Key(("defaults", "teach_priorities"), _as_text_list),
    "budget_usd": _Key(("defaults", "budget_usd"), _as_float),
    "databricks_secret_name": _Key(("defaults", "databricks", "secret_name"), _as_optional_text),
    "databricks_job_id": _Key(("defaults", "databricks", "job_id"), _as_optional_int),
    "databricks_warehouse_id": _Key(("defaults", "databricks", "warehouse_id"), _as_optional_text),
    "databricks_output_table": _Key(("defaults", "databricks", "output_table"), _as_text),
    "deployment": _Key(("defaults", "deployment"), _as_text),
    "throughput_enabled": _Key(("defaults", "throughput", "enabled"), _as_bool),
    "throughput_model_units": _Key(("defaults", "throughput", "model_units"), _as_int),
    "throughput_commitment": _Key(("defaults", "throughput", "commitment"), _as_optional_text),
    "throughput_retire_previous": _Key(("defaults", "throughput", "retire_previous"), _as_bool),
    "throughput_ttl_hours": _Key(("defaults", "throughput", "ttl_hours"), _as_float),
    "throughput_evaluation_ttl_hours": _Key(("defaults", "throughput", "evaluation_ttl_hours"), _as_float),
    "throughput_max_model_units": _Key(("throughput_max_model_units",), _as_int),
    "confirm_costly_throughput": _Key(("confirm_costly_throughput",), _as_bool),
    "janitor_schedule": _Key(("janitor_schedule",), _as_optional_text),
    "janitor_dry_run": _Key(("janitor_dry_run",), _as_bool),
    "poll_min_seconds": _Key(("defaults", "poll", "min_seconds"), _as_int),
    "poll_max_seconds": _Key(("defaults", "poll", "max_seconds"), _as_int),
    "prices": _Key(("defaults", "prices"), _as_json_object),
    "poll_max_check_failures": _Key(("defaults", "poll", "max_check_failures"), _as_int),
    "evaluate": _Key(("defaults", "evaluate"), _as_bool),
    "eval_concurrency": _Key(("defaults", "eval_concurrency"), _as_int),
    "keep_discarded": _Key(("defaults", "keep_discarded"), _as_bool),
    "gate_min_paraphrase_accuracy": _Key(("defaults", "gate", "min_paraphrase_accuracy"), _as_float),
    "gate_min_gain_over_base": _Key(("defaults", "gate", "min_gain_over_base"), _as_float),
    "gate_max_unseen_hallucination": _Key(("defaults", "gate", "max_unseen_hallucination"), _as_float),
    "gate_max_loss_to_champion": _Key(("defaults", "gate", "max_loss_to_champion"), _as_float),
}

CONTEXT_KEYS: tuple[str, ...] = tuple(_KEYS)


def context_key_paths() -> dict[str, tuple[str, ...]]:
    """Each context key → where its value goes in StackSettings (for the settings table)."""
    return {name: key.path for name, key in _KEYS.items()}


# Setting names as podium.config reports them → the context key a person types.
_KEY_BY_SETTING = {".".join(k.path): name for name, k in _KEYS.items()}
_KEY_BY_SETTING.update({".".join(k.path[1:]): name for name, k in _KEYS.items() if k.path[0] == "defaults"})
# Cross-field rule on the poll pair: the minimum is the one named.
_KEY_BY_SETTING.update({"defaults.poll": "poll_min_seconds", "poll": "poll_min_seconds"})


def context_key_for(setting: str) -> str:
    """The cdk.json key a person changes for a dotted run setting ("gate.min_gain_over_base" →
    "gate_min_gain_over_base"); the setting itself when no key sets it alone (prices.* → prices)."""
    parts = setting.split(".")
    for n in range(len(parts), 0, -1):
        key = _KEY_BY_SETTING.get(".".join(parts[:n]))
        if key is not None:
            return key
    return setting


def cdk_json_context(path: Path) -> dict[str, Any]:
    """A cdk.json's "context" object: what `cdk deploy` reads before any `-c` override."""
    return dict(json.loads(path.read_text(encoding="utf-8")).get("context", {}))


def is_cdk_key(key: str) -> bool:
    """CDK's own context (feature flags, lookups, bundling switches): not ours to check."""
    return ":" in key or key.startswith("@") or key in _CDK_OWNED_KEYS


def _unknown_key(key: str) -> ConfigError:
    close = difflib.get_close_matches(key, CONTEXT_KEYS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return ConfigError(key, f"is not a Podium setting; {hint}known settings: {', '.join(CONTEXT_KEYS)}")


def _context_error(error: ConfigError) -> ConfigError:
    """Re-issue a podium.config error under the context key the user actually sets."""
    # pydantic may report a deeper location (e.g. a dict entry): the longest known prefix names it.
    key = context_key_for(error.setting)
    message = str(error).removeprefix(f"{error.setting}: ")
    if "cdk.json" not in message:
        message = f"{message} ({_HOW_TO_SET.format(key=key)})"
    return ConfigError(key, message)


def _check_stack_only(settings: StackSettings) -> None:
    if settings.log_retention_days not in LOG_RETENTION_DAYS:
        raise ConfigError(
            "log_retention_days",
            f"{settings.log_retention_days} is not a CloudWatch Logs retention period; "
            f"choose one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )
    if settings.retrain_schedule is not None and not _SCHEDULE.match(settings.retrain_schedule):
        raise ConfigError(
            "retrain_schedule",
            f"{settings.retrain_schedule!r} is not an EventBridge schedule expression; "
            "use e.g. 'rate(7 days)' or 'cron(0 3 ? * MON *)', or leave it empty for no schedule",
        )
    if settings.janitor_schedule is not None and not _SCHEDULE.match(settings.janitor_schedule):
        raise ConfigError(
            "janitor_schedule",
            f"{settings.janitor_schedule!r} is not an EventBridge schedule expression; use e.g. 'rate(1 hour)', "
            "or leave it empty for no janitor",
        )
    if settings.notification_email is not None and not _EMAIL.match(settings.notification_email):
        raise ConfigError("notification_email", f"{settings.notification_email!r} is not an e-mail address")


def settings_from_context(context: Mapping[str, Any]) -> StackSettings:
    """StackSettings from CDK context. Raises ConfigError naming the context key on any problem."""
    nested: dict[str, Any] = {}
    for key in sorted(context):
        if is_cdk_key(key):
            continue
        spec = _KEYS.get(key)
        if spec is None:
            raise _unknown_key(key)
        target = nested
        for part in spec.path[:-1]:
            target = target.setdefault(part, {})
        target[spec.path[-1]] = spec.parse(key, context[key])
    try:
        settings = parse_stack_settings(nested)
    except ConfigError as error:
        raise _context_error(error) from None
    _check_stack_only(settings)
    return settings


__all__ = [
    "CONTEXT_KEYS",
    "LOG_RETENTION_DAYS",
    "cdk_json_context",
    "context_key_for",
    "context_key_paths",
    "is_cdk_key",
    "settings_from_context",
]
