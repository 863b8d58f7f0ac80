"""The Streamlit dashboard: the entry point, the helpers the pages share, the cached
figures and the charts.

=============  =======================================================================
``app``        the entry point ``tracker serve`` runs: set-up, login, navigation
``page``       the page context, sidebar controls, banner, footer, empty states, progress
``login``      the login gate and form, the session cookie (:mod:`tracker.auth`)
``face``       Streamlit's own English words in the chosen language, ``?lang=en`` links
``scoping``    figures narrowed to the user's scope
``editing``    the permission-checked saves of the edit forms (:mod:`tracker.edits`)
``views``      every figure a page shows, one module per page, cached per data version
``charts``     the Plotly figures
=============  =======================================================================

The pages in ``pages/`` only lay out; they import what they use from here.
"""

from __future__ import annotations

from .editing import (
    edit_add_firm,
    edit_add_visit,
    edit_liaison,
    edit_link,
    edit_membership,
    edit_org,
    edit_record_election,
    edit_update_firm,
    firm_officers,
    firm_record,
    org_record,
)
from .face import apply as apply_face
from .face import normalise_lang_param
from .login import COOKIE_NAME, TOKEN_KEY, login_gate, login_page
from .page import (
    LANG_NAMES,
    MAX_DAY,
    MIN_DAY,
    PageContext,
    banner,
    context,
    empty,
    footer,
    open_page,
    page_url,
    progress_bar,
    run_page,
    setup,
    tr,
)
from .scoping import intersect, scoped_chain_detail, scoped_chain_graph, visible_chains

__all__ = [
    "COOKIE_NAME",
    "LANG_NAMES",
    "MAX_DAY",
    "MIN_DAY",
    "TOKEN_KEY",
    "PageContext",
    "apply_face",
    "banner",
    "context",
    "edit_add_firm",
    "edit_add_visit",
    "edit_liaison",
    "edit_link",
    "edit_membership",
    "edit_org",
    "edit_record_election",
    "edit_update_firm",
    "empty",
    "firm_officers",
    "firm_record",
    "footer",
    "intersect",
    "login_gate",
    "login_page",
    "normalise_lang_param",
    "open_page",
    "org_record",
    "page_url",
    "progress_bar",
    "run_page",
    "scoped_chain_detail",
    "scoped_chain_graph",
    "setup",
    "tr",
    "visible_chains",
]
