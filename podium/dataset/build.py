"""Pairs → a validated, Bedrock-ready dataset: train.jsonl, validation.jsonl, eval.jsonl, report.json.

`build_dataset` is pure (pairs in, rendered files and report out), so the BuildDataset
Lambda (writing to S3) and `podium generate` (writing to a folder) share one renderer,
`render_files`. The built files are checked by validate.py, the same validator users run:
the dataset must pass its own rules before anything is written or spent.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.config import PriceOverrides, ThroughputSettings
from podium.dataset.deep import DEFAULT_TEACH_PRIORITIES
from podium.dataset.estimate import (
    CostEstimate,
    estimate_cost,
    evaluation_line,
    evaluation_only_hours,
    on_demand_evaluation_line,
    throughput_lifetime_hours,
)
from podium.dataset.eval_questions import build_eval_questions, composition, is_unseen
from podium.dataset.evalset import EvalQuestion, bedrock_evaluation_row, render_eval_questions
from podium.dataset.files import (
    DATA_FILES,
    EVAL_BEDROCK_FILE,
    EVAL_FILE,
    REPORT_FILE,
    TRAIN_FILE,
    VALIDATION_FILE,
)
from podium.dataset.formats import DEFAULT_SYSTEM_PROMPT, MAX_ANSWER_TOKENS, render_training_jsonl, to_jsonl
from podium.dataset.pairs import clean_pairs, template_pairs
from podium.dataset.planner import DEFAULT_RECIPE, MAX_EVAL_PROMPTS, Plan, plan_dataset
from podium.dataset.records import QAPair
from podium.dataset.split import split_pairs
from podium.dataset.templates import RELATIONS, is_held_out, is_refusal
from podium.dataset.texts import is_text
from podium.dataset.tokens import cost_tokens
from podium.dataset.validate import ValidationResult, check_total_rows, validate_text
from podium.errors import ConfigError, DataError
from podium.io import atomic_writer
from podium.models import BaseModel, RowCaps, get_model

_SPLIT_OF_FILE = {TRAIN_FILE: "train", VALIDATION_FILE: "validation", EVAL_FILE: "eval", EVAL_BEDROCK_FILE: "eval"}

Progress = Callable[[str], None]


@dataclass
class BuiltDataset:
    model: BaseModel
    train: list[QAPair]
    validation: list[QAPair]
    eval: list[EvalQuestion]
    texts: dict[str, str]  # TRAIN_FILE / VALIDATION_FILE / EVAL_FILE / EVAL_BEDROCK_FILE → JSONL text
    plan: Plan
    validations: dict[str, ValidationResult]  # file name → result of validate.py on it
    estimate: CostEstimate
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return all(v.ok for v in self.validations.values())

    @property
    def problems(self) -> list[str]:
        """Every listed problem, prefixed with its file name."""
        return [f"{name}: {problem}" for name, v in self.validations.items() for problem in v.problems]

    @property
    def dataset_hash(self) -> str:
        return self.report["dataset_hash"]

    @property
    def estimated_cost_usd(self) -> float:
        return self.estimate.run_usd

    @property
    def train_rows(self) -> int:
        return len(self.train)

    @property
    def validation_rows(self) -> int:
        return len(self.validation)


def dataset_hash(train_text: str, validation_text: str) -> str:
    """sha256 over the train file's bytes followed by the validation file's: what the model learns from."""
    digest = hashlib.sha256(train_text.encode("utf-8"))
    digest.update(validation_text.encode("utf-8"))
    return digest.hexdigest()


def _read_by(pair: QAPair, recipe: str) -> bool:
    """Whether `recipe` plans rows of `pair`'s kind: texts and refusals are `deep`'s, profiles
    `mixed`'s, single-fact questions everyone's."""
    if is_text(pair) or is_refusal(pair.relation):
        return recipe == "deep"
    return recipe == "mixed" if pair.covers else True


def relation_priorities() -> dict[str, int]:
    """Priorities from the template registry: lower is planned first."""
    return {name: relation.priority for name, relation in RELATIONS.items()}


def _row_cost_tokens(pairs: Iterable[QAPair], model: BaseModel, system_prompt: str | None) -> int:
    system = ""  # prompt/completion rows carry no system prompt
    if model.data_format.has_system_prompt:
        system = system_prompt or DEFAULT_SYSTEM_PROMPT
    return sum(cost_tokens(system, p.question, p.answer) for p in pairs)


def build_dataset(
    pairs: Iterable[QAPair],
    model: BaseModel,
    *,
    hyperparameters: Mapping[str, object] | None = None,
    seed: int = 0,
    system_prompt: str | None = None,
    prices: PriceOverrides | None = None,
    rejected: Counter[str] | None = None,
    throughput: ThroughputSettings | None = None,
    evaluate: bool = False,  # evaluate without serving throughput: one is made for it
    deployment: str = "provisioned",  # "on_demand": a custom model deployment, billed per token
    region: str | None = None,
    priorities: Mapping[str, int] | None = None,
    caps: RowCaps | None = None,
    recipe: str = DEFAULT_RECIPE,
    teach_priorities: Sequence[str] | None = None,
    disagreements: Sequence[Mapping[str, Any]] | None = None,
    reconciliation: str | None = None,
) -> BuiltDataset:
    """Clean, plan, split, render and validate `pairs` for `model`. Writes nothing.
    `caps` are the account's quotas (Prepare reads them); without them the model's
    documented caps apply, train + validation within 10,000. `recipe`: "deep" (texts and
    questions, five phrasings a taught fact, relations in `teach_priorities` order, plus
    refusal rows), "mixed" (packed profile rows plus Q&A rows) or "qa" (Q&A rows only); see
    planner.py. `disagreements`:
    the source tables' disagreements (reconcile.py) as dicts, None when the generator did
    not check; `reconciliation` says who checked (or why not) in the report."""
    caps = caps or model.documented_caps("Service Quotas not read here; Podium's documented caps")
    # A generator that does not know the recipe makes every kind of row: each recipe reads its
    # own (no two kinds share a question), so the counts match `podium generate`'s.
    kept, cleaning = clean_pairs(p for p in pairs if _read_by(p, recipe))
    rejections: Counter[str] = Counter(rejected or {})
    rejections.update(cleaning)
    # Held-out templates and the facts kept out for the evaluation never reach train or validation.
    trainable, held_out, unseen, refusals = [], [], [], []
    for pair in kept:
        if is_refusal(pair.relation):
            refusals.append(pair)  # about values the tables lack: never a held-out fact, which has one
        elif is_held_out(pair.source):
            held_out.append(pair)
        elif is_unseen(pair.fact_id) or any(is_unseen(f) for f in pair.covers):
            unseen.append(pair)
        else:
            trainable.append(pair)
    plan = plan_dataset(
        trainable,
        max_train_rows=caps.train,
        max_validation_rows=caps.validation,
        max_eval_rows=MAX_EVAL_PROMPTS,
        max_total_rows=caps.total,
        priorities=relation_priorities() if priorities is None else priorities,
        seed=seed,
        recipe=recipe,
        teach_priorities=DEFAULT_TEACH_PRIORITIES if teach_priorities is None else teach_priorities,
        refusals=refusals,
        held_out=Counter(
            f.split(":", 1)[0] for f in {p.fact_id for p in unseen if not p.covers and is_unseen(p.fact_id)}
        ),
    )
    split = split_pairs(plan, seed=seed)
    with_values = {p.fact_id: p for p in kept if p.values and not p.covers}
    questions = build_eval_questions(
        with_values,
        held_out,
        [p for p in unseen if not p.covers and is_unseen(p.fact_id)],
        split.train,
        [fact_id for fact_id, fact in plan.facts.items() if fact.train],
        seed=seed,
    )
    for relation, count in Counter(q.relation for q in questions).items():
        if relation in plan.coverage:
            plan.coverage[relation].eval_rows = count
    texts = {
        TRAIN_FILE: render_training_jsonl(split.train, model.data_format, system_prompt),
        VALIDATION_FILE: render_training_jsonl(split.validation, model.data_format, system_prompt),
        EVAL_FILE: render_eval_questions(questions),
        EVAL_BEDROCK_FILE: to_jsonl(bedrock_evaluation_row(q) for q in questions),
    }
    # An empty validation or eval file is not used (the workflow passes no URI for it), so it
    # is not validated; train is always validated, empty or not.
    validations = {
        name: validate_text(
            text,
            model.model_id,
            split=_SPLIT_OF_FILE[name],
            source=name,
            hyperparameters=hyperparameters if name == TRAIN_FILE else None,
            region=region,
            caps=caps,
        )
        for name, text in texts.items()
        if (text or name == TRAIN_FILE) and name != EVAL_FILE  # eval.jsonl is Podium's own format
    }
    check_total_rows(validations[TRAIN_FILE], validations.get(VALIDATION_FILE), caps)
    try:
        resolved = model.resolve_hyperparameters(hyperparameters)
    except ConfigError:
        resolved = model.default_hyperparameters()  # the problem is already in validations[TRAIN_FILE]
    epochs = int(float(resolved.get("epochCount", "1")))
    throughput = throughput or ThroughputSettings()
    estimate = estimate_cost(
        model,
        train_tokens=_row_cost_tokens(split.train, model, system_prompt),
        validation_tokens=_row_cost_tokens(split.validation, model, system_prompt),
        epochs=epochs,
        prices=prices,
        throughput_enabled=throughput.enabled,
        model_units=throughput.model_units,
        throughput_hours=throughput_lifetime_hours(throughput),
        deployment=deployment,
    )
    if evaluate and estimate.on_demand:
        # each question is asked as taught: under the training rows' system prompt, if they have one
        system = (system_prompt or DEFAULT_SYSTEM_PROMPT) if model.data_format.has_system_prompt else ""
        line = on_demand_evaluation_line(
            estimate,
            questions=len(questions),
            input_tokens=sum(cost_tokens(system, q.question) for q in questions),
            answer_tokens=MAX_ANSWER_TOKENS,
        )
        estimate = estimate.with_line(line)
    elif evaluate and not throughput.enabled:
        estimate = estimate.with_line(evaluation_line(estimate, evaluation_only_hours(throughput)))
    built = BuiltDataset(model, split.train, split.validation, questions, texts, plan, validations, estimate)
    built.report = {
        "model_id": model.model_id,
        "format": model.data_format.value,
        "dataset_hash": dataset_hash(texts[TRAIN_FILE], texts[VALIDATION_FILE]),
        "seed": seed,
        "valid": built.valid,
        "counts": {
            "pairs_in": len(kept) + sum(cleaning.values()),
            "pairs_kept": len(kept),
            "facts": len(plan.facts),
            "facts_trained": sum(1 for f in plan.facts.values() if f.train),
            "train_rows": len(split.train),
            "validation_rows": len(split.validation),
            "eval_rows": len(questions),
            "held_out_dropped_for_overlap": split.dropped_overlap,
        },
        "recipe": recipe,
        "plan": plan.summary(),
        "eval": {"questions": len(questions), "composition": composition(questions)},
        "caps": plan.caps,
        "quotas": caps.to_dict(),  # where the caps came from: the account's Service Quotas or the fallback
        "coverage": [c.to_dict() for c in plan.coverage.values()],
        "rejections": dict(rejections.most_common()),
        "disagreements": None if disagreements is None else [dict(d) for d in disagreements],
        "reconciliation": reconciliation,
        "tokens": {
            "train_estimate_for_cost": estimate.train_tokens,
            "validation_estimate_for_cost": estimate.validation_tokens,
            "train_estimate_for_row_cap": validations[TRAIN_FILE].tokens,
            "max_row_estimate": max(v.max_row_tokens for v in validations.values()),
            "row_cap": model.max_tokens_per_row,
        },
        "hyperparameters": resolved,
        "estimate": estimate.to_dict(),
        "validation": {name: v.to_dict() for name, v in validations.items()},
    }
    return built


def render_files(built: BuiltDataset) -> dict[str, str]:
    """File name → text for every file of the dataset, report.json included."""
    files = dict(built.texts)
    files[REPORT_FILE] = json.dumps(built.report, indent=2, ensure_ascii=False) + "\n"
    return files


def write_dataset(built: BuiltDataset, out_dir: Path) -> dict[str, Path]:
    """Write every file to a temp name first and rename only when all are written.

    An error while writing (disk full, a bad value) leaves the previous files intact and
    no temp files behind: atomic_writer removes its temp file on error, and no rename
    happens until every file has been written and synced.
    """
    out_dir = Path(out_dir)
    files = render_files(built)
    with contextlib.ExitStack() as stack:
        handles = {name: stack.enter_context(atomic_writer(out_dir / name)) for name in files}
        for name, text in files.items():
            handles[name].write(text)
    return {name: out_dir / name for name in files}


def generate(
    data_dir: Path,
    model_id: str,
    out_dir: Path,
    *,
    region: str | None = None,
    hyperparameters: Mapping[str, object] | None = None,
    seed: int = 0,
    system_prompt: str | None = None,
    prices: PriceOverrides | None = None,
    throughput: ThroughputSettings | None = None,
    evaluate: bool = True,  # as RunSettings.evaluate: a run evaluates unless told not to
    deployment: str = "provisioned",
    progress: Progress | None = None,
    recipe: str = DEFAULT_RECIPE,
    teach_priorities: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Tables in `data_dir` → a dataset in `out_dir`; returns the report.

    Raises ConfigError (model, region, hyperparameters) before reading any data, and
    DataError when the data yields no usable dataset; in both cases nothing is written.
    """
    # DuckDB is needed only to read tables; the BuildDataset Lambda imports this module without it.
    from podium.dataset.facts import extract_facts_and_disagreements

    say = progress or (lambda _message: None)
    model = get_model(model_id, region)
    if hyperparameters:
        problems = model.hyperparameter_problems(hyperparameters)
        if problems:
            raise ConfigError("hyperparameters", "; ".join(problems))
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError("data folder not found", file=str(data_dir), hint="give the folder holding the CSVs")

    timings: dict[str, float] = {}
    started = time.perf_counter()
    say("Reading facts from the tables")
    facts, disagreements = extract_facts_and_disagreements(data_dir)
    timings["facts_seconds"] = time.perf_counter() - started
    if not facts:
        raise DataError("no facts could be read from the tables", file=str(data_dir))

    say(f"Writing questions for {len(facts):,} facts")
    step = time.perf_counter()
    rejected: Counter[str] = Counter()
    pairs = template_pairs(facts, rejected=rejected, seed=seed, recipe=recipe)
    timings["pairs_seconds"] = time.perf_counter() - step
    if not any(not p.covers for p in pairs):  # packed rows alone ask no question of one fact
        reasons = "; ".join(f"{reason}: {n}" for reason, n in rejected.most_common()) or "no paraphrases"
        raise DataError(f"no question passed the checks ({reasons})", file=str(data_dir))

    say(f"Cleaning, planning and validating {len(pairs):,} pairs for {model.display_name}")
    step = time.perf_counter()
    built = build_dataset(
        pairs,
        model,
        hyperparameters=hyperparameters,
        seed=seed,
        system_prompt=system_prompt,
        prices=prices,
        rejected=rejected,
        throughput=throughput,
        evaluate=evaluate,
        deployment=deployment,
        region=region,
        recipe=recipe,
        teach_priorities=teach_priorities,
        disagreements=[d.to_dict() for d in disagreements],
        reconciliation="checked by podium generate (podium/dataset/reconcile.py)",
    )
    timings["build_seconds"] = time.perf_counter() - step
    if not built.valid:
        listed = "\n  ".join(built.problems[:10])
        raise DataError(
            f"the generated dataset does not pass validation, so nothing was written:\n  {listed}",
            file=str(data_dir),
        )
    built.report["counts"]["facts_extracted"] = len(facts)
    built.report["source"] = {"data_dir": str(data_dir), "generator": "builtin templates"}
    timings["total_seconds"] = time.perf_counter() - started
    built.report["timings"] = {k: round(v, 3) for k, v in timings.items()}
    say(f"Writing {', '.join(DATA_FILES)} and {REPORT_FILE} to {out_dir}")
    written = write_dataset(built, Path(out_dir))
    built.report["files"] = {name: str(path) for name, path in written.items()}
    return built.report


__all__ = [
    "DATA_FILES",
    "EVAL_FILE",
    "REPORT_FILE",
    "TRAIN_FILE",
    "VALIDATION_FILE",
    "BuiltDataset",
    "build_dataset",
    "dataset_hash",
    "generate",
    "relation_priorities",
    "render_files",
    "write_dataset",
]
