"""The staff web front end: GOV.UK Design System pages over the services' APIs."""
