"""Sphinx configuration of the heat-functional manual (tox -e docs).

Minimal on purpose: Sphinx's built-in theme, no extension, nothing
fetched from the network. The tables of generated/ are included by the
pages that show them, not built as pages of their own.
"""

project = 'heat-functional'
copyright = 'the heat-functional authors'
root_doc = 'index'
exclude_patterns = ['generated']
html_title = 'heat-functional'
