"""The template corpus: which templates a run covers and what each declares.

A corpus is a directory tree. Its templates (``*.yaml``, ``*.yml`` or
``*.template``) that no other file of the tree uses are the templates to
run (discovery.py: the reference graph, helpers and skipped files), each
named by its path relative to the directory without the extension
(``fn_params``, ``topic/parent``).

A template's name is its case name: it names the test ids, the record
files, the stacks and the tempest tests, each of which folds characters
outside letters, digits and ``_`` into ``_`` or ``-``. So a name must be
letters, digits and ``_`` only, with ``/`` between folders
(TEMPLATE_NAME), and two files must not give names that are equal once
folded, case ignored (``x.yaml`` and ``x.yml``, ``a b.yaml`` and
``a_b.yaml``, ``A.yaml`` and ``a.yaml``, ``a/b.yaml`` and ``a_b.yaml``):
otherwise one template's records would overwrite the other's.
``discovery.discover`` refuses such a directory, naming the files.

Environments apply in order, as Heat merges ``-e`` files: those given
to every template (``--environment``), then the template's own, which
is its sidecar's ``environment`` or else the one beside it
(``<name>.env.yaml`` or ``<name>.env``).

A template may have a sidecar ``<name>.lifecycle.yaml`` that declares how
it runs (doc/source/corpus.rst has the format): create parameters, expected
status and outputs, and update steps. Every lifecycle is a list of steps:
``create``, the declared updates in order, ``delete``. A template without
a sidecar, or one whose sidecar declares no ``updates`` key, gets one
update to itself (``update-self``: same template, same parameters),
unless its create is declared to fail or to be rejected (``ends_failed``).
A step's ``expect`` may declare that Heat refuses its request
(``rejected: <HTTP status>``, ``error: <substring>``: rejections.py).

The paths a sidecar names (SIDECAR_PATHS: the environment, an update's
template and environment) are relative to the template's folder and
must stay inside the template directory, symbolic links resolved: a
corpus cannot make the harness read, and send to Heat, a file from
elsewhere on the machine.
``discovery.discover`` refuses a sidecar whose path leaves the directory.
"""

import copy
import os
import re

import yaml

from heat_functional import references

#: PyYAML's safe loader, on libyaml's parser when PyYAML was built with
#: it (as Heat's own template parser is): the same documents, parsed
#: about ten times faster; every worker of a run parses the whole corpus.
SAFE_LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


def load_yaml(stream):
    """A YAML document (str, bytes or an open file), as yaml.safe_load
    reads it."""
    return yaml.load(stream, Loader=SAFE_LOADER)


TEMPLATE_SUFFIXES = ('.yaml', '.yml', '.template')
LIFECYCLE_SUFFIX = '.lifecycle.yaml'
ENV_SUFFIX = '.env.yaml'

LIFECYCLE_KEYS = {
    'description': str,
    'parameters': dict,
    'environment': str,
    'random_outputs': list,
    'rollback': bool,
    'expect': dict,
    'updates': list,
    'requires': list,
    'agents': list,
    'root': bool,
}
#: What a template may require of the deployment (``requires``).
REQUIREMENTS = ('keystone',)
UPDATE_KEYS = {
    'name': str,
    'description': str,
    'template': str,
    'parameters': dict,
    'environment': str,
    'rollback': bool,
    'expect': dict,
    'agents': list,
    'signal': dict,
}
#: What the harness does while an action runs (agents.py): signal a
#: handle once a resource waits, or report a server's deployments.
AGENT_KEYS = {'signal': str, 'after': str, 'data': dict, 'deploy': str,
              'status_code': int, 'outputs': dict}
#: A signal step: signal a resource between two updates (agents.py).
SIGNAL_KEYS = {'resource': str, 'data': dict}
EXPECT_KEYS = {'status': str, 'outputs': dict, 'replaced': list,
               'signal': str, 'rejected': int, 'error': str}
