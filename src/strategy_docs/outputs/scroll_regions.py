"""The one script a published page may run besides the index filters: it makes a region
a keyboard tab stop (tabindex=0) only while its content really overflows it.

Tables become stacked cards on small screens and charts are shown at their own size, so
whether a wrapper scrolls depends on the screen; CSS cannot add or remove a tab stop.
Without JavaScript no region is a tab stop and everything is still readable. Pages allow
this exact text by its hash in their Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib

SCROLL_REGION_SCRIPT = (
    "(function(){function mark(){var r=document.querySelectorAll('[data-scroll-region]');"
    "for(var i=0;i<r.length;i++){var e=r[i];if(e.scrollWidth>e.clientWidth+1){e.tabIndex=0;}"
    "else{e.removeAttribute('tabindex');}}}mark();window.addEventListener('resize',mark);})();"
)


def script_hash(script: str = SCROLL_REGION_SCRIPT) -> str:
    """The CSP source for an inline script: 'sha256-<base64 digest>'."""
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
