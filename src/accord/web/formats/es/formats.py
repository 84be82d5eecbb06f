"""ISO 8601 dates (numbers keep the language's own separators)."""

from accord.web.formats.iso import *  # noqa: F403  (Django reads the *_FORMAT names off this module)