#: What a rejected request leaves nothing to check of (``rejected``).
REJECTION_EXCLUDES = ('status', 'outputs', 'replaced', 'signal')
STEP_NAME = re.compile(r'[a-z0-9][a-z0-9_-]*')
#: What a template's name (its path without the extension) may be.
TEMPLATE_NAME = re.compile(r'[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*')
#: Characters that some name derived from a case name (record file,
#: stack name, tempest test) replaces.
FOLDED = re.compile(r'[^A-Za-z0-9_]')
RESERVED_STEPS = ('create', 'delete')
SELF_UPDATE = 'update-self'


class Step(object):
    """One step of a lifecycle: create, an update, or delete."""

    def __init__(self, name, kind, template_file, parameters=None,
                 environment=None, rollback=False, expect=None,
                 description=None, agents=None, signal=None,
                 global_environments=()):
        self.name = name
        self.agents = list(agents or [])
        self.signal = signal
        self.kind = kind
        self.template_file = template_file
        self.parameters = dict(parameters or {})
        #: The step's own environment (sidecar, or beside the template).
        self.environment = environment
        #: Every environment the step applies, in the order Heat merges
        #: them: those given to every template, then its own.
        self.environments = list(global_environments) + (
            [environment] if environment else [])
        self.rollback = rollback
        self.description = description
        #: Whether the sidecar declares this step's outcome (``expect``);
        #: a step that does not is held to parity only, unless --strict.
        self.declared = expect is not None
        expect = expect or {}
        default_status = {'create': 'CREATE_COMPLETE',
                          'update': 'UPDATE_COMPLETE',
                          'delete': 'DELETE_COMPLETE',
                          'signal': None}[kind]
        self.expected_status = expect.get('status', default_status)
        self.expected_outputs = expect.get('outputs')
        self.expected_replaced = expect.get('replaced')
        #: A signal step's own outcome (the signalled resource's event).
        self.expected_signal = expect.get('signal', 'SIGNAL_COMPLETE')
        #: {'status': HTTP status, 'error': substring or None} where Heat
        #: must refuse the request (rejections.py), else None.
        self.expected_rejection = None
        if 'rejected' in expect:
            self.expected_rejection = {'status': expect['rejected'],
                                       'error': expect.get('error')}
            self.expected_status = None

    def __repr__(self):
        return '<Step %s>' % self.name

    def load(self):
        """(template dict, files, environment) ready for create or update.

        Raises CorpusError naming the file when it cannot be read or parsed.
        """
        from heatclient import exc as heat_exc
        try:
            template, files = references.load_template(self.template_file)
            env_files, environment = references.load_environments(
                self.environments)
            files.update(env_files)
        except (heat_exc.CommandError, heat_exc.HTTPException,
                yaml.YAMLError, OSError, ValueError) as err:
            raise CorpusError('template %s: %s' % (self.template_file, err))
        return template, _decoded(files), environment


class CorpusError(ValueError):
    """A template or its declaration is unusable; the message says where."""


