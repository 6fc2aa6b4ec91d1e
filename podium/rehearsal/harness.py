"""Run the REAL state machine definition locally: moto's Step Functions executor, the
real Lambda handlers behind a local Invoke endpoint, moto's S3/SSM/SNS/Secrets Manager,
and the Bedrock emulator.

No code path differs from the deployed one: the harness only swaps endpoints
(AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_BEDROCK, AWS_ENDPOINT_URL_BEDROCK_RUNTIME) and
settings (poll intervals of a second, through PODIUM_DEFAULTS). statemachine/finetune.asl.json is read from the
repository and filled with substitutions from podium.workflow.steps.STEPS.

    with Rehearsal(RehearsalOptions(data_dir=Path("data/sample"))) as rehearsal:
        result = rehearsal.run({"dry_run": True})
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from podium.config import StackSettings, parse_run_settings
from podium.io import write_text_atomic
from podium.rehearsal.bedrock_emulator.emulator import BedrockEmulator
from podium.rehearsal.bedrock_emulator.script import Script
from podium.rehearsal.bedrock_emulator.server import BedrockServer
from podium.rehearsal.iam.account import OPERATOR, Account, Authorizer, deployment_roles, role_name
from podium.rehearsal.iam.calls import CallContext
from podium.rehearsal.iam.session import install
from podium.rehearsal.lambda_server import Fault, FunctionLogs, LambdaServer, function_name
from podium.workflow.ended import ENDED_STATUSES, last_state
from podium.workflow.permissions import BEDROCK_SERVICE, Names, nova_key_policy_statement
from podium.workflow.steps import ASL_PATH, PLACEHOLDER, TOPIC_SUBSTITUTION

ACCOUNT = "123456789012"
# Beside the run's files: what its functions logged (CloudWatch Logs' share on AWS)
FUNCTION_LOGS = "function-logs.jsonl"

# Rehearsal polls every second: the emulator advances one tick per status read.
FAST_POLL = {"min_seconds": 1, "max_seconds": 1}
# `wait` looks at the execution's status this often. With a progress or events callback it
# also reads the whole history, which moto serializes under the GIL the steps need (50-100 ms
# for a full-data run's 200 events): then it waits HISTORY_READS_APART times as long as the
# last read took before reading again (reading takes at most 1/HISTORY_READS_APART of the
# time), at most MAX_POLL_SECONDS (progress lines stay timely), and reads once more at the end.
POLL_SECONDS = 0.2
HISTORY_READS_APART = 40
MAX_POLL_SECONDS = 2.0


def render_definition(substitutions: Mapping[str, str], path: Path = ASL_PATH) -> str:
    """The ASL text with every placeholder filled, as CloudFormation's
    definition_substitutions would; a placeholder without a value is an error."""
    text = path.read_text(encoding="utf-8")
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(substitutions))
    if missing:
        raise KeyError(f"{path}: no substitution for {', '.join('${' + m + '}' for m in missing)}")
    return PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], text)


@dataclass
class RehearsalOptions:
    data_dir: Path | None = None  # CSVs uploaded under data/ (None: upload nothing)
    defaults: Mapping[str, Any] = field(default_factory=dict)  # deployed RunSettings overrides
    region: str = "us-west-2"
    name_prefix: str = "podium"
    faults: Iterable[Fault] = ()
    script: Script = field(default_factory=Script)
    timeout_seconds: float = 300.0
    secrets: Mapping[str, str] = field(default_factory=dict)  # Secrets Manager name → secret string
    # False: executions are recorded as RUNNING and never run (for tests that call handlers directly)
    execute_state_machine: bool = True
    # False: POWERTOOLS_METRICS_DISABLED, so the handlers print no EMF lines (CloudWatch's
    # input on AWS) onto a terminal that shows the rehearsal's own progress. Their log lines
    # never reach it either: they go to `Rehearsal.logs`.
    publish_metrics: bool = True
    # The deployment's janitor (StackSettings.janitor_schedule / janitor_dry_run): Prepare refuses
    # runs that create a throughput when it does not delete. The rehearsal runs it on demand
    # (Rehearsal.invoke("Janitor", ...)), as the schedule would.
    janitor_schedule: str | None = "rate(1 hour)"
    janitor_dry_run: bool = False
    # True: every call of a function (and of the state machine, and of Bedrock's service role)
    # is judged by its role's policy, and refused with AccessDenied as on AWS (podium.rehearsal.iam)
    iam: bool = True


@dataclass
class RunResult:
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    execution_arn: str
    output: Any  # parsed output on success
    error: str | None
    cause: str | None
    # SNS messages published during the run: {"subject", "text", "status"} (every notification
    # is a text a person reads; `status` is its message attribute)
    notifications: list[dict[str, Any]]
    states: list[str]  # names of the states entered, in order
    # what the run left behind, read when it ended: the active-model record (None when
    # no model is promoted), and every provisioned throughput and custom model deployment Bedrock still has
    active_model: dict[str, Any] | None = None
    throughputs: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    # the execution state as the last state it left wrote it (a failed run has no output)
    final_state: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> dict[str, Any]:
        """The run's outcome record: $.outcome, or $.failure for a failed run."""
        return dict(self.final_state.get("failure") or self.final_state.get("outcome") or {})

    @property
    def notice(self) -> dict[str, Any]:
        """$.notice: the notification the Report step wrote (text, subject, report_html_uri)."""
        return dict(self.final_state.get("notice") or {})

    @property
    def notification(self) -> dict[str, Any]:
        """The one notification the run sent, with the outcome record it reports on."""
        if len(self.notifications) != 1:
            raise AssertionError(f"expected one notification, got {len(self.notifications)}")
        return {**self.outcome, **self.notice, **self.notifications[0]}

    @property
    def run_id(self) -> str | None:
        """The run id, when the run got past Prepare."""
        run = self.final_state.get("run") or ((self.output or {}).get("run") if isinstance(self.output, dict) else None)
        if run:
            return str(run["run_id"])
        for message in self.notifications:
            if message.get("run_id"):
                return str(message["run_id"])
        return None


