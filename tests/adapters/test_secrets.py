from __future__ import annotations

import json

import boto3
import pytest

from podium.adapters.secrets import DatabricksCredentials, parse_credentials, read_databricks_credentials
from podium.errors import ConfigError

TOKEN = "dapi-super-secret-token-0123456789"
CLIENT_SECRET = "dose-oauth-client-secret-9876543210"


def _store(name: str, value: str) -> None:
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=value)


def test_reads_a_token_secret(aws: None) -> None:
    _store("podium/databricks", json.dumps({"host": "dbc-test.cloud.databricks.com/", "token": TOKEN}))
    credentials = read_databricks_credentials("podium/databricks")
    assert credentials.host == "https://dbc-test.cloud.databricks.com"
    assert credentials.token == TOKEN
    assert credentials.auth_type == "pat"


def test_reads_an_oauth_m2m_secret(aws: None) -> None:
    secret = {
        "host": "https://dbc-test.cloud.databricks.com",
        "client_id": "sp-1",
        "client_secret": CLIENT_SECRET,
    }
    _store("podium/databricks", json.dumps(secret))
    credentials = read_databricks_credentials("podium/databricks")
    assert credentials.auth_type == "oauth-m2m"
    assert (credentials.client_id, credentials.client_secret) == ("sp-1", CLIENT_SECRET)


def test_missing_secret_says_how_to_create_it(aws: None) -> None:
    with pytest.raises(ConfigError) as caught:
        read_databricks_credentials("podium/missing")
    assert caught.value.setting == "databricks.secret_name"
    assert "does not exist" in str(caught.value)
    assert "aws secretsmanager create-secret --name podium/missing" in str(caught.value)


def test_unset_secret_name_says_how_to_create_it() -> None:
    with pytest.raises(ConfigError, match="aws secretsmanager create-secret"):
        read_databricks_credentials(None)


@pytest.mark.parametrize(
    ("secret", "missing"),
    [
        ({"token": TOKEN}, '"host"'),
        ({"host": "https://x.cloud.databricks.com"}, '"token"'),
        ({"host": "https://x.cloud.databricks.com", "client_id": "sp"}, '"client_secret"'),
        ({"host": "https://x.cloud.databricks.com", "client_secret": CLIENT_SECRET}, '"client_id"'),
    ],
)
def test_incomplete_secret_names_the_missing_key_and_never_a_value(secret: dict, missing: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_credentials(json.dumps(secret), "podium/databricks")
    text = str(caught.value)
    assert missing in text and "podium/databricks" in text
    assert TOKEN not in text and CLIENT_SECRET not in text


def test_malformed_json_does_not_echo_the_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_credentials('{"host": "h", "token": "' + TOKEN, "podium/databricks")
    assert TOKEN not in str(caught.value)
    assert caught.value.__suppress_context__  # the JSON error quoting the secret is not chained
    assert TOKEN not in repr(caught.value)


def test_credentials_never_show_their_secrets() -> None:
    pat = DatabricksCredentials(host="https://h", token=TOKEN)
    m2m = DatabricksCredentials(host="https://h", client_id="sp-1", client_secret=CLIENT_SECRET)
    for credentials in (pat, m2m):
        for shown in (repr(credentials), str(credentials), f"{credentials}", repr([credentials])):
            assert TOKEN not in shown and CLIENT_SECRET not in shown
            assert "<redacted>" in shown
    assert pat.scrub(f"bad token {TOKEN}!") == "bad token <redacted>!"


def test_any_piece_of_a_secret_eight_characters_or_longer_is_scrubbed() -> None:
    pat = DatabricksCredentials(host="https://h", token=TOKEN)
    # a service echoing the token's first 20 characters, or a piece from its middle
    assert pat.scrub(f"invalid token '{TOKEN[:20]}…'") == "invalid token '<redacted>…'"
    assert pat.scrub(f"x{TOKEN[5:13]}y") == "x<redacted>y"
    assert pat.scrub(f"[{TOKEN[:7]}]") == f"[{TOKEN[:7]}]"  # seven characters say nothing
    assert pat.scrub(f"{TOKEN[:10]} and {TOKEN[-9:]}") == "<redacted> and <redacted>"
