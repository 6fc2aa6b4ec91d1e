"""The run lock on moto: S3 conditional writes and Step Functions' execution status."""

from __future__ import annotations

import json

import boto3

from podium.adapters.run_lock import LOCK_KEY, S3RunLock

REGION = "us-west-2"


def _machine() -> tuple[object, str]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name="podium-finetune",
        definition=json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    return sfn, arn


def test_one_running_execution_holds_the_lock_and_a_finished_one_hands_it_over(bucket: str):
    sfn, machine = _machine()
    first = sfn.start_execution(stateMachineArn=machine, name="first")["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine, name="second")["executionArn"]
    lock = S3RunLock(bucket, boto3.client("s3", region_name=REGION), sfn)

    assert lock.claim(first) is None  # free: taken
    assert lock.claim(first) is None  # a retried Prepare of the holder keeps it
    assert lock.claim(second) == first  # held by a RUNNING execution: refused, naming it
    sfn.stop_execution(executionArn=first)
    assert lock.claim(second) is None  # the holder ended: taken over, no release needed
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read()
    assert json.loads(body) == {"execution_arn": second}


def test_a_holder_step_functions_does_not_know_is_not_running(bucket: str):
    sfn, machine = _machine()
    mine = sfn.start_execution(stateMachineArn=machine, name="mine")["executionArn"]
    s3 = boto3.client("s3", region_name=REGION)
    gone = machine.replace(":stateMachine:", ":execution:") + ":long-gone"
    s3.put_object(Bucket=bucket, Key=LOCK_KEY, Body=json.dumps({"execution_arn": gone}).encode())
    assert S3RunLock(bucket, s3, sfn).claim(mine) is None


def test_a_malformed_lock_is_stale_and_taken_over_with_a_warning(bucket: str, caplog):
    sfn, machine = _machine()
    s3 = boto3.client("s3", region_name=REGION)
    for n, body in enumerate([b"garbage", b"[]", b'{"execution_arn": 7}', b"null"]):
        mine = sfn.start_execution(stateMachineArn=machine, name=f"run-{n}")["executionArn"]
        s3.put_object(Bucket=bucket, Key=LOCK_KEY, Body=body)
        with caplog.at_level("WARNING"):
            assert S3RunLock(bucket, s3, sfn).claim(mine) is None
        assert json.loads(s3.get_object(Bucket=bucket, Key=LOCK_KEY)["Body"].read()) == {"execution_arn": mine}
        assert "taking it over as stale" in caplog.text
        sfn.stop_execution(executionArn=mine)
