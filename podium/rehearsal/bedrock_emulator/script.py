"""What the emulated service will do: lifecycles, scripted failures and injected errors."""

from __future__ import annotations

from dataclasses import dataclass, field

from podium.rehearsal.simulated_model import MIN_ROWS


@dataclass
class InjectedError:
    """Answer `operation` (a Bedrock operation name, e.g. CreateModelCustomizationJob or
    Converse) with `code` for its next `times` calls (None: every call)."""

    operation: str
    code: str
    message: str = "error injected by podium rehearse"
    times: int | None = 1


@dataclass
class Script:
    """What the emulated service will do. Change it between or during runs."""

    job_ticks: int = 2  # status reads a job stays InProgress before it ends
    job_failure: str | None = None  # the failureMessage of jobs that fail; None = jobs complete
    throughput_ticks: int = 2  # status reads a throughput stays Creating
    throughput_failure: str | None = None  # the failureMessage of throughputs that fail
    deployment_ticks: int = 2  # status reads a custom model deployment stays Creating (or Updating)
    deployment_failure: str | None = None  # the failureMessage of deployments that fail
    # A ValidationException message that CreateModelCustomizationJob answers with (e.g. a
    # rule the real service applies that podium does not know yet); None = accept.
    job_rejection: str | None = None
    # Alter the training file after it was uploaded, before Bedrock's validation phase reads
    # it (see corruptions.CORRUPTIONS): rehearses data that Podium's own checks never saw.
    corrupt_training: str | None = None
    stop_ticks: int = 1  # status reads a stopped job shows Stopping before Stopped
    # API_CreateModelCustomizationJob.html: a request whose clientRequestToken matches an earlier one
    # is ignored, without an error (the earlier job is answered). False: a job of the same name is a
    # ConflictException even with that token — a Bedrock that no longer holds the token, the case
    # Podium's adoption of its own job (StartFineTune) is for.
    honour_client_tokens: bool = True
    # botocore's GetModelCustomizationJob output marks trainingMetrics and validationMetrics optional.
    # False: a completed job answers without them, and Podium reads its losses from the metrics files.
    losses_in_response: bool = True
    # Sum of training and validation records per job, an adjustable account quota ("Sum of
    # training and validation records…" in Service Quotas); None: the documented default
    # (bedrock_rules: 10,000 where a page states it).
    records_sum_quota: int | None = None
    training_loss: float = 1.25  # simulated final losses
    validation_loss: float = 1.5
    errors: list[InjectedError] = field(default_factory=list)  # answered instead of the operation
    # The simulated model InvokeModel and Converse ask (see simulated_model.RULE): the distinct
    # training rows that must state a fact before a question in new words reaches it.
    min_rows: int = MIN_ROWS
    answer_latency_seconds: float = 0.0  # per InvokeModel/Converse call (benchmarks: 1.0)
    # Applied values of Bedrock's quotas, by quota name (quotas.DEFAULTS lists the defaults), e.g.
    # {quotas.CUSTOM_MODEL_UNITS: 0}: an account without model units for custom models
    quotas: dict[str, float] = field(default_factory=dict)
