"""The rehearsal's IAM evaluator against cases whose answer AWS's documentation states
(reference_policies_evaluation-logic.html, reference_policies_elements_*.html,
reference_policies_condition-single-vs-multi-valued-context-keys.html), and against moto's own
evaluator where moto answers them (Action and Resource with `*`, no conditions)."""

from __future__ import annotations

import json

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from podium.rehearsal.iam.evaluator import Request, UnsupportedPolicy, evaluate, trust_allows

KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd"
TOPIC = "arn:aws:sns:us-west-2:123456789012:podium-notifications"


def _policy(*statements: dict) -> list[dict]:
    return [{"Version": "2012-10-17", "Statement": list(statements)}]


def _allow(action, resource, condition=None, effect="Allow"):
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def allowed(policies, action, resource, context=None) -> bool:
    return evaluate(policies, Request(action, resource, context or {})).allowed


def test_nothing_allows_by_default_implicit_deny():
    assert not allowed(_policy(), "sns:Publish", TOPIC)
    decision = evaluate(_policy(_allow("sns:Publish", TOPIC)), Request("sns:Subscribe", TOPIC))
    assert not decision.allowed and "no identity-based policy allows the sns:Subscribe action" in decision.reason


def test_an_explicit_deny_wins_over_any_allow():
    policies = _policy(_allow("s3:*", "*"), _allow("s3:DeleteObject", "arn:aws:s3:::b/*", effect="Deny"))
    assert allowed(policies, "s3:GetObject", "arn:aws:s3:::b/k")
    assert not allowed(policies, "s3:DeleteObject", "arn:aws:s3:::b/k")


def test_actions_match_case_insensitively_with_wildcards():
    policies = _policy(_allow(["s3:Get*", "bedrock:InvokeModel?ithResponseStream"], "*"))
    assert allowed(policies, "S3:GETOBJECT", "arn:aws:s3:::b/k")
    assert allowed(policies, "bedrock:InvokeModelWithResponseStream", "*")
    assert not allowed(policies, "bedrock:InvokeModel", "*")  # `?` is exactly one character


def test_resources_match_per_arn_part_case_sensitively():
    policies = _policy(_allow("bedrock:InvokeModel", "arn:aws:bedrock:*::foundation-model/meta.llama3-2-*"))
    assert allowed(policies, "bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-2-1b-v1:0")
    assert not allowed(policies, "bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/META.llama3-2-1b")
    # `.` is a character, not "any character"
    assert not allowed(policies, "bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/metaXllama3-2-1b")
    secret = _policy(_allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:r:1:secret:db-??????"))
    assert allowed(secret, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:r:1:secret:db-AbC123")
    assert not allowed(secret, "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:r:1:secret:db-AbC1234")


def test_not_action_allows_everything_else():
    policies = _policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert allowed(policies, "s3:GetObject", "arn:aws:s3:::b/k")
    assert not allowed(policies, "iam:PassRole", "arn:aws:iam::1:role/r")


def test_a_failed_condition_on_an_allow_neither_allows_nor_denies():
    """AWS: a statement applies only when its conditions hold. moto 5.2.5 answers DENIED (an
    explicit deny) for an Allow whose condition fails — one reason the rehearsal has its own."""
    via_s3 = _allow("kms:Decrypt", KEY, {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}})
    via_bedrock = _allow("kms:Decrypt", KEY, {"StringEquals": {"kms:ViaService": "bedrock.us-west-2.amazonaws.com"}})
    context = {"kms:ViaService": "bedrock.us-west-2.amazonaws.com"}
    assert allowed(_policy(via_s3, via_bedrock), "kms:Decrypt", KEY, context)
    assert not allowed(_policy(via_s3), "kms:Decrypt", KEY, context)
    moto = IAMPolicy(json.dumps(_policy(via_s3, via_bedrock)[0])).is_action_permitted(
        "kms:Decrypt", KEY, incoming_condition_values=context
    )
    assert moto is PermissionResult.DENIED  # the difference, documented in the README


def test_keys_are_anded_values_ored_and_key_names_case_insensitive():
    condition = {
        "StringEquals": {
            "aws:RequestTag/podium:stack": ["podium", "other"],
            "iam:PassedToService": "bedrock.amazonaws.com",
        }
    }
    policies = _policy(_allow("iam:PassRole", "*", condition))
    both = {"AWS:RequestTag/podium:stack": "other", "iam:passedtoservice": "bedrock.amazonaws.com"}
    assert allowed(policies, "iam:PassRole", "arn:aws:iam::1:role/r", both)
    assert not allowed(
        policies, "iam:PassRole", "arn:aws:iam::1:role/r", {"iam:PassedToService": "bedrock.amazonaws.com"}
    )


def test_a_missing_key_fails_a_condition_except_negated_ifexists_and_null():
    r = "arn:aws:bedrock:us-west-2:1:provisioned-model/x"
    tag = "aws:ResourceTag/podium:stack"
    assert not allowed(_policy(_allow("bedrock:Delete*", r, {"StringEquals": {tag: "podium"}})), "bedrock:DeleteX", r)
    assert allowed(_policy(_allow("bedrock:Delete*", r, {"StringNotEquals": {tag: "podium"}})), "bedrock:DeleteX", r)
    assert allowed(_policy(_allow("bedrock:Delete*", r, {"StringEqualsIfExists": {tag: "p"}})), "bedrock:DeleteX", r)
    assert allowed(_policy(_allow("bedrock:Delete*", r, {"Null": {tag: "true"}})), "bedrock:DeleteX", r)
    assert not allowed(_policy(_allow("bedrock:Delete*", r, {"Null": {tag: "false"}})), "bedrock:DeleteX", r)


def test_for_all_values_holds_on_no_values_and_for_any_value_does_not():
    """The documented trap: ForAllValues with no aws:TagKeys in the request is true."""
    only_podium = {"ForAllValues:StringEquals": {"aws:TagKeys": ["podium:stack", "podium:run_id"]}}
    some_podium = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["podium:stack"]}}
    r = "arn:aws:bedrock:us-west-2:1:custom-model/*"
    for condition, no_tags, ours, foreign in (
        (only_podium, True, True, False),
        (some_podium, False, True, True),
    ):
        policies = _policy(_allow("bedrock:TagResource", r, condition))
        assert allowed(policies, "bedrock:TagResource", r) is no_tags
        assert allowed(policies, "bedrock:TagResource", r, {"aws:TagKeys": ["podium:stack"]}) is ours
        assert allowed(policies, "bedrock:TagResource", r, {"aws:TagKeys": ["podium:stack", "owner"]}) is foreign