class Template(object):
    """One template of the corpus and its declared lifecycle."""

    def __init__(self, path, lifecycle=None, error=None, name=None,
                 beside=None, environments=()):
        self.path = os.path.abspath(path)
        self.directory = os.path.dirname(self.path)
        #: Its path relative to the corpus directory, without extension.
        self.name = name or stem(os.path.basename(path))
        self.lifecycle = lifecycle or {}
        #: The environment beside the template, applied unless the
        #: sidecar names one (discovery.beside_environment).
        self.beside = beside
        #: The environments given to every template (--environment).
        self.global_environments = list(environments)
        #: Why this template cannot run (a broken sidecar), or None. Its
        #: cases fail with this message; the other templates still run.
        self.error = error

    def __repr__(self):
        return '<Template %s>' % self.name

    @property
    def corpus_directory(self):
        """The template directory the template was found in (its name is
        its path there)."""
        directory = self.directory
        for _ in range(self.name.count('/')):
            directory = os.path.dirname(directory)
        return directory

    @property
    def base_url(self):
        """The file:// URL prefix heatclient gives files of this template."""
        from urllib import parse
        from urllib import request
        return parse.urljoin('file:',
                             request.pathname2url(self.directory)) + '/'

    @property
    def requires(self):
        """What the deployment must offer for this template to run."""
        return list(self.lifecycle.get('requires') or [])

    @property
    def random_outputs(self):
        return list(self.lifecycle.get('random_outputs') or [])

    @property
    def steps(self):
        """The lifecycle: create, the updates in order, delete."""
        declared = self.lifecycle
        environment = self._in_directory(declared.get('environment')) or \
            self.beside
        parameters = declared.get('parameters') or {}
        everywhere = self.global_environments
        steps = [Step('create', 'create', self.path, parameters,
                      environment, declared.get('rollback', False),
                      declared.get('expect'),
                      declared.get('description'), declared.get('agents'),
                      global_environments=everywhere)]
        updates = declared.get('updates')
        if updates is None and not ends_failed(steps[0]):
            updates = [{'name': SELF_UPDATE,
                        'description': 'an update to the same template '
                        'and parameters'}]
        for update in updates or []:
            if update.get('signal'):
                steps.append(Step(
                    update['name'], 'signal', self.path,
                    expect=update.get('expect'),
                    description=update.get('description'),
                    signal=update['signal']))
                continue
            steps.append(Step(
                update['name'], 'update',
                self._in_directory(update.get('template')) or self.path,
                update.get('parameters', parameters),
                self._in_directory(update.get('environment')) or environment,
                update.get('rollback', False), update.get('expect'),
                update.get('description'), update.get('agents'),
                global_environments=everywhere))
        steps.append(Step('delete', 'delete', self.path))
        return steps

    def step(self, name):
        return {step.name: step for step in self.steps}[name]

    def _in_directory(self, relative):
        return os.path.join(self.directory, relative) if relative else None

    # The create step's declaration, for the suites that only create.
    @property
    def parameters(self):
        return self.steps[0].parameters

    @property
    def expected_status(self):
        return self.steps[0].expected_status

    @property
    def expected_outputs(self):
        return self.steps[0].expected_outputs

    def load(self):
        """(template dict, files, environment) of the create step.

        Raises CorpusError naming the file when it cannot be read or parsed.
        """
        if self.error:
            raise CorpusError(self.error)
        return self.steps[0].load()


def ends_failed(step):
    """Whether a create is declared to leave no complete stack (to end
    failed or rolled back, or to be rejected): it gets no update-self."""
    return (step.expected_rejection is not None or
            step.expected_status not in (None, 'CREATE_COMPLETE'))


def stem(filename):
    for suffix in TEMPLATE_SUFFIXES:
        if filename.endswith(suffix):
            return filename[:-len(suffix)]
    return filename


def _decoded(files):
    """get_file contents as str (heatclient gives non-YAML ones as bytes)."""
    return {name: (content.decode() if isinstance(content, bytes)
                   else content) for name, content in files.items()}


def check_names(directory, filenames):
    """Raise CorpusError unless the template files' names (their paths
    relative to the directory) are distinct case names (see the module's
    docstring), naming the files."""
    by_folded = {}
    for filename in filenames:
        folded = FOLDED.sub('_', stem(filename)).lower()
        by_folded.setdefault(folded, []).append(filename)
    clashes = ['%s collide as case %r' % (
        ' and '.join(repr(f) for f in group), folded)
        for folded, group in by_folded.items() if len(group) > 1]
    if clashes:
        raise CorpusError(
            'template directory %s: %s: rename one of each (a case name is '
            'the file\'s path without its extension; record files, stack '
            'names and tests fold characters other than letters, digits and '
            '"_", and some file systems ignore case)'
            % (directory, '; '.join(clashes)))
    unsafe = [f for f in filenames if not TEMPLATE_NAME.fullmatch(stem(f))]
    if unsafe:
        raise CorpusError(
            'template directory %s: %s: a case name (the file\'s path '
            'without its extension) must be letters, digits and "_" only, '
            'with "/" between folders, since record files, stack names and '
            'tests fold other characters: rename %s'
            % (directory, ', '.join(repr(f) for f in unsafe),
               'it' if len(unsafe) == 1 else 'them'))


