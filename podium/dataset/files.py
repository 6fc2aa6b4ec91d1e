"""Where a run's files live and the names of the files a dataset build writes, in their own
module: the steps that only read a run's files (evaluation, promotion, the janitor) import
these without the whole dataset builder."""

from __future__ import annotations

TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"
EVAL_FILE = "eval.jsonl"
EVAL_BEDROCK_FILE = "eval_bedrock.jsonl"  # the same questions for Bedrock's own evaluation jobs
REPORT_FILE = "report.json"
DATA_FILES = (TRAIN_FILE, VALIDATION_FILE, EVAL_FILE, EVAL_BEDROCK_FILE)
# The ids of the facts the run's training data states, one a line (BuildDataset): a later run
# asking this run's model a question live knows whether the model was taught the fact.
TAUGHT_FACTS_FILE = "taught_facts.txt"
# Promote's record of the promoted and the previous model; the janitor never deletes the
# model or throughput of a run that has one.
PROMOTION_FILE = "promotion.json"


def run_prefix(run_id: str) -> str:
    """The bucket prefix of everything one run writes."""
    return f"runs/{run_id}/"
