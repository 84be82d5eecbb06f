"""What the domain apps' pages share (no app of its own: no models, no URLs)."""
