"""Bedrock's documented rules for fine-tuning jobs, as the emulator reads them.

A second opinion: written from AWS's documentation, NOT from Podium's validator or model
registry (this module imports nothing from podium.dataset, podium.models, podium.config
or podium.workflow), so a rehearsal can catch a rule Podium gets wrong. Every number and
rule below names where it comes from (SOURCES); a limit no source states is not applied
here (None), whatever Podium's registry assumes — the README lists those as unconfirmed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# The pages (docs.aws.amazon.com/bedrock/latest/userguide/ unless said otherwise) and AWS's own samples.
PREPARE = "model-customization-prepare.html"  # Model requirements; the formats and their examples
MODELS_PAGE = "custom-model-fine-tuning.html"  # which model ids can be fine-tuned, in which Regions
LLAMA31_HP = "cm-hp-meta-llama31.html"
LLAMA32_HP = "cm-hp-meta-llama32.html"
CLAUDE3_HP = "cm-hp-anth-claude-3.html"
NOVA_HP = "cm-hp-nova-mm.html"  # Nova Micro, Lite and Pro only
NOVA_DATA = "nova/latest/userguide/fine-tune-prepare-data-understanding.html"
LLAMA_VALIDATOR = "aws-samples/amazon-bedrock-samples custom-models/bedrock-fine-tuning/meta-llama/dataset_validation"
NOVA_VALIDATOR = "aws-samples/amazon-nova-samples customization/bedrock-finetuning/understanding/dataset_validation"
SOURCES = (
    PREPARE,
    MODELS_PAGE,
    LLAMA31_HP,
    LLAMA32_HP,
    CLAUDE3_HP,
    NOVA_HP,
    NOVA_DATA,
    LLAMA_VALIDATOR,
    NOVA_VALIDATOR,
)

PROMPT_COMPLETION = "prompt-completion"
CONVERSATION = "bedrock-conversation-2024"
MESSAGES = "claude-messages"  # {"system": str, "messages": [{"role", "content": str}]}
# PREPARE: "Use approximately 6 characters per token to estimate the number of tokens" (Bedrock
# counts with the model's tokenizer, which the emulator does not have).
CHARACTERS_PER_TOKEN = 6
LISTED = 3  # the emulator's own choice: how many problems a failureMessage quotes

# NOVA_DATA, item 12 (and NOVA_VALIDATOR, which matches them case-insensitively).
NOVA_RESERVED = ("User:", "Bot:", "Assistant:", "System:", "<image>", "<video>", "[EOS]")


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    whole: bool  # an integer hyperparameter


@dataclass(frozen=True)
class ModelRules:
    """One base model's rules. None: no source states the limit, so the emulator does not apply it."""

    data_format: str
    max_tokens: int | None  # a record's input + output tokens
    hyperparameters: Mapping[str, Range] | None  # None: no page documents them; not checked
    min_train: int | None = None  # training records, at least
    max_train: int | None = None  # training records, at most
    max_validation: int | None = None  # validation records, at most
    min_total: int | None = None  # training + validation records together, at least
    max_total: int | None = None  # together, at most: a default the account's quota may raise
    one_system_block: bool = False  # "system" holds at most one content block
    any_schema_version: bool = False  # schemaVersion may be any string
    reserved: tuple[str, ...] = ()


# LLAMA31_HP and LLAMA32_HP give the same table.
_LLAMA_HP = {
    "epochCount": Range(1, 10, True),
    "batchSize": Range(1, 1, True),
    "learningRate": Range(5e-6, 0.1, False),
}
_NOVA_HP = {  # NOVA_HP
    "epochCount": Range(1, 5, True),
    "learningRate": Range(1e-6, 1e-4, False),
    "learningRateWarmupSteps": Range(0, 100, True),
}
_CLAUDE3_HP = {  # CLAUDE3_HP
    "epochCount": Range(1, 10, True),
    "batchSize": Range(4, 256, True),
    "learningRateMultiplier": Range(0.1, 2.0, False),
    "earlyStoppingThreshold": Range(0.0, 0.1, False),
    "earlyStoppingPatience": Range(1, 10, True),
}


