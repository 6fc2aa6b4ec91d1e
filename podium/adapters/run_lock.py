"""One run at a time, with a strongly consistent check.

ListExecutions (Prepare's first check) is eventually consistent: two executions started
within a moment may each not yet see the other. The lock is one S3 object written with a
conditional put (If-None-Match: *, or If-Match on the ETag read), which S3 decides
atomically, naming the execution that holds it. It is never released: the next run takes
it over once DescribeExecution (strongly consistent) says its holder is no longer RUNNING,
so a run that was stopped, timed out or crashed never leaves a stale lock behind.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

LOCK_KEY = "locks/active-run.json"
_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict"}
_ATTEMPTS = 3


class S3RunLock:
    def __init__(self, bucket: str, s3: Any, stepfunctions: Any) -> None:
        self.bucket, self._s3, self._sfn = bucket, s3, stepfunctions

    def claim(self, execution_arn: str) -> str | None:
        """Take the lock for `execution_arn`; None when it holds it now, else the ARN of the
        RUNNING execution that does."""
        body = json.dumps({"execution_arn": execution_arn}).encode()
        holder = ""
        for _ in range(_ATTEMPTS):
            try:
                self._s3.put_object(Bucket=self.bucket, Key=LOCK_KEY, Body=body, IfNoneMatch="*")
                log.info("took the run lock %s: no run held it", self._where)
                return None
            except ClientError as error:
                if _code(error) not in _LOST_RACE:
                    raise
            try:
                current = self._s3.get_object(Bucket=self.bucket, Key=LOCK_KEY)
            except ClientError as error:
                if _code(error) in ("NoSuchKey", "404"):
                    continue  # released between the two calls: try again
                raise
            holder = _holder(current["Body"].read())
            if holder == execution_arn:
                log.info("holds the run lock %s already (a retried Prepare)", self._where)
                return None
            if holder and self._running(holder):
                log.info("the run lock %s is held by %s, which is RUNNING", self._where, holder)
                return holder
            try:
                self._s3.put_object(Bucket=self.bucket, Key=LOCK_KEY, Body=body, IfMatch=current["ETag"])
                log.info("took the run lock %s over from %s, which is no longer RUNNING", self._where, holder)
                return None
            except ClientError as error:
                if _code(error) not in _LOST_RACE:
                    raise
        return holder or "another execution"  # contested every time: let the other one go

    @property
    def _where(self) -> str:
        return f"s3://{self.bucket}/{LOCK_KEY}"

    def _running(self, execution_arn: str) -> bool:
        try:
            return self._sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
        except ClientError as error:
            if _code(error) in ("ExecutionDoesNotExist", "InvalidArn"):
                return False
            raise


def _holder(body: bytes) -> str:
    """The execution ARN the lock names; "" (a stale lock, taken over) when its body is not
    the JSON object this module writes — so one bad write never blocks every later run."""
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        value = None
    holder = value.get("execution_arn") if isinstance(value, dict) else None
    if not isinstance(holder, str):
        log.warning(
            "run lock %s holds no execution ARN: taking it over as stale",
            LOCK_KEY,
            extra={"body": body[:200].decode("utf-8", "replace")},
        )
        return ""
    return holder


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


__all__ = ["LOCK_KEY", "S3RunLock"]
