"""The one list of workflow steps: state name → handler → ASL substitution key → what it may touch.

The CDK stack builds one Lambda per step from this list and grants exactly the listed
permissions (their statements: podium.workflow.permissions); rehearsal and the workflow tests
map the same substitution keys to local functions. `statemachine/finetune.asl.json` refers to
each step as `${<substitution>}`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path


class Access(str, enum.Enum):
    """What a step's role may do. The stack turns each into the narrowest IAM statement."""

    READ_DATA = "read_data"  # s3:GetObject/ListBucket under the data prefix
    LIST_DATA = "list_data"  # s3:ListBucket under the data prefix: are the CSVs there?
    READ_RUNS = "read_runs"  # s3:GetObject/ListBucket under runs/
    LIST_RUNS = "list_runs"  # s3:ListBucket under runs/: does a run file exist?
    REREAD_RUNS = "reread_runs"  # s3:GetObject under runs/, of a file the step wrote itself (no listing)
    WRITE_RUNS = "write_runs"  # s3:PutObject under runs/
    WRITE_SCRATCH = "write_scratch"  # s3:PutObject + PutObjectTagging under runs/ (retention-tagged files)
    LIST_EXECUTIONS = "list_executions"  # states:ListExecutions on this state machine
    RUN_LOCK = "run_lock"  # s3 Get/PutObject on locks/*, states:DescribeExecution on this machine's executions
    DATABRICKS_SECRET = "databricks_secret"  # secretsmanager:GetSecretValue on the configured secret
    BEDROCK_START_JOB = "bedrock_start_job"  # CreateModelCustomizationJob + TagResource (own tags), iam:PassRole
    BEDROCK_READ_JOB = "bedrock_read_job"  # GetModelCustomizationJob
    BEDROCK_READ_MODEL = "bedrock_read_model"  # GetCustomModel: when a model a failed run keeps was made
    BEDROCK_STOP_JOB = "bedrock_stop_job"  # StopModelCustomizationJob, on this stack's jobs only (tag condition)
    # ListTagsForResource: whose job / custom model / throughput is it? (one Access per kind of resource)
    BEDROCK_READ_JOB_TAGS = "bedrock_read_job_tags"
    BEDROCK_READ_MODEL_TAGS = "bedrock_read_model_tags"
    BEDROCK_READ_THROUGHPUT_TAGS = "bedrock_read_throughput_tags"
    BEDROCK_CREATE_THROUGHPUT = "bedrock_create_throughput"  # Create + Get (lookup by name) + TagResource
    BEDROCK_READ_THROUGHPUT = "bedrock_read_throughput"  # GetProvisionedModelThroughput only
    BEDROCK_DELETE_THROUGHPUT = "bedrock_delete_throughput"  # on this stack's throughputs only (tag condition)
    BEDROCK_LIST = "bedrock_list"  # List throughputs, deployments and custom models (no resource form)
    BEDROCK_LIST_THROUGHPUTS = "bedrock_list_throughputs"  # ListProvisionedModelThroughputs: model units in use
    BEDROCK_DELETE_MODEL = "bedrock_delete_model"  # DeleteCustomModel, on this stack's models only (tag condition)
    READ_EXECUTION_HISTORY = "read_execution_history"  # states:GetExecutionHistory on this machine's executions
    START_EXECUTION = "start_execution"  # states:StartExecution on this state machine
    NOTIFY = "notify"  # sns:Publish on the run-outcomes topic
    BEDROCK_INVOKE = "bedrock_invoke"  # InvokeModel (Converse) on this stack's throughputs + the deployed base model
    ACTIVE_MODEL_READ = "active_model_read"  # ssm:GetParameter on the active-model parameter
    ACTIVE_MODEL_WRITE = "active_model_write"  # ssm:PutParameter on it
    READ_QUOTAS = "read_quotas"  # servicequotas:ListServiceQuotas + ListAWSDefaultServiceQuotas ("*" only)
    DESCRIBE_EXECUTIONS = "describe_executions"  # states:DescribeExecution on this machine's executions
    BEDROCK_TAG_PROMOTED = "bedrock_tag_promoted"  # TagResource podium:promoted on this stack's models/throughputs
    # Custom model deployments (deployment on_demand); granted only when the deployed base model
    # allows them in the deployed region (podium.workflow.permissions)
    BEDROCK_CREATE_DEPLOYMENT = "bedrock_create_deployment"  # Create + Get (lookup by name) + TagResource
    BEDROCK_READ_DEPLOYMENT = "bedrock_read_deployment"  # GetCustomModelDeployment only
    BEDROCK_DELETE_DEPLOYMENT = "bedrock_delete_deployment"  # on this stack's deployments only (tag condition)
    BEDROCK_LIST_DEPLOYMENTS = "bedrock_list_deployments"  # ListCustomModelDeployments: how many exist
    BEDROCK_READ_DEPLOYMENT_TAGS = "bedrock_read_deployment_tags"  # ListTagsForResource: whose deployment is it?


