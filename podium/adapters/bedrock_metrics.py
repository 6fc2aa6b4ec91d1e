"""The loss curves Bedrock writes beside a customization job's output (model-customization-analyze.html):
`<output>/model-customization-job-<id>/training_artifacts/step_wise_training_metrics.csv` and
`.../validation_artifacts/post_fine_tuning_validation/validation_metrics.csv`, read through the store."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from podium.adapters.ports import ObjectStore
from podium.errors import DataError


@dataclass(frozen=True)
class LossPoint:
    step: int
    epoch: int
    loss: float


@dataclass(frozen=True)
class LossMetrics:
    """Loss curves Bedrock wrote beside the job's output; empty when the files are absent."""

    training: tuple[LossPoint, ...] = field(default_factory=tuple)
    validation: tuple[LossPoint, ...] = field(default_factory=tuple)
    source: str = ""

    @property
    def final_training_loss(self) -> float | None:
        return self.training[-1].loss if self.training else None

    @property
    def final_validation_loss(self) -> float | None:
        return self.validation[-1].loss if self.validation else None


def metrics_keys(output_prefix: str, job_arn: str) -> tuple[str, str]:
    """(training CSV key, validation CSV key) for a job whose outputDataConfig is `output_prefix`."""
    job_id = job_arn.rstrip("/").rsplit("/", 1)[-1]
    base = f"{output_prefix.rstrip('/')}/model-customization-job-{job_id}"
    return (
        f"{base}/training_artifacts/step_wise_training_metrics.csv",
        f"{base}/validation_artifacts/post_fine_tuning_validation/validation_metrics.csv",
    )


def read_loss_metrics(store: ObjectStore, output_prefix: str, job_arn: str) -> LossMetrics:
    """Read the job's metrics CSVs through `store`. `output_prefix` is a bucket key or an
    s3:// URI inside the store's bucket (the job's outputDataConfig.s3Uri)."""
    bucket_root = store.uri("")
    if output_prefix.startswith("s3://"):
        if not output_prefix.startswith(bucket_root):
            raise ValueError(f"{output_prefix} is not inside {bucket_root}")
        output_prefix = output_prefix[len(bucket_root) :]
    training_key, validation_key = metrics_keys(output_prefix, job_arn)
    job_folder = training_key.split("/training_artifacts/", 1)[0] + "/"
    present = set(store.list_keys(job_folder))
    training = _loss_points(store, training_key, "training_loss") if training_key in present else ()
    validation = _loss_points(store, validation_key, "validation_loss") if validation_key in present else ()
    return LossMetrics(training=training, validation=validation, source=store.uri(training_key))


def _loss_points(store: ObjectStore, key: str, loss_column: str) -> tuple[LossPoint, ...]:
    reader = csv.DictReader(io.StringIO(store.read_text(key)))
    if reader.fieldnames is None or loss_column not in reader.fieldnames:
        raise DataError(f"expected a {loss_column} column, found {reader.fieldnames}", file=store.uri(key), line=1)
    points = []
    for line, row in enumerate(reader, start=2):
        try:
            points.append(
                LossPoint(
                    step=int(float(row.get("step_number") or 0)),
                    epoch=int(float(row.get("epoch_number") or 0)),
                    loss=float(row[loss_column]),
                )
            )
        except (TypeError, ValueError):
            raise DataError(
                f"not a number: {row.get(loss_column)!r}", file=store.uri(key), line=line, field=loss_column
            ) from None
    return tuple(points)


__all__ = ["LossMetrics", "LossPoint", "metrics_keys", "read_loss_metrics"]
