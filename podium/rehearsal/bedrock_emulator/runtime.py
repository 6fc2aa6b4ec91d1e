"""bedrock-runtime: InvokeModel and Converse answered by a SIMULATED model
(podium.rehearsal.simulated_model), for a provisioned throughput, a custom model deployment (its
ARN is the modelId, deploy-custom-model-on-demand.html) or a base model id. Every answer is
labelled SIMULATED.

InvokeModel's request and response bodies are each model family's native format, as AWS
documents them:
- Meta Llama (model-parameters-meta.html): {"prompt", "temperature", "top_p",
  "max_gen_len" (1–2048)} → {"generation", "prompt_token_count", "generation_token_count",
  "stop_reason"}; the prompt is the model's input text as is (no chat template is added).
- Amazon Nova (Nova user guide, "Complete request schema"): {"schemaVersion":
  "messages-v1", "system": [{"text"}], "messages": [{"role", "content": [{"text"}]}],
  "inferenceConfig": {"maxTokens", "temperature", ...}} → {"output": {"message": {"role",
  "content": [{"text"}]}}, "stopReason", "usage": {"inputTokens", "outputTokens",
  "totalTokens"}}.
A body of another family's shape is refused as Bedrock does, with a ValidationException
("Malformed input request: ...").
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from podium.rehearsal.bedrock_emulator.authorization import US_PROFILE_REGIONS
from podium.rehearsal.bedrock_emulator.errors import BedrockError
from podium.rehearsal.bedrock_emulator.state import S3_URI, CustomModel, EmulatorState, Job
from podium.rehearsal.simulated_model import Answer, SimulatedModel, TrainingIndex, words
from podium.rehearsal.training_text import question_text, rows_from_jsonl

ANSWER_NOTE = "SIMULATED by podium rehearsal: not a real model's answer"
SIMULATED_HEADER = "x-podium-simulated"  # on every InvokeModel and Converse response, value ANSWER_NOTE
# In Converse's additionalModelResponseFields, and beside the answer in InvokeModel's body.
SIMULATED_FIELD = "podium_simulated"
_META_MAX_GEN_LEN = 2048  # model-parameters-meta.html: max_gen_len at most 2048


def _base_key(model_id: str) -> str:
    """The on-demand id of a base model: the fine-tuning id without its context suffix
    (meta.llama3-1-8b-instruct-v1:0:128k → meta.llama3-1-8b-instruct-v1:0)."""
    return re.sub(r":\d+k$", "", model_id)


class Runtime(EmulatorState):
    """bedrock-runtime's operations, answered by simulated models."""

    def _training_rows(self, job: Job) -> list[tuple[str, str]]:
        uri = str((job.request.get("trainingDataConfig") or {}).get("s3Uri") or "")
        match = S3_URI.match(uri)
        if not match:
            return []
        body = self.s3.get_object(Bucket=match.group(1), Key=match.group(2))["Body"].read()
        return rows_from_jsonl(body.decode("utf-8", errors="replace"))

    def _index(self, jobs: list[Job]) -> TrainingIndex:
        """What these jobs' training files state, indexed once (the fine-tuned and the base
        simulation of the same file share it)."""
        key = "|".join(sorted(job.arn for job in jobs))
        with self._lock:
            future = self._indexes.get(key)
            building = future is None
            if future is None:
                future = self._indexes[key] = Future()
        if building:
            try:
                future.set_result(TrainingIndex.from_rows(row for job in jobs for row in self._training_rows(job)))
            except Exception as error:  # the caller sees it; a later call tries again
                future.set_exception(error)
                with self._lock:
                    self._indexes.pop(key, None)
        return future.result()

    def learned(self, job: Job) -> None:
        """A job completed: index its training file now, in the background, as the real service
        trains before it is asked anything (the first question then need not wait for it)."""
        threading.Thread(target=self._index, args=([job],), name="podium-simulated-learning", daemon=True).start()

    def _custom_simulation(self, model: CustomModel) -> SimulatedModel:
        simulation = self._models.get(model.arn)
        if simulation is None:
            index = self._index([self.jobs[model.job_arn]])
            simulation = self._models[model.arn] = SimulatedModel(index, min_rows=self.script.min_rows)
        return simulation

    def _base_simulation(self, base_id: str) -> SimulatedModel:
        """A base model knows the facts about the most-named subjects of what was trained on it here."""
        trained = [job for job in self.jobs.values() if _base_key(job.request["baseModelIdentifier"]) == base_id]
        key = f"{base_id}#{len(trained)}"
        simulation = self._models.get(key)
        if simulation is None:
            simulation = self._models[key] = SimulatedModel(self._index(trained), base=True)
        return simulation

    def _serving(self, model_id: str) -> tuple[SimulatedModel, str, str]:
        """The simulated model behind a runtime call's modelId, what it is ("custom"/"base"),
        and its base model id (whose family fixes InvokeModel's body format)."""
        if ":provisioned-model/" in model_id or model_id in {t.name for t in self.throughputs.values()}:
            throughput = self.throughputs.get(model_id) or next(
                (t for t in self.throughputs.values() if t.name == model_id), None
            )
            if throughput is None:
                raise BedrockError(
                    "ResourceNotFoundException", f"Provisioned model {model_id} not found", "bedrock-runtime"
                )
            if throughput.status != "InService":
                raise BedrockError(
                    "ValidationException",
                    f"The provisioned model {throughput.name} is {throughput.status}, not InService",
                    "bedrock-runtime",
                )
            custom = self.custom_models[throughput.model_arn]
            return self._custom_simulation(custom), "custom", _base_key(custom.base_model_id)
        if ":custom-model-deployment/" in model_id:
            deployment = self.deployments.get(model_id)
            if deployment is None:
                raise BedrockError(
                    "ResourceNotFoundException", f"Custom model deployment {model_id} not found", "bedrock-runtime"
                )
            if deployment.status != "Active":
                raise BedrockError(
                    "ValidationException",
                    f"The custom model deployment {deployment.name} is {deployment.status}, not Active",
                    "bedrock-runtime",
                )
            custom = self.custom_models[deployment.model_arn]
            return self._custom_simulation(custom), "custom", _base_key(custom.base_model_id)
        if ":custom-model/" in model_id:
            raise BedrockError(
                "ValidationException",
                "Invocation of a custom model with on-demand throughput isn't supported: "
                "use a provisioned throughput or custom model deployment",
                "bedrock-runtime",
            )
        requested = model_id.rsplit("foundation-model/", 1)[-1]
        base_id = _base_key(requested.split(".", 1)[1] if requested in US_PROFILE_REGIONS else requested)
        if not re.fullmatch(r"[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63})*", base_id):
            raise BedrockError("ValidationException", "The provided model identifier is invalid.", "bedrock-runtime")
        if requested not in US_PROFILE_REGIONS and f"us.{base_id}" in US_PROFILE_REGIONS:
            # Served on demand only through its inference profile (inference-profiles-support.html)
            raise BedrockError(
                "ValidationException",
                f"Invocation of model ID {base_id} with on-demand throughput isn't supported. Retry your request "
                "with the ID or ARN of an inference profile that contains this model.",
                "bedrock-runtime",
            )
        return self._base_simulation(base_id), "base", base_id

    def _answer(self, api: str, model_id: str, question: str) -> tuple[Answer, str]:
        """The simulated answer to `question`, recorded as asked (api, model, question)."""
        with self._lock:
            simulation, kind, base_id = self._serving(model_id)
            answer = simulation.answer(question)
            self.answers.append(
                {
                    "api": api,
                    "model_id": model_id,
                    "model": kind,
                    "question": question,
                    "answer": answer.text,
                    "kind": answer.kind,
                }
            )
        if self.script.answer_latency_seconds > 0:
            time.sleep(self.script.answer_latency_seconds)
        return answer, base_id

    def invoke_model(self, model_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """InvokeModel with the model family's native body (see the module docstring)."""
        with self._lock:
            base_id = self._serving(model_id)[2]
        if base_id.startswith("meta."):
            question = _meta_prompt(body)
            answer, _ = self._answer("InvokeModel", model_id, question)
            return {
                "generation": answer.text,
                "prompt_token_count": len(words(question)) + 1,
                "generation_token_count": len(answer.text.split()) + 1,
                "stop_reason": "stop",
                SIMULATED_FIELD: self._label(model_id, answer),
            }
        if base_id.startswith("amazon.nova"):
            messages = body.get("messages")
            if body.get("schemaVersion") not in (None, "messages-v1") or not isinstance(messages, list) or not messages:
                raise _malformed("required key [messages] not found")
            question = question_text(messages)
            answer, _ = self._answer("InvokeModel", model_id, question)
            return {**self._converse_shape(body, question, answer), SIMULATED_FIELD: self._label(model_id, answer)}
        raise BedrockError(
            "ValidationException",
            f"The emulator answers InvokeModel for Meta Llama and Amazon Nova models, not {base_id}",
            "bedrock-runtime",
        )

    def converse(self, model_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BedrockError("ValidationException", "messages must be a non-empty list", "bedrock-runtime")
        question = question_text(messages)
        started = time.monotonic()
        answer, _ = self._answer("Converse", model_id, question)
        return {
            **self._converse_shape(body, question, answer),
            "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
            "additionalModelResponseFields": {SIMULATED_FIELD: self._label(model_id, answer)},
        }

    def _label(self, model_id: str, answer: Answer) -> dict[str, Any]:
        """What every simulated answer carries: the note, how this answer came about, and the
        rule that made it (with what its numbers can and cannot tell)."""
        with self._lock:
            simulation = self._serving(model_id)[0]
        return {"note": ANSWER_NOTE, "answer": answer.kind, "rows": answer.rows, "simulation": simulation.describe()}

    @staticmethod
    def _converse_shape(body: Mapping[str, Any], question: str, answer: Answer) -> dict[str, Any]:
        """The assistant message, stop reason and usage that Converse and Nova's InvokeModel share."""
        system = " ".join(str(item.get("text", "")) for item in body.get("system") or [] if isinstance(item, dict))
        input_tokens = len(words(system + " " + question)) + 8
        output_tokens = len(answer.text.split()) + 1
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": answer.text}]}},
            "stopReason": "end_turn",
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
            },
        }


def _malformed(problem: str) -> BedrockError:
    return BedrockError(
        "ValidationException",
        f"Malformed input request: #: {problem}, please reformat your input and try again.",
        "bedrock-runtime",
    )


def _meta_prompt(body: Mapping[str, Any]) -> str:
    """The prompt of a Meta Llama request body, checked as model-parameters-meta.html states it."""
    prompt = body.get("prompt")
    if not isinstance(prompt, str):
        raise _malformed("required key [prompt] not found")
    extra = sorted(set(body) - {"prompt", "temperature", "top_p", "max_gen_len", "images"})
    if extra:
        raise _malformed(f"extraneous key [{extra[0]}] is not permitted")
    max_gen_len = body.get("max_gen_len", 512)
    if isinstance(max_gen_len, bool) or not isinstance(max_gen_len, int) or not 1 <= max_gen_len <= _META_MAX_GEN_LEN:
        raise _malformed(f"max_gen_len: {max_gen_len!r} is not an integer from 1 to {_META_MAX_GEN_LEN}")
    for key in ("temperature", "top_p"):
        value = body.get(key, 0.5)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise _malformed(f"{key}: {value!r} is not a number from 0 to 1")
    return prompt