class DependencyGroup(str, enum.Enum):
    """Third-party code a step's Lambda bundle adds to requirements/lambda.in (which every
    function gets: boto3, pydantic). Each is requirements/<value>.in; a step
    that needs none of them gets the small shared bundle."""

    FACTS = "facts"  # DuckDB + sqlglot: computes facts from the tables (podium.dataset.facts)
    DATABRICKS = "databricks"  # databricks-sdk: bundled only when the stack deploys generator=databricks
    REPORT = "report"  # Jinja2: writes report.html (podium.evaluation.report)


@dataclass(frozen=True)
class Step:
    name: str  # the Task state's name in the ASL
    module: str  # lambdas/<module>.py, exporting `handler`
    access: frozenset[Access]
    timeout_seconds: int = 60
    memory_mb: int = 512
    needs: frozenset[DependencyGroup] = frozenset()  # see DependencyGroup
    # True: a Task state of statemachine/finetune.asl.json. False: started by an EventBridge
    # rule of the stack (stacks/housekeeping.py), not by the state machine.
    in_definition: bool = True

    @property
    def handler(self) -> str:
        return f"lambdas.{self.module}.handler"

    @property
    def substitution(self) -> str:
        """Key in definition_substitutions; the ASL says `${<this>}`."""
        return f"{self.name}FunctionArn"


