"""What a template or environment file uses, and how it is sent to Heat.

A template uses other files by relative path: HOT ``type: x.yaml`` and
``get_file: x``, CFN ``Type: x.yaml`` and ``Fn::GetFile: x`` (a CFN
provider), anywhere in the body; an environment uses the templates its
``resource_registry`` maps types (or one resource) to. ``uses`` lists
them; discovery (discovery.py) builds the directory's reference graph
from it.

``load_template`` and ``load_environments`` give what
``openstack stack create -t ROOT -e ENV`` sends: each used file keyed by
its ``file://`` URL, the reference in the body rewritten to that URL,
used templates sent as JSON with their own references resolved
relative to themselves. python-heatclient (``template_utils``) does this
for HOT's lower-case ``type`` and ``get_file`` only; here the CFN keys
are followed too, so that a CFN parent's provider reaches Heat.
"""

import os
from urllib import parse

from heatclient.common import environment_format
from heatclient.common import template_format
from heatclient.common import template_utils
from heatclient.common import utils
from oslo_serialization import jsonutils

#: Keys whose string value names a file a template uses.
FILE_KEYS = ('get_file', 'Fn::GetFile')
#: Keys whose value, when it ends in PROVIDER_SUFFIXES, is a provider.
TYPE_KEYS = ('type', 'Type')
#: The suffixes by which Heat takes a resource type for a template.
PROVIDER_SUFFIXES = ('.yaml', '.template')
#: Keys of a resource_registry that name no file.
REGISTRY_IGNORED = ('base_url', 'hooks', 'restricted_actions')
#: Keys of a template that say which format it is in.
VERSION_KEYS = ('heat_template_version', 'HeatTemplateFormatVersion',
                'AWSTemplateFormatVersion')
#: The sections an environment may have.
ENVIRONMENT_SECTIONS = ('parameters', 'parameter_defaults',
                        'resource_registry', 'event_sinks',
                        'encrypted_param_names', 'parameter_merge_strategies')


def is_template_body(body):
    return isinstance(body, dict) and any(key in body for key in VERSION_KEYS)


def is_environment_body(body):
    return isinstance(body, dict) and not is_template_body(body) and \
        set(body) <= set(ENVIRONMENT_SECTIONS)


def _reference(key, value):
    """Whether body[key] = value names a file a template uses."""
    if not isinstance(value, str):
        return False
    if key in FILE_KEYS:
        return True
    return key in TYPE_KEYS and value.endswith(PROVIDER_SUFFIXES)


def template_uses(body):
    """(how, relative path) of every file a template body uses, ``how``
    being the key (``type``, ``get_file``...); in body order."""
    found = []
    _walk(body, lambda mapping, key: found.append((key, mapping[key])))
    return found


def _walk(data, visit):
    """visit(mapping, key) for every reference in data, depth first."""
    if isinstance(data, dict):
        for value in data.values():
            _walk(value, visit)
        for key in list(data):
            if _reference(key, data[key]):
                visit(data, key)
    elif isinstance(data, list):
        for value in data:
            _walk(value, visit)


def environment_uses(body):
    """(how, relative path) of every template an environment's
    resource_registry maps to."""
    registry = (body or {}).get('resource_registry') or {}
    found = [('resource_registry', value)
             for key, value in _registry_files(registry)]
    for resource, mapping in sorted((registry.get('resources') or
                                     {}).items()):
        found += [('resource_registry: resources: %s' % resource, value)
                  for key, value in _registry_files(mapping or {})]
    return found


def _registry_files(mapping):
    return [(key, value) for key, value in mapping.items()
            if key not in REGISTRY_IGNORED and isinstance(value, str)
            and '::' not in value]


def is_url(value):
    return '://' in value


# -- sending --------------------------------------------------------------
def file_url(path):
    return utils.normalise_file_path_to_url(os.path.abspath(path))


def load_template(path, files=None):
    """(body, files) of the template at path: references rewritten to
    file:// URLs, every used file in files by its URL (str, or bytes for
    content that is not UTF-8). Raises ValueError or OSError naming what
    failed."""
    files = {} if files is None else files
    return _resolved(file_url(path), files), files


def _read(url):
    return utils.read_url_content(url)


def _parsed_template(content):
    """The template a file's content holds, or None if it holds none."""
    try:
        text = content.decode('utf-8') if isinstance(content, bytes) \
            else content
        return template_format.parse(text)
    except (ValueError, TypeError):
        return None


def _resolved(url, files):
    content = _read(url)
    body = _parsed_template(content)
    if body is None:
        raise ValueError('%s: not a template (no %s)'
                         % (url, ' or '.join(VERSION_KEYS)))
    _resolve_references(body, url, files)
    return body


def _resolve_references(body, url, files):
    def visit(mapping, key):
        mapping[key] = _send(parse.urljoin(url, mapping[key]), files)
    _walk(body, visit)


def _send(url, files):
    """Put the file at url in files (a template as JSON, its own
    references resolved) unless it is there; returns url."""
    if url not in files:
        content = _read(url)
        child = _parsed_template(content)
        if child is not None:
            _resolve_references(child, url, files)
            content = jsonutils.dumps(child)
        files[url] = content
    return url


def load_environments(paths):
    """(files, environment) of environment files merged in order, as
    Heat merges ``-e`` files (a later one wins); the templates their
    registries name are sent as load_template sends used templates."""
    files, merged = {}, {}
    for path in paths:
        url = file_url(path)
        with open(path) as f:
            environment = environment_format.parse(f.read())
        _resolve_registry(environment.get('resource_registry'), url, files)
        merged = template_utils.deep_update(merged, environment)
    return files, merged


def _resolve_registry(registry, url, files):
    if not registry:
        return
    for mapping in [registry] + list((registry.get('resources') or
                                      {}).values()):
        for key, value in _registry_files(mapping or {}):
            mapping[key] = _send(parse.urljoin(url, value), files)
