"""Caps from the account's Service Quotas, checked against botocore's own service model
with Stubber (moto 5.2.5 implements neither ListServiceQuotas nor Bedrock's quotas)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.stub import Stubber

from podium.adapters.service_quotas import caps_from_quotas, quota_model_key, read_caps
from podium.models import DOCUMENTED_SUM_CAP, get_model

LLAMA31_8B = get_model("meta.llama3-1-8b-instruct-v1:0:128k")
LLAMA32_1B = get_model("meta.llama3-2-1b-instruct-v1:0:128k")
NOVA_LITE = get_model("amazon.nova-lite-v1:0:300k")


def _quota(code: str, name: str, value: float) -> dict:
    return {
        "ServiceCode": "bedrock",
        "QuotaCode": code,
        "QuotaName": name,
        "Value": value,
        "Adjustable": True,
    }


SUM_8B = "(Model customization) Sum of training and validation records for a Meta Llama 3.1 8B Instruct Fine-tuning job"
DEFAULTS = [
    _quota("L-00000001", SUM_8B, 10_000),
    _quota(
        "L-00000002", "(Model customization) Training records for a Meta Llama 3.1 8B Instruct Fine-tuning job", 10_000
    ),
    _quota(
        "L-00000003", "(Model customization) Validation records for a Meta Llama 3.1 8B Instruct Fine-tuning job", 1_000
    ),
    _quota("L-00000004", "(Model customization) Epochs for a Meta Llama 3.1 8B Instruct Fine-tuning job", 10),
    # Other models, other jobs and other quota families: never matched for Llama 3.1 8B.
    _quota("L-00000005", SUM_8B.replace("3.1 8B", "3.1 70B"), 5_000),
    _quota("L-00000006", SUM_8B.replace("Fine-tuning", "Continued Pre-Training"), 99),
    _quota("L-00000007", "Records per batch inference job for Llama 3.1 8B Instruct", 50_000),
]


@pytest.fixture
def client():
    return boto3.client("service-quotas", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")


def _stub_lists(stubber: Stubber, defaults: list[dict], applied: list[dict]) -> None:
    # Two pages of defaults, to check every page is read; then the applied values.
    half = len(defaults) // 2
    stubber.add_response(
        "list_aws_default_service_quotas", {"Quotas": defaults[:half], "NextToken": "p2"}, {"ServiceCode": "bedrock"}
    )
    stubber.add_response(
        "list_aws_default_service_quotas",
        {"Quotas": defaults[half:]},
        {"ServiceCode": "bedrock", "NextToken": "p2"},
    )
    stubber.add_response("list_service_quotas", {"Quotas": applied}, {"ServiceCode": "bedrock"})


def test_applied_quotas_win_over_defaults_and_every_kind_is_read(client):
    raised_sum = _quota("L-00000001", SUM_8B, 15_000)
    with Stubber(client) as stubber:
        _stub_lists(stubber, DEFAULTS, [raised_sum])
        caps = read_caps(client, LLAMA31_8B)
        stubber.assert_no_pending_responses()
    assert (caps.total, caps.train, caps.validation, caps.epochs) == (15_000, 10_000, 1_000, 10)
    assert caps.source == "service-quotas"
    assert "L-00000001" in caps.note


def test_quotas_found_only_in_part_fill_the_rest_from_the_documented_caps():
    caps = caps_from_quotas([_quota("L-9", SUM_8B, 8_000)], LLAMA31_8B)
    assert caps.total == 8_000 and caps.train == LLAMA31_8B.max_train_rows
    assert caps.source == "service-quotas+documented" and "documented: train, validation, epochs" in caps.note


def test_access_denied_falls_back_to_the_documented_sum_and_says_why(client):
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "list_aws_default_service_quotas", "AccessDeniedException", "not authorized to perform ListAWSDefault"
        )
        caps = read_caps(client, LLAMA31_8B)
    assert caps.source == "documented"
    assert caps.total == DOCUMENTED_SUM_CAP == 10_000
    assert caps.train + caps.validation > caps.total  # 10,000 + 1,000 no longer both fit
    assert "AccessDeniedException" in caps.note and "10,000" in caps.note


def test_no_credentials_fall_back_too():
    class NoCredentials:
        def get_paginator(self, operation):
            raise NoCredentialsError()

    caps = read_caps(NoCredentials(), NOVA_LITE)
    assert caps.source == "documented" and "NoCredentialsError" in caps.note


def test_throttling_is_raised_for_the_state_machine_to_retry(client):
    with Stubber(client) as stubber:
        stubber.add_client_error("list_aws_default_service_quotas", "TooManyRequestsException", "slow down")
        with pytest.raises(ClientError) as error:
            read_caps(client, LLAMA31_8B)
    assert type(error.value).__name__ == "TooManyRequestsException"  # a TRANSIENT_ERRORS name


def test_an_account_without_the_models_quotas_uses_the_documented_caps_and_names_the_model():
    caps = caps_from_quotas(DEFAULTS, NOVA_LITE)
    assert caps.source == "documented" and "'Nova Lite'" in caps.note


@pytest.mark.parametrize(
    ("model", "other"),
    [(LLAMA32_1B, "Meta Llama 3.2 11B Instruct"), (NOVA_LITE, "Amazon Nova 2 Lite")],
)
def test_model_names_match_whole_words_only(model, other):
    name = f"(Model customization) Sum of training and validation records for a {other} Fine-tuning job"
    assert caps_from_quotas([_quota("L-1", name, 1)], model).source == "documented"


def test_quota_keys_drop_vision_and_instruct():
    assert quota_model_key(get_model("meta.llama3-2-11b-instruct-v1:0:128k")) == "Llama 3.2 11B"
    assert quota_model_key(get_model("amazon.nova-2-lite-v1:0:256k")) == "Nova 2 Lite"
