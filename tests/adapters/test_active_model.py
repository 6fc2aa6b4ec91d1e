from __future__ import annotations

import json

import boto3
import pytest

from podium.adapters.active_model import SsmActiveModelStore
from podium.adapters.ports import ActiveModel
from podium.errors import DataError

PARAMETER = "/podium/active-model"


def _put_raw(value: str) -> None:
    boto3.client("ssm").put_parameter(Name=PARAMETER, Value=value, Type="String", Overwrite=True)


@pytest.mark.parametrize("initial", ['{"active": null}', "{}", '{"model_arn": ""}', "null"])
def test_placeholder_written_by_the_stack_means_no_active_model(aws: None, initial: str) -> None:
    _put_raw(initial)
    assert SsmActiveModelStore(PARAMETER).get() is None


def test_missing_parameter_means_no_active_model(aws: None) -> None:
    assert SsmActiveModelStore(PARAMETER).get() is None


def test_put_then_get_round_trips_and_stamps_the_time(aws: None) -> None:
    _put_raw('{"active": null}')
    store = SsmActiveModelStore(PARAMETER)
    model = ActiveModel(
        run_id="run-1",
        model_arn="arn:aws:bedrock:us-west-2:123456789012:custom-model/abc",
        base_model_id="meta.llama3-1-8b-instruct-v1:0:128k",
        dataset_hash="sha256:0f0f",
        throughput_arn="arn:aws:bedrock:us-west-2:123456789012:provisioned-model/abcdefghijkl",
    )
    store.put(model)

    got = store.get()
    assert got is not None
    assert got.model_arn == model.model_arn and got.throughput_arn == model.throughput_arn
    assert got.promoted_at  # filled in on put
    stored = json.loads(boto3.client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"])
    assert stored["dataset_hash"] == "sha256:0f0f"


def test_corrupt_record_is_a_data_error_naming_the_parameter(aws: None) -> None:
    _put_raw("not json")
    with pytest.raises(DataError, match=f"ssm:{PARAMETER}"):
        SsmActiveModelStore(PARAMETER).get()
    _put_raw('{"model_arn": "arn:x"}')
    with pytest.raises(DataError, match="run_id, base_model_id, dataset_hash"):
        SsmActiveModelStore(PARAMETER).get()
