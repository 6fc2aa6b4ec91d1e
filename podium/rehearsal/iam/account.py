"""The rehearsal's account: the deployment's roles, made from podium.workflow.permissions (the
source `cdk deploy` uses) in moto's IAM, their credentials from moto's STS, and the Authorizer
that judges a call by the role whose credentials signed it.

Each function's role is assumed once (moto STS AssumeRole, session named after the function):
its access key identifies the role on every call, as on AWS. Moto's Step Functions executor
signs with the access key "ak" (moto.stepfunctions.parser.asl.utils.boto_client): that key is
the state machine's role. Credentials nobody registered (the harness, tests: the operator) are
not judged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podium.config import StackSettings
from podium.rehearsal.iam.evaluator import Decision, Request, evaluate, trust_allows
from podium.workflow import permissions
from podium.workflow.permissions import Names, Statement
from podium.workflow.steps import STEPS, Step

MOTO_EXECUTOR_ACCESS_KEY = "ak"  # what moto's Step Functions executor signs its Lambda/SNS calls with
POLICY_NAME = "podium"
OPERATOR = "operator"  # credentials of the person running the rehearsal: not judged


@dataclass(frozen=True)
class Principal:
    role_name: str
    role_arn: str
    session_arn: str
    caller: str  # the step name, "StateMachine" or "BedrockServiceRole"


@dataclass(frozen=True)
class Record:
    """One judged question: who asked, for which operation, and the answer."""

    caller: str
    operation: str
    request: Request
    allowed: bool


class AccessDenied(Exception):
    def __init__(self, principal: Principal, request: Request, decision: Decision) -> None:
        self.principal, self.request, self.decision = principal, request, decision
        why = f" ({request.why})" if request.why else ""
        super().__init__(
            f"User: {principal.session_arn} is not authorized to perform: {request.action} on resource: "
            f"{request.resource} {decision.reason}{why}"
        )


@dataclass
class Authorizer:
    """Judges requests by the policies of the caller's role, read from moto's IAM each time (so a
    test may change a role's policy with iam.put_role_policy), and records every answer."""

    account: str
    partition: str = "aws"
    enforce: bool = True  # False: judge and record, but never refuse
    principals: dict[str, Principal] = field(default_factory=dict)  # access key → principal
    records: list[Record] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register(self, access_key: str, principal: Principal) -> None:
        self.principals[access_key] = principal

    def principal_for(self, access_key: str | None) -> Principal | None:
        return self.principals.get(access_key or "")

    def policies(self, role_name: str) -> list[Mapping[str, Any]]:
        from moto.iam.models import iam_backends

        role = iam_backends[self.account][self.partition].get_role(role_name)
        return [json.loads(document) for document in role.policies.values()]

    def check(self, principal: Principal, operation: str, requests: Sequence[Request]) -> None:
        """Raise AccessDenied for the first request the caller's role does not allow."""
        policies = self.policies(principal.role_name)
        for request in requests:
            decision = evaluate(policies, request)
            with self._lock:
                self.records.append(Record(principal.caller, operation, request, decision.allowed))
            if not decision.allowed and self.enforce:
                raise AccessDenied(principal, request, decision)

    def clear_records(self) -> list[Record]:
        with self._lock:
            records, self.records = self.records, []
        return records


@dataclass(frozen=True)
class Role:
    name: str
    caller: str
    trust_service: str
    statements: tuple[Statement, ...]
    trust_policy: Mapping[str, Any] | None = None


def role_name(name_prefix: str, caller: str) -> str:
    return f"{name_prefix}-{caller}"


def deployment_roles(
    names: Names,
    settings: StackSettings,
    *,
    function_arn: Callable[[Step], str],
    log_group_arn: Callable[[Step], str],
) -> list[Role]:
    """Every role the stack deploys, with the statements podium.workflow.permissions gives it."""
    prefix = settings.name_prefix
    roles = [
        Role(
            role_name(prefix, step.name),
            step.name,
            permissions.LAMBDA_SERVICE,
            tuple(permissions.step_statements(step, names, settings, log_group_arn(step))),
        )
        for step in STEPS
    ]
    definition = [function_arn(step) for step in STEPS if step.in_definition]
    roles.append(
        Role(
            role_name(prefix, "StateMachine"),
            "StateMachine",
            permissions.STATES_SERVICE,
            tuple(permissions.state_machine_statements(names, settings, definition)),
        )
    )
    roles.append(
        Role(
            role_name(prefix, "BedrockServiceRole"),
            "BedrockServiceRole",
            permissions.BEDROCK_SERVICE,
            tuple(permissions.bedrock_service_role_statements(names, settings)),
            permissions.bedrock_trust_policy(names),
        )
    )
    return roles


def _trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


@dataclass
class Account:
    """The roles created in moto's IAM and the credentials each caller signs with."""

    authorizer: Authorizer
    roles: dict[str, Role] = field(default_factory=dict)  # caller → role
    credentials: dict[str, Any] = field(default_factory=dict)  # caller → botocore Credentials

    @classmethod
    def create(cls, authorizer: Authorizer, roles: Iterable[Role], operator_client: Callable[[str], Any]) -> Account:
        from botocore.credentials import Credentials

        account = cls(authorizer)
        iam, sts = operator_client("iam"), operator_client("sts")
        for role in roles:
            account.roles[role.caller] = role
            arn = iam.create_role(
                RoleName=role.name,
                AssumeRolePolicyDocument=json.dumps(role.trust_policy or _trust(role.trust_service)),
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=role.name,
                PolicyName=POLICY_NAME,
                PolicyDocument=json.dumps(permissions.policy_document(role.statements)),
            )
            if role.caller in ("StateMachine", "BedrockServiceRole"):
                continue  # assumed by their services: see register_state_machine and assume_for_bedrock
            assumed = sts.assume_role(RoleArn=arn, RoleSessionName=role.name)
            keys = assumed["Credentials"]
            principal = Principal(role.name, arn, assumed["AssumedRoleUser"]["Arn"], role.caller)
            authorizer.register(keys["AccessKeyId"], principal)
            account.credentials[role.caller] = Credentials(
                keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]
            )
        machine = account.roles.get("StateMachine")
        if machine is not None:
            machine_arn = f"arn:{authorizer.partition}:iam::{authorizer.account}:role/{machine.name}"
            authorizer.register(
                MOTO_EXECUTOR_ACCESS_KEY,
                Principal(
                    machine.name,
                    machine_arn,
                    f"arn:{authorizer.partition}:sts::{authorizer.account}:assumed-role/{machine.name}/states",
                    "StateMachine",
                ),
            )
        return account

    def set_policy(self, caller: str, statements: Iterable[Statement]) -> None:
        """Replace a role's policy (what a redeploy with other statements would do)."""
        from moto.iam.models import iam_backends

        role = self.roles[caller]
        backend = iam_backends[self.authorizer.account][self.authorizer.partition]
        backend.put_role_policy(role.name, POLICY_NAME, json.dumps(permissions.policy_document(statements)))

    def assume_for_service(
        self, role_arn: str, service: str, context: Mapping[str, Any], operator_client: Callable[[str], Any]
    ) -> Any:
        """Credentials a service (Bedrock) gets by assuming a passed role — when the role's trust
        policy lets it, with the confused-deputy context (aws:SourceAccount, aws:SourceArn)."""
        from botocore.credentials import Credentials

        name = role_arn.rsplit("/", 1)[-1]
        trust = operator_client("iam").get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        if isinstance(trust, str):
            trust = json.loads(trust)
        if not trust_allows(trust, service, context):
            raise PermissionError(f"{role_arn}'s trust policy does not let {service} assume it ({dict(context)})")
        assumed = operator_client("sts").assume_role(RoleArn=role_arn, RoleSessionName=service.split(".")[0])
        keys = assumed["Credentials"]
        caller = next((r.caller for r in self.roles.values() if r.name == name), name)
        self.authorizer.register(
            keys["AccessKeyId"], Principal(name, role_arn, assumed["AssumedRoleUser"]["Arn"], caller)
        )
        return Credentials(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])


__all__ = [
    "OPERATOR",
    "AccessDenied",
    "Account",
    "Authorizer",
    "Principal",
    "Record",
    "Role",
    "deployment_roles",
]
