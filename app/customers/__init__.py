"""Customer accounts and the heating network: district, substation, building."""
