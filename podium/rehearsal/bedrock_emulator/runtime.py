"""bedrock-runtime: Converse answered by a SIMULATED model (podium.rehearsal.simulated_model),
for a provisioned throughput or a base model id. Every answer is labelled SIMULATED."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

from podium.rehearsal.bedrock_emulator.errors import BedrockError
from podium.rehearsal.bedrock_emulator.state import S3_URI, CustomModel, EmulatorState, Job
from podium.rehearsal.simulated_model import SimulatedModel, question_text, rows_from_jsonl, words

ANSWER_NOTE = "SIMULATED by podium rehearsal: not a real model's answer"
SIMULATED_HEADER = "x-podium-simulated"  # on every Converse response, value ANSWER_NOTE
SIMULATED_FIELD = "podium_simulated"  # in Converse's additionalModelResponseFields


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

    def _custom_simulation(self, model: CustomModel) -> SimulatedModel:
        simulation = self._models.get(model.arn)
        if simulation is None:
            script = self.script
            simulation = self._models[model.arn] = SimulatedModel(
                self._training_rows(self.jobs[model.job_arn]),
                known_share=script.known_share,
                hallucination_share=script.hallucination_share,
                seed=f"{script.seed}/custom",
            )
        return simulation

    def _base_simulation(self, base_id: str) -> SimulatedModel:
        """A base model knows a few of the facts anything here was trained on with it."""
        trained = [job for job in self.jobs.values() if _base_key(job.request["baseModelIdentifier"]) == base_id]
        key = f"{base_id}#{len(trained)}"
        simulation = self._models.get(key)
        if simulation is None:
            script = self.script
            rows = [row for job in trained for row in self._training_rows(job)]
            simulation = self._models[key] = SimulatedModel(
                rows,
                known_share=script.base_known_share,
                hallucination_share=script.base_hallucination_share,
                seed=f"{script.seed}/base",
            )
        return simulation

    def _serving(self, model_id: str) -> tuple[SimulatedModel, str]:
        """The simulated model behind Converse's modelId, and what it is ("custom"/"base")."""
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
            return self._custom_simulation(self.custom_models[throughput.model_arn]), "custom"
        if ":custom-model/" in model_id:
            raise BedrockError(
                "ValidationException",
                "Invocation of a custom model with on-demand throughput isn't supported: "
                "use a provisioned throughput or custom model deployment",
                "bedrock-runtime",
            )
        base_id = _base_key(model_id.rsplit("foundation-model/", 1)[-1])
        if not re.fullmatch(r"[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63})*", base_id):
            raise BedrockError("ValidationException", "The provided model identifier is invalid.", "bedrock-runtime")
        return self._base_simulation(base_id), "base"

    def converse(self, model_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BedrockError("ValidationException", "messages must be a non-empty list", "bedrock-runtime")
        question = question_text(messages)
        started = time.monotonic()
        with self._lock:
            simulation, kind = self._serving(model_id)
            answer = simulation.answer(question)
            self.answers.append(
                {"model_id": model_id, "model": kind, "question": question, "answer": answer.text, "kind": answer.kind}
            )
        if self.script.answer_latency_seconds > 0:
            time.sleep(self.script.answer_latency_seconds)
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
            "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
            "additionalModelResponseFields": {SIMULATED_FIELD: {"note": ANSWER_NOTE, "answer": answer.kind}},
        }
