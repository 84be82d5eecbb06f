"""Per-language date formats: ISO 8601 in every language the pages speak."""