def sidecar_paths(lifecycle):
    """(where, path) of every file a lifecycle names, where naming the
    key as validate_lifecycle does (``update 2 (grow): template``)."""
    found = [('environment', lifecycle.get('environment'))]
    for number, update in enumerate(lifecycle.get('updates') or [], 1):
        for key in ('template', 'environment'):
            found.append(('update %d (%s): %s' % (number, update.get('name'),
                                                  key), update.get(key)))
    return [(where, path) for where, path in found if path]


def check_sidecar_paths(template_path, lifecycle, corpus_directory=None):
    """Raise CorpusError if a path of the template's sidecar (relative
    to the template's folder) resolves, symbolic links followed, outside
    the template directory (by default, the template's folder)."""
    directory = os.path.dirname(os.path.abspath(template_path))
    root = os.path.realpath(corpus_directory or directory)
    for where, path in sidecar_paths(lifecycle):
        target = os.path.realpath(os.path.join(directory, path))
        if os.path.commonpath([root, target]) != root:
            raise CorpusError(
                'template %s: %s: %s %r resolves to %s, outside the template '
                'directory %s; a sidecar may only name files inside it'
                % (stem(os.path.basename(template_path)),
                   lifecycle_path(template_path), where, path, target, root))


def select(templates, names):
    """The templates named (all for None), in the corpus's order; raises
    CorpusError naming the names the corpus lacks."""
    if names is None:
        return templates
    known = {t.name for t in templates}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CorpusError('no template named %s in %s' % (
            ', '.join(unknown), templates[0].corpus_directory))
    return [t for t in templates if t.name in names]


def lifecycle_path(template_path):
    directory, filename = os.path.split(template_path)
    return os.path.join(directory, stem(filename) + LIFECYCLE_SUFFIX)


def read_lifecycle(template_path):
    """The declaration of a template, {} when it has no sidecar."""
    path = lifecycle_path(template_path)
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            declaration = load_yaml(f) or {}
    except yaml.YAMLError as err:
        raise CorpusError('%s: not valid YAML: %s' % (path, err))
    validate_lifecycle(declaration, path)
    return declaration


def _check_keys(mapping, allowed, where):
    if not isinstance(mapping, dict):
        raise CorpusError('%s: expected a mapping, got %s'
                          % (where, type(mapping).__name__))
    for key, value in mapping.items():
        if key not in allowed:
            raise CorpusError('%s: unknown key %r (known: %s)'
                              % (where, key, ', '.join(sorted(allowed))))
        if not isinstance(value, allowed[key]):
            raise CorpusError('%s: %r must be a %s, got %s'
                              % (where, key, allowed[key].__name__,
                                 type(value).__name__))


