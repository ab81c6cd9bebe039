"""The demo: a Baotou-like network, teams, staff, accounts and tickets in every state."""
