"""Deleting a run's provisioned throughput, as Cleanup and ScoreEvaluation both do: never
the one serving the active model, and a refusal says how to delete it by hand (it bills
hourly). Its own module, so ScoreEvaluation's cold start does not load the other steps' code."""

from __future__ import annotations

from podium.adapters.errors import BedrockRejected
from podium.adapters.ports import ActiveModelStore, FineTuner


def kept_for_active_model(active_models: ActiveModelStore, arn: str) -> str | None:
    """Why `arn` stays (it serves the active model), or None."""
    active = active_models.get()
    if active is not None and active.throughput_arn == arn:
        return f"kept provisioned throughput {arn}: it serves the active model"
    return None


def delete_throughput(fine_tuner: FineTuner, arn: str, why: str) -> tuple[str | None, str]:
    """(the deleted ARN or None, what happened). A throughput already gone counts as deleted
    (FineTuner.delete_throughput); a refusal says how to delete it by hand, as it bills hourly."""
    try:
        fine_tuner.delete_throughput(arn)
    except BedrockRejected as error:
        return None, (
            f"could NOT delete provisioned throughput {arn} ({error}); it is billed hourly until "
            f"deleted: aws bedrock delete-provisioned-model-throughput --provisioned-model-id {arn}"
        )
    return arn, f"deleted provisioned throughput {arn} ({why})"
