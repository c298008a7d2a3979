"""Official statistics from the running system: periods, age groups, areas, the release's
tables, disclosure control and the downloads (ODS, CSV).

Pure code with no I/O, shared by the statistics service (which keeps the read model and serves
the tables) and whatever draws them (the web front end renders the service's JSON).
"""
