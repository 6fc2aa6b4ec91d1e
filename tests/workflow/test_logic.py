"""The step logic with in-memory adapters (tests/workflow/fakes.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from podium.adapters.errors import BedrockThrottled, DatabricksUnavailable
from podium.adapters.ports import (
    TAG_EXECUTION,
    TAG_RUN_ID,
    TAG_STACK,
    TAG_TTL_HOURS,
    ActiveModel,
    GenerationState,
    GenerationStatus,
    JobStatus,
    Throughput,
    ThroughputStatus,
)
from podium.adapters.stepfunctions import RunningExecution
from podium.config import PollSettings, RunSettings
from podium.errors import ConfigError
from podium.workflow import logic
from podium.workflow.cleanup import cleanup
from podium.workflow.errors import (
    DatasetInvalid,
    FineTuneFailed,
    GenerationFailed,
    InvalidInput,
    NoSourceData,
    OverBudget,
    StatusUnknown,
    ThroughputFailed,
)
from podium.workflow.events import (
    BuildDatasetEvent,
    CheckFineTuneEvent,
    CheckGenerationEvent,
    CheckThroughputEvent,
    CleanupEvent,
    CreateThroughputEvent,
    GateOutcome,
    PrepareEvent,
    PromoteEvent,
    StartFineTuneEvent,
    StartGenerationEvent,
    ThroughputProgress,
)
from podium.workflow.polling import next_poll_seconds
from tests.workflow.fakes import ListGenerator, MemoryActiveModels, MemoryFineTuner, MemoryStore, sample_pairs

REGION = "us-west-2"
SM = "arn:aws:states:us-west-2:123456789012:stateMachine:podium-finetune"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _prepare_event(execution_input, name="0b5a5e8c-1f0e-4a57-9c39-2f9a6a1f1c11"):
    return PrepareEvent.model_validate(
        {
            "input": execution_input,
            "execution": {
                "name": name,
                "id": f"arn:aws:states:us-west-2:123456789012:execution:podium-finetune:{name}",
                "state_machine_id": SM,
                "start_time": "2026-01-01T00:00:00Z",
            },
        }
    )


def _prepare(execution_input, *, defaults=None, running=(), store=None, secret=None, name=None, claim_run=None):
    store = store if store is not None else MemoryStore({"data/medals.csv": "x"})

    def read_secret(secret_name):
        if secret is not None:
            raise secret
        return object()

    kwargs = {"name": name} if name else {}
    return logic.prepare(
        _prepare_event(execution_input, **kwargs),
        defaults=defaults or RunSettings(),
        region=REGION,
        list_running=lambda arn: list(running),
        store=store,
        read_databricks_secret=read_secret,
        now=T0,
        claim_run=claim_run,
    )


# ---- Prepare ---------------------------------------------------------------------------


def test_prepare_merges_input_over_defaults_and_derives_the_run():
    run = _prepare({"dry_run": True, "poll": {"min_seconds": 5}}, defaults=RunSettings(budget_usd=7))
    name = "0b5a5e8c-1f0e-4a57-9c39-2f9a6a1f1c11"
    assert run.run_id == logic.run_id_for(name, _execution_arn(name), "2026-01-01T00:00:00Z")
    assert run.run_id.startswith("0b5a5e8c-1f0e-4a57-9c39-") and run.skip_reason == ""
    assert run.run_prefix == f"runs/{run.run_id}/"
    assert run.settings.dry_run is True
    assert run.settings.poll.min_seconds == 5 and run.settings.poll.max_seconds == 600
    assert run.settings.budget_usd == 7
    assert run.state_machine_arn == SM


@pytest.mark.parametrize("bad", [[1, 2], "dry_run", 3, None])
def test_prepare_refuses_input_that_is_not_an_object(bad):
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        _prepare(bad)


def test_prepare_names_an_unknown_key():
    with pytest.raises(InvalidInput, match=r"^dry_runn: is not a known setting"):
        _prepare({"dry_runn": True})


def test_prepare_names_a_nested_wrong_type():
    with pytest.raises(InvalidInput, match=r"throughput\.model_units"):
        _prepare({"throughput": {"model_units": "many"}})


def test_prepare_names_an_out_of_range_hyperparameter():
    with pytest.raises(InvalidInput, match=r"hyperparameters: .*epochCount=20.*1–10"):
        _prepare({"hyperparameters": {"epochCount": 20}})


def _running(name, started_at):
    return RunningExecution(f"{SM.replace('stateMachine', 'execution')}:{name}", started_at)


def test_prepare_skips_while_an_earlier_execution_runs_and_checks_nothing_else():
    run = _prepare({}, running=[_running("earlier", T0 - timedelta(minutes=5))], store=MemoryStore())
    assert run.skip_reason.startswith("Skipped: execution ") and "earlier of this state machine" in run.skip_reason
    assert "Nothing was started" in run.skip_reason


def test_of_executions_started_together_only_the_earliest_goes_ahead():
    # Several files dropped under incoming/ start several executions within a second.
    later = _running("later", T0 + timedelta(seconds=1))
    assert _prepare({}, running=[later]).skip_reason == ""  # the earliest proceeds...
    same_time = _running("0000-same-start", T0)  # ...and a tie goes to the smaller ARN
    assert "0000-same-start" in _prepare({}, running=[same_time, later]).skip_reason


def test_prepare_does_not_count_its_own_execution_as_another():
    event = _prepare_event({})
    run = logic.prepare(
        event,
        defaults=RunSettings(),
        region=REGION,
        list_running=lambda arn: [RunningExecution(event.execution.id, T0)],
        store=MemoryStore({"data/a.csv": ""}),
        read_databricks_secret=lambda name: None,
    )
    assert run.execution_arn == event.execution.id


def test_prepare_refuses_an_empty_data_prefix_for_the_builtin_generator():
    with pytest.raises(NoSourceData, match=r"data_prefix: found nothing under s3://bucket/data/"):
        _prepare({}, store=MemoryStore())
    with pytest.raises(NoSourceData, match=r"found only data/readme.txt .*aws s3 cp data/sample"):
        _prepare({}, store=MemoryStore({"data/readme.txt": "x"}))


def test_prepare_checks_the_databricks_secret_before_anything_is_spent():
    databricks = {
        "generator": "databricks",
        "databricks": {"secret_name": "s", "job_id": 1, "warehouse_id": "w"},
    }
    problem = ConfigError("databricks.secret_name", "secret 's' has no \"host\" key")
    with pytest.raises(InvalidInput, match=r"databricks\.secret_name: secret 's' has no \"host\""):
        _prepare(databricks, secret=problem, store=MemoryStore())


def test_prepare_requires_databricks_settings_when_that_generator_is_chosen():
    with pytest.raises(InvalidInput, match=r"databricks\.secret_name: is required"):
        _prepare({"generator": "databricks"})


def _execution_arn(name):
    return f"{SM.replace(':stateMachine:', ':execution:')}:{name}"


def test_run_ids_are_short_safe_and_distinct():
    long_name = "Nightly_Retrain::" + "x" * 70
    run_id = logic.run_id_for(long_name, _execution_arn(long_name), "2026-01-01T00:00:00Z")
    assert len(run_id) <= logic.RUN_ID_MAX
    assert set(run_id) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert logic.run_id_for("___", _execution_arn("___"), "2026-01-01T00:00:00Z").startswith("run-")
    for make in (logic.job_name, logic.custom_model_name, logic.throughput_name):
        assert len(make("p" * 21, run_id)) <= 63


def test_names_that_sanitise_alike_and_a_reused_name_get_different_run_ids():
    start = "2026-01-01T00:00:00.000Z"
    weekly = logic.run_id_for("Weekly Retrain", _execution_arn("Weekly Retrain"), start)
    hyphenated = logic.run_id_for("weekly-retrain", _execution_arn("weekly-retrain"), start)
    assert weekly.startswith("weekly-retrain-") and hyphenated.startswith("weekly-retrain-")
    assert weekly != hyphenated
    # The same name (hence ARN) again after Step Functions' 90-day window: a new start time.
    reused = logic.run_id_for("weekly-retrain", _execution_arn("weekly-retrain"), "2026-04-15T00:00:00.000Z")
    assert reused != hyphenated
    # $$.Execution.StartTime and an EventBridge event's startDate (epoch ms) agree.
    assert logic.run_id_for("w", _execution_arn("w"), "2026-01-01T00:00:00Z") == logic.run_id_for(
        "w", _execution_arn("w"), "2026-01-01T00:00:00.000+00:00"
    )


# ---- polling -------------------------------------------------------------------------------


def test_prepare_refuses_input_polls_that_could_overflow_the_execution_history():
    with pytest.raises(InvalidInput, match=r"^poll\.max_seconds: .*25,000 history events.*is \d+"):
        _prepare({"poll": {"min_seconds": 1, "max_seconds": 1}})
    run = _prepare({"poll": {"min_seconds": 1}})  # fast early polls are fine: the interval still grows to 600 s
    assert run.settings.poll.min_seconds == 1


def test_poll_interval_grows_with_elapsed_time_within_bounds():
    poll = PollSettings(min_seconds=30, max_seconds=600)
    waits = [next_poll_seconds(elapsed, poll) for elapsed in (0, 60, 600, 1800, 3600, 36000)]
    assert waits == sorted(waits)
    assert waits[0] == 30 and waits[-1] == 600
    assert 30 < waits[3] < 600
    assert next_poll_seconds(10**6, PollSettings(min_seconds=1, max_seconds=1)) == 1


# ---- generation -------------------------------------------------------------------------------


def test_check_generation_fails_with_the_generators_message():
    run = _prepare({})
    failed = GenerationStatus(GenerationState.FAILED, "Cluster terminated: quota exceeded")
    generator = ListGenerator([], failed)
    progress = logic.start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    with pytest.raises(GenerationFailed, match="Cluster terminated: quota exceeded"):
        logic.check_generation(CheckGenerationEvent(run=run, generation=progress), generator=generator)


def test_check_generation_backs_off_while_running():
    run = _prepare({})
    generator = ListGenerator([], GenerationStatus(GenerationState.RUNNING))
    progress = logic.start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    assert progress.next_poll_seconds == 30
    later = logic.check_generation(
        CheckGenerationEvent(run=run, generation=progress), generator=generator, now=T0 + timedelta(hours=1)
    )
    assert later.state is GenerationState.RUNNING and later.next_poll_seconds == 360


# ---- dataset ------------------------------------------------------------------------------------


def _built(execution_input=None, *, pairs=None, active=None, rejections=None, disagreements=None):
    if pairs is None:  # synthetic pairs have no texts for the default `deep` recipe: `qa` plans them
        execution_input = {"recipe": "qa", **(execution_input or {})}
    run = _prepare(execution_input or {})
    generator = ListGenerator(
        pairs if pairs is not None else sample_pairs(), rejections=rejections, disagreements=disagreements
    )
    progress = logic.start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    store = MemoryStore()
    outcome = logic.build_dataset(
        BuildDatasetEvent(run=run, generation=progress),
        generator=generator,
        store=store,
        active_models=MemoryActiveModels(active),
        region=REGION,
    )
    return run, outcome, store


def test_build_dataset_writes_the_run_files_and_decides():
    run, outcome, store = _built()
    assert outcome.valid and not outcome.over_budget and not outcome.unchanged and not outcome.dry_run
    for name in ("train.jsonl", "validation.jsonl", "eval.jsonl", "report.json"):
        assert run.run_prefix + name in store.files
    assert outcome.report_uri == f"s3://bucket/{run.run_prefix}report.json"
    assert json.loads(store.files[run.run_prefix + "report.json"])["dataset_hash"] == outcome.dataset_hash
    assert outcome.train_rows == len(store.files[run.run_prefix + "train.jsonl"].splitlines())
    assert outcome.output_uri == f"s3://bucket/{run.run_prefix}output/"


def test_build_dataset_reports_what_the_generator_dropped():
    dropped = {"paraphrase leaks the answer": 3}
    run, _, store = _built(rejections=dropped)
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["rejections"]["paraphrase leaks the answer"] == 3


def test_build_dataset_lists_the_generators_disagreements_or_says_none_were_checked():
    found = {"check": "medal count", "table": "medals_total.csv", "key": "ZED|bronze"}
    found |= {"values": {"medals.csv": "3", "medals_total.csv": "2"}, "used": "medals.csv"}
    run, _, store = _built(disagreements=[found])
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["disagreements"] == [found]
    assert report["reconciliation"] == "checked by the memory generator"
    run, _, store = _built()  # a generator that does not cross-check the tables
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["disagreements"] is None
    assert report["reconciliation"].startswith("not run: the memory generator does not cross-check")


def test_build_dataset_stops_as_unchanged_unless_forced():
    _, first, _ = _built()
    active = ActiveModel("old", "arn:model/old", RunSettings().base_model, first.dataset_hash)
    _, again, _ = _built(active=active)
    assert again.unchanged and "identical" in again.message and '"force": true' in again.message
    _, forced, _ = _built({"force": True}, active=active)
    assert not forced.unchanged


def test_build_dataset_flags_over_budget_with_the_numbers():
    _, outcome, _ = _built({"budget_usd": 0.0})
    assert outcome.over_budget
    assert "exceeds budget_usd $0.00" in outcome.message and outcome.report_uri in outcome.message


def test_build_dataset_reports_an_invalid_dataset_with_its_report():
    _, outcome, _store = _built(pairs=[])
    assert not outcome.valid
    assert outcome.report_uri in outcome.message and "Nothing was trained" in outcome.message


# ---- fine-tuning -----------------------------------------------------------------------------------


def _started(execution_input=None):
    run, dataset, _ = _built(execution_input)
    tuner = MemoryFineTuner()
    progress = logic.start_fine_tune(
        StartFineTuneEvent(run=run, dataset=dataset),
        fine_tuner=tuner,
        region=REGION,
        name_prefix="podium",
        role_arn="arn:aws:iam::123456789012:role/r",
        now=T0,
    )
    return run, dataset, tuner, progress


def _check_fine_tune(run, progress, tuner):
    event = CheckFineTuneEvent(run=run, finetune=progress)
    return logic.check_fine_tune(event, fine_tuner=tuner, store=MemoryStore())


def test_start_fine_tune_sends_a_deterministic_request():
    run, dataset, tuner, progress = _started({"hyperparameters": {"epochCount": 2}})
    request = tuner.requests[progress.job_arn]
    assert request.job_name == progress.job_name == logic.job_name("podium", run.run_id)
    assert request.client_request_token == logic.client_token_for(run.run_id, "fine-tune")
    assert request.hyperparameters == {"epochCount": "2", "batchSize": "1", "learningRate": "0.0001"}
    assert request.training_uri == dataset.training_uri and request.output_uri == dataset.output_uri
    assert request.tags == {
        TAG_STACK: "podium",
        TAG_EXECUTION: run.execution_arn,
        TAG_RUN_ID: run.run_id,
        TAG_TTL_HOURS: "4",
    }


def test_start_fine_tune_refuses_what_the_choice_state_should_have_stopped():
    run, dataset, _ = _built({"budget_usd": 0.0})
    with pytest.raises(OverBudget):
        logic.start_fine_tune(
            StartFineTuneEvent(run=run, dataset=dataset),
            fine_tuner=MemoryFineTuner(),
            region=REGION,
            name_prefix="podium",
            role_arn="r",
        )
    invalid = dataset.model_copy(update={"valid": False, "over_budget": False})
    with pytest.raises(DatasetInvalid):
        logic.start_fine_tune(
            StartFineTuneEvent(run=run, dataset=invalid),
            fine_tuner=MemoryFineTuner(),
            region=REGION,
            name_prefix="podium",
            role_arn="r",
        )


def test_check_fine_tune_fails_with_bedrocks_message():
    run, _, tuner, progress = _started()
    tuner.set_job(progress.job_arn, status=JobStatus.FAILED, failure_message="Insufficient training rows")
    with pytest.raises(FineTuneFailed, match="is Failed: Insufficient training rows"):
        _check_fine_tune(run, progress, tuner)


def test_check_fine_tune_completes_with_the_model_and_losses():
    run, _, tuner, progress = _started()
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new", training_loss=0.5)
    done = _check_fine_tune(run, progress, tuner)
    assert done.status is JobStatus.COMPLETED and done.output_model_arn == "arn:model/new"
    assert done.training_loss == 0.5


def test_check_throughput_fails_with_bedrocks_message():
    run, _, tuner, progress = _started()
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new")
    done = _check_fine_tune(run, progress, tuner)
    throughput = logic.create_throughput(
        CreateThroughputEvent(run=run, finetune=done), fine_tuner=tuner, name_prefix="podium", now=T0
    )
    arn = throughput.arn
    tuner.throughputs[arn] = Throughput(arn, ThroughputStatus.FAILED, "m", "No capacity")
    with pytest.raises(ThroughputFailed, match="Failed: No capacity"):
        logic.check_throughput(CheckThroughputEvent(run=run, throughput=throughput), fine_tuner=tuner)


def test_a_throttled_status_check_looks_again_instead_of_failing_until_the_budget_is_spent():
    run, _, tuner, progress = _started({"poll": {"max_check_failures": 3}})
    for failures in (1, 2, 3):
        tuner.throttle_reads = 1
        progress = _check_fine_tune(run, progress, tuner)
        assert progress.check_failures == failures and progress.status is JobStatus.IN_PROGRESS
        assert progress.next_poll_seconds >= run.settings.poll.min_seconds
    progress = _check_fine_tune(run, progress, tuner)
    assert progress.check_failures == 0  # one good read resets the count
    assert tuner.stopped == []
    tuner.throttle_reads = 4
    for _ in range(3):
        progress = _check_fine_tune(run, progress, tuner)
    with pytest.raises(StatusUnknown, match=r"4 checks in a row \(poll.max_check_failures is 3\).*Rate exceeded"):
        _check_fine_tune(run, progress, tuner)


def test_a_throttled_throughput_or_generation_check_looks_again():
    event, tuner = _promotable()
    creating = event.throughput.model_copy(update={"status": ThroughputStatus.CREATING})
    tuner.throttle_reads = 1
    again = logic.check_throughput(CheckThroughputEvent(run=event.run, throughput=creating), fine_tuner=tuner)
    assert again.check_failures == 1 and again.status is ThroughputStatus.CREATING

    class Unreachable(ListGenerator):
        def status(self, handle):
            raise DatabricksUnavailable("Databricks (https://x) could not read job run 1: 503")

    run = _prepare({})
    generator = Unreachable(sample_pairs(), GenerationStatus(GenerationState.RUNNING))
    started = logic.start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    checked = logic.check_generation(CheckGenerationEvent(run=run, generation=started), generator=generator, now=T0)
    assert checked.check_failures == 1 and checked.state is GenerationState.RUNNING


# ---- promotion -----------------------------------------------------------------------------------------


def _promotable(execution_input=None, previous=None):
    # serving throughput on: a throughput made for the evaluation only is never recorded
    run, dataset, tuner, progress = _started(execution_input or {"throughput": {"enabled": True}})
    tuner.set_job(progress.job_arn, status=JobStatus.COMPLETED, output_model_arn="arn:model/new")
    done = _check_fine_tune(run, progress, tuner)
    created = logic.create_throughput(
        CreateThroughputEvent(run=run, finetune=done), fine_tuner=tuner, name_prefix="podium", now=T0
    )
    in_service = created.model_copy(update={"status": ThroughputStatus.IN_SERVICE})
    if previous:
        tuner.throughputs[previous.throughput_arn] = Throughput(
            previous.throughput_arn, ThroughputStatus.IN_SERVICE, previous.model_arn
        )
        tuner.resource_tags[previous.throughput_arn] = {TAG_STACK: "podium"}
    gate = GateOutcome(decision="promote", message="evaluation passed the gate")
    event = PromoteEvent(run=run, dataset=dataset, finetune=done, throughput=in_service, gate=gate)
    return event, tuner


PREVIOUS = ActiveModel("old-run", "arn:model/old", RunSettings().base_model, "oldhash", "arn:pt/old")


def test_promote_writes_the_active_model_and_retires_the_previous_throughput():
    event, tuner = _promotable(previous=PREVIOUS)
    models, store = MemoryActiveModels(PREVIOUS), MemoryStore()
    outcome = logic.promote(event, active_models=models, fine_tuner=tuner, store=store, name_prefix="podium", now=T0)
    assert models.model.model_arn == "arn:model/new" and models.model.run_id == event.run.run_id
    assert models.model.throughput_arn == event.throughput.arn
    assert models.model.dataset_hash == event.dataset.dataset_hash
    assert tuner.deleted == ["arn:pt/old"] and outcome.retired_throughput_arn == "arn:pt/old"

    # A retried Promote (its first response lost) still knows what it replaced.
    tuner.deleted.clear()
    again = logic.promote(event, active_models=models, fine_tuner=tuner, store=store, name_prefix="podium", now=T0)
    assert again.retired_throughput_arn == "arn:pt/old" and tuner.deleted == ["arn:pt/old"]


def test_promote_says_when_the_previous_throughput_is_still_billed():
    event, tuner = _promotable(previous=PREVIOUS)
    tuner.refuse_delete = "commitment term has not ended"
    outcome = logic.promote(
        event, active_models=MemoryActiveModels(PREVIOUS), fine_tuner=tuner, store=MemoryStore(), name_prefix="podium"
    )
    assert outcome.retired_throughput_arn is None
    assert "Could NOT delete" in outcome.message and "still billed hourly" in outcome.message

    kept, tuner = _promotable({"throughput": {"retire_previous": False}}, previous=PREVIOUS)
    outcome = logic.promote(
        kept, active_models=MemoryActiveModels(PREVIOUS), fine_tuner=tuner, store=MemoryStore(), name_prefix="podium"
    )
    assert tuner.deleted == [] and "retire_previous is false" in outcome.message


def test_promote_never_retires_a_throughput_this_stack_did_not_tag():
    event, tuner = _promotable(previous=PREVIOUS)
    tuner.resource_tags[PREVIOUS.throughput_arn] = {TAG_STACK: "someone-else"}
    outcome = logic.promote(
        event, active_models=MemoryActiveModels(PREVIOUS), fine_tuner=tuner, store=MemoryStore(), name_prefix="podium"
    )
    assert tuner.deleted == [] and outcome.retired_throughput_arn is None
    assert "left alone: it is not tagged podium:stack=podium (found someone-else)" in outcome.message


def test_promote_succeeds_when_retiring_the_previous_throughput_fails_after_the_switch():
    event, tuner = _promotable(previous=PREVIOUS)
    models = MemoryActiveModels(PREVIOUS)

    def throttled(arn):
        raise BedrockThrottled(f"delete {arn}", "ThrottlingException", "Rate exceeded")

    tuner.delete_throughput = throttled
    outcome = logic.promote(event, active_models=models, fine_tuner=tuner, store=MemoryStore(), name_prefix="podium")
    assert outcome.status == "promoted" and models.model.model_arn == "arn:model/new"
    assert "Could NOT delete" in outcome.message and "Rate exceeded" in outcome.message


# ---- cleanup ---------------------------------------------------------------------------------------------


def _cleanup(event, tuner, active=None):
    return cleanup(event, fine_tuner=tuner, active_models=MemoryActiveModels(active), name_prefix="podium")


def _lambda_error(error_type, message):
    return {"Error": error_type, "Cause": json.dumps({"errorType": error_type, "errorMessage": message})}


def test_cleanup_stops_the_running_job_and_reports_the_cause():
    run, _, tuner, progress = _started()
    event = CleanupEvent.model_validate(
        {
            "run": run.to_payload(),
            "finetune": progress.to_payload(),
            "error": _lambda_error("States.Timeout", "Task timed out"),
        }
    )
    summary = _cleanup(event, tuner)
    assert tuner.stopped == [progress.job_arn]
    assert summary.error == "States.Timeout" and summary.message == "Task timed out"
    assert summary.cleanup == [f"stopped fine-tuning job {progress.job_arn}"]
    # Idempotent: the job is no longer running, so a second cleanup stops nothing.
    assert _cleanup(event, tuner).cleanup[0].startswith("nothing")


def test_cleanup_finds_a_job_started_before_its_arn_was_saved():
    run, dataset, tuner, progress = _started()
    event = CleanupEvent.model_validate(
        {
            "run": run.to_payload(),
            "dataset": dataset.to_payload(),
            "error": _lambda_error("Lambda.Unknown", "lost"),
        }
    )
    summary = _cleanup(event, tuner)
    assert tuner.stopped == [progress.job_arn] and summary.report_uri == dataset.report_uri


def test_cleanup_deletes_an_unpromoted_throughput_but_never_the_active_ones():
    event, tuner = _promotable()
    state = {
        "run": event.run.to_payload(),
        "finetune": event.finetune.to_payload(),
        "throughput": event.throughput.to_payload(),
        "error": {"Error": "States.TaskFailed", "Cause": "sns down"},
    }
    active = ActiveModel(event.run.run_id, "arn:model/new", "m", "h", event.throughput.arn)
    kept = _cleanup(CleanupEvent.model_validate(state), tuner, active)
    assert tuner.deleted == []
    assert kept.cleanup == [f"kept provisioned throughput {event.throughput.arn}: it serves the active model"]
    deleted = _cleanup(CleanupEvent.model_validate(state), tuner)
    assert tuner.deleted == [event.throughput.arn] and "deleted provisioned throughput" in deleted.cleanup[0]
    assert deleted.message == "sns down"
    # Already gone: nothing to do, no error.
    again = _cleanup(CleanupEvent.model_validate(state), tuner)
    assert again.cleanup[0].startswith("nothing")


def test_cleanup_finds_a_throughput_created_before_its_arn_was_saved():
    event, tuner = _promotable({"throughput": {"enabled": True}})
    # CreateThroughput made it, then failed before $.throughput was written.
    state = {"run": event.run.to_payload(), "finetune": event.finetune.to_payload(), "error": _lambda_error("X", "y")}
    summary = _cleanup(CleanupEvent.model_validate(state), tuner)
    assert tuner.deleted == [event.throughput.arn] and summary.cleanup[0].startswith("deleted provisioned throughput")


def test_cleanup_leaves_another_executions_job_and_throughput_alone():
    event, tuner = _promotable()
    tuner.set_job(event.finetune.job_arn, status=JobStatus.IN_PROGRESS)
    for arn in (event.finetune.job_arn, event.throughput.arn):
        tuner.resource_tags[arn][TAG_EXECUTION] = (
            "arn:aws:states:us-west-2:123456789012:execution:podium-finetune:other"
        )
    state = {
        "run": event.run.to_payload(),
        "finetune": event.finetune.to_payload(),
        "throughput": event.throughput.to_payload(),
        "error": _lambda_error("X", "y"),
    }
    summary = _cleanup(CleanupEvent.model_validate(state), tuner)
    assert tuner.stopped == [] and tuner.deleted == []
    assert all("alone: its tags name another execution" in line for line in summary.cleanup)


def test_cleanup_cancels_a_generation_that_is_still_running():
    run = _prepare({})
    generator = ListGenerator(sample_pairs(), GenerationStatus(GenerationState.RUNNING))
    started = logic.start_generation(StartGenerationEvent(run=run), generator=generator, now=T0)
    event = CleanupEvent.model_validate(
        {"run": run.to_payload(), "generation": started.to_payload(), "error": _lambda_error("X", "y")}
    )
    summary = cleanup(
        event,
        fine_tuner=MemoryFineTuner(),
        active_models=MemoryActiveModels(),
        name_prefix="podium",
        generator_for=lambda settings: generator,
    )
    assert generator.cancelled == [started.handle]
    assert summary.cleanup == [f"cancelled the memory generation run {run.run_id}"]


def test_cleanup_of_a_run_that_never_started_touches_nothing():
    error = _lambda_error("InvalidInput", "input: must be")
    event = CleanupEvent.model_validate({"input": [1], "error": error})
    tuner = MemoryFineTuner()
    summary = _cleanup(event, tuner)
    assert summary.run_id is None and summary.error == "InvalidInput" and summary.message == "input: must be"
    assert tuner.stopped == [] and tuner.deleted == []


def test_cleanup_reports_what_it_could_not_undo():
    event, tuner = _promotable()
    tuner.refuse_delete = "commitment term has not ended"
    state = {
        "run": event.run.to_payload(),
        "throughput": event.throughput.to_payload(),
        "error": {"Error": "ThroughputFailed", "Cause": "x"},
    }
    (line,) = _cleanup(CleanupEvent.model_validate(state), tuner).cleanup
    assert "could NOT delete" in line and "delete-provisioned-model-throughput" in line


def test_throughput_progress_default_means_none_created():
    assert ThroughputProgress(created=False).arn is None


# ---- one budget for everything billable ------------------------------------------------------------


DONE_MEANS_INPUT = {"throughput": {"enabled": True, "model_units": 100, "commitment": "SixMonths"}, "budget_usd": 5}


def test_prepare_refuses_a_commitment_and_many_units_from_the_input_naming_budget_and_estimate():
    with pytest.raises(InvalidInput) as caught:
        _prepare(DONE_MEANS_INPUT)
    message = str(caught.value)
    assert "throughput.commitment: a SixMonths commitment cannot come from the execution input" in message
    assert "throughput.model_units: 100 is above the 2 an execution may ask for" in message
    assert "budget_usd $5.00 does not cover the provisioned throughput alone: ESTIMATE $" in message
    assert "100 model unit(s)" in message and "4,380 h, the whole SixMonths commitment" in message
    assert message.endswith("Nothing was started.")


def test_prepare_refuses_a_throughput_the_budget_cannot_pay_for_its_whole_ttl():
    with pytest.raises(OverBudget, match=r"budget_usd \$5.00 does not cover .* × 4 h, throughput.ttl_hours"):
        _prepare({"throughput": {"enabled": True}, "budget_usd": 5})
    assert _prepare({"throughput": {"enabled": True, "ttl_hours": 0.1}, "budget_usd": 5}).skip_reason == ""


def test_the_input_cannot_lower_a_price_to_slip_past_the_budget():
    cheap = {"throughput": {"enabled": True}, "budget_usd": 5, "prices": {"throughput_per_unit_hour": 0.01}}
    with pytest.raises(InvalidInput, match=r"prices.throughput_per_unit_hour: 0.01 is below the deployed price"):
        _prepare(cheap)
    # Raising a price is allowed: the budget check then only gets stricter.
    dearer = {"prices": {"training_per_1k_tokens": 1000.0}}
    assert _prepare(dearer).settings.prices.training_per_1k_tokens == 1000.0


def test_deployed_commitment_and_units_are_not_refused_when_the_input_only_repeats_them():
    defaults = RunSettings.model_validate(
        {"throughput": {"enabled": True, "model_units": 3, "commitment": "OneMonth"}, "budget_usd": 10**6}
    )
    run = _prepare({"throughput": {"model_units": 3, "commitment": "OneMonth"}}, defaults=defaults)
    assert run.settings.throughput.commitment == "OneMonth" and run.settings.throughput.model_units == 3


def test_the_dataset_budget_counts_the_throughput_for_its_lifetime():
    _, within, _ = _built({"budget_usd": 50})
    assert not within.over_budget
    # The throughput alone (4 h × 1 unit at the placeholder $24/unit-hour = $96) passes Prepare;
    # with training and a month of storage on top, the whole run does not fit.
    _, outcome, store = _built({"budget_usd": 97, "throughput": {"enabled": True}})
    assert outcome.over_budget
    assert "provisioned throughput for 4 h $96.00" in outcome.message and "exceeds budget_usd $97.00" in outcome.message
    estimate = json.loads(next(v for k, v in store.files.items() if k.endswith("report.json")))["estimate"]
    assert estimate["throughput_hours"] == 4 and estimate["run_usd"] > 97


def test_build_dataset_uploads_both_evaluation_files_and_follows_the_recipe(sample_dir):
    from podium.dataset.evalset import parse_eval_questions
    from podium.dataset.facts import extract_facts
    from podium.dataset.pairs import template_pairs

    pairs = template_pairs(extract_facts(sample_dir))
    run, outcome, store = _built(pairs=pairs)
    questions = list(parse_eval_questions(store.files[run.run_prefix + "eval.jsonl"]))
    bedrock_rows = [json.loads(line) for line in store.files[run.run_prefix + "eval_bedrock.jsonl"].splitlines()]
    assert questions and len(bedrock_rows) == len(questions)
    assert bedrock_rows[0] == {
        "prompt": questions[0].question,
        "referenceResponse": questions[0].reference,
        "category": questions[0].relation,
    }
    assert outcome.eval_uri == f"s3://bucket/{run.run_prefix}eval.jsonl"
    report = json.loads(store.files[run.run_prefix + "report.json"])
    assert report["recipe"] == "deep" and any(r["relation"].startswith("text_") for r in report["coverage"])
    assert not [r for r in report["coverage"] if r["relation"].startswith("profile_")]
    mixed_run, _, mixed_store = _built({"recipe": "mixed"}, pairs=pairs)
    mixed_report = json.loads(mixed_store.files[mixed_run.run_prefix + "report.json"])
    assert mixed_report["recipe"] == "mixed" and any(
        r["relation"].startswith("profile_") for r in mixed_report["coverage"]
    )
    qa_run, _, qa_store = _built({"recipe": "qa"}, pairs=pairs)
    qa_report = json.loads(qa_store.files[qa_run.run_prefix + "report.json"])
    assert qa_report["recipe"] == "qa" and not [
        r for r in qa_report["coverage"] if r["relation"].startswith("profile_")
    ]


def test_prepare_skips_when_another_execution_holds_the_run_lock():
    # ListExecutions is eventually consistent: the lock catches what it has not seen yet.
    other = "arn:aws:states:us-west-2:123456789012:execution:podium-finetune:other"
    claims: list[str] = []

    def claim(arn):
        claims.append(arn)
        return other

    run = _prepare({}, store=MemoryStore(), claim_run=claim)
    assert run.skip_reason.startswith(f"Skipped: execution {other} of this state machine holds the run lock")
    assert claims == [run.execution_arn]
    assert _prepare({}, claim_run=lambda arn: None).skip_reason == ""
