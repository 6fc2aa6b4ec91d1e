"""The names of the files a dataset build writes, in their own module: the steps that only
read a run's files (evaluation, promotion) import these without the whole dataset builder."""

from __future__ import annotations

TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"
EVAL_FILE = "eval.jsonl"
EVAL_BEDROCK_FILE = "eval_bedrock.jsonl"  # the same questions for Bedrock's own evaluation jobs
REPORT_FILE = "report.json"
DATA_FILES = (TRAIN_FILE, VALIDATION_FILE, EVAL_FILE, EVAL_BEDROCK_FILE)
