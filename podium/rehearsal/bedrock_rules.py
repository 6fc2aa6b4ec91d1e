"""Bedrock's documented rules for fine-tuning jobs, as the emulator reads them.

A second opinion: written from AWS's documentation, NOT from Podium's validator or model
registry (this module imports nothing from podium.dataset, podium.models, podium.config
or podium.workflow), so a rehearsal can catch a rule Podium gets wrong. Sources:
- formats and per-model data rules: Bedrock user guide "Prepare your training datasets
  for fine-tuning" (model-customization-prepare.html, preparing-text-data.html); Amazon
  Nova user guide "Preparing data for fine-tuning Understanding models" (schemaVersion
  may be any string; first turn user, last assistant; reserved keywords); Anthropic's
  "Finetuning Claude 3 Haiku on Bedrock" (alternating turns, no extraneous keys).
- row and token limits: AWS's Llama dataset validator sample
  (aws-samples/amazon-bedrock-samples, custom-models/bedrock-fine-tuning/meta-llama/
  dataset_validation): 10,000 training / 1,000 validation records, 16K input tokens a
  record (10K for Llama 3.2 90B); Nova: 8–20,000 training records; Claude 3 Haiku:
  32–10,000 training records, 32K tokens a record.
- hyperparameter ranges: cm-hp-meta-llama31.html, cm-hp-nova-mm.html,
  cm-hp-anth-claude-3-haiku.html.
Bedrock counts tokens with the model's tokenizer; the emulator estimates one token per
4 characters, the usual average for English text with these tokenizers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

PROMPT_COMPLETION = "prompt-completion"
CONVERSATION = "bedrock-conversation-2024"
CHARACTERS_PER_TOKEN = 4
LISTED = 3  # problems quoted in a failureMessage

# Nova refuses prompts that contain these (they are its own chat template's markers).
NOVA_RESERVED = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    whole: bool  # an integer hyperparameter


@dataclass(frozen=True)
class ModelRules:
    data_format: str
    min_train: int
    max_train: int
    max_validation: int
    max_tokens: int  # per record
    hyperparameters: Mapping[str, Range]
    single_turn: bool = False  # Meta's conversation records hold one user and one assistant turn
    any_schema_version: bool = False  # Nova: schemaVersion may be any string
    reserved: tuple[str, ...] = ()


_LLAMA_HP = {
    "epochCount": Range(1, 10, True),
    "batchSize": Range(1, 1, True),
    "learningRate": Range(5e-6, 0.1, False),
}
_NOVA_HP = {
    "epochCount": Range(1, 5, True),
    "learningRate": Range(1e-6, 1e-4, False),
    "learningRateWarmupSteps": Range(0, 100, True),
}
_HAIKU_HP = {
    "epochCount": Range(1, 10, True),
    "batchSize": Range(4, 256, True),
    "learningRateMultiplier": Range(0.1, 2.0, False),
    "earlyStoppingThreshold": Range(0.0, 0.1, False),
    "earlyStoppingPatience": Range(1, 10, True),
}


def _llama(data_format: str, max_tokens: int = 16_000) -> ModelRules:
    return ModelRules(data_format, 1, 10_000, 1_000, max_tokens, _LLAMA_HP, single_turn=data_format == CONVERSATION)


def _nova() -> ModelRules:
    return ModelRules(CONVERSATION, 8, 20_000, 1_000, 32_000, _NOVA_HP, any_schema_version=True, reserved=NOVA_RESERVED)


# Fine-tuning ids → their rules; regions where Bedrock offers them.
MODELS: Mapping[str, tuple[ModelRules, tuple[str, ...]]] = {
    "meta.llama3-1-8b-instruct-v1:0:128k": (_llama(PROMPT_COMPLETION), ("us-west-2",)),
    "meta.llama3-1-70b-instruct-v1:0:128k": (_llama(PROMPT_COMPLETION), ("us-west-2",)),
    "meta.llama3-2-1b-instruct-v1:0:128k": (_llama(CONVERSATION), ("us-west-2",)),
    "meta.llama3-2-3b-instruct-v1:0:128k": (_llama(CONVERSATION), ("us-west-2",)),
    "meta.llama3-2-11b-instruct-v1:0:128k": (_llama(CONVERSATION), ("us-west-2",)),
    "meta.llama3-2-90b-instruct-v1:0:128k": (_llama(CONVERSATION, 10_000), ("us-west-2",)),
    "meta.llama3-3-70b-instruct-v1:0:128k": (_llama(CONVERSATION), ("us-west-2",)),
    "anthropic.claude-3-haiku-20240307-v1:0:200k": (
        ModelRules(CONVERSATION, 32, 10_000, 1_000, 32_000, _HAIKU_HP),
        ("us-west-2",),
    ),
    "amazon.nova-micro-v1:0:128k": (_nova(), ("us-east-1",)),
    "amazon.nova-lite-v1:0:300k": (_nova(), ("us-east-1",)),
    "amazon.nova-pro-v1:0:300k": (_nova(), ("us-east-1",)),
    # Nova 2 fine-tuning data uses the Nova 1 conversation format (nova-2-sft-data-prep.html)
    "amazon.nova-2-lite-v1:0:256k": (_nova(), ("us-east-1",)),
}


def model_problem(model_id: str, region: str) -> str | None:
    """CreateModelCustomizationJob's ValidationException for a base model it cannot fine-tune."""
    entry = MODELS.get(model_id)
    if entry is None:
        return f"The provided model identifier is invalid or is not supported for fine-tuning: {model_id}"
    if region not in entry[1]:
        return f"The model {model_id} is not supported for fine-tuning in region {region}"
    return None