def _llama(
    data_format: str,
    hyperparameters: Mapping[str, Range] | None,
    *,
    max_tokens: int = 16_000,
    in_validator: bool = True,
) -> ModelRules:
    """PREPARE, Model requirements (Meta Llama 3.1, 3.2, 3.3): 100 to 10,000 training and validation
    records together, 16,000 input + output tokens a record (10,000 for Llama 3.2 90B). LLAMA_VALIDATOR
    (Llama 3.1 and 3.2 only): 10,000 training and 1,000 validation records a file, one system block."""
    return ModelRules(
        data_format,
        max_tokens,
        hyperparameters,
        min_total=100,
        max_total=10_000,
        max_train=10_000 if in_validator else None,
        max_validation=1_000 if in_validator else None,
        one_system_block=in_validator and data_format == CONVERSATION,
    )


def _nova(min_train: int, hyperparameters: Mapping[str, Range] | None) -> ModelRules:
    """NOVA_VALIDATOR: 8–20,000 samples (Nova 2 Lite SFT: 200–20,000). NOVA_DATA: schemaVersion may be any
    string, first turn the user's, last the assistant's, reserved keywords. No source states a validation
    cap or a token cap for Nova."""
    return ModelRules(
        CONVERSATION,
        None,
        hyperparameters,
        min_train=min_train,
        max_train=20_000,
        any_schema_version=True,
        reserved=NOVA_RESERVED,
    )


# PREPARE, Model requirements (Anthropic Claude 3 Haiku): at least 32 records, 10,000 training, 1,000
# validation, 10,000 together (adjustable), 32,000 tokens; its format: "Anthropic Claude 3 Haiku:
# Single-turn conversations" (and multi-turn).
_HAIKU = ModelRules(
    MESSAGES, 32_000, _CLAUDE3_HP, min_train=32, max_train=10_000, max_validation=1_000, max_total=10_000
)

