"""CRM text is data, never markup: a name or any free text made safe for what Streamlit renders as
Markdown (headings, captions, alerts, metric values, link labels).

Widgets' options and dataframe cells are plain text already: pass them as they are. Plotly labels
have their own rule (``scorecard.charts.chart_text``) and every download goes through
``scorecard.export`` (formula-looking cells neutralised).
"""

from __future__ import annotations

import re

_MARKDOWN_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
WORD_JOINER = "\u2060"
"""An invisible character that keeps Markdown from finding a web address, an e-mail address, an emoji
or a colour directive in text (``plain``)."""
_AFTER_COLON_OR_AT = re.compile(r"\\([:@])")
_WWW = re.compile(r"(www)(\\\.)", re.IGNORECASE)


def plain(text: object) -> str:
    """CRM text (a name, a region, a product line, a next step) made safe for anything Streamlit
    renders as Markdown: what the reader sees is the text as typed, and nothing in it is rendered.

    Every ASCII punctuation character is backslash-escaped, so no emphasis, link, image, HTML, LaTeX
    or heading comes out of it; line breaks become spaces. Escapes do not stop GitHub-flavoured
    Markdown from turning ``http://...``, ``www.`` and ``a@b.com`` into links, nor Streamlit from
    reading ``:red[...]`` or ``:smile:``, since those are found in the text after parsing: an
    invisible word joiner after each ``:`` and ``@`` and inside ``www.`` breaks them."""
    value = _MARKDOWN_PUNCTUATION.sub(r"\\\1", _CONTROL.sub(" ", "" if text is None else str(text)))
    value = _AFTER_COLON_OR_AT.sub(lambda m: m.group(0) + WORD_JOINER, value)
    return _WWW.sub(lambda m: m.group(1) + WORD_JOINER + m.group(2), value)
