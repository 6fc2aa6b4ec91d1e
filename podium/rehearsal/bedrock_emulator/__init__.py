"""A local Amazon Bedrock control plane + runtime for rehearsal: the REST calls Podium makes.

moto's Bedrock keeps jobs InProgress forever and has no provisioned throughput, so
rehearsal points AWS_ENDPOINT_URL_BEDROCK here. Paths and shapes follow botocore's
service model (botocore/data/bedrock/*/service-2.json):

  POST   /model-customization-jobs                      CreateModelCustomizationJob
  GET    /model-customization-jobs/{jobIdentifier}       GetModelCustomizationJob
  POST   /model-customization-jobs/{jobIdentifier}/stop  StopModelCustomizationJob
  GET    /model-customization-jobs                       ListModelCustomizationJobs
  GET    /custom-models/{modelIdentifier}                GetCustomModel
  POST   /provisioned-model-throughput                   CreateProvisionedModelThroughput
  GET    /provisioned-model-throughput/{id}              GetProvisionedModelThroughput
  DELETE /provisioned-model-throughput/{id}              DeleteProvisionedModelThroughput
  GET    /provisioned-model-throughputs                  ListProvisionedModelThroughputs
  POST   /model-customization/custom-model-deployments   CreateCustomModelDeployment
  GET    /model-customization/custom-model-deployments/{id}   GetCustomModelDeployment
  PATCH  /model-customization/custom-model-deployments/{id}   UpdateCustomModelDeployment
  DELETE /model-customization/custom-model-deployments/{id}   DeleteCustomModelDeployment
  GET    /model-customization/custom-model-deployments   ListCustomModelDeployments
  POST   /model/{modelId}/invoke                         InvokeModel (bedrock-runtime)
  POST   /model/{modelId}/converse                       Converse (bedrock-runtime)

Each operation's method and path are read from botocore's service models at runtime
(podium.rehearsal.service_model), as are the HTTP statuses of errors.

InvokeModel (each model family's native body: Meta Llama's {"prompt", ...} →
{"generation", ...}, Nova's messages-v1) and Converse answer with a SIMULATED model
(podium.rehearsal.simulated_model, by its stated RULE): for a provisioned throughput's
or a custom model deployment's ARN, a model that learned from the training file its job received; for a base model id,
one that knows only the most-named subjects of what was trained on that base model here.
Every answer is labelled: the response header `x-podium-simulated`, and `podium_simulated`
(the note, how the answer came about, and the rule with what its numbers can and cannot
tell) in Converse's `additionalModelResponseFields` or InvokeModel's body.

Lifecycles advance one tick per status read (deterministic, independent of wall time).
The emulator is a second opinion, not a mirror of Podium: it judges requests and data
with its own reading of Bedrock's documentation (podium.rehearsal.bedrock_rules) and
botocore's models, and no module of this package imports podium.dataset, podium.models,
podium.config or podium.workflow. As on AWS, CreateModelCustomizationJob refuses bad
names, models and hyperparameters with a ValidationException, but accepts a job whose
data is bad: the job goes InProgress (validation phase) and then Failed with a
failureMessage saying what is wrong. A stopped job shows Stopping before Stopped.
A custom model deployment is refused (ValidationException) outside us-east-1 and us-west-2, for a
custom model of another base than Nova Micro, Lite or Pro, or one customized before 2025-07-16
(deploy-custom-model-on-demand.html, read by `deployments`). Outcomes can be scripted (Script): a
job, throughput or deployment that fails, a training file
corrupted after upload, errors answered by any operation (InjectedError). The metrics
files a completed job writes to its S3 output prefix are marked as SIMULATED in every row.

Modules, one concern each:
  emulator       BedrockEmulator: the operation table, injected errors, routing a call
  state          the emulated records (jobs, custom models, throughputs, deployments, tags), reset
  errors         BedrockError (answered with botocore's status) and name checks
  script         Script and InjectedError: what the emulated service will do
  jobs           the model customization job lifecycle, its validation phase and metrics
  custom_models  custom models and resource tags
  throughputs    the provisioned throughput lifecycle
  deployments    the custom model deployment lifecycle (on-demand inference) and who may have one
  quotas         Bedrock's quotas as Service Quotas lists them, and the ones Create calls enforce
  runtime        bedrock-runtime: InvokeModel and Converse with the simulated model
  corruptions    Script.corrupt_training: defects written into an uploaded training file
  server         BedrockServer: the HTTP endpoint on 127.0.0.1
"""
