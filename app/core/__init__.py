"""Shared foundations: time, domain errors, text hygiene, column types, transactions."""
