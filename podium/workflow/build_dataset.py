"""The BuildDataset step: build, validate and estimate the dataset from the generated
pairs, write it under runs/<run_id>/, and decide whether training may go ahead."""

from __future__ import annotations

import logging

from podium.adapters.ports import ActiveModelStore, Generator, ObjectStore
from podium.dataset.files import EVAL_FILE, REPORT_FILE, TAUGHT_FACTS_FILE, TRAIN_FILE, VALIDATION_FILE
from podium.dataset.reconcile import not_run_note
from podium.models import get_model
from podium.workflow.events import BuildDatasetEvent, DatasetOutcome

log = logging.getLogger(__name__)


def build_dataset(
    event: BuildDatasetEvent,
    *,
    generator: Generator,
    store: ObjectStore,
    active_models: ActiveModelStore,
    region: str,
) -> DatasetOutcome:
    """Build, validate and estimate the dataset; write it under runs/<run_id>/; decide."""
    # Imported here, not at the top: only BuildDataset builds datasets, and the builder (the
    # planner, templates, validator, ...) would otherwise be in every function's cold start.
    from podium.dataset import build as dataset_builder

    run = event.run
    settings = run.settings
    model = get_model(settings.base_model, region)
    # Read every pair first: the generator counts what it dropped while it is read.
    pairs = list(generator.read_pairs(event.generation.handle))
    built = dataset_builder.build_dataset(
        pairs,
        model,
        rejected=generator.rejections,
        hyperparameters=settings.hyperparameters,
        prices=settings.prices,
        throughput=settings.throughput,
        evaluate=settings.evaluate,
        deployment=settings.deployment,
        region=region,
        caps=run.caps,
        recipe=settings.recipe,
        teach_priorities=settings.teach_priorities,
        disagreements=generator.disagreements,
        reconciliation=(
            f"checked by the {generator.name} generator"
            if generator.disagreements is not None
            else not_run_note(generator.name)
        ),
    )
    # The report is written last: its presence means the whole dataset is there.
    files = dataset_builder.render_files(built)
    files[TAUGHT_FACTS_FILE] = "".join(
        f"{fact_id}\n" for fact_id, fact in sorted(built.plan.facts.items()) if fact.train
    )
    uris = {
        name: store.write_text(run.run_prefix + name, files[name], _content_type(name))
        for name in sorted(files, key=lambda name: name == REPORT_FILE)
    }
    report_uri = uris[REPORT_FILE]
    active = active_models.get()
    unchanged = (
        not settings.force
        and active is not None
        and active.dataset_hash == built.dataset_hash
        and active.base_model_id == settings.base_model
    )
    estimate = built.estimate
    over_budget = estimate.price_unknown or built.estimated_cost_usd > settings.budget_usd

    if not built.valid:
        shown = "; ".join(built.problems[:3])
        more = f" (and {len(built.problems) - 3} more)" if len(built.problems) > 3 else ""
        message = (
            f"The dataset breaks Bedrock's rules for {model.model_id}: {shown}{more}. "
            f"Every problem is listed in {report_uri}. Nothing was trained."
        )
    elif settings.dry_run:
        message = (
            f"Dry run: the dataset is valid ({built.train_rows} training and {built.validation_rows} "
            f"validation rows; estimated cost ${built.estimated_cost_usd:.2f}, budget "
            f"${settings.budget_usd:.2f}). Report: {report_uri}. Nothing was trained."
        )
    elif unchanged:
        assert active is not None
        message = (
            f"The dataset is identical to the one the active model {active.model_arn} (run "
            f"{active.run_id}) was trained on, so nothing was trained. Start a run with "
            f'{{"force": true}} to train anyway. Report: {report_uri}.'
        )
    elif over_budget:
        parts = [
            f"training ${estimate.training_usd:,.2f}",
            f"a month of model storage ${estimate.storage_usd_per_month:,.2f}",
        ]
        if estimate.throughput_enabled:
            parts.append(
                "provisioned throughput at an unknown price (set prices.throughput_per_unit_hour)"
                if estimate.throughput_price_unknown
                else f"provisioned throughput for {estimate.throughput_hours:,g} h ${estimate.throughput_usd:,.2f}"
            )
        if estimate.on_demand_price_unknown:
            parts.append(
                "on-demand tokens at an unknown price (set prices.on_demand_input_per_1k_tokens and "
                "prices.on_demand_output_per_1k_tokens)"
            )
        parts.extend(f"{line.name} ${line.usd:,.2f}" for line in estimate.extra)
        message = (
            f"Estimated cost ${built.estimated_cost_usd:,.2f} ({'; '.join(parts)}) exceeds budget_usd "
            f"${settings.budget_usd:,.2f}; nothing was started. Train on less data, shorten the throughput's "
            f"ttl, or raise budget_usd in cdk.json (the deployed budget is the most a run may spend) and run "
            f"`cdk deploy`. The estimate is itemised in {report_uri}."
        )
    else:
        message = (
            f"Dataset valid: {built.train_rows} training and {built.validation_rows} validation rows; "
            f"estimated cost ${built.estimated_cost_usd:.2f} within budget ${settings.budget_usd:.2f}. "
            f"Report: {report_uri}."
        )
    # The DatasetDecision state's order: invalid, dry run, unchanged, over budget, else train
    if not built.valid or (over_budget and not settings.dry_run and not unchanged):
        log.warning("the run stops here: %s", message)
    elif settings.dry_run or unchanged:
        log.info("the run ends here: %s", message)
    else:
        log.info(message)
    return DatasetOutcome(
        valid=built.valid,
        report_uri=report_uri,
        dataset_hash=built.dataset_hash,
        estimated_cost_usd=round(built.estimated_cost_usd, 4),
        over_budget=over_budget,
        unchanged=unchanged,
        dry_run=settings.dry_run,
        training_uri=uris[TRAIN_FILE],
        validation_uri=uris[VALIDATION_FILE] if built.validation_rows else None,
        eval_uri=uris[EVAL_FILE] if built.eval else None,
        output_uri=store.uri(run.run_prefix + "output/"),
        train_rows=built.train_rows,
        validation_rows=built.validation_rows,
        message=message,
    )


def _content_type(name: str) -> str:
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    return "application/jsonl" if name.endswith(".jsonl") else "application/json"