def validate_lifecycle(declaration, where):
    """Raise CorpusError unless declaration is a valid lifecycle."""
    _check_keys(declaration, LIFECYCLE_KEYS, where)
    unknown = set(declaration.get('requires') or []) - set(REQUIREMENTS)
    if unknown:
        raise CorpusError('%s: requires %s; a template may require %s'
                          % (where, ', '.join(sorted(map(str, unknown))),
                             ', '.join(REQUIREMENTS)))
    if 'expect' in declaration:
        _check_expect(declaration['expect'], where + ': expect')
        if declaration['expect'].get('rejected') and \
                declaration.get('updates'):
            raise CorpusError('%s: a rejected create leaves no stack to '
                              'update (drop updates)' % where)
    _check_agents(declaration.get('agents') or [], where)
    names = set()
    for number, update in enumerate(declaration.get('updates') or [], 1):
        place = '%s: update %d' % (where, number)
        _check_keys(update, UPDATE_KEYS, place)
        name = update.get('name')
        if not name:
            raise CorpusError('%s: every update needs a name' % place)
        if not STEP_NAME.fullmatch(name) or name in RESERVED_STEPS:
            raise CorpusError('%s: name %r must be lower-case letters, '
                              'digits, "-" or "_", and not %s'
                              % (place, name, ' or '.join(RESERVED_STEPS)))
        if name in names:
            raise CorpusError('%s: a step named %r comes twice'
                              % (place, name))
        names.add(name)
        if 'expect' in update:
            _check_expect(update['expect'], place + ': expect')
            if 'rejected' in update['expect'] and 'signal' in update:
                raise CorpusError('%s: a signal step cannot be rejected '
                                  '(drop rejected)' % place)
        _check_agents(update.get('agents') or [], place)
        if 'signal' in update:
            _check_keys(update['signal'], SIGNAL_KEYS, place + ': signal')
            if 'resource' not in update['signal']:
                raise CorpusError('%s: signal needs a resource' % place)
            mixed = set(update) & {'template', 'parameters', 'environment',
                                   'agents', 'rollback'}
            if mixed:
                raise CorpusError('%s: a signal step changes nothing else '
                                  '(drop %s)' % (place,
                                                 ', '.join(sorted(mixed))))


def _check_expect(expect, where):
    """Raise CorpusError unless `expect` is a valid expectation; a
    rejection (``rejected: <HTTP status>``, ``error: <substring>``)
    declares nothing else."""
    _check_keys(expect, EXPECT_KEYS, where)
    if 'rejected' not in expect:
        if 'error' in expect:
            raise CorpusError('%s: error is the message of a rejection: it '
                              'needs rejected (an HTTP status)' % where)
        return
    status = expect['rejected']
    if isinstance(status, bool) or not 400 <= status <= 599:
        raise CorpusError('%s: rejected must be an HTTP error status '
                          '(400 to 599), got %r' % (where, status))
    mixed = [key for key in REJECTION_EXCLUDES if key in expect]
    if mixed:
        raise CorpusError('%s: a rejected request leaves no outcome to '
                          'check (drop %s)' % (where, ', '.join(mixed)))


def _check_agents(specs, where):
    for number, spec in enumerate(specs, 1):
        place = '%s: agent %d' % (where, number)
        if not isinstance(spec, dict):
            raise CorpusError('%s: expected a mapping' % place)
        _check_keys(spec, AGENT_KEYS, place)
        if ('signal' in spec) == ('deploy' in spec):
            raise CorpusError('%s: give either signal (a handle) or deploy '
                              '(a server)' % place)


def top_level_resources(body):
    """Names of a template body's resources that have no condition (so a
    resource added to the template may depend on them)."""
    if 'heat_template_version' in body:
        resources, condition = body.get('resources') or {}, 'condition'
    else:
        resources, condition = body.get('Resources') or {}, 'Condition'
    return sorted(name for name, definition in resources.items()
                  if condition not in (definition or {}))


def with_resource(body, name, resource_type, properties, after=()):
    """A copy of a template body (HOT or CFN) with one more resource,
    which depends on the resources named in after."""
    added = copy.deepcopy(body)
    hot = 'heat_template_version' in added
    keys = ('resources', 'type', 'properties', 'depends_on') if hot else \
        ('Resources', 'Type', 'Properties', 'DependsOn')
    resources = added.get(keys[0]) or {}
    added[keys[0]] = resources
    resources[name] = {keys[1]: resource_type, keys[2]: properties}
    if after:
        resources[name][keys[3]] = sorted(after)
    return added
