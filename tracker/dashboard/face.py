"""The dashboard in one language: Streamlit's own English words, the language of a link,
a typed date that applies.

Streamlit draws a few words itself, in English only, with no parameter to change them
(it has no translations): the file uploader's "Upload", "200MB per file • XLSX, CSV" and
"Drag and drop file here", a multiselect's "Select all", "No results" in a select box
with nothing matching, "Press Enter to submit form" under a text field, the keyboard
user's "Skip to main content". Words it takes as parameters (a placeholder, a label) are
given by the pages. :func:`apply` puts the Chinese words in place of the English ones with
one small style sheet: the English text is hidden (``visibility: hidden``, so the browser
neither shows nor reads it) and the word of ``tracker/locales/session.json`` is drawn in
its place (a ``::before`` pseudo-element). :data:`WIDGET_WORDS` lists them, one place; the
browser test ``tests/e2e/test_language.py`` checks both halves. In English nothing is
changed.

A date typed into the sidebar's as-of field (a field of year, month and day segments)
applies in Streamlit only when the focus leaves the field by Tab or a click elsewhere:
Enter does nothing, and moving the focus from a script is not taken as leaving (tried:
``blur()``, focusing another element). :func:`apply` therefore writes that under the field,
in the page's language (``session.date_hint``).

:func:`normalise_lang_param` lets a link name the language by its code (``?lang=en``).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import streamlit as st

from ..i18n import LANGS, t
from .page import LANG_NAMES

__all__ = ["DATE_FIELD", "WIDGET_WORDS", "apply", "normalise_lang_param", "widget_css"]

#: (CSS selector of an element whose own text Streamlit writes in English, string key in
#: ``session.json``). The selectors are Streamlit's test ids (``data-testid``), which its
#: own tests rely on, and react-aria's attributes of its list boxes.
WIDGET_WORDS: tuple[tuple[str, str], ...] = (
    ('[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p',
     "widget_upload"),
    ('[data-testid="stFileUploaderDropzoneInstructions"] span', "widget_upload_limit"),
    # The drop overlay, shown while a file is dragged over the uploader (no test id).
    ('[data-testid="stFileUploaderDropzone"] > input + div:not([data-testid])',
     "widget_drop_here"),
    ('[role="option"][data-key="__select_all__"] [data-item-hl]', "widget_select_all"),
    ('[role="listbox"][data-empty="true"] > [role="option"] > span', "widget_no_results"),
    ('[data-testid="stTextInput"] [data-testid="InputInstructions"] > span',
     "widget_enter_apply"),
    # After the rule above, which it overrides: in a form, Enter submits the form.
    ('[data-testid="stForm"] [data-testid="InputInstructions"] > span', "widget_enter_submit"),
    ('[data-testid="stTextArea"] [data-testid="InputInstructions"] > span',
     "widget_ctrl_enter_apply"),
    ('a[data-testid="stSkipToContent"]', "widget_skip_to_content"),
)

#: The sidebar's as-of field, under which :func:`apply` writes how a typed date applies.
DATE_FIELD = 'section[data-testid="stSidebar"] [data-testid="stDateInput"]'


def widget_css(lang: str) -> str:
    """The style sheet that puts Streamlit's own English words in ``lang`` ("" in English).

    Examples
    --------
    >>> "全选" in widget_css("zh"), "全选" in widget_css("en"), "Tab" in widget_css("en")
    (True, False, True)
    """
    # A date typed into the field applies when the focus leaves it (Tab, or a click
    # elsewhere; Enter does nothing): say so under the field, in every language.
    hint = json.dumps(t("session.date_hint", lang), ensure_ascii=False)
    rules = [(f"{DATE_FIELD}::after {{ content: {hint}; display: block; margin-top: 0.25rem; "
              "font-size: 0.75rem; opacity: 0.7; }")]
    if lang == "en":
        return "\n".join(rules)
    for selector, key in WIDGET_WORDS:
        word = json.dumps(t(f"session.{key}", lang), ensure_ascii=False)
        rules.append(f"{selector} {{ visibility: hidden; position: relative; }}\n"
                     # Absolute without offsets: drawn where the text starts (its static
                     # position, inside any padding), over the hidden English.
                     f"{selector}::before {{ content: {word}; visibility: visible; position: "
                     "absolute; white-space: nowrap; }")
    return "\n".join(rules)


def apply(lang: str) -> None:
    """Once per run, before the page: Streamlit's own words in ``lang``, the date hint."""
    # A style-only st.html goes to the page's event container: it takes no room.
    st.html(f"<style>\n{widget_css(lang)}\n</style>")


def normalise_lang_param() -> None:
    """Open a link that names the language by its code (``?lang=en``, as links are written
    by hand) with the switch's label instead (``?lang=English``).

    The sidebar's switch is bound to ``?lang=`` and keeps its label there; it drops a value
    that is not a label and falls back to Chinese. The page is therefore reloaded once with
    the label in its address (the browser replaces the address: no history entry), and the
    switch, the login form and every later page keep the language from there.
    """
    raw = st.query_params.get("lang")
    if raw is None:
        return
    code = raw.strip().lower()
    names = {name.lower(): lang for lang, name in LANG_NAMES.items()}
    lang = code if code in LANGS else names.get(code)
    if lang is None:
        return
    if raw == LANG_NAMES[lang]:
        # The switch takes its value from the URL only when it is drawn: what comes before
        # it in the first run of a browser session (the sidebar's title) reads it here.
        if "lang" not in st.session_state:
            st.session_state["lang"] = lang
        return
    query = {**st.query_params.to_dict(), "lang": LANG_NAMES[lang]}
    target = json.dumps("?" + urlencode(query))
    st.html(f"<script>window.location.replace(window.location.pathname + {target});</script>",
            unsafe_allow_javascript=True, width=1)
    st.stop()