A = Access
D = DependencyGroup
# What undoing a run takes, for Cleanup and for ExecutionEnded (which runs the same cleanup).
# ACTIVE_MODEL_READ: never delete the throughput that serves the active model;
# DATABRICKS_SECRET: cancel this run's Databricks generation run if it still runs;
# READ_MODEL (+ its tags): when the janitor deletes the trained model the run keeps.
CLEANUP_ACCESS = frozenset(
    {
        A.DATABRICKS_SECRET,
        A.BEDROCK_READ_JOB,
        A.BEDROCK_STOP_JOB,
        A.BEDROCK_READ_THROUGHPUT,
        A.BEDROCK_DELETE_THROUGHPUT,
        A.BEDROCK_READ_DEPLOYMENT,
        A.BEDROCK_DELETE_DEPLOYMENT,
        A.BEDROCK_READ_JOB_TAGS,
        A.BEDROCK_READ_MODEL,
        A.BEDROCK_READ_MODEL_TAGS,
        A.BEDROCK_READ_THROUGHPUT_TAGS,
        A.BEDROCK_READ_DEPLOYMENT_TAGS,
        A.ACTIVE_MODEL_READ,
    }
)
STEPS: tuple[Step, ...] = (
    Step(
        "Prepare",
        "prepare",
        # READ_QUOTAS + BEDROCK_LIST_THROUGHPUTS / _DEPLOYMENTS: the preflight (the model units the run's
        # throughput needs, or the deployment it makes)
        frozenset(
            {
                A.LIST_EXECUTIONS,
                A.RUN_LOCK,
                A.LIST_DATA,
                A.DATABRICKS_SECRET,
                A.READ_QUOTAS,
                A.BEDROCK_LIST_THROUGHPUTS,
                A.BEDROCK_LIST_DEPLOYMENTS,
            }
        ),
    ),
    Step(
        "StartGeneration",
        "start_generation",
        # WRITE_SCRATCH: the generated pairs are a scratch file
        frozenset({A.READ_DATA, A.WRITE_SCRATCH, A.DATABRICKS_SECRET}),
        timeout_seconds=300,
        memory_mb=2048,
        needs=frozenset({D.FACTS, D.DATABRICKS}),  # the built-in generator computes facts here
    ),
    Step(
        "CheckGeneration",
        "check_generation",
        # LIST_RUNS: the built-in generator is done when its pairs file exists
        frozenset({A.LIST_RUNS, A.DATABRICKS_SECRET}),
        needs=frozenset({D.DATABRICKS}),
    ),
    Step(
        "BuildDataset",
        "build_dataset",
        frozenset({A.READ_RUNS, A.WRITE_RUNS, A.DATABRICKS_SECRET, A.ACTIVE_MODEL_READ}),
        timeout_seconds=600,
        memory_mb=2048,
        needs=frozenset({D.DATABRICKS}),  # reads the generated pairs back through the SQL warehouse
    ),
    # READ_JOB_TAGS: a retried call adopts an existing job only when its tags name this execution
    Step(
        "StartFineTune",
        "start_fine_tune",
        frozenset({A.BEDROCK_START_JOB, A.BEDROCK_READ_JOB, A.BEDROCK_READ_JOB_TAGS}),
    ),
    Step("CheckFineTune", "check_fine_tune", frozenset({A.BEDROCK_READ_JOB, A.READ_RUNS})),
    # What serves the new model: a provisioned throughput, or (deployment on_demand) a custom model deployment.
    # READ_*_TAGS: a retried call adopts the one of its name only when its tags name this execution
    Step(
        "CreateThroughput",
        "create_throughput",
        frozenset(
            {
                A.BEDROCK_CREATE_THROUGHPUT,
                A.BEDROCK_READ_THROUGHPUT_TAGS,
                A.BEDROCK_CREATE_DEPLOYMENT,
                A.BEDROCK_READ_DEPLOYMENT_TAGS,
            }
        ),
    ),
    Step("CheckThroughput", "check_throughput", frozenset({A.BEDROCK_READ_THROUGHPUT, A.BEDROCK_READ_DEPLOYMENT})),
    Step(
        "EvaluateChunk",
        "evaluate_chunk",
        # scratch chunk files: each chunk's answers, so a retried chunk is not asked again;
        # ACTIVE_MODEL_READ: the champion, asked live when too few of its answers are on file
        frozenset({A.READ_RUNS, A.WRITE_SCRATCH, A.BEDROCK_INVOKE, A.ACTIVE_MODEL_READ}),
        timeout_seconds=900,
    ),
    Step(
        "ScoreEvaluation",
        "score_evaluation",
        # DELETE_THROUGHPUT / _DEPLOYMENT: the evaluation-only throughput (or deployment), or a discarded
        # model's; ACTIVE_MODEL_READ: never the one serving the active model, and the champion to compare with;
        # WRITE_RUNS: eval.json, and the champion's answers asked live, filed under its run
        frozenset(
            {A.READ_RUNS, A.WRITE_RUNS, A.BEDROCK_DELETE_THROUGHPUT, A.BEDROCK_DELETE_DEPLOYMENT, A.ACTIVE_MODEL_READ},
        ),
        timeout_seconds=300,
        memory_mb=1024,
    ),
    Step(
        "Promote",
        "promote",
        frozenset(
            # REREAD_RUNS: a retried Promote reads back the promotion.json it wrote (before it
            # changed the active record, so the file is there whenever it is read: no listing);
            # TAG_PROMOTED: the promoted model and its throughput are tagged for the janitor
            {
                A.ACTIVE_MODEL_READ,
                A.ACTIVE_MODEL_WRITE,
                A.BEDROCK_DELETE_THROUGHPUT,
                A.BEDROCK_READ_THROUGHPUT_TAGS,
                A.BEDROCK_DELETE_DEPLOYMENT,
                A.BEDROCK_READ_DEPLOYMENT_TAGS,
                A.BEDROCK_TAG_PROMOTED,
                A.WRITE_RUNS,
                A.REREAD_RUNS,
            }
        ),
    ),
    Step(
        "Cleanup",
        "cleanup",
        CLEANUP_ACCESS,
        needs=frozenset({D.DATABRICKS}),
    ),
    Step(
        "Report",
        "report",
        # report.html from the run's files; the history for the phases; the active model it names
        frozenset({A.READ_RUNS, A.WRITE_RUNS, A.READ_EXECUTION_HISTORY, A.ACTIVE_MODEL_READ}),
        timeout_seconds=120,
        memory_mb=1024,
        needs=frozenset({D.REPORT}),
    ),
    # -- outside the state machine -------------------------------------------------------
    Step(
        "ExecutionEnded",
        "execution_ended",
        # An execution stopped, timed out, or failed where its Cleanup did not finish: Cleanup's rights,
        # plus the execution history (the run's last state), the topic, and the run's files
        # (its report.html, as the Report state writes it)
        CLEANUP_ACCESS | {A.READ_EXECUTION_HISTORY, A.NOTIFY, A.READ_RUNS, A.WRITE_RUNS},
        timeout_seconds=120,
        needs=frozenset({D.DATABRICKS, D.REPORT}),
        in_definition=False,
    ),
    Step(
        "Janitor",
        "janitor",
        # LIST_RUNS: a run promoted before Promote tagged wrote runs/<run_id>/promotion.json;
        # DESCRIBE_EXECUTIONS: never what a RUNNING execution made
        frozenset(
            {
                A.BEDROCK_LIST,
                A.BEDROCK_READ_MODEL_TAGS,
                A.BEDROCK_READ_THROUGHPUT_TAGS,
                A.BEDROCK_READ_DEPLOYMENT_TAGS,
                A.BEDROCK_DELETE_THROUGHPUT,
                A.BEDROCK_DELETE_DEPLOYMENT,
                A.BEDROCK_DELETE_MODEL,
                A.ACTIVE_MODEL_READ,
                A.LIST_RUNS,
                A.DESCRIBE_EXECUTIONS,
                A.NOTIFY,
            }
        ),
        timeout_seconds=300,
        in_definition=False,
    ),
    # An object under incoming/: start this upload burst's one run (podium.workflow.uploads)
    Step("StartOnUpload", "start_on_upload", frozenset({A.START_EXECUTION}), in_definition=False),
)

STEPS_BY_NAME = {step.name: step for step in STEPS}
# The steps the state machine invokes; each is a Task of the same name in the ASL.
DEFINITION_STEPS = tuple(step for step in STEPS if step.in_definition)

# Non-Lambda substitutions the ASL uses.
TOPIC_SUBSTITUTION = "NotificationTopicArn"

# The one definition, deployed by the stack and run by rehearsal; neither copies it.
ASL_PATH = Path(__file__).resolve().parents[2] / "statemachine" / "finetune.asl.json"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitution_keys() -> set[str]:
    """Every `${...}` key the definition may use: one per definition Step plus the SNS topic."""
    return {step.substitution for step in DEFINITION_STEPS} | {TOPIC_SUBSTITUTION}


def asl_placeholders(path: Path = ASL_PATH) -> set[str]:
    """The `${...}` keys the definition at `path` uses."""
    return set(PLACEHOLDER.findall(path.read_text(encoding="utf-8")))
