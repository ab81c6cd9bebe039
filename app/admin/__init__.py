"""Administration: the network, teams, users, categories, SLA policies, customer accounts."""
