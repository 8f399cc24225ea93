"""The analyst's loop: preview and prepared notebooks."""
