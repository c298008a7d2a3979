"""Panel: the local authority's Channel panel decides, plans support and reviews."""
