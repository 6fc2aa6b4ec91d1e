"""Databricks credentials from AWS Secrets Manager.

The secret is JSON: {"host": ..., "token": ...} (personal access token) or
{"host": ..., "client_id": ..., "client_secret": ...} (OAuth machine-to-machine).
Nothing secret ever reaches an exception, a log line or a repr: errors name keys,
never values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from podium.errors import ConfigError

SETTING = "databricks.secret_name"
SCRUB_CHARS = 8  # a piece of a secret this long or longer never appears in a message
_EXAMPLE = (
    "aws secretsmanager create-secret --name {name} "
    '--secret-string \'{{"host":"https://<workspace>.cloud.databricks.com","token":"<token>"}}\''
)


@dataclass(frozen=True)
class DatabricksCredentials:
    host: str
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)

    @property
    def auth_type(self) -> str:
        """The databricks-sdk auth_type: fixed, so the SDK never probes other auth methods."""
        return "pat" if self.token else "oauth-m2m"

    @property
    def secret_values(self) -> tuple[str, ...]:
        """The values that must never be shown, for scrubbing third-party error text."""
        return tuple(v for v in (self.token, self.client_secret) if v)

    def __repr__(self) -> str:
        shown = f"host={self.host!r}, auth_type={self.auth_type!r}"
        if self.client_id:
            shown += f", client_id={self.client_id!r}"
        return f"DatabricksCredentials({shown}, secret=<redacted>)"

    __str__ = __repr__

    def scrub(self, text: str) -> str:
        """`text` with every secret value, and every piece of one at least SCRUB_CHARS long (a
        service may echo a token's first characters), replaced: for messages built from SDK errors."""
        hidden = [False] * len(text)
        for value in self.secret_values:
            if len(value) < SCRUB_CHARS:
                pieces = {value}
            else:
                pieces = {value[i : i + SCRUB_CHARS] for i in range(len(value) - SCRUB_CHARS + 1)}
            for piece in pieces:  # any piece ≥ SCRUB_CHARS long is covered by these windows
                start = text.find(piece)
                while start != -1:
                    hidden[start : start + len(piece)] = [True] * len(piece)
                    start = text.find(piece, start + 1)
        if not any(hidden):
            return text
        out, index = [], 0
        while index < len(text):
            if hidden[index]:
                while index < len(text) and hidden[index]:
                    index += 1
                out.append("<redacted>")
            else:
                out.append(text[index])
                index += 1
        return "".join(out)


def parse_credentials(secret_string: str, secret_name: str) -> DatabricksCredentials:
    """Validate the secret's JSON. Errors name the missing key, never a value."""
    try:
        data = json.loads(secret_string)
    except ValueError:
        # Not echoing the JSON error: its text can quote part of the secret.
        raise ConfigError(
            SETTING,
            f"secret {secret_name!r} is not a JSON object; store it as " + _EXAMPLE.format(name=secret_name),
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(SETTING, f"secret {secret_name!r} must be a JSON object with host and token")
    host = _text(data, "host")
    if not host:
        raise ConfigError(
            SETTING,
            f'secret {secret_name!r} has no "host" key (the workspace URL, '
            f"e.g. https://<workspace>.cloud.databricks.com); keys present: {sorted(data)}",
        )
    if not host.startswith("https://"):
        host = "https://" + host.removeprefix("http://")
    token = _text(data, "token")
    client_id, client_secret = _text(data, "client_id"), _text(data, "client_secret")
    if token:
        return DatabricksCredentials(host=host.rstrip("/"), token=token)
    if client_id and client_secret:
        return DatabricksCredentials(host=host.rstrip("/"), client_id=client_id, client_secret=client_secret)
    missing = "client_secret" if client_id else "client_id" if client_secret else "token"
    raise ConfigError(
        SETTING,
        f'secret {secret_name!r} has no "{missing}" key: it needs either "token" '
        '(a personal access token) or both "client_id" and "client_secret" (OAuth M2M); '
        f"keys present: {sorted(data)}",
    )


def read_databricks_credentials(secret_name: str | None, client: Any | None = None) -> DatabricksCredentials:
    """Fetch and validate the Databricks secret; ConfigError saying how to fix any problem."""
    if not secret_name:
        raise ConfigError(
            SETTING,
            "is not set; create the secret with "
            + _EXAMPLE.format(name="podium/databricks")
            + " and set databricks.secret_name to its name",
        )
    if client is None:
        import boto3

        client = boto3.client("secretsmanager")
    try:
        response = client.get_secret_value(SecretId=secret_name)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise ConfigError(
                SETTING,
                f"secret {secret_name!r} does not exist in this account and region; create it with "
                + _EXAMPLE.format(name=secret_name),
            ) from None
        if code == "AccessDeniedException":
            raise ConfigError(
                SETTING,
                f"not allowed to read secret {secret_name!r}: the stack grants access only to the "
                "secret named in databricks.secret_name at deploy time (and its KMS key); redeploy "
                "with that setting",
            ) from None
        raise
    secret_string = response.get("SecretString")
    if secret_string is None:
        raise ConfigError(SETTING, f"secret {secret_name!r} is binary; store it as a JSON string")
    return parse_credentials(secret_string, secret_name)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


__all__ = ["DatabricksCredentials", "parse_credentials", "read_databricks_credentials"]
