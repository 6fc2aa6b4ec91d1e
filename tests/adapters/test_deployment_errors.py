"""Whatever keeps AWS from answering `podium ask / runs / report` is one sentence with the fix:
no credentials, an unknown AWS_PROFILE, no network, expired or refused credentials, no stack."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from botocore import exceptions as aws

from podium.adapters.deployment import DeploymentError, reaching_aws
from tests.conftest import REPO_ROOT


def _client_error(code: str, message: str = "nope") -> aws.ClientError:
    return aws.ClientError({"Error": {"Code": code, "Message": message}}, "DescribeStacks")


@pytest.mark.parametrize(
    ("raised", "said"),
    [
        (aws.ProfileNotFound(profile="typo"), "`aws configure list-profiles`, or unset AWS_PROFILE"),
        (aws.NoCredentialsError(), "no AWS credentials to list the runs: run `aws configure`"),
        (aws.EndpointConnectionError(endpoint_url="https://states.us-west-2.amazonaws.com"), "check the network"),
        (aws.ConnectTimeoutError(endpoint_url="https://x"), "cannot reach AWS in us-west-2"),
        (aws.NoRegionError(), "give --region, or set region in cdk.json"),
        (aws.TokenRetrievalError(provider="sso", error_msg="expired"), "`aws sso login`"),
        (_client_error("ExpiredTokenException"), "have expired"),
        (_client_error("UnrecognizedClientException", "The security token is invalid"), "refused the credentials"),
        (_client_error("AccessDeniedException", "not authorized"), "denied the permission to list the runs"),
    ],
)
def test_each_way_aws_does_not_answer_is_one_sentence_with_the_fix(raised: Exception, said: str):
    with pytest.raises(DeploymentError) as caught, reaching_aws("list the runs", "us-west-2"):
        raise raised
    message = str(caught.value)
    assert said in message and "\n" not in message
    assert caught.value.__suppress_context__  # `from None`: no chained traceback behind it


def test_a_misspelt_aws_profile_is_one_line_on_stderr_and_no_traceback(tmp_path):
    """From the clone (its cdk.json names the stack and region), as a user runs it."""
    env = {**os.environ, "AWS_PROFILE": "no-such-profile-podium", "AWS_CONFIG_FILE": str(tmp_path / "config")}
    env.pop("AWS_ACCESS_KEY_ID", None)
    for args in (["runs"], ["ask", "Who won?"], ["report", "run-1"]):
        done = subprocess.run(
            [sys.executable, "-m", "podium", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
        assert "no-such-profile-podium" in lines[0] and "aws configure list-profiles" in lines[0]
