"""IAM in the rehearsal: every AWS call a function makes is judged by its own role, as on AWS.

  evaluator   AWS's policy evaluation logic (identity-based policies, one account)
  conditions  the Condition element's operators and context keys
  account     the roles (from podium.workflow.permissions), their credentials, and the Authorizer
              that judges, records and answers AccessDenied
  calls       what AWS authorizes for each call the moto-served services get (action, resource,
              condition keys, and the KMS rights SSE-KMS and encrypted topics add)
  session     the boto3 session of the rehearsal: each invocation's clients sign with their
              function's credentials; calls to moto are judged before they reach it

The Bedrock emulator judges the calls it serves itself, with the same Authorizer
(podium.rehearsal.bedrock_emulator.authorization): only it knows its resources' tags and keys.
"""
