"""Users, their roles, and who may see and do what (enforced on the server for web, API and CLI)."""
