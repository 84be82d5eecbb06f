"""Rules as code: one module per body of law, registered by id."""
