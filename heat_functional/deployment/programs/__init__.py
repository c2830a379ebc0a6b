"""The child programs an owner starts, each run as ``python -m``.

``heat_all.py`` (Heat's API and engine in one process, as Heat's own
``heat-all``: an embedded cell),
``heat_api.py`` (the devstack-like deployment's Heat API),
``keystone_server.py`` (keystone under its WSGI server) and
``reaper.py`` (stops what an owner that died left running; ``Link`` is
the owner's side of it).
"""
