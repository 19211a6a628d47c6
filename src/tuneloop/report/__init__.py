"""Report stage: one static HTML file per run, with the plots embedded, that opens offline."""
