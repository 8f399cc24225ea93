"""strategy-docs: reproducible commissioning strategy documents.

Parameters (YAML) and data (CSV/XLSX) per authority and client group go in; papermill
executes the section notebooks, nbconvert renders them through our templates, and each
(authority, client group) pair is published as accessible HTML and PDF.
"""

__version__ = "0.1.0"
