"""Template files for unit tests that read a directory of them."""

import yaml

#: The smallest HOT template.
HOT = 'heat_template_version: 2018-08-31\n'


def write(directory, name, text=HOT):
    """directory/name (folders made as needed) holding text, or a mapping
    as YAML; returns its path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if isinstance(text, str) else yaml.safe_dump(text))
    return str(path)
