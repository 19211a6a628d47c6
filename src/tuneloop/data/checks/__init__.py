"""The data-quality checks, one module per kind of issue (docs/checks.md lists every code).

Per-row checks (`length`, `hygiene`, `pii`) are functions of one shard of rows; whole-data checks
(`duplicates`, `balance`, `relevance`) read the shared `index.RowIndex` or a second pass. All return
`base.CheckResult`; `suite` runs them all and joins the results.
"""
