"""What the package ships besides code: section notebooks, templates and the example workspace.

In a wheel these are sub-folders of this package (pyproject.toml maps the repository's
top-level notebooks/, templates/, params/ and data/ here); in a source checkout they are
those top-level folders. `strategy_docs.inputs.bundled` finds them either way.
"""
