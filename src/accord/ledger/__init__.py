"""The money: a double-entry ledger of fees per the agreements' dated terms (decision 0007)."""
