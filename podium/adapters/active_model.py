"""The active-model record: which fine-tuned model is promoted, in an SSM String parameter.

The stack creates the parameter with a placeholder (e.g. {"active": null}); any record
without a model_arn means "no model promoted yet".
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from podium.adapters.ports import ActiveModel
from podium.errors import DataError

_FIELDS = tuple(f.name for f in fields(ActiveModel))
_REQUIRED = ("run_id", "model_arn", "base_model_id", "dataset_hash")


class SsmActiveModelStore:
    def __init__(self, parameter_name: str, client: Any | None = None) -> None:
        if not parameter_name:
            raise ValueError("parameter_name must be the active-model SSM parameter's name")
        self.parameter_name = parameter_name
        if client is None:
            import boto3

            client = boto3.client("ssm")
        self._ssm = client

    def get(self) -> ActiveModel | None:
        try:
            value = self._ssm.get_parameter(Name=self.parameter_name)["Parameter"]["Value"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise
        try:
            record = json.loads(value)
        except ValueError:
            raise DataError(
                "is not JSON",
                file=f"ssm:{self.parameter_name}",
                hint='put {"active": null} to reset it, or a record written by Promote',
            ) from None
        if not isinstance(record, dict) or not record.get("model_arn"):
            return None
        missing = [name for name in _REQUIRED if not record.get(name)]
        if missing:
            raise DataError(
                f"active-model record lacks {', '.join(missing)}",
                file=f"ssm:{self.parameter_name}",
                hint='put {"active": null} to reset it, or promote a model again',
            )
        values: dict[str, Any] = {
            name: str(record[name]) for name in _FIELDS if name != "scores" and record.get(name) is not None
        }
        if isinstance(record.get("scores"), dict):
            values["scores"] = record["scores"]
        return ActiveModel(**values)

    def put(self, model: ActiveModel) -> None:
        record = model.to_record()
        if not record["promoted_at"]:
            record["promoted_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self._ssm.put_parameter(
            Name=self.parameter_name,
            Value=json.dumps(record, sort_keys=True),
            Type="String",
            Overwrite=True,
        )


__all__ = ["SsmActiveModelStore"]
