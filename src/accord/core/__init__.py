"""The pure core of Accord: rules, screening, records, forecasting.

Nothing under this package may import a web framework; the Django apps call into it.
"""