def hyperparameter_problems(model_id: str, values: Mapping[str, object]) -> list[str]:
    """CreateModelCustomizationJob checks hyperparameters before accepting the job."""
    ranges = MODELS[model_id][0].hyperparameters
    problems = []
    for name, value in values.items():
        spec = ranges.get(name)
        if spec is None:
            problems.append(f"Unsupported hyperparameter: {name}. Supported: {', '.join(ranges)}")
            continue
        try:
            number = float(str(value))
        except ValueError:
            problems.append(f"Hyperparameter {name} must be a number, got '{value}'")
            continue
        if spec.whole and not number.is_integer():
            problems.append(f"Hyperparameter {name} must be an integer, got '{value}'")
        elif not spec.low <= number <= spec.high:
            low, high = (int(spec.low), int(spec.high)) if spec.whole else (spec.low, spec.high)
            problems.append(f"Hyperparameter {name} value '{value}' is out of range [{low}, {high}]")
    return problems


def _tokens(texts: list[str]) -> int:
    return math.ceil(sum(len(text) for text in texts) / CHARACTERS_PER_TOKEN)


def _text_list(value: object, where: str) -> tuple[list[str], str | None]:
    if not isinstance(value, list) or not value:
        return [], f"{where} must be a non-empty array of content blocks"
    texts = []
    for block in value:
        text = block.get("text") if isinstance(block, dict) else None
        if not isinstance(text, str):
            return [], f"{where} content blocks must have a text field"
        if not text.strip():
            return [], f"{where} text must not be empty"
        texts.append(text)
    return texts, None


def _prompt_completion(record: dict) -> tuple[list[str], list[str], str | None]:
    """(prompt texts, all texts, problem)."""
    prompt, completion = record.get("prompt"), record.get("completion")
    if not isinstance(prompt, str) or not isinstance(completion, str):
        return [], [], 'Each record must have a "prompt" and a "completion" string field'
    if not prompt.strip() or not completion.strip():
        return [], [], '"prompt" and "completion" must not be empty'
    return [prompt], [prompt, completion], None


def _conversation(record: dict, rules: ModelRules) -> tuple[list[str], list[str], str | None]:
    version = record.get("schemaVersion")
    if not (isinstance(version, str) if rules.any_schema_version else version == CONVERSATION):
        return [], [], f'"schemaVersion" must be "{CONVERSATION}"'
    prompts: list[str] = []
    texts: list[str] = []
    if "system" in record:
        system = record["system"]
        if isinstance(system, list) and len(system) > 1:
            return [], [], '"system" may hold at most one content block'
        found, problem = _text_list(system, '"system"')
        if problem:
            return [], [], problem
        prompts += found
        texts += found
    messages = record.get("messages")
    if not isinstance(messages, list) or len(messages) < 2:
        return [], [], '"messages" must hold at least a user turn and an assistant turn'
    if rules.single_turn and len(messages) != 2:
        return [], [], "Each record must hold exactly one user turn and one assistant turn"
    for index, message in enumerate(messages):
        expected = "user" if index % 2 == 0 else "assistant"
        if not isinstance(message, dict) or message.get("role") != expected:
            return [], [], 'Turns must alternate "user" and "assistant", starting with "user"'
        found, problem = _text_list(message.get("content"), f"messages[{index}]")
        if problem:
            return [], [], problem
        texts += found
        if expected == "user":
            prompts += found
    if len(messages) % 2:
        return [], [], 'The last turn must be "assistant"'
    return prompts, texts, None


def _records(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield number, line


def data_problems(text: str, model_id: str, split: str) -> tuple[int, list[str]]:
    """(records, problems) of one JSONL file as Bedrock's validation phase judges it."""
    rules = MODELS[model_id][0]
    problems: list[str] = []
    records = 0
    for number, line in _records(text):
        records += 1
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(f"Line {number}: the record is not valid JSON")
            continue
        if not isinstance(record, dict):
            problems.append(f"Line {number}: the record is not a JSON object")
            continue
        if rules.data_format == PROMPT_COMPLETION:
            prompts, texts, problem = _prompt_completion(record)
        else:
            prompts, texts, problem = _conversation(record, rules)
        if problem:
            problems.append(f"Line {number}: {problem}")
            continue
        tokens = _tokens(texts)
        if tokens > rules.max_tokens:
            problems.append(f"Line {number}: the record has {tokens} tokens; the maximum is {rules.max_tokens}")
        reserved = next((word for word in rules.reserved for prompt in prompts if word in prompt), None)
        if reserved:
            problems.append(f"Line {number}: the prompt contains the reserved keyword {reserved}")
    cap = rules.max_train if split == "train" else rules.max_validation
    if records > cap:
        problems.append(f"The {split} data has {records} records; the maximum is {cap}")
    if split == "train" and records < rules.min_train:
        problems.append(f"The training data has {records} records; the minimum is {rules.min_train}")
    return records, problems


def failure_message(uri: str, split: str, problems: list[str]) -> str:
    """The job's failureMessage when its validation phase refuses a file."""
    listed = "; ".join(problems[:LISTED])
    more = f" (and {len(problems) - LISTED} more)" if len(problems) > LISTED else ""
    return f"Data validation failed for the {split} data at {uri}: {listed}{more}"
