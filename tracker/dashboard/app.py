"""The Streamlit entry point of the dashboard: ``tracker serve`` runs ``streamlit run`` on it.

It sets up what every page shares (the store from ``TRACKER_DATABASE_URL``, the language
switch, the as-of date kept in the URL; see :mod:`tracker.dashboard`), asks for a login
(no page is routed before one holds: the only page is then the login form) and routes to
the page files in ``pages/`` with ``st.navigation``. Each page has its own URL path, so a
link such as ``/chain?as_of=2024-06-30&chain=BIO`` opens the same view for a colleague
(the overview, the default page, lives at ``/``).
"""

from __future__ import annotations

import streamlit as st

from tracker import dashboard
from tracker.dashboard.guard import boundary
from tracker.dashboard.guard import run as run_guarded
from tracker.i18n import t
from tracker.resources import PAGES_DIR as PAGES

# No emoji icon: the district's office machines often lack an emoji font (a box shows).
st.set_page_config(page_title="红杉林 Redwood", page_icon=":material/forest:", layout="wide")

# A shared link may name the language by its code (?lang=en); the sidebar's switch keeps
# it in the URL by its label (?lang=English). Either opens the page in that language, also
# through the login form, which leaves the page's address and query as they are.
dashboard.normalise_lang_param()
ctx = dashboard.setup()
lang = st.session_state.get("lang", "zh")
dashboard.apply_face(lang)  # Streamlit's own English words in the chosen language
# The login check reads the store too: a fault there is a message, and the run ends.
with boundary("login", stop=True, view=False):
    user_ctx = dashboard.login_gate(ctx) if ctx is not None else None

# (file, url path, string key, icon): the URL paths are the pages' addresses in shared links.
SPEC = [
    ("overview.py", "overview", "page_overview", ":material/dashboard:"),
    ("chain.py", "chain", "page_chain", ":material/account_tree:"),
    ("firms.py", "firms", "page_firms", ":material/factory:"),
    ("orgs.py", "orgs", "page_orgs", ":material/groups:"),
    ("liaisons.py", "liaisons", "page_liaisons", ":material/badge:"),
    ("plan.py", "plan", "page_plan", ":material/flag:"),
    ("reports.py", "reports", "page_reports", ":material/description:"),
    ("data.py", "data", "page_data", ":material/upload_file:"),
    ("meeting.py", "meeting", "page_meeting", ":material/co_present:"),
]
if ctx is not None and user_ctx is None:
    # Not logged in: every URL path shows the login form and no page file runs. The
    # paths are the pages' own, so a shared link (/chain?chain=BIO) opens that page
    # right after the login (a page's identity is its URL path).
    login = [st.Page(lambda: dashboard.login_page(ctx), title=t("app.login_title", lang),
                     url_path=path, icon=":material/login:", default=path == "overview")
             for _, path, _, _ in SPEC]
    run_guarded(st.navigation(login, position="hidden"))
    st.stop()
pages = [
    st.Page(PAGES / name, title=t(f"app.{key}", lang), url_path=path, icon=icon,
            default=path == "overview")
    for name, path, key, icon in SPEC
]
# One error boundary around every page (tracker.dashboard.guard): no traceback reaches a user.
run_guarded(st.navigation(pages))
