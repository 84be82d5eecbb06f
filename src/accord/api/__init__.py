"""The HTTP API (django-ninja) under /api/v1/: thin over the domain apps' services and selectors."""