# Fine-tuning ids (MODELS_PAGE) → their rules; regions where Bedrock offers them (MODELS_PAGE).
MODELS: Mapping[str, tuple[ModelRules, tuple[str, ...]]] = {
    "meta.llama3-1-8b-instruct-v1:0:128k": (_llama(PROMPT_COMPLETION, _LLAMA_HP), ("us-west-2",)),
    "meta.llama3-1-70b-instruct-v1:0:128k": (_llama(PROMPT_COMPLETION, _LLAMA_HP), ("us-west-2",)),
    "meta.llama3-2-1b-instruct-v1:0:128k": (_llama(CONVERSATION, _LLAMA_HP), ("us-west-2",)),
    "meta.llama3-2-3b-instruct-v1:0:128k": (_llama(CONVERSATION, _LLAMA_HP), ("us-west-2",)),
    "meta.llama3-2-11b-instruct-v1:0:128k": (_llama(CONVERSATION, _LLAMA_HP), ("us-west-2",)),
    "meta.llama3-2-90b-instruct-v1:0:128k": (_llama(CONVERSATION, _LLAMA_HP, max_tokens=10_000), ("us-west-2",)),
    # PREPARE lists Llama 3.3 70B with the Converse API format; no hyperparameter page, not in LLAMA_VALIDATOR
    "meta.llama3-3-70b-instruct-v1:0:128k": (_llama(CONVERSATION, None, in_validator=False), ("us-west-2",)),
    "anthropic.claude-3-haiku-20240307-v1:0:200k": (_HAIKU, ("us-west-2",)),
    "amazon.nova-micro-v1:0:128k": (_nova(8, _NOVA_HP), ("us-east-1",)),
    "amazon.nova-lite-v1:0:300k": (_nova(8, _NOVA_HP), ("us-east-1",)),
    "amazon.nova-pro-v1:0:300k": (_nova(8, _NOVA_HP), ("us-east-1",)),
    # NOVA_HP names Micro, Lite and Pro only: Nova 2 Lite's hyperparameters are not checked
    "amazon.nova-2-lite-v1:0:256k": (_nova(200, None), ("us-east-1",)),
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
    if ranges is None:
        return []
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
    """(prompt texts, all texts, problem). PREPARE, "Non-conversational tasks"."""
    prompt, completion = record.get("prompt"), record.get("completion")
    if not isinstance(prompt, str) or not isinstance(completion, str):
        return [], [], 'Each record must have a "prompt" and a "completion" string field'
    if not prompt.strip() or not completion.strip():
        return [], [], '"prompt" and "completion" must not be empty'
    return [prompt], [prompt, completion], None


def _turns(messages: object, content_of) -> tuple[list[str], list[str], str | None]:
    """(user texts, all texts, problem) of alternating turns, the user's first and the assistant's last."""
    if not isinstance(messages, list) or len(messages) < 2:
        return [], [], '"messages" must hold at least a user turn and an assistant turn'
    prompts: list[str] = []
    texts: list[str] = []
    for index, message in enumerate(messages):
        expected = "user" if index % 2 == 0 else "assistant"
        if not isinstance(message, dict) or message.get("role") != expected:
            return [], [], 'Turns must alternate "user" and "assistant", starting with "user"'
        found, problem = content_of(message.get("content"), f"messages[{index}]")
        if problem:
            return [], [], problem
        texts += found
        if expected == "user":
            prompts += found
    if len(messages) % 2:
        return [], [], 'The last turn must be "assistant"'
    return prompts, texts, None


def _conversation(record: dict, rules: ModelRules) -> tuple[list[str], list[str], str | None]:
    """PREPARE, "Converse API format"; NOVA_DATA for Nova; LLAMA_VALIDATOR's one system block."""
    version = record.get("schemaVersion")
    if not (isinstance(version, str) if rules.any_schema_version else version == CONVERSATION):
        return [], [], f'"schemaVersion" must be "{CONVERSATION}"'
    system_texts: list[str] = []
    if "system" in record:
        system = record["system"]
        if rules.one_system_block and isinstance(system, list) and len(system) > 1:
            return [], [], '"system" may hold at most one content block'
        system_texts, problem = _text_list(system, '"system"')
        if problem:
            return [], [], problem
    prompts, texts, problem = _turns(record.get("messages"), _text_list)
    if problem:
        return [], [], problem
    return system_texts + prompts, system_texts + texts, None


def _string_content(value: object, where: str) -> tuple[list[str], str | None]:
    if not isinstance(value, str):
        return [], f"{where} content must be a string"
    if not value.strip():
        return [], f"{where} content must not be empty"
    return [value], None


def _claude_messages(record: dict) -> tuple[list[str], list[str], str | None]:
    """PREPARE, "Anthropic Claude 3 Haiku: Single-turn conversations" (and multi-turn):
    {"system": "<system message>", "messages": [{"role": "user", "content": "<user query>"}, ...]}."""
    if "schemaVersion" in record or "prompt" in record:
        return [], [], 'Each record must be {"system": string, "messages": [{"role", "content": string}]}'
    system = record.get("system", "")
    if not isinstance(system, str):
        return [], [], '"system" must be a string'
    prompts, texts, problem = _turns(record.get("messages"), _string_content)
    if problem:
        return [], [], problem
    return [system, *prompts], [system, *texts], None


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
        elif rules.data_format == MESSAGES:
            prompts, texts, problem = _claude_messages(record)
        else:
            prompts, texts, problem = _conversation(record, rules)
        if problem:
            problems.append(f"Line {number}: {problem}")
            continue
        tokens = _tokens(texts)
        if rules.max_tokens is not None and tokens > rules.max_tokens:
            problems.append(f"Line {number}: the record has {tokens} tokens; the maximum is {rules.max_tokens}")
        reserved = next((word for word in rules.reserved for prompt in prompts if word in prompt), None)
        if reserved:
            problems.append(f"Line {number}: the prompt contains the reserved keyword {reserved}")
    cap = rules.max_train if split == "train" else rules.max_validation
    if cap is not None and records > cap:
        problems.append(f"The {split} data has {records} records; the maximum is {cap}")
    if split == "train" and rules.min_train is not None and records < rules.min_train:
        problems.append(f"The training data has {records} records; the minimum is {rules.min_train}")
    return records, problems


def total_problem(model_id: str, records: int, quota: int | None = None) -> str | None:
    """The validation phase's verdict on training and validation records together: at least the model's
    minimum, at most `quota` (the account's "Sum of training and validation records" quota, when set)
    or the documented default."""
    rules = MODELS[model_id][0]
    if rules.min_total is not None and records < rules.min_total:
        return (
            f"the training and validation data have {records} records together; "
            f"{model_id} needs at least {rules.min_total}"
        )
    cap = quota if quota is not None else rules.max_total
    if cap is not None and records > cap:
        return (
            f"the training and validation data have {records} records together; "
            f"the quota for the sum of training and validation records is {cap}"
        )
    return None


def failure_message(uri: str, split: str, problems: list[str]) -> str:
    """The job's failureMessage when its validation phase refuses a file."""
    listed = "; ".join(problems[:LISTED])
    more = f" (and {len(problems) - LISTED} more)" if len(problems) > LISTED else ""
    return f"Data validation failed for the {split} data at {uri}: {listed}{more}"
