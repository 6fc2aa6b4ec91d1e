"""The statement replay finds what no call needed, part by part, and leaves `unreachable` statements alone."""

from __future__ import annotations

from podium.rehearsal.iam.account import Record, Role
from podium.rehearsal.iam.evaluator import Request
from podium.rehearsal.iam.replay import needless
from podium.workflow.permissions import Statement

BUCKET = "arn:aws:s3:::b"


def _role(*statements: Statement) -> dict[str, Role]:
    return {"Step": Role("podium-Step", "Step", "lambda.amazonaws.com", statements)}


def _called(*requests: Request, allowed: bool = True) -> list[Record]:
    return [Record("Step", "call", request, allowed) for request in requests]


def test_an_action_or_a_resource_nothing_needed_is_found():
    roles = _role(
        Statement(("s3:GetObject", "s3:PutObjectTagging"), (f"{BUCKET}/runs/*", f"{BUCKET}/data/*")),
        Statement(("s3:ListBucket",), (BUCKET,), {"StringLike": {"s3:prefix": ["runs/*"]}}),
    )
    records = _called(
        Request("s3:GetObject", f"{BUCKET}/runs/r1/train.jsonl"),
        Request("s3:ListBucket", BUCKET, {"s3:prefix": "runs/r1/"}),
    )
    assert [(n.part, n.statement.actions) for n in needless(roles, records)] == [
        ("s3:PutObjectTagging", ("s3:GetObject", "s3:PutObjectTagging")),
        (f"{BUCKET}/data/*", ("s3:GetObject", "s3:PutObjectTagging")),
    ]


def test_refused_calls_prove_nothing_and_unreachable_statements_are_left_alone():
    roles = _role(
        Statement(("s3:GetObject",), (f"{BUCKET}/runs/*",)),
        Statement(("logs:PutLogEvents",), ("arn:aws:logs:*",), unreachable="the Lambda service writes the logs"),
    )
    refused = _called(Request("s3:GetObject", f"{BUCKET}/runs/x"), allowed=False)
    assert [n.part for n in needless(roles, refused)] == ["s3:GetObject"]
    assert needless(roles, _called(Request("s3:GetObject", f"{BUCKET}/runs/x"))) == []
