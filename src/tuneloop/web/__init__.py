"""The annotators' web app: annotate, review, adjudicate and watch agreement in the browser.

A thin layer over the annotation library: each route opens one store transaction, calls the store's
services (`tuneloop.annotate.store`) or the project helpers, and renders the result. Rules about who
may see or change what live in those services, never here; the domain code never imports this
package (a test walks its imports). Start it with `tuneloop serve PROJECT_DIR`.
"""
