"""Reports for supervisors and administrators over a chosen period: SLA compliance, response times,
satisfaction, reopens and complaints per substation, as charts, tables and CSV.

`queries` holds every database query (aggregates only, also callable from the benchmark);
`filters` reads and checks the period and filters; `sections` turns results into the tables and
chart data that the page and the CSV export both show; `routes` is the thin web layer.
"""