class Rehearsal:
    """Context manager: start the local cloud, run executions, tear everything down."""

    def __init__(self, options: RehearsalOptions | None = None) -> None:
        self.options = options or RehearsalOptions()
        self._saved_env: dict[str, str | None] = {}
        self._mock: Any = None
        self.lambdas: LambdaServer | None = None
        self.bedrock: BedrockEmulator | None = None
        self._bedrock_server: BedrockServer | None = None
        self.bucket = f"{self.options.name_prefix}-rehearsal-{ACCOUNT}"
        self.parameter = f"/{self.options.name_prefix}/active-model"
        self.role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role_name(self.options.name_prefix, 'BedrockServiceRole')}"
        self.key_arn = ""
        self.authorizer = Authorizer(ACCOUNT)
        self.account: Account | None = None
        self._operator: dict[str, Any] = {}
        self.state_machine_arn = ""
        self.topic_arn = ""
        self._queue_url = ""
        self._status_delivered: set[str] = set()  # executions whose ending ExecutionEnded has seen
        self.ended_errors: dict[str, str] = {}  # execution ARN → how ExecutionEnded failed for it

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        from moto import mock_aws

        options = self.options
        self.lambdas = LambdaServer(
            name_prefix=options.name_prefix, region=options.region, account=ACCOUNT, faults=options.faults
        )
        self.lambdas.start()
        defaults = dict(options.defaults)
        defaults["poll"] = {**FAST_POLL, **dict(defaults.get("poll") or {})}
        self._set_env(
            {
                "AWS_ACCESS_KEY_ID": "rehearsal",
                "AWS_SECRET_ACCESS_KEY": "rehearsal",
                "AWS_SESSION_TOKEN": "rehearsal",
                "AWS_DEFAULT_REGION": options.region,
                "AWS_REGION": options.region,
                "AWS_ENDPOINT_URL_LAMBDA": self.lambdas.url,
                "PODIUM_BUCKET": self.bucket,
                "PODIUM_ACTIVE_MODEL_PARAMETER": self.parameter,
                "PODIUM_BEDROCK_ROLE_ARN": self.role_arn,
                "PODIUM_NAME_PREFIX": options.name_prefix,
                "PODIUM_DEFAULTS": json.dumps(defaults),
                "PODIUM_KMS_KEY_ARN": None,  # set once the key exists
                "PODIUM_AWS_MAX_ATTEMPTS": "1",
                "POWERTOOLS_SERVICE_NAME": f"{options.name_prefix}-rehearsal",
                "POWERTOOLS_METRICS_NAMESPACE": "PodiumRehearsal",
                "POWERTOOLS_METRICS_DISABLED": None if options.publish_metrics else "true",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "PODIUM_JANITOR_SCHEDULE": options.janitor_schedule or "",
                "PODIUM_JANITOR_DRY_RUN": "true" if options.janitor_dry_run else "false",
            }
        )
        executor = {"execute_state_machine": options.execute_state_machine}
        self._mock = mock_aws(config={"stepfunctions": executor})
        self._mock.start()
        # boto3's default session from here on: each function's clients sign with its role's
        # credentials, and calls to moto are judged by that role (podium.rehearsal.iam.session)
        install(self.authorizer, CallContext(options.region, ACCOUNT, self.operator_client))
        self.authorizer.enforce = options.iam
        self.key_arn = self.operator_client("kms").create_key(
            Description=f"{options.name_prefix}: the project key (bucket, topic, custom models)",
            Policy=json.dumps(self._key_policy()),
        )["KeyMetadata"]["Arn"]
        self.bedrock = BedrockEmulator(
            s3=self.operator_client("s3"),
            region=options.region,
            account=ACCOUNT,
            script=options.script,
            authorizer=self.authorizer,
            assume_role=self._bedrock_assumes,
        )
        self._bedrock_server = BedrockServer(self.bedrock).start()
        # One local server answers Bedrock's control plane, bedrock-runtime (Converse) and
        # Service Quotas' listing of Bedrock's quotas.
        self._set_env(
            {
                "AWS_ENDPOINT_URL_BEDROCK": self._bedrock_server.url,
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self._bedrock_server.url,
                # Bedrock's quotas: moto's Service Quotas has none, the emulator lists them
                "AWS_ENDPOINT_URL_SERVICE_QUOTAS": self._bedrock_server.url,
            }
        )
        self._set_env({"PODIUM_KMS_KEY_ARN": self.key_arn})
        _forget_cached_environment()
        # From here on (POWERTOOLS_* are set) the functions log into the rehearsal, also when
        # a test or benchmark calls a handler directly
        self.lambdas.logs.attach()
        self._create_resources()

    def operator_client(self, service: str) -> Any:
        """A client with the operator's credentials (what `cdk deploy`'s user has): never judged."""
        client = self._operator.get(service)
        if client is None:
            import boto3

            client = self._operator[service] = boto3.client(
                service,
                region_name=self.options.region,
                aws_access_key_id=OPERATOR,
                aws_secret_access_key=OPERATOR,
            )
        return client

    def _names(self) -> Names:
        return Names(
            partition="aws",
            region=self.options.region,
            account=ACCOUNT,
            bucket_arn=f"arn:aws:s3:::{self.bucket}",
            key_arn=self.key_arn,
            topic_arn=self.topic_arn,
            active_model_parameter_arn=f"arn:aws:ssm:{self.options.region}:{ACCOUNT}:parameter" + self.parameter,
            bedrock_role_arn=self.role_arn,
        )

    def stack_settings(self) -> StackSettings:
        """The deployed settings the roles are made for: the rehearsal's defaults."""
        return StackSettings(
            name_prefix=self.options.name_prefix,
            region=self.options.region,
            defaults=parse_run_settings(json.loads(os.environ["PODIUM_DEFAULTS"])),
        )

    def _key_policy(self) -> dict[str, Any]:
        """The key's policy: the account's IAM policies decide (KMS's default key policy), plus the
        statement a Nova deployment adds for Bedrock (podium.workflow.permissions)."""
        statements: list[dict[str, Any]] = [
            {
                "Sid": "Enable IAM policies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        nova = nova_key_policy_statement(self._names(), self.stack_settings())
        if nova is not None:
            statements.append(nova)
        return {"Version": "2012-10-17", "Statement": statements}

    def _bedrock_assumes(self, role_arn: str, context: Mapping[str, Any]) -> Any:
        """S3 as Bedrock sees it after assuming the job's service role."""
        import boto3

        if self.account is None:
            return self.operator_client("s3")
        credentials = self.account.assume_for_service(role_arn, BEDROCK_SERVICE, context, self.operator_client)
        return boto3.client(
            "s3",
            region_name=self.options.region,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
        )

    def _create_roles(self) -> None:
        """The deployment's roles (podium.workflow.permissions), each function's credentials."""
        assert self.lambdas is not None
        region = self.options.region
        roles = deployment_roles(
            self._names(),
            self.stack_settings(),
            function_arn=self.lambdas.arn,
            log_group_arn=lambda step: (
                f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/aws/lambda/"
                f"{function_name(self.options.name_prefix, step)}:*"
            ),
        )
        self.account = Account.create(self.authorizer, roles, self.operator_client)
        self.lambdas.credentials = dict(self.account.credentials)

    def stop(self) -> None:
        if self._bedrock_server is not None:
            self._bedrock_server.stop()
            self._bedrock_server = None
        if self.lambdas is not None:
            self.lambdas.stop()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        _forget_cached_environment()

    def _set_env(self, values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    # -- resources -----------------------------------------------------------------------------

    def _create_resources(self) -> None:
        import boto3

        options = self.options
        s3 = boto3.client("s3")
        if options.region == "us-east-1":  # S3 refuses a LocationConstraint naming its default region
            s3.create_bucket(Bucket=self.bucket)
        else:
            s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": options.region})
        # As the stack's bucket: SSE-KMS with the project key and an S3 Bucket Key
        by_default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": self.key_arn}
        s3.put_bucket_encryption(
            Bucket=self.bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": True}]
            },
        )
        boto3.client("ssm").put_parameter(Name=self.parameter, Value=json.dumps({"active": None}), Type="String")
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        self.topic_arn = sns.create_topic(
            Name=f"{options.name_prefix}-notifications", Attributes={"KmsMasterKeyId": self.key_arn}
        )["TopicArn"]
        self._set_env({"PODIUM_TOPIC_ARN": self.topic_arn})  # where ExecutionEnded and the janitor report
        _forget_cached_environment()
        self._queue_url = sqs.create_queue(QueueName=f"{options.name_prefix}-notifications-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        # Not raw: the SNS envelope carries the Subject and the message attributes too.
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)
        secrets = boto3.client("secretsmanager")
        for name, value in options.secrets.items():
            secrets.create_secret(Name=name, SecretString=value)
        if options.data_dir is not None:
            self.upload_data(Path(options.data_dir))
        assert self.lambdas is not None
        substitutions = {**self.lambdas.substitutions(), TOPIC_SUBSTITUTION: self.topic_arn}
        self.state_machine_arn = boto3.client("stepfunctions").create_state_machine(
            name=f"{options.name_prefix}-finetune",
            definition=render_definition(substitutions),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/{options.name_prefix}-state-machine",
        )["stateMachineArn"]
        self._set_env({"PODIUM_STATE_MACHINE_ARN": self.state_machine_arn})  # what StartOnUpload starts
        _forget_cached_environment()
        self._create_roles()

    def upload_data(self, data_dir: Path, prefix: str = "data/") -> list[str]:
        """Upload the CSVs in `data_dir` under `prefix`; returns the keys."""
        import boto3

        csvs = sorted(data_dir.glob("*.csv"))
        if not csvs:
            raise FileNotFoundError(f"{data_dir}: no .csv files to rehearse with")
        s3 = boto3.client("s3")
        keys = []
        for path in csvs:
            key = prefix + path.name
            s3.upload_file(str(path), self.bucket, key)
            keys.append(key)
        return keys

    # -- runs -------------------------------------------------------------------------------------

    def start_execution(self, execution_input: Any = None, name: str | None = None) -> str:
        import boto3

        text = "{}" if execution_input is None else json.dumps(execution_input)
        return boto3.client("stepfunctions").start_execution(
            stateMachineArn=self.state_machine_arn,
            name=name or f"rehearsal-{uuid.uuid4().hex[:12]}",
            input=text,
        )["executionArn"]

    def wait(
        self,
        execution_arn: str,
        timeout_seconds: float | None = None,
        progress: Callable[[str], None] | None = None,
        events: Callable[[dict[str, Any]], None] | None = None,
    ) -> RunResult:
        """Poll until the execution ends. `progress` gets the name of each state entered;
        `events` gets every new execution-history event (as get_execution_history
        returns it: type, timestamp, details), in order, while the run goes on. An execution
        that ends FAILED, ABORTED or TIMED_OUT is then reported to ExecutionEnded with the
        "Step Functions Execution Status Change" event, as the stack's EventBridge rule does
        (moto's executor emits no events), once per execution."""
        import boto3

        client = boto3.client("stepfunctions")
        timeout_seconds = timeout_seconds or self.options.timeout_seconds
        deadline = time.monotonic() + timeout_seconds
        seen_states = seen_events = 0
        next_read = 0.0  # when the history may be read again
        while True:
            described = client.describe_execution(executionArn=execution_arn)
            ended = described["status"] != "RUNNING"
            if (progress is not None or events is not None) and (ended or time.monotonic() >= next_read):
                reading = time.monotonic()
                history = self.history(execution_arn, client)  # read after describe: never older than it
                took = time.monotonic() - reading
                next_read = reading + min(MAX_POLL_SECONDS, HISTORY_READS_APART * took)
                if events is not None:
                    for event in history[seen_events:]:
                        events(event)
                    seen_events = len(history)
                if progress is not None:
                    names = _states_entered(history)
                    for name in names[seen_states:]:
                        progress(name)
                    seen_states = len(names)
            if ended:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"execution {execution_arn} still RUNNING after {timeout_seconds}s; "
                    f"states so far: {' → '.join(_states_entered(self.history(execution_arn)))}"
                )
            time.sleep(POLL_SECONDS)
        if described["status"] in ENDED_STATUSES and execution_arn not in self._status_delivered:
            # What the stack's EventBridge rule does for every ending but SUCCEEDED.
            self._status_delivered.add(execution_arn)
            try:
                self.deliver_status_change(described)
            except RuntimeError as error:  # on AWS: EventBridge retries, then the function's alarm
                self.ended_errors[execution_arn] = str(error)
        output = described.get("output")
        assert self.bedrock is not None
        history = self.history(execution_arn)
        return RunResult(
            status=described["status"],
            execution_arn=execution_arn,
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
            notifications=self.notifications(),
            states=_states_entered(history),
            active_model=self.active_model(),
            throughputs=self.bedrock.describe_throughputs(),
            deployments=self.bedrock.describe_deployments(),
            final_state=last_state(history),
        )

    def stop_execution(self, execution_arn: str, cause: str = "stopped in the rehearsal") -> RunResult:
        """Stop a running execution, as StopExecution in the console does; `wait` then delivers
        what the stack's EventBridge rule delivers (see `wait`). Returns the run."""
        import boto3

        boto3.client("stepfunctions").stop_execution(executionArn=execution_arn, cause=cause)
        return self.wait(execution_arn)  # the executor records ABORTED a moment later

    def deliver_status_change(self, described: Mapping[str, Any]) -> Any:
        """Invoke ExecutionEnded with the status-change event of the execution `described`
        (a describe_execution response); returns the function's result."""

        def millis(moment: Any) -> int | None:
            return int(moment.timestamp() * 1000) if moment is not None else None

        event = {
            "version": "0",
            "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "detail": {
                "executionArn": described["executionArn"],
                "stateMachineArn": described["stateMachineArn"],
                "name": described["name"],
                "status": described["status"],
                "startDate": millis(described.get("startDate")),
                "stopDate": millis(described.get("stopDate")),
            },
        }
        return self.invoke("ExecutionEnded", event)

    def invoke(self, step: str, event: Any) -> Any:
        """Invoke a step's function through the local Lambda endpoint, as EventBridge would
        invoke ExecutionEnded or the Janitor; returns its result (raises on a function error)."""
        import boto3

        from podium.rehearsal.lambda_server import function_name
        from podium.workflow.steps import STEPS_BY_NAME

        name = function_name(self.options.name_prefix, STEPS_BY_NAME[step])
        response = boto3.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise RuntimeError(f"{step} failed: {payload}")
        return payload

    def run(
        self,
        execution_input: Any = None,
        name: str | None = None,
        progress: Callable[[str], None] | None = None,
        events: Callable[[dict[str, Any]], None] | None = None,
    ) -> RunResult:
        """Start an execution and wait for it to finish; its notifications are the ones
        delivered while it ran."""
        self.notifications()
        return self.wait(self.start_execution(execution_input, name), progress=progress, events=events)

    def reset(self) -> None:
        """Between scenarios: no active model, no faults, an empty Bedrock with the default script."""
        import boto3

        boto3.client("ssm").put_parameter(
            Name=self.parameter, Value=json.dumps({"active": None}), Type="String", Overwrite=True
        )
        assert self.lambdas is not None and self.bedrock is not None
        self.lambdas.clear()
        self.bedrock.reset()
        self.notifications()

    def history(self, execution_arn: str, client: Any = None) -> list[dict[str, Any]]:
        """Every event of the execution's history so far, oldest first."""
        import boto3

        client = client or boto3.client("stepfunctions")
        history: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = client.get_execution_history(**kwargs)
            history.extend(page["events"])
            if not page.get("nextToken"):
                return history
            kwargs["nextToken"] = page["nextToken"]

    @property
    def logs(self) -> FunctionLogs:
        """What the functions logged (one JSON object a line), since the last reset()."""
        assert self.lambdas is not None
        return self.lambdas.logs

    def notifications(self) -> list[dict[str, Any]]:
        """The SNS notifications delivered since the last call (consumed from the inbox queue)."""
        import boto3

        sqs = boto3.client("sqs")
        messages: list[dict[str, Any]] = []
        while True:
            received = sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10)
            batch = received.get("Messages", [])
            if not batch:
                break
            for message in batch:
                messages.append(_delivered(message["Body"]))
                sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return messages

    def active_model(self) -> dict[str, Any] | None:
        import boto3

        value = json.loads(boto3.client("ssm").get_parameter(Name=self.parameter)["Parameter"]["Value"])
        return value if value.get("model_arn") else None

    def read_run_file(self, run_id: str, name: str) -> str:
        import boto3

        response = boto3.client("s3").get_object(Bucket=self.bucket, Key=f"runs/{run_id}/{name}")
        return response["Body"].read().decode("utf-8")

    def download_run(self, run_id: str, out_dir: Path) -> list[Path]:
        """Copy everything under runs/<run_id>/ in the emulated bucket into `out_dir`."""
        import boto3

        s3 = boto3.client("s3")
        prefix = f"runs/{run_id}/"
        written = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                target = Path(out_dir) / item["Key"][len(prefix) :]
                body = s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read().decode("utf-8")
                write_text_atomic(target, body)
                written.append(target)
        return written


