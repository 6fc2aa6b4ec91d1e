"""What each workflow step does: one module per step (or pair of start/check steps), one
function per Task state. Adapters come in as arguments (ports), so tests run the steps with
in-memory fakes and the handlers with AWS; each handler imports only its own step's module.

Every step function takes the step's typed event and returns the step's typed result
(podium.workflow.events). Refusals raise the errors in podium.workflow.errors, whose class
names the state machine matches.
"""
