"""The dataset engine: facts → questions → answers → dedupe → split → format → validate → estimate."""