def rehearse(
    options: RehearsalOptions,
    execution_input: Any = None,
    *,
    out_dir: Path | None = None,
    name: str | None = None,
    progress: Callable[[str], None] | None = None,
    events: Callable[[dict[str, Any]], None] | None = None,
    folder_per_run: bool = False,
) -> tuple[RunResult, list[Path]]:
    """One complete local run (what `podium rehearse` needs): start the local cloud, run the
    real state machine once (execution `name`, default a random one), copy the run's files
    to `out_dir` (to `out_dir/<run_id>` with `folder_per_run`: the run id is known only once
    the execution has started) with the functions' log lines (FUNCTION_LOGS), tear everything
    down. `progress`/`events`: see Rehearsal.wait.

    With `folder_per_run`, `out_dir` is the rehearsal's memory (podium.rehearsal.workspace):
    the run starts from the active model an earlier rehearsal into it left, and leaves its own."""
    from podium.rehearsal import workspace

    with Rehearsal(options) as rehearsal:
        if out_dir and folder_per_run:
            workspace.restore(rehearsal, out_dir)
        result = rehearsal.run(execution_input, name=name, progress=progress, events=events)
        if folder_per_run:  # a run refused before Prepare gave it an id has no folder
            target = out_dir / result.run_id if out_dir and result.run_id else None
        else:
            target = out_dir
        files = rehearsal.download_run(result.run_id, target) if target and result.run_id else []
        if target and result.run_id:
            logs = target / FUNCTION_LOGS
            write_text_atomic(logs, "".join(line + "\n" for line in rehearsal.logs.lines()))
            files.append(logs)
        if out_dir and folder_per_run:
            saved = workspace.save(rehearsal, out_dir, result)
            files += [path for path in saved if target and path.parent == target and path not in files]
    return result, files


def _delivered(body: str) -> dict[str, Any]:
    """What an SNS message delivered to SQS says: its subject, its text, its attributes."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return {"text": body}
    if not isinstance(envelope, dict) or "Message" not in envelope:
        return envelope if isinstance(envelope, dict) else {"text": body}
    record: dict[str, Any] = {"subject": envelope.get("Subject")}
    for name, attribute in (envelope.get("MessageAttributes") or {}).items():
        record[name] = attribute.get("Value")
    try:
        parsed = json.loads(envelope["Message"])
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return {**record, **parsed}
    return {**record, "text": envelope["Message"]}


def _states_entered(history: Iterable[Mapping[str, Any]]) -> list[str]:
    return [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event]


def _forget_cached_environment() -> None:
    # Handlers read the Lambda environment once per container; a new rehearsal is a new container.
    from podium.workflow.environment import current

    current.cache_clear()
