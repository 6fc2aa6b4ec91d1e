"""--fail-step for Bedrock itself: a corrupted training file and errors answered by a
Bedrock operation (only the errors botocore's model says that operation can answer)."""

from __future__ import annotations

import pytest

from podium.rehearsal.bedrock_emulator.corruptions import CORRUPTIONS
from podium.rehearsal.console import BEDROCK_DATA, plan_failure


def test_bedrock_data_corrupts_the_training_file_after_upload():
    planned = plan_failure("BedrockData", None)
    assert planned.target == BEDROCK_DATA and planned.script.corrupt_training == "truncated"
    assert plan_failure("bedrockdata", "wrong-format").script.corrupt_training == "wrong-format"
    with pytest.raises(ValueError, match="use one of " + ", ".join(CORRUPTIONS)):
        plan_failure("BedrockData", "scrambled")


@pytest.mark.parametrize(
    ("step", "text", "operation", "code", "always"),
    [
        (
            "BedrockCreate",
            "ServiceQuotaExceededException",
            "CreateModelCustomizationJob",
            "ServiceQuotaExceededException",
            True,
        ),
        (
            "BedrockCreate",
            "AccessDeniedException: not authorized",
            "CreateModelCustomizationJob",
            "AccessDeniedException",
            True,
        ),
        (
            "CreateModelCustomizationJob",
            "TooManyTagsException",
            "CreateModelCustomizationJob",
            "TooManyTagsException",
            True,
        ),
        ("BedrockGetJob", "ThrottlingException", "GetModelCustomizationJob", "ThrottlingException", False),
        ("BedrockCreateThroughput", None, "CreateProvisionedModelThroughput", "ThrottlingException", False),
        ("BedrockConverse", "ThrottlingException: slow down", "Converse", "ThrottlingException", False),
        ("BedrockInvokeModel", "ModelNotReadyException", "InvokeModel", "ModelNotReadyException", False),
    ],
)
def test_a_bedrock_operation_answers_the_error_named(step, text, operation, code, always):
    planned = plan_failure(step, text)
    (error,) = planned.script.errors
    assert (error.operation, error.code) == (operation, code)
    assert (error.times is None) == always and planned.recovers == (not always)
    if text and ":" in text:
        assert error.message == text.split(":", 1)[1].strip()


def test_an_error_the_operation_cannot_answer_is_a_usage_error():
    # botocore's model: GetModelCustomizationJob never answers ServiceQuotaExceededException
    with pytest.raises(ValueError, match="GetModelCustomizationJob answers one of"):
        plan_failure("BedrockGetJob", "ServiceQuotaExceededException")
