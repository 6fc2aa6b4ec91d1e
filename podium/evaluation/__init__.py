"""Did the model learn? Ask the evaluation questions, score the answers by value, gate promotion.

scoring: normalise and score one answer; summarise per kind × relation for each model.
gate:    the promotion decision (promote / discard / trained, not evaluated) with its reason.
runner:  ask the questions through a small `Asker` port, in idempotent chunks.
report:  the self-contained report.html of a run.
"""
