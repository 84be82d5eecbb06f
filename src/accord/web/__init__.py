"""The Django project: settings, URLs and the parts shared by every app."""
