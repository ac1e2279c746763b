"""The app's edge: the only part of the package that imports Streamlit.

Pages import the modules they use and draw; everything they share lives here:

- ``cache``: the data and the scores, one typed function per thing a page shows, kept once in a
  cache every session shares, keyed on the data version, the rubric and the viewer's reps;
- ``auth``: the gate, the login, what a refused visitor is told, the banner and the account;
- ``state``: the pages and the view kept in the URL;
- ``widgets``: pickers, what a click selected, downloads, the empty-database message;
- ``format``: the one formatter (money, shares, ratios, points, days, dates, labels);
- ``tables``: the tables the pages show, with their columns labelled and formatted;
- ``text``: CRM text as data, never markup (``plain``);
- ``live``: a new load appearing on an open page; ``tv``: the TV view.
"""
