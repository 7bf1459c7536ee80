"""Articles from the web: fetch pages and feeds, keep them as snapshots in the articles folder.

A build never goes online: ``narrator add`` and ``narrator update`` fetch a page once, store
it with its metadata as a snapshot file (:mod:`narrator.web.snapshot`) in the articles folder,
and every build reads that file like any other article. Modules, one job each:

- :mod:`~narrator.web.urls`: which URLs are allowed and when two of them are one article;
- :mod:`~narrator.web.http`: the HTTP client, with every limit (timeouts, redirects, size);
- :mod:`~narrator.web.extract`: metadata and the "is there an article here" check;
- :mod:`~narrator.web.snapshot`: the snapshot file format;
- :mod:`~narrator.web.feeds`: RSS, Atom and JSON Feed, and finding a page's feed;
- :mod:`~narrator.web.follow`: the followed feeds in ``narrator.toml`` and their state;
- :mod:`~narrator.web.add`, :mod:`~narrator.web.update`, :mod:`~narrator.web.remove`: the
  commands' logic.

Nothing here is imported by ``narrator --help``; heavy libraries load inside functions.
"""