def test_arn_like_and_bool_and_string_like():
    policies = _policy(
        _allow("kms:CreateGrant", KEY, {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
        _allow("s3:ListBucket", "arn:aws:s3:::b", {"StringLike": {"s3:prefix": ["runs/*"]}}),
        _allow(
            "sts:AssumeRole",
            "*",
            {"ArnLike": {"aws:SourceArn": "arn:aws:bedrock:us-west-2:1:model-customization-job/*"}},
        ),
    )
    assert allowed(policies, "kms:CreateGrant", KEY, {"kms:GrantIsForAWSResource": True})
    assert not allowed(policies, "kms:CreateGrant", KEY, {"kms:GrantIsForAWSResource": False})
    assert allowed(policies, "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "runs/x/"})
    assert not allowed(policies, "s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "data/"})
    assert not allowed(policies, "s3:ListBucket", "arn:aws:s3:::b")  # no prefix: the condition fails
    job = "arn:aws:bedrock:us-west-2:1:model-customization-job/m/abc"
    assert allowed(policies, "sts:AssumeRole", "*", {"aws:SourceArn": job})


def test_what_the_evaluator_does_not_evaluate_is_refused_loudly():
    with pytest.raises(UnsupportedPolicy, match="DateGreaterThan"):
        evaluate(
            _policy(_allow("s3:*", "*", {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}})),
            Request("s3:GetObject", "x"),
        )
    with pytest.raises(UnsupportedPolicy, match="policy variables"):
        evaluate(
            _policy(_allow("s3:*", "arn:aws:s3:::b/${aws:username}/*")), Request("s3:GetObject", "arn:aws:s3:::b/k")
        )


def test_trust_policies_check_the_service_and_the_confused_deputy_conditions():
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": "123456789012"},
                    "ArnEquals": {"aws:SourceArn": "arn:aws:bedrock:us-west-2:123456789012:model-customization-job/*"},
                },
            }
        ]
    }
    job = "arn:aws:bedrock:us-west-2:123456789012:model-customization-job/m/1"
    assert trust_allows(trust, "bedrock.amazonaws.com", {"aws:SourceAccount": "123456789012", "aws:SourceArn": job})
    assert not trust_allows(trust, "bedrock.amazonaws.com", {"aws:SourceAccount": "999999999999", "aws:SourceArn": job})
    assert not trust_allows(trust, "lambda.amazonaws.com", {"aws:SourceAccount": "123456789012", "aws:SourceArn": job})


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("s3:GetObject", "arn:aws:s3:::bucket/runs/r1/train.jsonl"),
        ("s3:GetObject", "arn:aws:s3:::bucket/data/medals.csv"),
        ("s3:PutObject", "arn:aws:s3:::bucket/runs/r1/output/x"),
        ("s3:PutObject", "arn:aws:s3:::other/runs/r1/output/x"),
        ("bedrock:GetProvisionedModelThroughput", "arn:aws:bedrock:us-west-2:1:provisioned-model/abc"),
        ("bedrock:DeleteCustomModel", "arn:aws:bedrock:us-west-2:1:custom-model/abc"),
        ("ssm:GetParameter", "arn:aws:ssm:us-west-2:1:parameter/podium/active-model"),
    ],
)
def test_action_and_resource_matching_agrees_with_moto_where_moto_answers(action, resource):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            _allow(["s3:GetObject"], ["arn:aws:s3:::bucket/runs/*", "arn:aws:s3:::bucket/data/*"]),
            _allow("s3:PutObject", "arn:aws:s3:::bucket/runs/*/output/*"),
            _allow(["bedrock:Get*", "bedrock:DeleteCustomModel"], "arn:aws:bedrock:us-west-2:1:*"),
            _allow("ssm:GetParameter", "arn:aws:ssm:us-west-2:1:parameter/podium/*"),
        ],
    }
    moto = IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource) is PermissionResult.PERMITTED
    assert allowed([policy], action, resource) is moto
